"""``python -m moderation.cli`` is the ``moderation`` console script."""

from moderation.cli import main

main()
