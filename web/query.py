"""Query-string inputs shared by the API and the pages, whatever the kind: bounded counts
(page, per_page, top) and a listed page's place in the whole (``paging``), yes/no flags,
and ``parsed``, which reads a kind's own inputs (``kinds.<kind>.query``: functions of the
query parameters) with its ``RequestError`` as the API's 400. A bad value is an
``ApiError`` 400 naming the parameter; the pages turn it into a message on the page."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import request

from web.errors import ApiError, bad_request
from work.errors import RequestError

T = TypeVar("T")

_COUNT = re.compile(r"[0-9]{1,9}")
"""A page number or size as typed in a URL: plain ASCII digits, at most 9."""


def count(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in [low, high]; 400 naming it otherwise."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if _COUNT.fullmatch(raw) is None or not low <= int(raw) <= high:
        bound = f"between {low} and {high}" if high < 10**9 else f"at least {low}"
        raise ApiError(400, f"must be an integer {bound}", field=name)
    return int(raw)


def paging(page: int, per_page: int, total: int) -> dict[str, int]:
    """A listed page's place in the whole, as every paged answer gives it: ``page``,
    ``per_page``, ``total`` (rows in all) and ``pages``."""
    pages = math.ceil(total / per_page)
    return {"page": page, "per_page": per_page, "total": total, "pages": pages}


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


def parsed(read: Callable[[Mapping[str, str]], T]) -> T:
    """``read`` applied to the request's query parameters; its ``RequestError`` is the 400
    naming the parameter (``web.errors.bad_request``)."""
    try:
        return read(request.args)
    except RequestError as exc:
        raise bad_request(exc) from None
