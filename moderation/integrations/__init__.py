"""Drop-in endpoints for the platforms newsrooms already run.

* :mod:`moderation.integrations.perspective` answers Google Perspective's
  ``POST /v1alpha1/comments:analyze`` (and ``:suggestscore``) with a per-site API key, so a
  Perspective client switches by changing its base URL and key;
* :mod:`moderation.integrations.coral` is a Coral Talk external moderation phase
  (``POST /integrations/coral/<site>/moderate``) that stores and decides each comment
  synchronously with the same scoring and policy as the webhook.

See ``docs/integrations.md`` for the settings to change on each platform.
"""

from __future__ import annotations

from flask import Flask


def register_integrations(app: Flask) -> None:
    from moderation.integrations.coral import bp as coral_bp
    from moderation.integrations.perspective import bp as perspective_bp

    app.register_blueprint(perspective_bp)  # /v1alpha1/comments:analyze, :suggestscore
    app.register_blueprint(coral_bp)  # /integrations/coral/<site>/moderate
