"""Celery worker entry point: ``celery -A moderation.worker:celery_app worker``.

This is the one module that builds the app at import, because that is what Celery's ``-A``
expects; nothing else imports it.
"""

from moderation.app import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
