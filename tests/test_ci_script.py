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


# Registries are referred to by their tool (pip, apt-get), never by host. Spelt in parts so
# that this file does not name them either.
_REGISTRY_HOSTS = [
    ".".join(parts)
    for parts in (
        ("pypi", "org"),
        ("pythonhosted", "org"),
        ("npmjs", "org"),
        ("npmjs", "com"),
        ("deb", "debian", "org"),
        ("crates", "io"),
    )
]


def test_no_file_of_the_project_names_a_registry_host() -> None:
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    named = []
    for name in tracked:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".npz", ".png", ".ico"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore").lower()
        named.extend(f"{name}: {host}" for host in _REGISTRY_HOSTS if host in text)
    assert named == []
