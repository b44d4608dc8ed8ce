"""engine.capacity: the default grid, the parameters at a capital, and the runs at several
capitals, through the step's batch pass or ``run``, equal bit for bit to ``run`` at each
capital (the run's own capital gives its result); with a liquidity field (Hypothesis, over
thin volume) their equity, metrics and the shares their entries were sized for and filled
too, by either route."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, capacity, run
from engine.capacity import at_capital, capital_grid, in_step_pass, run_capacity
from engine.corporate import CorporateActions
from engine.result import CORE_METRICS
from tests.engine.test_engine_liquidity import thin_requests


def _bars(n: int = 120) -> Bars:
    """A wave priced around 300: a 10 k position buys a few shares, so rounding shows."""
    close = 300.0 + 20.0 * np.sin(np.arange(n) / 6.0)
    days = np.arange(n).astype("datetime64[D]")
    return Bars(days, close - 0.5, close + 2.0, close - 2.0, close, np.full(n, 1e6))


def _signals(n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(n, bool), np.zeros(n, bool)
    entries[5::24], exits[17::24] = True, True
    return entries, exits


def test_the_default_grid_is_twelve_log_spaced_capitals_from_10k_to_1b() -> None:
    grid = capital_grid()
    assert len(grid) == 12 and grid[0] == 10_000.0 and grid[-1] == 1_000_000_000.0
    ratios = np.diff(np.log(grid))
    assert np.allclose(ratios, math.log(1e5) / 11, rtol=1e-4)
    assert all(c == round(c) for c in grid)
    assert capital_grid(1_000, 100_000, 3) == (1_000.0, 10_000.0, 100_000.0)


def test_a_size_by_value_is_the_same_share_of_the_capital_and_a_percent_is_kept() -> None:
    value = TradingParams(initial_capital=100_000, position_size=10_000, size_type="value")
    scaled = at_capital(value, 1_000_000)
    assert (scaled.initial_capital, scaled.position_size) == (1_000_000, 100_000)
    percent = TradingParams(initial_capital=100_000, position_size=50, size_type="percent")
    assert at_capital(percent, 10_000) == TradingParams(
        initial_capital=10_000, position_size=50, size_type="percent"
    )


def _same(runs, i: int, alone) -> None:
    """Row ``i`` of ``runs`` is ``alone``'s equity and core metrics, bit for bit."""
    assert np.array_equal(runs.equity[i], alone.equity)
    for name in CORE_METRICS:
        value = alone.metrics[name]
        got = runs.metrics[name][i]
        assert math.isnan(got) if value is None else got == value, name


EXTRAS = [
    {},
    {"stop_loss_pct": 3.0},
    {"direction": "longshort"},
    {"size_type": "percent", "position_size": 100.0},
    {"close_at_end": True, "fee_per_share": 0.01, "slippage_bps": 5.0},
    {"entry_type": "limit", "valid_bars": 3},
]


