"""Celery worker entry point: ``celery -A moderation.worker:celery_app worker``.

This is the one module that builds the app at import, because that is what Celery's ``-A``
expects; nothing else imports it. Metrics go to a multi-process directory set up first, so
that ``--metrics-port`` serves the sums over the worker's pool processes.
"""

from moderation.metrics_dir import ensure_multiprocess_dir

ensure_multiprocess_dir()

from moderation.app import create_app  # noqa: E402  (after the metrics directory is set)

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
