"""Liquidity in the broker's step (docs/execution.md, "Liquidity"): the volume limit, the
remainders carried across bars, the spread. Hypothesis properties over random requests of
every feature (no bar fills more than ``volume_limit`` × its volume; fills, units and
orders conserve the shares; a volume limit the bars never bind with no spread gives the run
without the fields bit for bit), then hand-computed cases.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import Bars, EngineParamError, TradingParams, _scaling, run
from engine._scaling import EXIT_BAR, SIZE
from engine.param_specs import ENTRY_ORDER_TYPES
from engine.result import EXIT_REASONS
from tests.engine.test_engine_broker_differential import _equal, _inputs, _sizer, requests

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_FORCED = (EXIT_REASONS.index("liquidation"), EXIT_REASONS.index("delisted"))


def _actions(case: dict, params: TradingParams, bars: Bars):
    _, _, actions = _inputs(case, engine)
    return actions if actions is not None and actions.acts else None


def _run(case: dict, fields: dict, row: int = 0, volume: np.ndarray | None = None):
    ohlcv = case["ohlcv"] if volume is None else (*case["ohlcv"][:5], volume)
    bars = Bars(*ohlcv)
    params = TradingParams(**fields)
    return run(
        bars,
        case["entries"][row],
        case["exits"][row],
        params,
        limit=case["limit"][row],
        stop=case["stop"][row],
        position_exit=case["held"],
        size=_sizer(case),
        actions=_actions(case, params, bars),
    )


def _without_quantities(orders):
    return None if orders is None else dataclasses.replace(orders, ordered=None, filled=None)


@_SETTINGS
@given(requests(entry_types=ENTRY_ORDER_TYPES), st.sampled_from([1.0, 0.5, 1e-6]))
def test_a_volume_limit_that_never_binds_without_a_spread_is_the_run_without_it(case, limit):
    """Volume so large the limit never binds, no impact, no spread: every result (cash,
    position, equity, trades, metrics, orders, corporate actions) equals the run without
    the fields, bit for bit, though it went through the step as units."""
    huge = np.full(len(case["ohlcv"][0]), 1e18)
    old = _run(case, case["fields"], volume=huge)
    liquid = dict(case["fields"], volume_limit=limit, spread_bps=0.0)
    new = _run(case, liquid, volume=huge)
    for name in ("cash", "position", "equity"):
        _equal(getattr(new, name), getattr(old, name), name)
    assert new.bust_bar == old.bust_bar
    for field in dataclasses.fields(old.trades):
        _equal(getattr(new.trades, field.name), getattr(old.trades, field.name), field.name)
    assert new.metrics == old.metrics
    assert (new.orders is None) == (old.orders is None)
    if old.orders is not None:
        assert new.orders.filled is not None and old.orders.filled is None
        for field in dataclasses.fields(old.orders):
            a, b = (
                getattr(_without_quantities(new.orders), field.name),
                getattr(old.orders, field.name),
            )
            _equal(a, b, field.name)
    assert (new.applied is None) == (old.applied is None)
    if old.applied is not None:
        assert new.applied._columns() == old.applied._columns()


def _walked(case: dict, fields: dict, volume: np.ndarray):
    """The step's fills, units and orders of the case's runs (``scale_events``)."""
    bars = Bars(*case["ohlcv"][:5], volume)
    params = TradingParams(**fields)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    prices = (case["limit"], case["stop"]) if params.has_orders else None
    n_runs = case["entries"].shape[0]
    sizer = _sizer(case)
    events, orders = _scaling.scale_events(
        case["entries"],
        case["exits"],
        ohlc,
        params,
        None if sizer is None else [sizer] * n_runs,
        None if case["held"] is None else [case["held"]] * n_runs,
        _actions(case, params, bars),
        prices,
        volume=volume,
    )
    return events, orders, params


@st.composite
def thin_requests(draw):
    """A random request of every feature with a volume limit over thin, gappy volume
    (zero and NaN bars among them)."""
    case = draw(requests(entry_types=ENTRY_ORDER_TYPES))
    n = len(case["ohlcv"][0])
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    volume = rng.choice([0.0, math.nan, 50.0, 400.0, 3000.0, 1e5], n)
    limit = draw(st.sampled_from([0.01, 0.1, 0.5, 1.0]))
    spread = draw(st.sampled_from([None, 0.0, 25.0]))
    fields = dict(case["fields"], volume_limit=limit, spread_bps=spread)
    return case, fields, volume


@_SETTINGS
@given(thin_requests())
def test_no_bar_fills_more_than_the_volume_limit_of_its_volume(drawn):
    """The shares every bar's fills take, bought and sold, are at most floor(limit ×
    volume) (none on a bar of 0 or NaN volume); only a liquidation or a delisting, which
    close whole, may take more."""
    case, fields, volume = drawn
    events, _, params = _walked(case, fields, volume)
    allowed = np.floor(params.volume_limit * np.where(volume > 0, volume, 0.0))
    for i in range(case["entries"].shape[0]):
        rows = slice(int(events.offsets[i]), int(events.offsets[i + 1]))
        bars, reason = events.bar[rows], events.reason[rows]
        traded = np.abs(events.opened[rows]) + np.abs(events.closed[rows])
        kept = ~np.isin(reason, _FORCED)
        taken = np.bincount(bars[kept], weights=traded[kept], minlength=volume.size)
        assert (taken <= allowed).all(), (taken, allowed)


@_SETTINGS
@given(thin_requests())
def test_fills_units_and_orders_conserve_the_shares(drawn):
    """Every share bought is in a unit (its entry parts summed), every share sold left a
    unit, what is held at the end is the rest; an entry order filled at most what it was
    sized for, and the orders' filled shares are the shares their fills opened; the run's
    count of its entries' shares (``Events.entered``, market entries too) has the shares
    its fills opened as filled and its orders' as ordered. (Without corporate actions: a
    split changes the shares held.)"""
    case, fields, volume = drawn
    case = dict(case, actions=None)
    events, orders, _ = _walked(case, fields, volume)
    for i in range(case["entries"].shape[0]):
        rows = slice(int(events.offsets[i]), int(events.offsets[i + 1]))
        opened, closed = events.opened[rows], events.closed[rows]
        units = events.units[i]
        held = units[units[:, EXIT_BAR] < 0]
        sold = units[units[:, EXIT_BAR] >= 0]
        assert np.abs(opened).sum() == units[:, SIZE].sum()
        assert np.abs(closed).sum() == sold[:, SIZE].sum()
        shares = events.shares[rows][-1] if opened.size else 0.0
        assert abs(shares) == held[:, SIZE].sum()
        entered, entry_filled = events.entered[i]
        assert entry_filled == np.abs(opened).sum() and entry_filled <= entered
        if orders is not None:
            mine = slice(int(orders.offsets[i]), int(orders.offsets[i + 1]))
            filled, ordered = orders.filled[mine], orders.ordered[mine]
            assert (filled <= ordered).all() and (filled >= 0).all()
            assert filled.sum() == np.abs(opened).sum()
            assert ordered.sum() == entered


def _bars(open_, volume, spread: float = 0.5) -> Bars:
    open_ = np.asarray(open_, dtype=np.float64)
    days = np.arange(open_.size).astype("datetime64[D]")
    return Bars(days, open_, open_ + spread, open_ - spread, open_ + 0.25, volume)


def _signals(n: int, enter: int, leave: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entries[enter] = True
    if leave is not None:
        exits[leave] = True
    return entries, exits


_PLAIN = {"fee_rate": 0.0, "position_size": 10_000.0}


def test_an_entry_too_large_for_one_bar_fills_over_three_bars_at_their_opens():
    """1,000 shares wanted at 10; the bars allow 400, 300, 300 (10% of their volume): one
    trade of 1,000 shares at their average open price, three fill rows."""
    bars = _bars([10.0, 10.0, 11.0, 12.0, 12.0], [9e3, 4e3, 3e3, 3e3, 9e3])
    entries, exits = _signals(5, 0)
    res = run(bars, entries, exits, TradingParams(volume_limit=0.1, **_PLAIN))
    (trade,) = res.trades
    assert trade.size == 1000 and trade.entry_bar == 1
    assert trade.entry_price == (400 * 10.0 + 300 * 11.0 + 300 * 12.0) / 1000
    assert res.position.tolist() == [0, 400, 700, 1000, 1000]
    assert res.cash.tolist()[:4] == [1e4 * 10, 1e5 - 4000, 1e5 - 4000 - 3300, 1e5 - 10_900]


def test_an_exit_too_large_for_one_bar_leaves_over_two_bars_as_two_trades():
    """1,000 shares held; the exit at bar 2's open may sell 600, the rest 400 at bar 3's:
    two closed parts with their own exit bars and prices."""
    bars = _bars([10.0, 10.0, 12.0, 13.0, 13.0], [1e6, 1e6, 6e3, 1e6, 1e6])
    entries, exits = _signals(5, 0, 1)
    res = run(bars, entries, exits, TradingParams(volume_limit=0.1, **_PLAIN))
    parts = [(t.size, t.exit_bar, t.exit_price, t.exit_reason) for t in res.trades]
    assert parts == [(600, 2, 12.0, "signal"), (400, 3, 13.0, "signal")]
    assert res.position.tolist() == [0, 1000, 400, 0, 0]


def test_a_bar_without_volume_fills_nothing_and_the_order_waits():
    """Bars of 0 and NaN volume allow no share: the market entry fills at the first open
    with volume."""
    bars = _bars([10.0, 10.0, 11.0, 12.0, 13.0], [1e6, 0.0, math.nan, 1e6, 1e6])
    entries, exits = _signals(5, 0)
    res = run(bars, entries, exits, TradingParams(volume_limit=0.5, **_PLAIN))
    (trade,) = res.trades
    assert (trade.entry_bar, trade.entry_price, trade.size) == (3, 12.0, 1000)
    assert res.position.tolist() == [0, 0, 0, 1000, 1000]


def test_an_exit_signal_cancels_an_entry_s_remainder():
    """Only 100 shares a bar: 100 bought at bar 1, 100 at bar 2, the exit signal on bar 2
    cancels the 800 left; the 200 leave 100 at bar 3's open and 100 at bar 4's."""
    bars = _bars([10.0] * 5, [1e3] * 5)
    entries, exits = _signals(5, 0, 2)
    res = run(bars, entries, exits, TradingParams(volume_limit=0.1, **_PLAIN))
    sizes = [(t.size, t.entry_bar, t.exit_bar) for t in res.trades]
    assert sizes == [(100, 1, 3), (100, 1, 4)]
    assert res.position.tolist() == [0, 100, 200, 100, 0]


def test_a_fixed_spread_pays_half_on_each_side():
    """20 bps quoted: a buy at 10 pays 10.01, a sale at 12 gets 11.988 (on top of the
    slippage, which composes multiplicatively)."""
    bars = _bars([10.0, 10.0, 12.0, 12.0], [1e9] * 4)
    entries, exits = _signals(4, 0, 1)
    res = run(bars, entries, exits, TradingParams(spread_bps=20.0, **_PLAIN))
    (trade,) = res.trades
    assert trade.entry_price == 10.0 * (1 + 0.001)
    assert trade.exit_price == 12.0 * (1 - 0.001)
    slipped = run(bars, entries, exits, TradingParams(spread_bps=20.0, slippage_bps=10.0, **_PLAIN))
    assert slipped.trades[0].entry_price == 10.0 * (1 + 0.001) * (1 + 0.001)


def test_the_close_at_end_sells_what_the_last_bar_allows_and_keeps_the_rest_open():
    bars = _bars([10.0, 10.0, 10.0], [1e9, 1e9, 3e3])
    entries, exits = _signals(3, 0)
    params = TradingParams(volume_limit=0.1, close_at_end=True, **_PLAIN)
    res = run(bars, entries, exits, params)
    parts = sorted((t.size, t.exit_reason) for t in res.trades)
    assert parts == [(300, "closed_at_end"), (700, "end")]
    assert res.position[-1] == 700


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("volume_limit", 0.0),
        ("volume_limit", -0.1),
        ("volume_limit", 1.5),
        ("volume_limit", math.nan),
        ("volume_limit", math.inf),
        ("price_impact", -1.0),
        ("price_impact", 1e300),
        ("impact_k", math.nan),
        ("impact_window", 1),
        ("impact_window", 2.5),
        ("spread_bps", -1.0),
        ("spread_bps", 1e9),
        ("spread_window", 10**9),
        ("slippage_model", "linear"),
        ("spread_model", "roll"),
    ],
)
def test_a_hostile_liquidity_value_is_refused_naming_its_field(field, value):
    with pytest.raises(EngineParamError) as caught:
        TradingParams(**{field: value})
    assert caught.value.field == field


def test_a_spread_given_twice_is_refused_on_spread_model():
    with pytest.raises(EngineParamError) as caught:
        TradingParams(spread_bps=5.0, spread_model="corwin_schultz")
    assert caught.value.field == "spread_model"


def test_volume_share_prices_each_fill_by_the_bar_s_share_squared():
    """zipline's model: 500 shares wanted, 250 a bar (2.5% of 10,000); each part pays
    0.1 × (250 / 10,000)² of its open."""
    bars = _bars([10.0, 10.0, 11.0, 11.0], [1e4] * 4)
    entries, exits = _signals(4, 0)
    params = TradingParams(
        volume_limit=0.025, slippage_model="volume_share", fee_rate=0.0, position_size=5_000.0
    )
    res = run(bars, entries, exits, params)
    impact = 0.1 * (250 / 1e4) ** 2
    first, second = 10.0 * (1 + impact), 11.0 * (1 + impact)
    (trade,) = res.trades
    assert trade.size == 500
    assert trade.entry_price == (250 * first + 250 * second) / 500
    assert res.cash[2] == 1e5 - 250 * first - 250 * second


def test_square_root_waits_for_its_window_then_pays_k_sigma_sqrt_of_the_adv_share():
    """impact_window 2: the volatility of bar t reads the returns of bars t-1 and t-2, so
    bar 3 is the first that can fill; 500 shares pay impact_k × σ × √(500 / ADV)."""
    open_ = np.array([10.0, 10.0, 10.0, 10.0, 10.0])
    close = np.array([10.0, 10.5, 10.2, 10.4, 10.4])
    volume = np.array([2e4, 4e4, 6e4, 8e4, 8e4])
    days = np.arange(5).astype("datetime64[D]")
    bars = Bars(days, open_, open_ + 1, open_ - 1, close, volume)
    entries, exits = _signals(5, 0)
    params = TradingParams(slippage_model="square_root", impact_k=0.5, impact_window=2, **_PLAIN)
    res = run(bars, entries, exits, params)
    sigma = np.std([10.5 / 10.0 - 1, 10.2 / 10.5 - 1], ddof=1)
    adv = (4e4 + 6e4) / 2
    (trade,) = res.trades
    assert (trade.entry_bar, trade.size) == (3, 1000)
    assert trade.entry_price == 10.0 * (1 + 0.5 * sigma * math.sqrt((0 + 1000) / adv))


def test_a_limit_entry_pays_the_spread_but_never_more_than_its_limit():
    """A buy limit at 10 with a 10% quoted spread: filled at an open of 9.5 it pays
    9.5 × 1.05; at an open of 9.9, 9.9 × 1.05 would cross the limit, so it pays 10."""
    for open_at, paid in ((9.5, 9.5 * 1.05), (9.9, 10.0)):
        bars = _bars([10.0, open_at, 10.0], [1e9] * 3)
        entries, exits = _signals(3, 0)
        limit = np.full(3, 10.0)
        params = TradingParams(entry_type="limit", spread_bps=1000.0, **_PLAIN)
        res = run(bars, entries, exits, params, limit=limit)
        assert res.trades[0].entry_price == paid
        assert res.orders.filled[0] == res.orders.ordered[0] == res.trades[0].size


def test_an_entry_order_s_remainder_expires_after_its_last_bar():
    """A limit order good for 2 bars, 100 shares a bar: 200 of 1,000 filled, the order
    reports it (ordered 1,000, filled 200); no share is bought after its last bar."""
    bars = _bars([10.0] * 6, [1e3] * 6)
    entries, exits = _signals(6, 0)
    params = TradingParams(entry_type="limit", valid_bars=2, volume_limit=0.1, **_PLAIN)
    res = run(bars, entries, exits, params, limit=np.full(6, 11.0))
    assert res.position.tolist() == [0, 100, 200, 200, 200, 200]
    assert (res.orders.ordered[0], res.orders.filled[0]) == (1000, 200)
    assert res.orders.status[0] == 1  # filled (in part)


def test_an_entry_order_reaching_a_bar_where_a_remainder_took_the_last_unit_is_cancelled():
    """``max_entries`` 2. The first limit order fills at bar 1. Bar 2 trades nothing, so the
    volume-share impact is undefined and the second order fills none: its 1,000 shares wait
    as a remainder, and bar 2's signal places a third order (one unit held). At bar 3 the
    remainder fills first and opens the second unit; the third order is cancelled instead
    of opening a unit past the book's room (it wrote past the units' table: a crash, or a
    corrupt result)."""
    bars = _bars([10.0] * 6, [1e6, 1e6, 0.0, 1e6, 1e6, 1e6])
    entries, exits = np.array([True, True, True, False, False, False]), np.zeros(6, dtype=bool)
    params = TradingParams(
        entry_type="limit", valid_bars=3, max_entries=2, slippage_model="volume_share", **_PLAIN
    )
    res = run(bars, entries, exits, params, limit=np.full(6, 11.0))
    assert [(t.size, t.entry_bar) for t in res.trades] == [(1000, 1), (1000, 3)]
    assert res.position.tolist() == [0, 1000, 1000, 2000, 2000, 2000]
    assert res.orders.status.tolist() == [1, 1, 3]  # two filled, the third cancelled
    assert res.orders.filled.tolist() == [1000, 1000, 0]


def test_a_unit_opened_past_max_entries_raises_instead_of_writing_past_the_book():
    """The step's guard behind every caller's check: a unit opened when ``max_entries``
    are held raises (the Job fails) instead of writing past the units'
    table, which corrupted the process's memory before engine 2.2.1's fix."""
    from engine.broker import step

    _, setup, fractions = _scaling.step_inputs(TradingParams(max_entries=1))
    state = step.new_state(1, 4)
    step.start_run(state, 1e5)
    state = step.make_room(state)
    step._open_unit(state, 0, 0, 10.0, 1.0, 5.0, 0.0, fractions, setup)
    assert state[1][step.N_HELD] == 1
    with pytest.raises(IndexError, match="max_entries"):
        step._open_unit(state, 0, 1, 10.0, 1.0, 5.0, 0.0, fractions, setup)
    assert state[1][step.N_HELD] == 1 and state[0][step.SHARES] == 5.0


def test_the_impact_of_a_second_fill_on_a_bar_counts_the_shares_before_it():
    """A reversal at bar 2's open: the long's 1,000 shares sold first pay 0.1 × (1,000 /
    100,000)²; the short's 1,000 after them pay 0.1 × (2,000 / 100,000)² (zipline's
    share of the bar's total)."""
    bars = _bars([10.0, 10.0, 10.0, 10.0], [1e9, 1e9, 1e5, 1e9])
    entries, exits = _signals(4, 0, 1)
    params = TradingParams(slippage_model="volume_share", direction="longshort", **_PLAIN)
    res = run(bars, entries, exits, params)
    long, short = res.trades
    assert (long.exit_bar, short.entry_bar, short.size) == (2, 2, 1000)
    assert long.exit_price == 10.0 * (1 - 0.1 * (1_000 / 1e5) ** 2)
    assert short.entry_price == 10.0 * (1 - 0.1 * (2_000 / 1e5) ** 2)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(thin_requests(), st.sampled_from(["fixed", "volume_share", "square_root"]))
