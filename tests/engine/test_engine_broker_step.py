"""The broker's compiled per-bar step (``engine.broker.step``) against the Python units walk
(``engine._scaling._Walk``) it replaces for requests without a size series, a
position-aware exit or corporate actions: random requests over every ``TradingParams``
field and entry-order type, walked both ways; every fill, unit (as its trade), order, and
the cash, position and equity on every bar are equal bit for bit, single runs and batches.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import engine
from engine import _scaling, _simulate, compiled
from engine.param_specs import ENTRY_ORDER_TYPES
from tests.engine.test_engine_broker_differential import _equal, _inputs, _same_batch, requests

_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_PYTHON, _STEP = False, True
"""``compiled.steps_units``' answer that keeps a request on the Python walk, and that sends
it through the compiled step."""


def _plain(case: dict, scaling: bool) -> dict:
    """The case without a size series, position-aware exit or corporate actions; with
    ``scaling`` its scaling fields forced on when it had none."""
    fields = dict(case["fields"], size_unit=None, max_size=None)
    if scaling and (fields["max_entries"], fields["exit_fraction"]) == (1, 1.0):
        fields["max_entries"] = 3
    return dict(case, fields=fields, held=None, sizes=None, actions=None)


def _walked(case: dict, stepped: bool):
    bars, params, _ = _inputs(case, engine)
    ohlc = (bars.open, bars.high, bars.low, bars.close)
    prices = (case["limit"], case["stop"]) if params.has_orders else None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "steps_units", lambda work: stepped)
        return (
            _scaling.scale_events(
                case["entries"], case["exits"], ohlc, params, order_prices=prices
            ),
            bars,
            params,
        )


@_SETTINGS
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_the_compiled_step_gives_the_units_walks_fills_units_and_orders(case):
    """Units only: one unit is a single position, which follows the execution convention
    (test_engine_broker_differential.py holds it to the engine it replaced)."""
    case = _plain(case, scaling=True)
    (new, new_orders), bars, params = _walked(case, _STEP)
    (old, old_orders), _, _ = _walked(case, _PYTHON)
    for field in dataclasses.fields(old):
        if field.name not in ("units", "applied"):
            _equal(getattr(new, field.name), getattr(old, field.name), field.name)
    assert new.applied is None and old.applied is None
    for i in range(case["entries"].shape[0]):
        a = _scaling.unit_trades(new.units[i], bars.close, params)
        b = _scaling.unit_trades(old.units[i], bars.close, params)
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


def _both(case: dict, call):
    out = []
    for stepped in (_STEP, _PYTHON):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(compiled, "steps_units", lambda work, stepped=stepped: stepped)
            out.append(call(*_inputs(case, engine)[:2]))
    return out


@_SETTINGS
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_a_scaling_run_and_batch_through_the_step_equal_the_units_walk(case):
    case = _plain(case, scaling=True)

    def one(bars, params):
        return engine.run(
            bars,
            case["entries"][0],
            case["exits"][0],
            params,
            limit=case["limit"][0],
            stop=case["stop"][0],
        )

    def batch(bars, params):
        return engine.run_batch(
            bars,
            case["entries"],
            case["exits"],
            params,
            keep_equity=True,
            limit=case["limit"],
            stop=case["stop"],
        )

    new, old = _both(case, one)
    for name in ("cash", "position", "equity"):
        _equal(getattr(new, name), getattr(old, name), name)
    assert new.bust_bar == old.bust_bar
    for field in dataclasses.fields(old.trades):
        _equal(getattr(new.trades, field.name), getattr(old.trades, field.name), field.name)
    assert new.metrics == old.metrics or all(
        new.metrics[k] == v or (v is None and new.metrics[k] is None)
        for k, v in old.metrics.items()
    )
    _same_batch(*_both(case, batch))


def test_a_scaling_request_large_enough_is_walked_by_the_compiled_step(monkeypatch):
    """Routing: a plain scaling request over the stepped never enters the Python walk."""

    def refuse(*args, **kwargs):
        raise AssertionError("the Python units walk ran")

    monkeypatch.setattr(_scaling._Walk, "run", refuse)
    monkeypatch.setattr(compiled, "steps_units", lambda work: True)
    n = 40
    close = np.linspace(10.0, 20.0, n) + np.sin(np.arange(n))
    bars = engine.Bars(
        np.arange(n).astype("datetime64[D]"), close, close + 1, close - 1, close, close
    )
    entries = np.arange(n) % 5 == 0
    exits = np.arange(n) % 7 == 0
    res = engine.run(bars, entries, exits, engine.TradingParams(max_entries=3, exit_fraction=0.5))
    assert len(res.trades) > 0


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
    step.finish(state, i, last, float(bars.open[last]), costs, setup)
    ns = state[1]
    units = np.vstack([state[3][: ns[step.N_DONE]], state[2][: ns[step.N_HELD]]])
    return state[4][: ns[step.N_ROWS]], units, state[5][: ns[step.N_ORDERS]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(entry_types=ENTRY_ORDER_TYPES))
def test_the_step_driven_bar_by_bar_from_python_equals_the_compiled_loop(case):
    from engine.broker import step

    case = _plain(case, scaling=True)
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
