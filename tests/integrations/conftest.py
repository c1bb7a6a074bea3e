from __future__ import annotations

import pytest
from flask import Flask

from tests.integrations.support import CORAL_SECRET


@pytest.fixture
def api_key(app: Flask, site: tuple[str, str]) -> str:
    """A Perspective API key of the site ``news``."""
    from moderation.services import api_keys
    from moderation.services.sites import require_site

    with app.app_context():
        _, key = api_keys.create_key(require_site(site[0]))
    return key


@pytest.fixture
def coral_site(app: Flask, site: tuple[str, str]) -> str:
    """The site ``news`` with a Coral signing secret; returns the secret."""
    from moderation.services import coral
    from moderation.services.sites import require_site

    with app.app_context():
        coral.set_signing_secret(require_site(site[0]), CORAL_SECRET)
    return CORAL_SECRET
