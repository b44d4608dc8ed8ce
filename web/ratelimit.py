"""Rate limit of submissions (SUBMIT_RATE_LIMIT, e.g. ``60/minute``; ``docs/security.md``).

A fixed-window counter in the web's Redis (``web.windows``): one key per client and window
(``ratelimit:submit:<client>:<seconds>:<window number>``), INCR'd by every submission and
expiring with its window, so all web replicas share the count. The client
(``web.clients``) is the API token's name in AUTH_MODE=token and the client address in
AUTH_MODE=none (behind a proxy, set PROXY_FIX_HOPS so the address is the client's, not the
proxy's). Over the limit the
answer is 429 with ``Retry-After`` (seconds to the next window). If Redis cannot be
reached the limit is not applied (fail open, one warning in the log): the submission then
meets the same outage at its enqueue and is answered 503 there.

Limited: ``limited_endpoints``. Submitting work of any registered kind (what costs cluster
time) counts against the kind's budget (``WorkKind.budget``; the built-in kinds share one);
the signal analyzer (web CPU on every call) has a budget of its own of the same size, so
the run form's validator, which asks it as the form changes, never uses up the
submissions; so has a run's Monte Carlo (``GET /api/runs/<id>/montecarlo``: up to half a
second of web CPU a call), which the run report asks on its own.
"""

from __future__ import annotations

import logging
from importlib import import_module

from flask import Flask, current_app, request
from redis.exceptions import RedisError

from config import RATE_WINDOWS, parse_rate
from kinds.registry import all_kinds
from web.clients import current_client
from web.errors import ApiError
from web.windows import count

logger = logging.getLogger("web.ratelimit")

KEY_PREFIX = "ratelimit:submit:"
"""Prefix of the submissions' counters' Redis keys."""

ANALYZE_KEY_PREFIX = "ratelimit:analyze:"
"""Prefix of the signal analyzer's counters' Redis keys (its own budget)."""

VALIDATE_KEY_PREFIX = "ratelimit:validate:"
"""Prefix of the form checks' counters' Redis keys (their own budget)."""

SIMULATE_KEY_PREFIX = "ratelimit:simulate:"
"""Prefix of the Monte Carlo simulations' counters' Redis keys (their own budget)."""

BUDGET_KEYS = {
    "submissions": KEY_PREFIX,
    "signal analyses": ANALYZE_KEY_PREFIX,
    "request checks": VALIDATE_KEY_PREFIX,
    "simulations": SIMULATE_KEY_PREFIX,
}
"""Budget (what a 429 calls its requests) → its counters' key prefix."""

OWN_BUDGETS = {
    "signals.analyze": "signal analyses",
    "runs.montecarlo": "simulations",
    "runs.montecarlo_csv": "simulations",
}
"""``POST /api/analyze_signals`` and ``GET /api/runs/<id>/montecarlo`` (and its ``.csv``),
web CPU on every call, have a budget of their own each."""

CHECKS = ("schema.validate", "request checks")
"""The forms' request checks (``POST /api/schema/<kind>/validate``: every endpoint of the
schema blueprint whose name starts so) read data files on every call but queue nothing: a
budget of their own, so a form asking them as it changes never uses up the submissions."""


def limited_endpoints() -> dict[str, str]:
    """Every endpoint SUBMIT_RATE_LIMIT counts → its budget: each registered kind's
    submission (the ``submit`` view of its blueprints, ``WorkKind.blueprints``, or of the API
    its ``request`` model gives it, ``web.api.kind``) in the kind's
    budget (``WorkKind.budget``: runs, sweeps and walk-forwards share "submissions"), and
    the signal analyzer in its own (``OWN_BUDGETS``); the forms' checks have theirs
    (``CHECKS``)."""
    endpoints = {
        f"{name}.submit": kind.budget
        for kind in all_kinds()
        for name in (
            *(import_module(module).bp.name for module in kind.blueprints),
            *((kind.resource,) if kind.request is not None else ()),
        )
    }
    return {**endpoints, **OWN_BUDGETS}


EXTENSION = "web.ratelimit"
"""Key in ``app.extensions`` of (the parsed limit: (requests, window seconds) or None, the
limited endpoints → their budgets)."""

_WINDOW_NAMES = {seconds: name for name, seconds in RATE_WINDOWS.items()}


def _limit() -> None:
    """Count a submission (or an analysis, in its own budget); 429 with Retry-After once
    the client's window is full."""
    rate, endpoints = current_app.extensions[EXTENSION]
    endpoint = request.endpoint or ""
    what = endpoints.get(endpoint) or (CHECKS[1] if endpoint.startswith(CHECKS[0]) else None)
    if rate is None or what is None:
        return
    prefix = BUDGET_KEYS.get(what) or f"ratelimit:{what.replace(' ', '_')}:"
    allowed, window = rate
    who = current_client()
    client, field = who.key, who.field
    try:
        counted = count(prefix, client, window)
    except RedisError as exc:
        logger.warning("rate limit not applied: Redis unavailable (%s)", exc.__class__.__name__)
        return
    if counted.used > allowed:
        retry_after = counted.retry_after
        logger.warning("refused: %s over %d %s per %ss", client, allowed, what, window)
        raise ApiError(
            429,
            f"too many {what}: at most {allowed} per {_WINDOW_NAMES[window]}; "
            f"retry in {retry_after} s",
            field=field,
            headers={"Retry-After": str(retry_after)},
        )


def init_app(app: Flask) -> None:
    """Count the submissions of ``app`` against SUBMIT_RATE_LIMIT (nothing when it is
    empty). Registered after ``web.auth``, whose gate names the client."""
    app.extensions[EXTENSION] = (parse_rate(app.config["SUBMIT_RATE_LIMIT"]), limited_endpoints())
    app.before_request(_limit)