@pytest.mark.parametrize("extra", EXTRAS)
def test_each_capital_is_the_run_at_that_capital(extra: dict) -> None:
    """Market runs, a stop, a long-short run, all-in by percent, the fee model with
    close-at-end and limit entries, all through the step's batch pass: every point is
    ``run`` at ``at_capital``, the request's own capital the run itself."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(**{"position_size": 10_000.0, **extra})
    limit = bars.close - 1.0 if "entry_type" in extra else None
    assert in_step_pass(bars, params)
    capitals = (10_000.0, 100_000.0, 10_000_000.0)
    runs = run_capacity(bars, entries, exits, params, capitals, limit=limit)
    for i, capital in enumerate(capitals):
        _same(runs, i, run(bars, entries, exits, at_capital(params, capital), limit=limit))
    _same(runs, 1, run(bars, entries, exits, params, limit=limit))


def test_runs_the_pass_cannot_take_are_run_one_by_one() -> None:
    """A run with corporate actions on its position (a 2:1 split) is ``run`` at each
    capital, with the same numbers."""
    bars, (entries, exits) = _bars(), _signals()
    split = np.ones(len(bars))
    split[40] = 2.0
    actions = CorporateActions(split=split, dividend=np.zeros(len(bars)))
    params = TradingParams(position_size=10_000)
    assert not in_step_pass(bars, params, actions=actions)
    runs = run_capacity(bars, entries, exits, params, (1e4, 1e6), actions=actions)
    for i, capital in enumerate((1e4, 1e6)):
        _same(runs, i, run(bars, entries, exits, at_capital(params, capital), actions=actions))


def test_whole_shares_make_a_small_capital_differ() -> None:
    """At 10 k a 1 k position buys 3 shares of a 300 stock (up to 33 % of it unspent); at
    10 M the same share of the capital is invested almost exactly: the returns differ, and
    the large capitals agree with each other."""
    bars, (entries, exits) = _bars(), _signals()
    params = TradingParams(position_size=10_000, fee_rate=0.0)
    runs = run_capacity(bars, entries, exits, params, (10_000.0, 10_000_000.0, 100_000_000.0))
    small, large, larger = runs.metrics["total_return_pct"]
    first = run(bars, entries, exits, at_capital(params, 10_000.0))
    assert first.trades[0].size == 3
    assert small != pytest.approx(large, rel=1e-3)
    assert large == pytest.approx(larger, rel=1e-3)


LIQUID_CAPITALS = (1_000.0, 100_000.0, 100_000_000.0)
"""Capitals whose orders fill whole, in part and hardly at all on thin volume."""


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thin_requests(), st.sampled_from(["fixed", "volume_share", "square_root"]))
def test_a_liquid_run_at_each_capital_is_the_run_at_that_capital(drawn, model) -> None:
    """A request with a volume limit (a spread, an impact model) over thin, gappy volume,
    of every entry type, stops, directions and scaling, goes through the step's batch pass:
    at each capital its equity, core metrics and the shares its entries were sized for and
    filled (``CapacityRuns.entered``) are ``run``'s at that capital bit for bit
    (``EngineResult.entered``), and ``run`` at each capital gives the same runs."""
    case, fields, volume = drawn
    fields = dict(fields, slippage_model=model, impact_window=3, size_unit=None, max_size=None)
    bars = Bars(*case["ohlcv"][:5], volume)
    params = TradingParams(**fields)
    assume(in_step_pass(bars, params))
    own = {"limit": case["limit"][0], "stop": case["stop"][0]} if params.has_orders else {}
    entries, exits = case["entries"][0], case["exits"][0]
    runs = run_capacity(bars, entries, exits, params, LIQUID_CAPITALS, **own)
    assert runs.entered is not None and runs.entered.shape == (len(LIQUID_CAPITALS), 2)
    for i, capital in enumerate(LIQUID_CAPITALS):
        alone = run(bars, entries, exits, at_capital(params, capital), **own)
        _same(runs, i, alone)
        assert alone.entered is not None and tuple(runs.entered[i]) == alone.entered
        assert 0.0 <= alone.entered[1] <= alone.entered[0]
    with pytest.MonkeyPatch.context() as patch:  # the full run at each capital instead
        patch.setattr(capacity, "in_step_pass", lambda *args, **kwargs: False)
        full = run_capacity(bars, entries, exits, params, LIQUID_CAPITALS, **own)
    assert np.array_equal(full.equity, runs.equity)
    assert full.entered is not None and np.array_equal(full.entered, runs.entered)


def test_a_market_entry_s_unfilled_shares_are_counted() -> None:
    """Market entries on a thin stock: the entries' shares are counted in both routes, a
    large capital's partly filled (its rest carried, then cancelled by the exit)."""
    bars, (entries, exits) = _bars(), _signals()
    thin = Bars(bars.timestamps, bars.open, bars.high, bars.low, bars.close, np.full(120, 500.0))
    params = TradingParams(position_size=10_000.0, volume_limit=0.1)
    runs = run_capacity(thin, entries, exits, params, (10_000.0, 100_000_000.0))
    assert runs.entered is not None
    (small_ordered, small_filled), (large_ordered, large_filled) = runs.entered
    assert small_ordered == small_filled > 0
    assert large_filled < large_ordered
    unlimited = run_capacity(bars, entries, exits, TradingParams(position_size=10_000.0), (1e4,))
    assert unlimited.entered is None
