"""The README's code is run, not just shown: its event-verification example accepts what the
service signs and refuses a tampered body, another path, a wrong secret, a stale timestamp, a
v1-only signature and a replay."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from moderation.services.events import EVENT_ID_HEADER
from moderation.signing import SIGNATURE_V2_HEADER, callback_headers, signature_headers
from tests.support import ROOT

Verify = Callable[[list[str], str, dict[str, str], bytes, set[str]], bool]
URL = "https://gazette.example/hook?src=moderation"
PATH = "/hook?src=moderation"


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


@pytest.mark.parametrize("min_version", [1, 2])
def test_readme_example_verifies_what_the_service_signs(min_version: int) -> None:
    verify = readme_verify()
    body = b'{"id": "evt-1", "type": "comment.decided"}'

    def sent(now: float | None = None) -> dict[str, str]:
        signed = callback_headers("new-secret", body, URL, min_version=min_version, now=now)
        return {EVENT_ID_HEADER: "evt-1", **signed}

    headers = sent()
    assert verify(["old-secret", "new-secret"], PATH, headers, body, set())
    assert not verify(["old-secret", "new-secret"], PATH, headers, body, {"evt-1"})  # replayed
    assert not verify(["old-secret"], PATH, headers, body, set())  # not our secret
    assert not verify(["new-secret"], PATH, headers, body + b" ", set())  # body changed
    assert not verify(["new-secret"], "/other", headers, body, set())  # meant for another URL
    assert not verify(["new-secret"], PATH, sent(now=1_000_000), body, set())  # stale
    v1_only = {EVENT_ID_HEADER: "evt-1", **signature_headers("new-secret", body)}
    v1_only[SIGNATURE_V2_HEADER] = v1_only["X-Moderation-Signature"]
    assert not verify(["new-secret"], PATH, v1_only, body, set())
