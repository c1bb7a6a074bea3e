"""CSV export of the audit log: formula injection."""

from __future__ import annotations

import pytest

from moderation.services.audit_query import neutralise


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("moderator:ann", "moderator:ann"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected
