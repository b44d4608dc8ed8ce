"""The signal cost cap of a run request (and of the signal analyzer's): before any
indicator is computed, estimate what the rule's signals cost on the bars they will read
(``rules.cost``: the run's history from ``signal_start``, and the series under a ``ref`` or
``tf`` on the stretch of the other ticker's bars, or the periods, they are computed on) and
refuse the request when it passes ``SIGNAL_MAX_WORK`` or ``SIGNAL_MAX_VALUES``, naming the
ticker or timeframe whose series cost the most; otherwise say from which history bar the
signals are computed.

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


def request_cost(request: RunRequest, market: History, start: int) -> SignalCost:
    """``rules.cost.signal_cost`` of the request's rule on the very bars it is computed on:
    the signal history from ``start`` (``data.History.signal_history``) and the tickers
    attached to it (``kinds.runs.references``)."""
    from rules.expr.market import others_of

    history = market.signal_history(start)
    return signal_cost(request.rule_type, request.params, history, others_of(history))


def _refusal(cost: SignalCost, what: str, limit: int, variable: str) -> str:
    """The message of a refusal: the figure, the share of the costliest ``ref``/``tf``
    series when one costs more than the run's own bars, the limit and its variable."""
    work = variable == process.SIGNAL_MAX_WORK.name
    figure = cost.work if work else cost.values
    shares = [(part.bars * (part.work if work else part.values), part) for part in cost.parts]
    share, part = max(shares, key=lambda item: item[0])
    if part.where:
        unit = "periods" if part.where.startswith("tf(") else "bars"
        where = f", {share:.3g} of them for {part.where} on the {part.bars:,} {unit} it reads"
        advice = "fewer or shorter indicators inside it, or an end_date with less of its history"
    else:
        where = f" on the {cost.bars:,} bars they read (the history up to end_date)"
        advice = "shorter windows or fewer indicators, or an end_date with less history before it"
    return (
        f"the rule's signals would take about {figure:.3g} {what}{where}; "
        f"at most {limit:.3g} ({variable}): use {advice}"
    )


def check_signal_cost(
    request: RunRequest,
    market: History,
    max_work: int | None = None,
    max_values: int | None = None,
) -> int:
    """Check the request's signal cost (``request_cost``) against the limits (default: this
    process's ``SIGNAL_MAX_WORK`` and ``SIGNAL_MAX_VALUES``) and return ``signal_start``.

    :raise RequestError: naming ``params`` when the estimate passes a limit (with the
        ``ref``/``tf`` series that cost the most, when one costs more than the run's bars).
    """
    return checked_cost(request, market, max_work, max_values)[0]


def checked_cost(
    request: RunRequest,
    market: History,
    max_work: int | None = None,
    max_values: int | None = None,
) -> tuple[int, SignalCost]:
    """``check_signal_cost``, returning (``signal_start``, the cost it checked): for a caller
    that estimates the run's memory from the same cost (``kinds.runs.run_memory``), which
    the estimate would otherwise compute again (a walk of the rule's expression tree).

    :raise RequestError: as ``check_signal_cost``.
    """
    start = signal_start(request, market)
    cost = request_cost(request, market, start)
    work_limit = process.SIGNAL_MAX_WORK.value() if max_work is None else max_work
    values_limit = process.SIGNAL_MAX_VALUES.value() if max_values is None else max_values
    if cost.work > work_limit:
        message = _refusal(cost, "bar·window operations", work_limit, "SIGNAL_MAX_WORK")
        raise RequestError(FIELD, message)
    if cost.values > values_limit:
        message = _refusal(cost, "float values at once", values_limit, "SIGNAL_MAX_VALUES")
        raise RequestError(FIELD, message)
    return start, cost


__all__ = [
    "FIELD",
    "check_signal_cost",
    "checked_cost",
    "cost_limits",
    "request_cost",
    "signal_start",
]
