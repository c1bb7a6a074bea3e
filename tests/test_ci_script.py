"""The CI script talks only to this machine: it probes no registry (or other host) by URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.support import ROOT

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def test_ci_script_names_only_loopback_urls() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    urls = re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"']+", script)
    assert urls, "expected at least the test database URL"
    assert [url for url in urls if urlsplit(url).hostname not in LOOPBACK] == []


def test_ci_script_judges_the_audit_by_pip_audit_output() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "pip-audit" in script
    assert "could not be audited" in script
