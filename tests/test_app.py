"""Start-up: a missing or malformed configuration stops the app with a message naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from moderation.app import create_app
from moderation.config import ConfigError
from tests.support import ROOT, config_copy


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return config_copy(tmp_path)


def start(config_dir: Path, tmp_path: Path) -> None:
    create_app(
        {
            "config_dir": str(config_dir),
            "database_url": f"sqlite:///{tmp_path / 'x.db'}",
            "instance_path": str(tmp_path / "instance"),
        }
    )


@pytest.mark.parametrize(
    ("relative", "content", "named"),
    [
        ("policy.yaml", None, "policy.yaml: policy file not found"),
        ("policy.yaml", "name: [", "not valid YAML"),
        ("policy.yaml", "name: x\n", "categories"),
        ("sites/gazette.yaml", "categories: {attack: {hold: 2}}\n", "gazette.yaml"),
        ("sites/gazette.yaml", "spam: {max_links: many}\n", "spam.max_links"),
        ("wordlists/terms.yaml", None, "terms.yaml"),
        ("wordlists/terms.yaml", "- not a mapping\n", "terms.yaml"),
        ("sites/gazette.yaml", "languages: {unsupported: maybe}\n", "languages.unsupported"),
        ("sites/gazette.yaml", "languages: {supported: [english]}\n", "languages.supported"),
        ("wordlists/lang/ru.yaml", "language: ru\ngroups: []\n", "ru.yaml: source: missing"),
    ],
)
def test_bad_config_stops_start_up(
    config_dir: Path, tmp_path: Path, relative: str, content: str | None, named: str
) -> None:
    path = config_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        path.unlink()
    else:
        path.write_text(content)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        start(config_dir, tmp_path)


def test_missing_model_stops_start_up(tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no classifier artefact"):
        create_app({"models_dir": str(empty), "instance_path": str(tmp_path / "i")})


def test_command_line_reports_the_problem_without_a_traceback(
    config_dir: Path, tmp_path: Path
) -> None:
    (config_dir / "policy.yaml").write_text("name: default\ncategories: {}\nrule_scores: {}\n")
    done = subprocess.run(
        [sys.executable, "-m", "moderation.cli", "site", "list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "MODERATION_CONFIG_DIR": str(config_dir),
            "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
        },
    )
    assert done.returncode != 0
    assert "policy.yaml: invalid policy: categories" in done.stderr
    assert "Traceback" not in done.stderr


def test_production_mode_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MODERATION_SECRET_KEY"):
        create_app({"redis_url": "redis://127.0.0.1:1/0", "instance_path": str(tmp_path)})


def test_nothing_connects_at_import() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('network at import')\n"
        "socket.socket.connect = refuse\n"
        "import moderation.app, moderation.tasks, moderation.scoring.pipeline, moderation.cli\n"
        "from moderation.scoring import pipeline\n"
        "assert not pipeline._cache, 'model loaded at import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_the_openapi_library_loads_only_when_the_document_is_asked_for(tmp_path: Path) -> None:
    """openapi-pydantic costs each process about 7 MB: a scoring worker never needs it."""
    code = (
        "import sys\n"
        "from moderation.app import create_app\n"
        f"app = create_app({{'database_url': 'sqlite:///{tmp_path / 'x.db'}',"
        f" 'instance_path': '{tmp_path / 'instance'}'}})\n"
        "assert 'openapi_pydantic' not in sys.modules, 'imported by create_app'\n"
        "answer = app.test_client().get('/api/v1/openapi.json')\n"
        "assert answer.status_code == 200, answer.status_code\n"
        "assert 'openapi_pydantic' in sys.modules\n"
        "assert '/comments' in answer.json['paths']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
