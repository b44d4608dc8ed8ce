"""The broker against the engine it replaced: random requests over every ``TradingParams``
field, entry-order type, position-aware exit, size series and corporate action, run by the
engine and by its frozen copy as of engine 1.4.0 (``tests.engine.legacy_engine``): the
cash, position and equity on every bar, every trade, order and applied corporate action
and every metric are equal bit for bit, single runs and batches alike, whichever path
(the step, its batch pass, the vectorised and compiled market paths) a batch takes.

The intended differences: a split that leaves a single position without a whole share
closes it there by its cash in lieu, a trade of no shares (docs/execution.md, "Corporate
actions on a position"), where engine 1.4.0 kept it open at no shares, its stops and
position-aware exit still read: those cases are left out (``_split_to_no_share``) and the
convention is pinned by hand in test_engine_events.py. And the borrow fee of a short
opened or closed at a close (``on_close`` entries in ``longshort``): docs/execution.md,
"Short borrow fee", says on which closes it pays; those cases are checked against that rule
(``test_the_units_walk_with_one_unit_equals_the_single_position_walk`` and the hand case
in test_engine_costs.py) instead of the old code. And a run that went bust places no order
after its bust bar, where engine 1.4.0 logged each later entry signal as an order cancelled
when placed: those are left out of the old orders (``_same_orders``), and the engine
places none, with corporate actions or without
(``test_a_bust_run_places_no_order_after_its_bust_bar``); an order placed at the bust
bar's close stays pending there, where engine 1.4.0 walked on and let it expire or fill.
Entry types newer than the frozen copy (``market_if_touched``) are held to the units walk
the step replaced (tests/engine/test_engine_broker_step.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine import compiled
from engine.broker.orders import PENDING, placed_until
from engine.corporate import SPLIT
from engine.param_specs import ENTRY_ORDER_TYPES
from tests.engine import legacy_engine as legacy
from tests.engine.legacy_engine.param_specs import ENTRY_ORDER_TYPES as LEGACY_ORDER_TYPES


class _HeldExit:
    """A position-aware exit (``engine._simulate.PositionExit``): a long exits on the close
    that is ``gain`` above or ``loss`` below its entry, or ``bars`` after its fill bar."""

    def __init__(self, close: np.ndarray, gain: float, loss: float, bars: int) -> None:
        self.close, self.gain, self.loss, self.bars = close, gain, loss, bars

    def __call__(self, side: float, fill_bar: int, price: float):
        return _Open(self, fill_bar, price)


class _Open:
    def __init__(self, rule: _HeldExit, fill_bar: int, price: float) -> None:
        self.rule, self.fill_bar, self.price, self.ratio = rule, fill_bar, price, 1.0

    def __call__(self, bar: int) -> bool:
        close = self.rule.close[bar] * self.ratio
        return bool(
            close >= self.price * (1.0 + self.rule.gain)
            or close <= self.price * (1.0 - self.rule.loss)
            or bar - self.fill_bar >= self.rule.bars
        )

    def split(self, bar: int, ratio: float) -> None:
        self.price /= ratio

    def reprice(self, bar: int, entry: float) -> None:
        self.price = entry


def _maybe(draw, low: float, high: float) -> float | None:
    return draw(st.one_of(st.none(), st.floats(min_value=low, max_value=high)))


@st.composite
def requests(draw, entry_types=LEGACY_ORDER_TYPES):
    """A market, signals and a request of every feature the engine takes."""
    n = draw(st.integers(min_value=3, max_value=60))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    vol = draw(st.sampled_from([0.005, 0.03, 0.12]))
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    open_ = close * np.exp(rng.normal(0, vol / 2, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, vol, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, vol, n))
    days = np.datetime64("2020-01-01", "s") + np.arange(n) * np.timedelta64(1, "D")
    ohlcv = (days, open_, high, low, close, rng.uniform(1e3, 1e6, n))
    density = draw(st.sampled_from([0.1, 0.3, 0.6]))
    entries = rng.random((3, n)) < density
    exits = rng.random((3, n)) < density
    size_type = draw(st.sampled_from(["value", "percent"]))
    fee_min, fee_max = _maybe(draw, 0, 20), _maybe(draw, 0, 50)
    if fee_min is not None and fee_max is not None and fee_max < fee_min:
        fee_max = fee_min
    scaling = draw(st.booleans())
    take_profit = _maybe(draw, 0.5, 30)
    size_unit = draw(st.sampled_from([None, "fraction", "shares"]))
    fields = {
        "initial_capital": draw(st.floats(min_value=1_000, max_value=1e6)),
        "fee_rate": draw(st.sampled_from([0.0, 0.001, 0.01])),
        "slippage_bps": draw(st.sampled_from([0.0, 5.0, 50.0])),
        "position_size": (
            draw(st.floats(min_value=5, max_value=100))
            if size_type == "percent"
            else draw(st.floats(min_value=100, max_value=200_000))
        ),
        "size_type": size_type,
        "direction": draw(st.sampled_from(["longonly", "longshort"])),
        "stop_loss_pct": _maybe(draw, 0.5, 30),
        "take_profit_pct": take_profit,
        "trailing_stop_pct": _maybe(draw, 0.5, 30),
        "bars_per_year": draw(st.sampled_from([None, 52.0])),
        "fee_fixed": _maybe(draw, 0, 10),
        "fee_per_share": _maybe(draw, 0, 0.05),
        "fee_min": fee_min,
        "fee_max": fee_max,
        "borrow_rate": _maybe(draw, 0, 0.9),
        "close_at_end": draw(st.sampled_from([None, True])),
        "entry_type": draw(st.sampled_from(entry_types)),
        "valid_bars": draw(st.integers(min_value=1, max_value=4)),
        "size_unit": size_unit,
        "max_size": None if size_unit is None else _maybe(draw, 0.2, 1.0),
        "max_entries": draw(st.integers(min_value=1, max_value=4)) if scaling else 1,
        "exit_fraction": draw(st.sampled_from([1.0, 0.5, 0.3])) if scaling else 1.0,
        "take_profit_fraction": (
            draw(st.sampled_from([1.0, 0.5])) if scaling and take_profit else 1.0
        ),
        "exit_priority": draw(st.booleans()),
    }
    if size_unit == "shares" and fields["max_size"] is not None:
        fields["max_size"] = fields["max_size"] * 500
    offset = rng.uniform(0.0, 2 * vol, (3, n))
    limit, stop = close * (1 - offset), close * (1 + offset)
    if draw(st.booleans()):
        limit[rng.random((3, n)) < 0.1] = np.nan
    held = None
    if draw(st.booleans()):
        held = _HeldExit(close, rng.uniform(0.01, 0.2), rng.uniform(0.01, 0.2), 1 + n // 5)
    sizes = None
    if size_unit == "fraction":
        sizes = rng.uniform(0.05, 1.3, n)
        sizes[rng.random(n) < 0.1] = np.nan
    elif size_unit == "shares":
        sizes = rng.integers(0, 400, n).astype(np.float64)
    actions = None
    if draw(st.booleans()):
        split = np.where(rng.random(n) < 0.05, rng.choice([2.0, 3.0, 0.5], n), 1.0)
        dividend = np.where(rng.random(n) < 0.1, rng.uniform(0.1, 2.0, n), 0.0)
        delisting = draw(st.sampled_from([None, 0.0, 12.5]))
        actions = (split, dividend, delisting)
    return {
        "ohlcv": ohlcv,
        "entries": entries,
        "exits": exits,
        "fields": fields,
        "limit": limit,
        "stop": stop,
        "held": held,
        "sizes": sizes,
        "actions": actions,
    }


def _inputs(case: dict, module):
    """The request in ``module``'s types (the engine's, or its frozen copy's)."""
    from importlib import import_module

    bars = module.Bars(*case["ohlcv"])
    params = module.TradingParams(**case["fields"])
    actions = None
    if case["actions"] is not None:
        corporate = import_module(module.__name__ + ".corporate")
        actions = corporate.CorporateActions(*case["actions"])
    return bars, params, actions


