"""A metric defined by a function (``metrics.register``) keeps a sweep on the compiled one
pass: the pass keeps each block's equity curves and bar returns for the function, and every
stored value equals the numpy path's bit for bit."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from adapters.metrics import Curves
from engine import _kernel, compiled
from kinds.runs.execute import load_market_data, market_window
from kinds.sweeps.contract import parse_sweep_request
from kinds.sweeps.evaluate import BLOCK_KEY, curve_rows, evaluate
from metrics import MetricDef, register, sweep_metric_keys, unregister

MIX = MetricDef(
    "toy_curve_mix",
    "Toy curve mix",
    function="tests.sweeps.test_sweep_function_metric:curve_mix",
)
"""A metric reading every part of ``Curves``: equity, returns, a known metric, the bars per
year and the timestamps."""


def curve_mix(curves: Curves) -> np.ndarray:
    """``MIX``'s function."""
    span = (curves.timestamps[-1] - curves.timestamps[0]) / np.timedelta64(1, "D")
    return (
        curves.returns.sum(axis=1) * curves.metrics["sharpe_ratio"]
        + curves.equity.min(axis=1) / curves.bars_per_year
        + curves.metrics["cagr_pct"] / span
    )


FINAL = MetricDef(
    "toy_final_equity",
    "Toy final equity",
    function="tests.sweeps.test_sweep_function_metric:final_equity",
)
"""A metric whose function gives a view of the curves it is handed."""


def final_equity(curves: Curves) -> np.ndarray:
    """``FINAL``'s function: each curve's last value, as a view of ``curves.equity``."""
    return curves.equity[:, -1]


@pytest.fixture
def mix_metric() -> Iterator[MetricDef]:
    register(MIX)
    try:
        yield MIX
    finally:
        unregister(MIX.key)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param(
            {"rule_type": "SMA_CROSS", "grid": {"fast": "2:30:2", "slow": "8:60:4"}},
            id="crossing-lines",
        ),
        pytest.param(
            {
                "rule_type": "RSI",
                "grid": {"period": [7, 14], "oversold": "20:40:5"},
                "direction": "longshort",
                "borrow_rate": 0.05,
            },
            id="signals-longshort",
        ),
    ],
)
def test_a_function_metric_keeps_the_compiled_one_pass_and_its_values(
    fields, mix_metric, monkeypatch
):
    sweep = parse_sweep_request(
        {"ticker": "GLOBEX", "start_date": "2015-01-01", "end_date": "2020-12-31", **fields}
    )
    params = [sweep.grid.params(sweep.params, c) for c in sweep.grid.combos]
    frame = market_window(load_market_data(sweep.base))
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 10**18)
    numpy = evaluate(frame, sweep.base, params, block=7, blocks=4)

    passes = []
    evaluate_runs = _kernel.evaluate_runs

    def counted(*args):
        passes.append(len(args[3]) or len(args[0]))  # crossing pairs, or signal rows
        return evaluate_runs(*args)

    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0)
    monkeypatch.setattr(_kernel, "evaluate_runs", counted)
    one_pass = evaluate(frame, sweep.base, params, block=7, blocks=4)

    assert sum(passes) == len(params) > 7  # every combination, in blocks of 7
    passes.clear()
    whole = evaluate(frame, sweep.base, params, blocks=4)
    assert passes == [len(params)] and len(params) <= curve_rows(len(frame.bars))
    np.testing.assert_array_equal(whole[mix_metric.key], one_pass[mix_metric.key])
    assert mix_metric.key in sweep_metric_keys()
    for key in (*sweep_metric_keys(), BLOCK_KEY):
        np.testing.assert_array_equal(one_pass[key], numpy[key], err_msg=key)
    assert np.isfinite(one_pass[mix_metric.key]).sum() > len(params) // 2


def test_a_function_giving_a_view_of_the_curves_keeps_each_blocks_values(monkeypatch):
    """A function may answer with a view of the curves it is handed; the compiled one pass
    writes its next block's curves into the same memory, so each block's values are
    copied first: every combination's value is its own run's final equity, in every
    block."""
    sweep = parse_sweep_request(
        {
            "ticker": "GLOBEX",
            "start_date": "2015-01-01",
            "end_date": "2020-12-31",
            "rule_type": "SMA_CROSS",
            "grid": {"fast": "2:30:2", "slow": "8:60:4"},
        }
    )
    params = [sweep.grid.params(sweep.params, c) for c in sweep.grid.combos]
    frame = market_window(load_market_data(sweep.base))
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0)  # the one pass, as a large sweep
    register(FINAL)
    try:
        blocked = evaluate(frame, sweep.base, params, block=7)
    finally:
        unregister(FINAL.key)
    capital = sweep.base.trading_params(frame.bars_per_year).initial_capital
    final = capital * (1.0 + blocked["total_return_pct"] / 100.0)
    assert len(params) > 3 * 7
    np.testing.assert_allclose(blocked[FINAL.key], final, rtol=1e-12)
