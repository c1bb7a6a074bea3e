"""Self-hosted comment moderation service. The app factory is :func:`moderation.app.create_app`."""
