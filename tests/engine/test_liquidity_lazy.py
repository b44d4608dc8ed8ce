"""The liquidity a walk computes where it fills (``engine.broker.liquid.series`` with
``lazy``) equals the rows computed up front, bit for bit: one bar's volatility and ADV
(``engine._liquidity_kernel.volatility_and_adv_at``) are the rows' and numpy's windows at
every bar, the shares a bar allows (``engine.broker.jitted.allowed``) are
``shares_allowed``'s, and a walk of random requests over thin, gappy volume (zero, NaN,
negative and infinite bars), every impact model and spread, has the same fills, units,
orders and entered shares either way (Hypothesis). A single run with few signals walks the
lazy form, a batch or a run with many signals the rows."""

from __future__ import annotations

import dataclasses
import math
from unittest import mock

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Bars, TradingParams, _liquidity_kernel, _scaling, liquidity
from engine.broker import impact, jitted, liquid
from tests.engine.test_engine_liquidity import _walked, thin_requests
from tests.engine.test_liquidity_compiled import _same, series

_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _bits(a: float, b: float) -> bool:
    """Equal bit for bit (every NaN one value, as ``_same``)."""
    return _same(np.array([a]), np.array([b]))


@_SETTINGS
@given(series(least_window=2), st.integers(0, 2**32 - 1))
def test_one_bar_s_volatility_and_adv_are_the_rows_and_numpys(case, seed):
    """At every bar, thin, zero, NaN, negative and infinite volumes among them, windows
    both sides of numpy's 8- and 128-value thresholds."""
    close, window = case
    rng = np.random.default_rng(seed)
    odd = rng.choice([0.0, math.nan, -5.0, math.inf, 50.0, 3e3], close.size)
    volume = np.where(rng.random(close.size) < 0.5, np.abs(close) * 1e3, odd)
    sigma, adv = liquidity.volatility_and_adv(close, volume, window)
    with mock.patch.object(liquidity, "_kernel", lambda: None):  # numpy's windows
        assert _same(adv, liquidity.trailing_adv(volume, window))
        assert _same(sigma, liquidity.trailing_volatility(close, window))
    scratch = np.empty(liquid.SCRATCH + 2 * window)
    nodes = np.empty((3, 64), dtype=np.int64)
    for t in range(close.size):
        one = _liquidity_kernel.volatility_and_adv_at(close, volume, t, window, scratch, nodes)
        assert _bits(one[0], sigma[t]) and _bits(one[1], adv[t]), t


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(width=64) | st.sampled_from([0.0, -0.0, math.nan]), max_size=50),
    st.sampled_from([0.01, 0.025, 0.1, 0.5, 1.0, 1e-9]),
)
def test_one_bar_s_shares_allowed_are_shares_allowed_s(volumes, limit):
    volume = np.array(volumes, dtype=np.float64)
    rows = liquid.shares_allowed(volume, limit)
    for t, value in enumerate(volume):
        assert _bits(jitted.allowed(value, limit), rows[t])
        assert _bits(impact.allowed(float(value), limit), rows[t])


def _either_way(case: dict, fields: dict, volume: np.ndarray) -> tuple:
    """``_walked`` with the rows, then the same with the lazy form."""
    walked = []
    for lazy in (False, True):
        with mock.patch.object(_scaling, "_few_fills", lambda *_, lazy=lazy: lazy):
            walked.append(_walked(case, fields, volume))
    return walked[0], walked[1]


def _equal_fields(a: object, b: object) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, list):
            assert len(x) == len(y) and all(_same(p, q) for p, q in zip(x, y, strict=True))
        elif isinstance(x, np.ndarray):
            assert _same(x, y), field.name
        elif field.name != "applied":
            assert x == y, field.name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    thin_requests(),
    st.sampled_from(["fixed", "volume_share", "square_root"]),
    st.sampled_from([None, "corwin_schultz", "abdi_ranaldo"]),
    st.sampled_from([2, 3, 20]),
    st.booleans(),
)
def test_a_walk_computing_its_liquidity_where_it_fills_is_the_rows_walk(
    drawn, model, spread_model, window, unlimited
):
    """Every fill, unit, order and entered share of random requests (every order type,
    stops, scaling, sizes, corporate actions) over thin, gappy volume."""
    case, fields, volume = drawn
    fields = dict(fields, slippage_model=model, impact_window=window, impact_k=0.5)
    if spread_model is not None:
        fields = dict(fields, spread_bps=None, spread_model=spread_model, spread_window=3)
    if unlimited:
        fields = dict(fields, volume_limit=None)
    if not TradingParams(**fields).liquid:
        return
    (rows, rows_orders, _), (lazy, lazy_orders, _) = _either_way(case, fields, volume)
    _equal_fields(rows, lazy)
    assert (rows_orders is None) == (lazy_orders is None)
    if rows_orders is not None:
        _equal_fields(rows_orders, lazy_orders)


def test_a_run_with_few_signals_walks_the_lazy_form_and_one_with_many_the_rows():
    n = 1_000
    params = TradingParams(volume_limit=0.1, slippage_model="square_root", impact_window=20)
    few, many = np.zeros((1, n), dtype=bool), np.ones((1, n), dtype=bool)
    few[0, ::100] = True
    assert _scaling._few_fills(few, few, params)
    assert not _scaling._few_fills(many, many, params)
    no_impact = TradingParams(volume_limit=0.1)
    assert _scaling._few_fills(many, many, no_impact)
    bars = Bars(np.arange(n).astype("datetime64[D]"), *[np.ones(n)] * 4, np.ones(n))
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    lazy = _scaling.liquidity_series(params, ohlc, bars.volume, lazy=True)
    rows = _scaling.liquidity_series(params, ohlc, bars.volume)
    assert lazy[0].shape == (0, 0) and lazy[1].shape == (n,)
    assert rows[0].shape == (liquid.ROWS, n) and rows[1].size == 0
