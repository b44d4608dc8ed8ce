"""The points of a PYTHON base run request, evaluated together: what the run kind's search
gives a sweep chunk of a Python strategy (``kinds.sweeps.run_search.RunSearch``).

Every point is the run request submitted alone would be (``RunSearch.apply``: the base
with the point's class attributes in ``params``); all of them run in one sandbox
(``kinds.strategies.replayed.run_strategies``) on the base's bars, each with its own
request's seed (``kinds.runs.python_run.request_seed``) and the base's ``refs`` (the
frames its run alone gets, ``ref_frames``; their files are in the base's data hash). A
point's metrics are those its run alone stores (``strategy_metrics``, the registry's
keys), read off the figures of its book (``adapters.strategy_stats.strategy_figures``: its
statistics without the pandas frames a run alone stores): the same bytes. A point whose
strategy failed has every metric None and, as ``errors[i]``, the message its run alone
FAILS with (``failure_message``); its chunk's other points are unaffected. Block statistics
need every point's returns: a chunk with a failed point has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from metrics import SWEEP_METRIC_KEYS
from work.search import Outcome, Scored, block_stats_of


def evaluate_python_points(
    apply: Any, base: dict[str, Any], points: Sequence[Mapping[str, Any]], blocks: int = 0
) -> Scored:
    """The metrics of every point of the PYTHON ``base`` (``apply(base, point)``: its
    request), their block statistics when ``blocks`` = S > 0 (module docstring).

    :raise RequestError: the data cannot serve the base, or a point is refused.
    """
    from adapters.strategy_stats import strategy_figures
    from engine import bar_returns
    from kinds.runs.contract import RunRequest
    from kinds.runs.execute import load_market_data, market_window
    from kinds.runs.python_request import book_settings
    from kinds.runs.python_run import (
        book_inputs,
        failure_message,
        ref_frames,
        request_costs,
        request_seed,
        strategy_frame,
        strategy_metrics,
    )
    from kinds.strategies.replayed import run_strategies

    requests = [RunRequest.from_stored(apply(base, dict(point))) for point in points]
    first = requests[0]
    market = load_market_data(first)
    frame = market_window(market)
    outcomes = run_strategies(
        first.strategy_code or "",
        first.strategy_class or "",
        [request.params for request in requests],
        strategy_frame(frame.bars),
        request_costs(first),
        seeds=[request_seed(request) for request in requests],
        finalize_trades=first.close_open_trades_at_end,
        refs=ref_frames(first, market.bars, frame.bars),
        **book_inputs(first, market, frame),
        summarize=strategy_figures,
        **book_settings(first),
    )
    rows: list[dict[str, Any]] = []
    errors: list[str | None] = []
    ran: list[Outcome] = []
    for outcome in outcomes:
        if outcome.status != "SUCCEEDED":
            rows.append(dict.fromkeys(SWEEP_METRIC_KEYS))
            errors.append(failure_message(outcome.failure))
            continue
        figures = outcome.value
        metrics = strategy_metrics(figures.stats)
        rows.append({key: metrics.get(key) for key in SWEEP_METRIC_KEYS})
        errors.append(None)
        equity = np.asarray(figures.equity, dtype=np.float64)
        ran.append(Outcome({}, {}, "", rows[-1], returns=bar_returns(equity[None, :])[0].tolist()))
    stats = block_stats_of(ran, blocks) if len(ran) == len(outcomes) else None
    return Scored(rows, stats, frame.data_hash, errors=errors)