def _sizer(case: dict):
    sizes = case["sizes"]
    if sizes is None:
        return None
    return lambda bar, equity: float(sizes[bar])


def _equal(a, b, what: str) -> None:
    if a is None or b is None:
        assert a is None and b is None, what
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, what
    assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), what


def _same_run(new, old) -> None:
    for name in ("cash", "position", "equity"):
        _equal(getattr(new, name), getattr(old, name), name)
    assert new.bust_bar == old.bust_bar
    for field in dataclasses.fields(old.trades):
        _equal(getattr(new.trades, field.name), getattr(old.trades, field.name), field.name)
    assert new.metrics.keys() == old.metrics.keys()
    for name, value in old.metrics.items():
        assert new.metrics[name] == value or (value is None and new.metrics[name] is None), name
    assert (new.orders is None) == (old.orders is None)
    if old.orders is not None:
        _same_orders(new.orders, old.orders, old.bust_bar)
    assert (new.applied is None) == (old.applied is None)
    if old.applied is not None:
        assert new.applied._columns() == old.applied._columns()


def _placed_until(orders, bust_bar: int | None):
    """A single run's ``orders`` placed up to its bust bar: a run that went bust places no
    order after it (``engine.broker.orders.placed_until``), where engine 1.4.0 logged each
    later entry signal as an order cancelled when placed."""
    return orders if bust_bar is None else placed_until(orders, bust_bar)


