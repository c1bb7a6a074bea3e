"""What the factory configured for the current app: settings, policies, scoring pipeline,
intake rate limiter and site cache.

The factory (:mod:`moderation.app`) builds each once per app and keeps it in
``app.extensions``; these typed accessors are how views, tasks and commands reach them.
Services never import this module: they take what they need as arguments.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

from flask import Flask, current_app

from moderation.config import Settings
from moderation.policy.loader import PolicySet
from moderation.scoring.pipeline import Pipeline, get_pipeline
from moderation.services.ratelimit import IntakeLimiter
from moderation.services.sites import SiteCache


def settings(app: Flask | None = None) -> Settings:
    value: Settings = (app or current_app).extensions["moderation.settings"]
    return value


def policies(app: Flask | None = None) -> PolicySet:
    value: PolicySet = (app or current_app).extensions["moderation.policies"]
    return value


def limiter(app: Flask | None = None) -> IntakeLimiter:
    value: IntakeLimiter = (app or current_app).extensions["moderation.limiter"]
    return value


def site_cache(app: Flask | None = None) -> SiteCache:
    value: SiteCache = (app or current_app).extensions["moderation.site_cache"]
    return value


def pipeline(app: Flask | None = None) -> Pipeline:
    """The process-wide scoring pipeline, built on first use (never at start-up)."""
    conf = settings(app)
    return get_pipeline(conf.config_dir, conf.models_dir, conf.resolved_site_models_dir())


def warm_up(app: Flask | None = None) -> None:
    """Build the scoring pipeline now (a web or worker process, before its first comment)
    and score a few texts with it (:meth:`Pipeline.warm_up`), then take every object alive
    (the app, the rules, the classifier's vocabulary, the language model: ~185,000 of them)
    out of the garbage collector's sight. They live as long as the process, and a full
    collection walking them holds the GIL for ~0.1 s, which every request in flight would
    wait for."""
    pipeline(app).warm_up()
    gc.freeze()
    release_freed_memory()


def release_freed_memory() -> bool:
    """Hand the heap pages freed while loading (the model file's temporary strings and
    arrays) back to the operating system, which glibc otherwise keeps: about 6 MB per
    process (``python bench/memory.py``). False where the C library has no ``malloc_trim``
    (not glibc); nothing else changes."""
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True
