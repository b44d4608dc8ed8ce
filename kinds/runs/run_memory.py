"""The memory cap of a run request: before anything is computed, estimate the memory the
run's Job will need from the bars it reads and trades, and refuse the request when the
estimate passes ``RUN_MAX_MEMORY_MB`` (a 400 naming ``end_date``, with the estimate).

This replaces a fixed count of bars (RUN_MAX_BARS, now unset by default) as what bounds one
run: a five-year run of one-minute bars (491,400) fits a Job, a run whose rule holds many
series per bar is refused sooner. One function for every caller, as the signal cost cap
(``kinds.runs.signal_cost``): the web's submission passes its app's setting, a Job reads
the same variable from its environment. Figures: docs/execution.md#long-runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from config import process
from data import History
from kinds.runs.contract import RequestError, RunRequest
from kinds.runs.signal_cost import request_cost
from rules.cost import SignalCost

FIELD = "end_date"
"""The field a refusal names: the window's length (and the history before it) sets the cost."""

BASE_MB = 120
"""A run Job's memory before its data: the interpreter, numpy, the platform, the database
driver and the queue's (measured: 100 MB for a run of a few hundred bars through
``python -m consumer --request``; a queue-mode Job peaked at 584 MB on the five-year
one-minute run, 4 MB above this base plus its parse)."""

CHARTS_MB = 60
"""What loading matplotlib and drawing the six charts adds (their points are capped by
RUN_CURVE_POINTS, so it does not grow with the bars; measured: 50 MB)."""

BYTES_PER_PARSED_BAR = 1024
"""Bytes a bar of the file costs while the file is parsed (its text, cells and the columns
being built: 860 B measured for a 59-byte line), when no binary copy of it is at hand
(``data.bars_cache``); the parse ends before anything else is computed."""

BYTES_PER_LOADED_BAR = 64
"""Bytes every bar of the file keeps for the whole run: the parsed timestamp and OHLCV
columns and their slices."""

BYTES_PER_WINDOW_BAR = 160
"""Peak bytes per bar of the window beyond its loaded columns and the rule's series: the
engine's per-bar paths and their temporaries, the metrics' returns and drawdowns, the
curves' sampling (85 B measured; the trades are extra, bounded by RUN_MAX_RESULT_BYTES)."""

BYTES_PER_SIGNAL_VALUE = 8
"""A float64 value of the rule's series (``rules.cost.SignalCost.values``)."""


def estimated_mb(
    read_bars: int,
    window_bars: int,
    signal_values: int,
    charts: bool,
    other_bars: Sequence[int] = (),
) -> float:
    """The memory (MB) a run Job needs at its peak: ``BASE_MB`` and the larger of a file's
    parse (the largest of its own file's ``read_bars`` and the files its ``ref`` calls read,
    ``other_bars``, × ``BYTES_PER_PARSED_BAR``: one is parsed at a time) and the computation
    after it (every file's bars kept, the window's bars, the rule's series and, with
    ``charts``, ``CHARTS_MB``).

    >>> round(estimated_mb(491_400, 491_400, 16 * 491_400, charts=True))
    600
    """
    parse = max([read_bars, *other_bars]) * BYTES_PER_PARSED_BAR
    compute = (read_bars + sum(other_bars)) * BYTES_PER_LOADED_BAR
    compute += window_bars * BYTES_PER_WINDOW_BAR
    compute += signal_values * BYTES_PER_SIGNAL_VALUE + (CHARTS_MB * 2**20 if charts else 0)
    return BASE_MB + max(parse, compute) / 2**20


def run_estimate_mb(
    request: RunRequest, market: History, signal_start: int = 0, cost: SignalCost | None = None
) -> float:
    """``estimated_mb`` of ``request`` on its loaded data: every bar of the file read (a Job
    parses it whole) and of the files its ``ref`` calls read, the window traded, the
    signals computed from ``signal_start`` up to the window's end (and their ``ref`` and
    ``tf`` series on the bars those read: ``kinds.runs.signal_cost.request_cost``, or
    ``cost`` when the caller has it: ``checked_cost``'s)."""
    if cost is None:
        cost = request_cost(request, market, signal_start)
    others = list(_referenced(request, market).values())
    read = len(market.bars)
    return estimated_mb(read, market.stop - market.start, cost.values, request.charts, others)


def _referenced(request: RunRequest, market: History) -> dict[str, int]:
    """{ticker: its bars} of the files the request's ``ref`` calls read, as loaded
    (``kinds.runs.references``; the bars attached to a file's cached bars may hold other
    requests' tickers too, which are not counted)."""
    from kinds.runs.references import reference_fields
    from rules.expr.market import others_of

    attached = others_of(market.bars)
    tickers = dict.fromkeys(ticker for _, ticker in reference_fields(request))
    return {ticker: len(attached[ticker]) for ticker in tickers if ticker in attached}


def check_run_memory(
    request: RunRequest,
    market: History,
    signal_start: int = 0,
    memory_mb: int | None = None,
    cost: SignalCost | None = None,
) -> None:
    """Refuse ``request`` when its estimate passes ``memory_mb`` (default: this process's
    ``RUN_MAX_MEMORY_MB``); ``cost``: its signal cost, when the caller has it.

    :raise RequestError: naming ``end_date``, with the estimate and the limit.
    """
    limit = process.RUN_MAX_MEMORY_MB.value() if memory_mb is None else memory_mb
    need = run_estimate_mb(request, market, signal_start, cost)
    if need > limit:
        bars = market.stop - market.start
        others = _referenced(request, market).items()
        files = (
            ", and it refs " + ", ".join(f"{t} ({n:,} bars)" for t, n in others) if others else ""
        )
        raise RequestError(
            FIELD,
            f"the range holds {bars:,} bars of the {len(market.bars):,} its file has"
            f"{files}; "
            f"the run would need about {need:,.0f} MB, more than a run may use ({limit:,} MB, "
            "RUN_MAX_MEMORY_MB): a shorter range, or charts: false",
        )


__all__ = ["FIELD", "check_run_memory", "estimated_mb", "run_estimate_mb"]