def _same_orders(new, old, bust_bar: int | None) -> None:
    """``new`` orders equal ``old`` (placed up to the bust bar), but for an order placed at
    the close where a short went bust: the step trades no more, so it stays pending, where
    engine 1.4.0 walked on and let it expire, fill or be cancelled."""
    old = _placed_until(old, bust_bar)
    left = np.zeros(len(old.signal_bar), dtype=bool)
    if bust_bar is not None:
        left = np.asarray(old.signal_bar) == bust_bar
        left &= (np.asarray(new.status) == PENDING) & (np.asarray(old.status) != PENDING)
        assert (np.asarray(new.fill_bar)[left] == -1).all()
    for field in dataclasses.fields(old):
        a, b = getattr(new, field.name), getattr(old, field.name)
        if field.name in ("status", "fill_bar", "price") and a is not None:
            a, b = np.asarray(a)[~left], np.asarray(b)[~left]
        _equal(a, b, field.name)


def _split_to_no_share(applied, fields: dict) -> bool:
    """Whether a split left a single position (no scaling) without a whole share, which the
    step closes and engine 1.4.0 kept open at no shares (the module's docstring)."""
    scales = (fields["max_entries"], fields["exit_fraction"], fields["take_profit_fraction"])
    if applied is None or scales != (1, 1.0, 1.0):
        return False
    rows = zip(applied.kind, applied.before, applied.after, strict=True)
    return any(kind == SPLIT and before != 0 and after == 0 for kind, before, after in rows)


def _same_batch(new, old) -> None:
    assert new.metrics.keys() == old.metrics.keys()
    for name in old.metrics:
        _equal(new.metrics[name], old.metrics[name], name)
    _equal(new.equity, old.equity, "equity")


def _borrow_moves(fields: dict) -> bool:
    """Whether the borrow convention settled in engine 2.0.0 applies: short units that pay
    a borrow fee sold or bought back at a close (docs/execution.md, "Short borrow fee"),
    which the units walk charged before that close's fills and now, as every other walk,
    after them."""
    scales = (fields["max_entries"], fields["exit_fraction"], fields["take_profit_fraction"])
    return (
        fields["entry_type"] == "on_close"
        and fields["direction"] == "longshort"
        and bool(fields["borrow_rate"])
        and scales != (1, 1.0, 1.0)
    )


def _run_both(case: dict, row: int, modules: tuple = (engine, legacy)):
    out = []
    for module in modules:
        bars, params, actions = _inputs(case, module)
        out.append(
            module.run(
                bars,
                case["entries"][row],
                case["exits"][row],
                params,
                limit=case["limit"][row],
                stop=case["stop"][row],
                position_exit=case["held"],
                size=_sizer(case),
                actions=actions,
            )
        )
    return out


_SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(requests())
def test_a_run_equals_the_engine_it_replaced_bit_for_bit(case):
    assume(not _borrow_moves(case["fields"]))
    new, old = _run_both(case, 0)
    assume(not _split_to_no_share(old.applied, case["fields"]))
    _same_run(new, old)


@_SETTINGS
@given(requests(), st.booleans())
def test_a_batch_equals_the_engine_it_replaced_on_every_path(case, compiled_path):
    """Each batch path: the walks, and with ``compiled_path`` the compiled kernels forced
    (a batch too small to pay for them otherwise); the one-pass sweep kernel too. The old
    engine answers by its reference paths (the walks and numpy; it proved its own kernels
    equal to them bit for bit), so the oracle never compiles kernels of its own: about 40
    CPU-s of a fresh clone's suite."""
    assume(not _borrow_moves(case["fields"]))
    if case["actions"] is not None:
        olds = (_run_both(case, row, (legacy,))[0] for row in range(3))
        assume(not any(_split_to_no_share(old.applied, case["fields"]) for old in olds))
    n = len(case["ohlcv"][0])
    held = None if case["held"] is None else [case["held"]] * 3
    sizer = _sizer(case)
    sizes = None if sizer is None else [sizer] * 3
    results = []
    with pytest.MonkeyPatch.context() as patch:
        if compiled_path:
            patch.setattr(compiled, "MIN_BAR_UPDATES", 0)
        for module in (engine, legacy):
            bars, params, actions = _inputs(case, module)
            results.append(
                module.run_batch(
                    bars,
                    case["entries"],
                    case["exits"],
                    params,
                    keep_equity=True,
                    limit=case["limit"],
                    stop=case["stop"],
                    position_exits=held,
                    sizes=sizes,
                    actions=actions,
                )
            )
    _same_batch(*results)
    fields = case["fields"]
    plain = fields["size_unit"] is None and not params.has_stops and not params.scales
    if plain and fields["entry_type"] == "market" and n >= 3 and actions is None:
        one_pass, walked = (
            module.run_batch(
                module.Bars(*case["ohlcv"]),
                case["entries"],
                case["exits"],
                module.TradingParams(**fields),
                one_pass=module is engine,
            )
            for module in (engine, legacy)
        )
        assert one_pass.metrics.keys() == walked.metrics.keys()
        for name in walked.metrics:
            _equal(one_pass.metrics[name], walked.metrics[name], name)


def test_the_frozen_copy_is_the_engine_before_the_broker():
    """The oracle is engine 1.4.0 and takes every entry type but the ones added since."""
    assert legacy.ENGINE_VERSION == "1.4.0"
    assert set(LEGACY_ORDER_TYPES) <= set(ENTRY_ORDER_TYPES)


@st.composite
def single_requests(draw, entry_types=LEGACY_ORDER_TYPES):
    """``requests`` of a single position (no scaling) without a size series, position-aware
    exit or corporate actions: the runs the broker's step walks as one unit. Half of them
    budget about one share, so orders that buy none come often."""
    case = draw(requests(entry_types))
    fields = dict(case["fields"], max_entries=1, exit_fraction=1.0, take_profit_fraction=1.0)
    fields.update(size_unit=None, max_size=None)
    if draw(st.booleans()):
        fields.update(size_type="value", position_size=draw(st.floats(10.0, 120.0)))
    return dict(case, fields=fields, held=None, sizes=None, actions=None)


def _batches(case: dict) -> list:
    out = []
    for module in (engine, legacy):
        bars, params, _ = _inputs(case, module)
        out.append(
            module.run_batch(
                bars,
                case["entries"],
                case["exits"],
                params,
                keep_equity=True,
                limit=case["limit"],
                stop=case["stop"],
            )
        )
    return out


