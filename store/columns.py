"""How stored columns read outside the database, the same for every kind: a naive UTC
``DATETIME`` as ISO-8601 UTC with an explicit ``+00:00``, a JSON text column decoded.

Plain functions (no SQLAlchemy): the kinds' views (``kinds.<kind>.view``) and the web's
shared helpers (``web.present``) use them alike.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def iso_utc(value: datetime | None) -> str | None:
    """A naive UTC datetime as ISO-8601 with ``+00:00``; None stays None.

    >>> iso_utc(datetime(2024, 1, 2, 3, 4, 5))
    '2024-01-02T03:04:05+00:00'
    """
    return None if value is None else value.replace(tzinfo=UTC).isoformat()


def json_or_none(text: str | None) -> Any:
    """A stored JSON column decoded; None (SQL NULL) stays None."""
    return None if text is None else json.loads(text)