def test_a_batch_through_the_step_s_pass_equals_each_run_on_its_own(drawn, model):
    """A liquid batch (a sweep's) is reduced in the broker step's pass
    (``engine.broker.curves``): its metrics are each run's, bit for bit."""
    case, fields, volume = drawn
    fields = dict(fields, slippage_model=model, impact_window=3, size_unit=None, max_size=None)
    bars = Bars(*case["ohlcv"][:5], volume)
    params = TradingParams(**fields)
    if len(bars) < 3 or engine.backtest.reduced_in_step(bars, params) is False:
        return
    prices = {"limit": case["limit"], "stop": case["stop"]} if params.has_orders else {}
    batch = engine.run_batch(bars, case["entries"], case["exits"], params, work=10**9, **prices)
    assert batch.curve is not None  # the step's pass
    for i in range(case["entries"].shape[0]):
        own = {"limit": case["limit"][i], "stop": case["stop"][i]} if params.has_orders else {}
        alone = run(bars, case["entries"][i], case["exits"][i], params, **own)
        for name, value in alone.metrics.items():
            got = batch.metrics[name][i]
            assert got == value or (value is None and math.isnan(got)), name


def test_a_liquid_batch_never_takes_the_one_pass():
    bars = _bars([10.0] * 5, [1e3] * 5)
    entries, exits = (np.zeros((2, 5), dtype=bool) for _ in range(2))
    with pytest.raises(ValueError, match="liquidity"):
        engine.run_batch(bars, entries, exits, TradingParams(volume_limit=0.1), one_pass=True)


