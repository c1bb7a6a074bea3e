"""The README's quick start: `moderation serve` on the embedded default (SQLite, tasks
in-process), as a newcomer runs it, over real HTTP."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import (
    Services,
    comment_payload,
    encode,
    free_port,
    need,
    signed,
    spawn,
    wait_until,
)


def test_serve_embedded_decides_a_signed_comment(tmp_path: Path, services: Services) -> None:
    need("curl")
    port = free_port()
    env = {
        "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
        "MODERATION_DATABASE_URL": "",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "MODERATION_REDIS_URL": "",
        "MODERATION_SECRET_KEY": "",
    }
    process = spawn(
        "serve",
        [sys.executable, "-m", "moderation.cli", "serve", "--port", str(port)],
        env,
        services.log_dir,
    )
    try:
        wait_until(
            lambda: "sign --site dev" in process.output() or not process.alive(),
            timeout=60,
            what="the secret and the instructions",
        )
        assert process.alive(), process.output()
        found = re.search(r"\n  ([0-9a-f]{64})\n", process.output())
        assert found is not None, process.output()
        secret = found.group(1)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _ok(f"{base}/healthz"), timeout=60, what="the server")
        assert httpx.get(f"{base}/readyz").json() == {
            "status": "ready",
            "checks": {"database": True, "broker": True, "worker": True},  # the worker thread
        }

        body = encode(comment_payload(site="dev", text="You are a f*cking disgrace."))
        response = httpx.post(f"{base}/api/v1/comments", content=body, headers=signed(secret, body))
        assert response.status_code == 202, response.text

        def decision() -> str | None:
            got = httpx.get(f"{base}/api/v1/comments/dev/c-1", headers=signed(secret, b""))
            value: str | None = got.json()["decision"]
            return value

        assert wait_until(decision, timeout=60, what="a decision") == "reject"
        assert (tmp_path / "instance" / "moderation.sqlite3").exists()

        # The instructions it printed, run as printed in a shell where the virtualenv is not
        # activated (its bin is not on PATH): sign with the CLI, post with curl, fetch.
        assert "default is 8000" in process.output() and "--port" in process.output()
        post, fetch = _printed_commands(process.output())
        venv_bin = Path(sys.executable).parent
        path = os.pathsep.join(
            d for d in os.environ.get("PATH", "").split(os.pathsep) if d and Path(d) != venv_bin
        )
        assert shutil.which("moderation", path=path) is None  # the shell cannot find it by name
        shell_env = {**os.environ, **env, "PATH": path}
        posted = subprocess.run(
            ["bash", "-c", post], cwd=tmp_path, env=shell_env, capture_output=True, text=True
        )
        assert json.loads(posted.stdout)["status"] == "pending", (posted.stdout, posted.stderr)

        def fetched() -> str | None:
            got = subprocess.run(
                ["bash", "-c", fetch], cwd=tmp_path, env=shell_env, capture_output=True, text=True
            )
            value: str | None = json.loads(got.stdout)["decision"]
            return value

        assert wait_until(fetched, timeout=60, what="the printed GET to show a decision") == (
            "publish"
        )
    finally:
        process.stop()


def _printed_commands(output: str) -> tuple[str, str]:
    """The shell commands `moderation serve` prints: (write + sign + post, signed GET)."""
    post = output.split("Post a signed comment:\n", 1)[1].split("\n\n", 1)[0]
    fetch = output.split("Then fetch its decision (signed GET, empty body):\n", 1)[1]
    return post, fetch.split("\n", 1)[0]


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False
