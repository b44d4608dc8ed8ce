"""The runs' query-string inputs, read from any mapping of strings (a request's ``args``; no
Flask here): run ids, the history filters and the history order. A bad value is a
``RequestError`` naming the parameter: the API answers it 400 (``web.query.parsed``), the
pages show it on the page.

An empty value means "no filter", as an HTML form sends it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from data import UnknownTickerError, validate_ticker
from kinds.runs.fields import NAME_MAX, TAG_PATTERN
from kinds.runs.store import SORT_COLUMNS, RunFilter, RunSort
from metrics import all_metrics
from rules import RULES
from work.errors import RequestError
from work.status import ALL_STATUSES

Args = Mapping[str, str]
"""Query parameters by name (``request.args``)."""

COMPARE_MAX = 10
"""Most runs one compare page (and its curves) shows."""


def is_run_id(value: str) -> bool:
    """Whether ``value`` is a UUID in canonical lower-case form (what run ids are)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def run_ids(args: Args, limit: int) -> list[str]:
    """The ``ids`` query parameter: comma-separated run ids, duplicates dropped.

    :raise RequestError: (field ``ids``) when one is not a run id or there are too many.
    """
    ids = list(dict.fromkeys(part.strip() for part in args.get("ids", "").split(",")))
    ids = [run_id for run_id in ids if run_id]
    bad = [run_id for run_id in ids if not is_run_id(run_id)]
    if bad:
        raise RequestError("ids", f"is not a run id: {bad[0][:40]!r}")
    if len(ids) > limit:
        raise RequestError("ids", f"at most {limit} run ids")
    return ids


def _status(args: Args) -> str | None:
    value = args.get("status", "").strip().upper()
    if value and value not in ALL_STATUSES:
        raise RequestError("status", f"must be one of: {', '.join(ALL_STATUSES)}")
    return value or None


def _ticker(args: Args) -> str | None:
    value = args.get("ticker", "").strip().upper()
    if not value:
        return None
    try:
        return validate_ticker(value)
    except UnknownTickerError as exc:
        raise RequestError("ticker", exc.message) from None


def _rule(args: Args) -> str | None:
    value = args.get("rule", "").strip().upper().replace("-", "_")
    if value and value not in RULES:
        raise RequestError("rule", f"must be one of: {', '.join(RULES)}")
    return value or None


def _tag(args: Args) -> str | None:
    value = args.get("tag", "").strip()
    if value and re.fullmatch(TAG_PATTERN, value) is None:
        raise RequestError("tag", "must be a tag: 1 to 32 characters of A-Z a-z 0-9 _ . -")
    return value or None


def _name(args: Args) -> str | None:
    value = args.get("q", "").strip()
    if len(value) > NAME_MAX:
        raise RequestError("q", f"must be at most {NAME_MAX} characters")
    return value or None


def run_filter(args: Args) -> RunFilter:
    """The history filters (``status``, ``ticker``, ``rule``, ``tag``, ``q``: text in the
    name); an empty value means no filter."""
    return RunFilter(
        status=_status(args),
        ticker=_ticker(args),
        rule_type=_rule(args),
        tag=_tag(args),
        name=_name(args),
    )


def sort_keys() -> tuple[str, ...]:
    """What ``sort`` accepts: a column (``kinds.runs.store.SORT_COLUMNS``) or a metric key
    (the registry's now: a metric registered since counts)."""
    return (*SORT_COLUMNS, *(m.key for m in all_metrics()))


ORDERS = ("desc", "asc")


def run_sort(args: Args) -> RunSort:
    """The history order: ``sort`` (default created_at) and ``order`` (desc or asc;
    default desc); a ``RequestError`` naming the parameter for any other value."""
    key = args.get("sort", "").strip() or "created_at"
    if key not in sort_keys():
        raise RequestError("sort", f"must be one of: {', '.join(sort_keys())}")
    order = args.get("order", "").strip().lower() or "desc"
    if order not in ORDERS:
        raise RequestError("order", "must be desc or asc")
    return RunSort(key, order == "desc")
