"""The broker's compiled per-bar step (``engine.broker.step``) against the Python units walk
it replaced (``tests.engine.units_walk_reference``, engine 1.x's ``engine._scaling._Walk``
kept as a test-only reference): random requests over every ``TradingParams`` field and
entry-order type, with size series, position-aware exits and corporate actions, walked
both ways; every fill, unit (as its trade), order, corporate action applied, and the cash,
position and equity on every bar are equal bit for bit. Then the step driven bar by bar
from Python against its compiled loop, and the resumable walk's calls into Python.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import _scaling, _simulate
from engine.param_specs import ENTRY_ORDER_TYPES
from tests.engine import units_walk_reference as reference
from tests.engine.test_engine_broker_differential import (
    _equal,
    _inputs,
    _run_one,
    _sizer,
    requests,
)

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _scaled(case: dict, scaling: bool) -> dict:
    """The case with its scaling fields forced on (``scaling``) when it had none."""
    fields = dict(case["fields"])
    if scaling and (fields["max_entries"], fields["exit_fraction"]) == (1, 1.0):
        fields["max_entries"] = 3
    return dict(case, fields=fields)


def _walked(case: dict, walk):
    """``walk`` (``engine._scaling.scale_events`` or the reference's) on the case, with its
    size series, position-aware exit and corporate actions."""
    bars, params, actions = _inputs(case, engine)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    prices = (case["limit"], case["stop"]) if params.has_orders else None
    n_runs = case["entries"].shape[0]
    sizer = _sizer(case)
    out = walk(
        case["entries"],
        case["exits"],
        ohlc,
        params,
        None if sizer is None else [sizer] * n_runs,
        None if case["held"] is None else [case["held"], None, case["held"]][:n_runs],
        actions if actions is not None and actions.acts else None,
        prices,
    )
    return out, bars, params


@_SETTINGS
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_the_compiled_step_gives_the_units_walks_fills_units_orders_and_actions(case):
    """Units only: one unit is a single position, which follows the execution convention
    (test_engine_broker_differential.py holds it to the engine it replaced)."""
    case = _scaled(case, True)
    (new, new_orders), bars, params = _walked(case, _scaling.scale_events)
    (old, old_orders), _, _ = _walked(case, reference.scale_events)
    for field in dataclasses.fields(old):
        if field.name not in ("units", "applied"):
            _equal(getattr(new, field.name), getattr(old, field.name), field.name)
    assert (new.applied is None) == (old.applied is None)
    if old.applied is not None:
        assert new.applied._columns() == old.applied._columns()
    acting = old.applied is not None
    for i in range(case["entries"].shape[0]):
        a = _scaling.unit_trades(new.units[i], bars.close, params, acting)
        b = _scaling.unit_trades(old.units[i], bars.close, params, acting)
        for field in dataclasses.fields(b):
            _equal(getattr(a, field.name), getattr(b, field.name), f"run {i} {field.name}")
    assert (new_orders is None) == (old_orders is None)
    if old_orders is not None:
        for field in dataclasses.fields(old_orders):
            _equal(getattr(new_orders, field.name), getattr(old_orders, field.name), field.name)
    for first in range(case["entries"].shape[0]):
        a = _simulate.paths(new, first, first + 1, bars.close, params.initial_capital)
        b = _simulate.paths(old, first, first + 1, bars.close, params.initial_capital)
        for name in ("cash", "position", "equity"):
            _equal(getattr(a, name), getattr(b, name), name)


class _Counted:
    """A size series of 30 % of the equity that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, bar: int, equity: float) -> float:
        self.calls += 1
        return 0.3


def test_a_size_series_and_a_position_exit_are_called_per_unit_not_per_bar():
    """The resumable walk returns to Python for a unit's size on its signal bar and for the
    exit of a long when it opens or its entry changes, never once a bar."""
    _MADE.clear()
    n = 2_000
    rng = np.random.default_rng(5)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    bars = engine.Bars(
        np.arange(n).astype("datetime64[D]"), close, close * 1.01, close * 0.99, close, close
    )
    entries = np.arange(n) % 50 == 0
    exits = np.zeros(n, dtype=bool)
    sizer = _Counted()
    calls: list[int] = []

    def exit_of(side: float, fill_bar: int, price: float):
        calls.append(fill_bar)
        return _TimeExit(fill_bar)

    params = engine.TradingParams(max_entries=2, exit_fraction=0.5, size_unit="fraction")
    result = engine.run(bars, entries, exits, params, position_exit=exit_of, size=sizer)
    units = len(result.trades)
    assert units > 20
    assert sizer.calls <= 2 * (n // 50)
    assert 0 < len(calls) <= units
    assert 0 < sum(row.asked for row in _MADE) < n // 4  # a stretch at a time
    assert sum(row.called for row in _MADE) == 0  # never a bar at a time


_MADE: list[_TimeExit] = []


class _TimeExit:
    """A long's exit 7 bars after its first fill, answered a stretch at a time."""

    def __init__(self, fill_bar: int) -> None:
        self.fill_bar, self.asked, self.called = fill_bar, 0, 0
        _MADE.append(self)

    def __call__(self, bar: int) -> bool:
        self.called += 1
        return bar - self.fill_bar >= 7

    def stretch(self, bar: int) -> np.ndarray:
        self.asked += 1
        return np.arange(bar, bar + 16) - self.fill_bar >= 7

    def reprice(self, bar: int, entry: float) -> None:
        pass


def _bar_by_bar(case: dict, params, bars, i: int) -> tuple:
    """Run ``i`` of ``case`` driven from Python one ``step`` a bar (as a Python strategy
    drives the broker): its fill rows, units and orders."""
    from engine.broker import step

    costs, setup, fractions = _scaling.step_inputs(params)
    state = step.new_state(params.max_entries, 4)
    step.start_run(state, params.initial_capital)
    last = len(bars) - 1
    for bar in range(last + 1):
        state = step.make_room(state)
        ohlc = (float(bars.open[bar]), float(bars.high[bar]))
        ohlc += (float(bars.low[bar]), float(bars.close[bar]))
        step.step(
            state,
            i,
            bar,
            last,
            bool(case["entries"][i, bar]),
            bool(case["exits"][i, bar]),
            ohlc,
            float(case["limit"][i, bar]),
            float(case["stop"][i, bar]),
            costs,
            fractions,
            setup,
        )
    state = step.make_room(state)
    step.finish(state, i, last, float(bars.open[last]), costs, fractions, setup)
    ns = state[1]
    units = np.vstack([state[3][: ns[step.N_DONE]], state[2][: ns[step.N_HELD]]])
    return state[4][: ns[step.N_ROWS]], units, state[5][: ns[step.N_ORDERS]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_the_step_driven_bar_by_bar_from_python_equals_the_compiled_loop(case):
    from engine.broker import step

    fields = dict(case["fields"], size_unit=None, max_size=None)
    case = _scaled(dict(case, fields=fields), scaling=True)
    bars, params, _ = _inputs(case, engine)
    costs, setup, fractions = _scaling.step_inputs(params)
    rows, counts, units, unit_counts, book, order_counts, _, _ = step.walk_runs(
        case["entries"],
        case["exits"],
        np.ascontiguousarray(case["limit"]),
        np.ascontiguousarray(case["stop"]),
        bars.open,
        bars.high,
        bars.low,
        bars.close,
        costs,
        fractions,
        setup,
        False,
    )
    i = 1
    first = int(counts[:i].sum()), int(unit_counts[:i].sum()), int(order_counts[:i].sum())
    mine = _bar_by_bar(case, params, bars, i)
    _equal(mine[0], rows[first[0] : first[0] + counts[i]], "fill rows")
    _equal(mine[1], units[first[1] : first[1] + unit_counts[i]], "units")
    _equal(mine[2], book[first[2] : first[2] + order_counts[i]], "orders")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(entry_types=ENTRY_ORDER_TYPES), st.booleans())
def test_one_position_through_the_step_as_one_unit_equals_the_single_position_walks(case, positive):
    """A request without scaling walked by the step as one unit (``max_entries`` 1) gives
    the single-position path's (``engine.run``: ``engine._scaling.stepped_events``, or with
    corporate actions the units walk itself) cash, position and equity on every bar, with
    its size series, position-aware exit and corporate actions.

    Left out, where one position and one unit differ by design (as in
    ``test_the_units_walk_with_one_unit_equals_the_single_position_walk``): an order that
    buys no share (a size series' NaN or 0, a budget below a share: one position waits for
    the next change of side, a unit is tried again by a repeated signal), corporate
    actions on a short, and ``exit_priority`` while an entry order is pending."""
    fields = dict(case["fields"], max_entries=1, exit_fraction=1.0, take_profit_fraction=1.0)
    fields["initial_capital"] = max(fields["initial_capital"], 50_000.0)
    fields["position_size"] = max(
        fields["position_size"], 20.0 if fields["size_type"] == "percent" else 2_000.0
    )
    if fields["entry_type"] not in ("market", "on_close"):
        fields["exit_priority"] = False
    sizes = case["sizes"]
    if sizes is not None:  # every size buys a share
        sizes = np.where(np.isfinite(sizes) & (sizes > 0), sizes, 0.5)
        if fields["size_unit"] == "shares":
            sizes = np.clip(sizes, 1.0, 200.0)
            fields["max_size"] = None
        elif not positive:
            sizes = np.minimum(sizes, 0.9)
    case = dict(case, fields=fields, sizes=sizes)
    if fields["direction"] == "longshort":
        case["actions"] = None
    bars, params, actions = _inputs(case, engine)
    sizer = _sizer(case)
    single = _run_one(case)
    units, _ = _scaling.scale_events(
        case["entries"][:1],
        case["exits"][:1],
        (bars.open, bars.high, bars.low, bars.close),
        params,
        None if sizer is None else [sizer],
        None if case["held"] is None else [case["held"]],
        actions if actions is not None and actions.acts else None,
        (case["limit"][:1], case["stop"][:1]) if params.has_orders else None,
    )
    unit_paths = _simulate.paths(units, 0, 1, bars.close, params.initial_capital)
    for name in ("cash", "position", "equity"):
        _equal(getattr(unit_paths, name)[0], getattr(single, name), name)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests(entry_types=ENTRY_ORDER_TYPES),
    st.sampled_from(["time", "profit", "give_back", "breakeven"]),
)
def test_the_languages_position_exits_read_a_stretch_at_a_time_as_the_units_walk_read_them(
    case, name
):
    """The strategy language's exits (``rules.expr.position.PositionExit``): read by the
    step a stretch at a time, and not recomputed when an exit naming no entry price
    (``bars_held``) sees the units' entry move, they give the Python units walk's fills
    and paths bit for bit."""
    from rules import position_exits, validate_rule
    from tests.engine.test_engine_position_exits_parity import CASES

    text, values, _ = CASES[name]
    fields = dict(case["fields"], size_unit=None, max_size=None)
    case = _scaled(dict(case, fields=fields), scaling=True)
    bars, params, _ = _inputs(case, engine)
    _, checked = validate_rule("EXPR", {"entry": "close > sma(close, 3)", "exit": text, **values})
    (held,) = position_exits("EXPR", [checked], bars, slice(0, len(bars)), {})
    walked = []
    for walk in (_scaling.scale_events, reference.scale_events):
        walked.append(
            walk(
                case["entries"][:1],
                case["exits"][:1],
                (bars.open, bars.high, bars.low, bars.close),
                params,
                None,
                [held],
                None,
                (case["limit"][:1], case["stop"][:1]) if params.has_orders else None,
            )[0]
        )
    new, old = walked
    for field in ("offsets", "bar", "closed", "opened", "close_price", "open_price", "cash"):
        _equal(getattr(new, field), getattr(old, field), field)
    a = _simulate.paths(new, 0, 1, bars.close, params.initial_capital)
    b = _simulate.paths(old, 0, 1, bars.close, params.initial_capital)
    _equal(a.equity, b.equity, "equity")
