"""A run request's fields as data: which are required, the patterns of ids, the labels and
their limits. Its own module so that the contract (``kinds.runs.contract``) and its
validation model (``kinds.runs.request_model``, loaded on first use) both import it and
neither imports the other's module at its top.
"""

from __future__ import annotations

from data.timeframe import TIMEFRAMES as TIMEFRAMES  # re-exported for the request model

REQUIRED_FIELDS = ("ticker", "rule_type", "start_date", "end_date")

RUN_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
"""A run id: a lower-case UUID4."""

RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9._+-]{0,119}$"
"""A rule id: a slug such as ``rsi-14-30-70``."""

LABEL_FIELDS = ("name", "tags", "notes")
"""A run request's optional labels (``RunLabels``): metadata stored in their own columns,
never part of ``RunRequest``, so they change neither the queued message nor the result."""

NAME_MAX = 100
TAGS_MAX = 10
TAG_MAX = 32
TAG_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"
NOTES_MAX = 2000
