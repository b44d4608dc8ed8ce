"""The signal cost cap of a run request (and of the signal analyzer's): before any
indicator is computed, estimate what the rule's signals cost on the bars they will read
(``rules.cost``) and refuse the request when it passes ``SIGNAL_MAX_WORK`` or
``SIGNAL_MAX_VALUES``; otherwise say from which history bar the signals are computed.

One function for every caller: the web's submission and validation routes and the analyzer
pass their app's settings, a Job reads the same variables from its environment, so a request
the web accepted is not refused by the Job under the same configuration, and a request sent
straight to the queue (or with the web's limits raised) is still refused before computing.
Limits and formulas: docs/security.md#signal-cost-caps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config import process
from data import History
from kinds.runs.contract import RequestError, RunRequest
from rules.cost import SignalCost, reach, signal_cost

FIELD = "params"
"""The field a refusal names: the rule's params (its windows and indicators) set the cost."""


def cost_limits(config: Mapping[str, Any]) -> tuple[int, int]:
    """(SIGNAL_MAX_WORK, SIGNAL_MAX_VALUES) of an app's config (the web's settings)."""
    return int(config[process.SIGNAL_MAX_WORK.name]), int(config[process.SIGNAL_MAX_VALUES.name])


def signal_start(request: RunRequest, market: History) -> int:
    """The first history bar the request's signals must be computed from: the window's start
    minus the rule's exact reach (``rules.cost.reach``), or 0 (the file's first bar) when
    the rule depends on the whole history, or the request has a ``size_expr`` (its
    indicators warm up on the whole file, as without a reach)."""
    bars_back = reach(request.rule_type, request.params)
    if bars_back is None or request.size_expr is not None:
        return 0
    return max(market.start - bars_back, 0)


def _refusal(cost: SignalCost, what: str, figure: int, limit: int, variable: str) -> str:
    return (
        f"the rule's signals would take about {figure:.3g} {what} on the {cost.bars:,} bars "
        f"they read (the history up to end_date); at most {limit:.3g} ({variable}): use "
        "shorter windows or fewer indicators, or an end_date with less history before it"
    )


def check_signal_cost(
    request: RunRequest,
    market: History,
    max_work: int | None = None,
    max_values: int | None = None,
) -> int:
    """Check the request's signal cost against the limits (default: this process's
    ``SIGNAL_MAX_WORK`` and ``SIGNAL_MAX_VALUES``) and return ``signal_start``.

    :raise RequestError: naming ``params`` when the estimate passes a limit.
    """
    start = signal_start(request, market)
    cost = signal_cost(request.rule_type, request.params, market.stop - start)
    work_limit = process.SIGNAL_MAX_WORK.value() if max_work is None else max_work
    values_limit = process.SIGNAL_MAX_VALUES.value() if max_values is None else max_values
    if cost.work > work_limit:
        message = _refusal(cost, "bar·window operations", cost.work, work_limit, "SIGNAL_MAX_WORK")
        raise RequestError(FIELD, message)
    if cost.values > values_limit:
        message = _refusal(
            cost, "float values at once", cost.values, values_limit, "SIGNAL_MAX_VALUES"
        )
        raise RequestError(FIELD, message)
    return start


__all__ = ["FIELD", "check_signal_cost", "cost_limits", "signal_start"]
