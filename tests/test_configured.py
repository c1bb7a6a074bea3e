"""What a process does before its first comment: build the pipeline and freeze the heap."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from flask import Flask

from moderation import configured


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


@pytest.mark.usefixtures("unfrozen")
def test_warm_up_builds_the_pipeline_and_freezes_what_is_alive(app: Flask) -> None:
    assert gc.get_freeze_count() == 0
    with app.app_context():
        configured.warm_up()
        built = configured.pipeline()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the app, the rules, the model's vocabulary...
    # Frozen: no collection walks it (get_objects lists only the collected generations).
    assert not any(obj is built for obj in gc.get_objects())
    with app.app_context():
        assert configured.pipeline() is built  # built once, not again


def test_freed_memory_is_released_on_glibc() -> None:
    """A no-op returning False elsewhere; this machine (and CI) runs glibc."""
    import platform

    released = configured.release_freed_memory()
    assert released is (platform.libc_ver()[0] == "glibc")
