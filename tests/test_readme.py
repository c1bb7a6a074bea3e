"""The README's code is run, not just shown: its event-verification example accepts what the
service signs and refuses a tampered body, a wrong secret, a stale timestamp and a replay."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moderation.services.events import EVENT_ID_HEADER
from moderation.signing import signature_headers
from tests.support import ROOT

Verify = Callable[[list[str], dict[str, str], bytes, set[str]], bool]


def readme_verify() -> Verify:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Verifying an event") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the README lost its verification example"
    assert len(code.group(1).strip().splitlines()) <= 12
    namespace: dict[str, Any] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)
    verify: Verify = namespace["verify"]
    return verify


def test_readme_example_verifies_what_the_service_signs() -> None:
    verify = readme_verify()
    body = b'{"id": "evt-1", "type": "comment.decided"}'
    headers = {EVENT_ID_HEADER: "evt-1", **signature_headers("new-secret", body)}
    assert verify(["old-secret", "new-secret"], headers, body, set())
    assert not verify(["old-secret", "new-secret"], headers, body, {"evt-1"})  # replayed
    assert not verify(["old-secret"], headers, body, set())  # not our secret
    assert not verify(["new-secret"], headers, body + b" ", set())  # body changed
    stale = {EVENT_ID_HEADER: "evt-1", **signature_headers("new-secret", body, now=1_000_000)}
    assert not verify(["new-secret"], stale, body, set())
