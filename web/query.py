"""Query-string inputs shared by the API and the pages: run ids, bounded counts (page,
per_page, top), yes/no flags and the run-history filters. A bad value is an ``ApiError`` 400
naming the parameter; the pages turn it into a message on the page."""

from __future__ import annotations

import re
import uuid

from flask import request

from data import UnknownTickerError, validate_ticker
from kinds.runs.fields import NAME_MAX, TAG_PATTERN
from kinds.runs.store import SORT_COLUMNS, RunFilter, RunSort
from metrics import METRICS
from rules import RULES
from web.errors import ApiError
from work.status import ALL_STATUSES

COMPARE_MAX = 10
"""Most runs one compare page (and its curves) shows."""

_COUNT = re.compile(r"[0-9]{1,9}")
"""A page number or size as typed in a URL: plain ASCII digits, at most 9."""


def is_run_id(value: str) -> bool:
    """Whether ``value`` is a UUID in canonical lower-case form (what run ids are)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def run_ids(limit: int) -> list[str]:
    """The ``ids`` query parameter: comma-separated run ids, duplicates dropped.

    :raise ApiError 400: (field ``ids``) when one is not a run id or there are too many.
    """
    ids = list(dict.fromkeys(part.strip() for part in request.args.get("ids", "").split(",")))
    ids = [run_id for run_id in ids if run_id]
    bad = [run_id for run_id in ids if not is_run_id(run_id)]
    if bad:
        raise ApiError(400, f"is not a run id: {bad[0][:40]!r}", field="ids")
    if len(ids) > limit:
        raise ApiError(400, f"at most {limit} run ids", field="ids")
    return ids


def count(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in [low, high]; 400 naming it otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if _COUNT.fullmatch(raw) is None or not low <= int(raw) <= high:
        bound = f"between {low} and {high}" if high < 10**9 else f"at least {low}"
        raise ApiError(400, f"must be an integer {bound}", field=name)
    return int(raw)


_FLAGS = {"true": True, "1": True, "false": False, "0": False}
"""How a yes/no query parameter may be spelled."""


def flag(name: str, default: bool) -> bool:
    """A yes/no query parameter (``true``/``false``/``1``/``0``); 400 naming it otherwise."""
    raw = request.args.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _FLAGS:
        raise ApiError(400, "must be true or false", field=name)
    return _FLAGS[raw]


def _status() -> str | None:
    value = request.args.get("status", "").strip().upper()
    if value and value not in ALL_STATUSES:
        raise ApiError(400, f"must be one of: {', '.join(ALL_STATUSES)}", field="status")
    return value or None


def _ticker() -> str | None:
    value = request.args.get("ticker", "").strip().upper()
    if not value:
        return None
    try:
        return validate_ticker(value)
    except UnknownTickerError as exc:
        raise ApiError(400, exc.message, field="ticker") from None


def _rule() -> str | None:
    value = request.args.get("rule", "").strip().upper().replace("-", "_")
    if value and value not in RULES:
        raise ApiError(400, f"must be one of: {', '.join(RULES)}", field="rule")
    return value or None


def _tag() -> str | None:
    value = request.args.get("tag", "").strip()
    if value and re.fullmatch(TAG_PATTERN, value) is None:
        raise ApiError(400, "must be a tag: 1 to 32 characters of A-Z a-z 0-9 _ . -", field="tag")
    return value or None


def _name() -> str | None:
    value = request.args.get("q", "").strip()
    if len(value) > NAME_MAX:
        raise ApiError(400, f"must be at most {NAME_MAX} characters", field="q")
    return value or None


def run_filter() -> RunFilter:
    """The history filters (``status``, ``ticker``, ``rule``, ``tag``, ``q``: text in the
    name) of the current request's query string; an empty value means no filter, as an HTML
    form sends it."""
    return RunFilter(
        status=_status(), ticker=_ticker(), rule_type=_rule(), tag=_tag(), name=_name()
    )


SORT_KEYS: tuple[str, ...] = (*SORT_COLUMNS, *(m.key for m in METRICS))
"""What ``sort`` accepts: a column (``kinds.runs.store.SORT_COLUMNS``) or a metric key."""

ORDERS = ("desc", "asc")


def run_sort() -> RunSort:
    """The history order: ``sort`` (default created_at) and ``order`` (desc or asc;
    default desc); 400 naming the parameter for any other value."""
    key = request.args.get("sort", "").strip() or "created_at"
    if key not in SORT_KEYS:
        raise ApiError(400, f"must be one of: {', '.join(SORT_KEYS)}", field="sort")
    order = request.args.get("order", "").strip().lower() or "desc"
    if order not in ORDERS:
        raise ApiError(400, "must be desc or asc", field="order")
    return RunSort(key, order == "desc")