@pytest.mark.parametrize("close_at_end", [False, True])
def test_a_short_s_borrow_fee_is_the_single_position_s_when_the_volume_never_binds(close_at_end):
    """Shorts from bar 2 to 15 and from bar 18 to the end (or closed there) paying a borrow
    fee at 13 and 12 closes: with a volume limit that never binds and no spread, the trades
    (their borrow fee and PnL) are those of the run without the fields, bit for bit; the
    fee is the sum of the charges at the closes held, not their running total."""
    n = 30
    rng = np.random.default_rng(11)
    bars = _bars(100.0 + np.cumsum(rng.normal(0.0, 1.3, n)), np.full(n, 1e18))
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    exits[[1, 17]], entries[14] = True, True
    fields = dict(_PLAIN, direction="longshort", borrow_rate=0.5, close_at_end=close_at_end)
    plain = run(bars, entries, exits, TradingParams(**fields))
    liquid = run(bars, entries, exits, TradingParams(volume_limit=1.0, spread_bps=0.0, **fields))
    shorts = [t for t in plain.trades if t.direction == -1]
    assert [(t.entry_bar, t.exit_bar) for t in shorts] == [(2, 15), (18, n - 1)]
    assert (plain.trades.borrow_fee[plain.trades.direction == -1] > 0).all()
    for field in dataclasses.fields(plain.trades):
        _equal(getattr(liquid.trades, field.name), getattr(plain.trades, field.name), field.name)
    _equal(liquid.cash, plain.cash, "cash")