@_SETTINGS
@given(single_requests())
def test_a_single_position_through_the_broker_step_equals_the_engine_it_replaced(case):
    """Every walked single-position run (stops, borrow fee, ``exit_priority``, both
    directions, ``close_at_end``, every fee model and entry-order type) goes through the
    broker's step as one unit: its cash, position, equity, trades, orders and metrics, and
    a batch's equity and metrics, are engine 1.4.0's bit for bit, orders that buy no share
    and ``exit_priority`` bars while an entry order is pending included."""
    new, old = _run_both(case, 0)
    _same_run(new, old)
    _same_batch(*_batches(case))


def _one_unit(case: dict) -> dict:
    """``case`` as a single position (no scaling), its size series, position-aware exit
    and corporate actions kept."""
    fields = dict(case["fields"], max_entries=1, exit_fraction=1.0, take_profit_fraction=1.0)
    return dict(case, fields=fields)


@_SETTINGS
@given(requests())
def test_a_sized_or_position_exit_single_position_through_the_step_equals_the_engine_it_replaced(
    case,
):
    """A single position with a size series, a position-aware exit or corporate actions
    (every other field and legacy entry type too) goes through the broker's step as one
    unit: its cash, position, equity, trades, orders, corporate actions and metrics are
    engine 1.4.0's bit for bit, sizes that are undefined (orders cancelled when placed)
    included."""
    case = _one_unit(case)
    assume(not _borrow_moves(case["fields"]))
    new, old = _run_both(case, 0)
    assume(not _split_to_no_share(old.applied, case["fields"]))
    _same_run(new, old)


@_SETTINGS
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_a_run_of_any_entry_type_through_the_step_equals_it_alone_in_a_batch(case):
    """Entry types newer than the frozen copy (``market_if_touched``) too: a run alone
    (``engine.run``) and the same run as a batch's row (``engine.run_batch``, the step's
    walk or its batch pass) have the same equity and metrics bit for bit."""
    bars, params, actions = _inputs(case, engine)
    held = None if case["held"] is None else [case["held"]] * 3
    sizer = _sizer(case)
    batch = engine.run_batch(
        bars,
        case["entries"],
        case["exits"],
        params,
        keep_equity=True,
        limit=case["limit"],
        stop=case["stop"],
        position_exits=held,
        sizes=None if sizer is None else [sizer] * 3,
        actions=actions,
    )
    for row in range(3):
        alone = _run_one(case, row)
        _equal(batch.equity[row], alone.equity, f"equity of run {row}")
        for name, values in batch.metrics.items():
            value = alone.metrics[name]
            assert values[row] == value or (value is None and np.isnan(values[row])), name


def _run_one(case: dict, row: int = 0):
    bars, params, actions = _inputs(case, engine)
    return engine.run(
        bars,
        case["entries"][row],
        case["exits"][row],
        params,
        limit=case["limit"][row],
        stop=case["stop"][row],
        position_exit=case["held"],
        size=_sizer(case),
        actions=actions,
    )


def test_a_bust_run_places_no_order_after_its_bust_bar():
    """A short squeezed to a bust at bar 4, its later entry signals (bars 7 to 9) asking for
    limit orders: no order after the bust bar (docs/execution.md, "If equity reaches
    zero"), with corporate actions (the step's units walk) and without (its single
    position), where engine 1.4.0 logged each as an order cancelled when placed."""
    from engine import corporate

    n = 12
    close = np.array([50.0] * 4 + [200.0] + [400.0] * 7)
    days = np.arange(n).astype("datetime64[D]")
    bars = engine.Bars(days, close, close * 1.01, close * 0.99, close, np.full(n, 1e6))
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    exits[1], entries[[7, 9]], exits[8] = True, True, True
    params = engine.TradingParams(
        direction="longshort", entry_type="limit", initial_capital=1000, position_size=1000
    )
    dividend = np.zeros(n)
    dividend[3] = 0.5  # paid by the short held then: the run acts on corporate actions
    for actions in (None, corporate.CorporateActions(np.ones(n), dividend, None)):
        result = engine.run(bars, entries, exits, params, limit=close * 1.001, actions=actions)
        assert result.bust_bar == 4
        assert (actions is None) == (result.applied is None or not len(result.applied))
        assert result.orders.signal_bar.tolist() == [1]
        assert result.orders.offsets.tolist() == [0, 1]
