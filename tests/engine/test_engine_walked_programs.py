"""A size expression and a position-aware exit evaluated inside the broker's compiled step
(their programs, ``engine.broker.program``) give the numbers their Python objects give when
the step returns to Python for them: random size texts and exit texts over every compiled
operation and the position series, random bars, single positions and units, entry orders,
stops and splits — equity on every bar, every trade, the orders and the corporate actions
bit for bit. And an expression with an operation that has no opcode keeps its Python path.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.broker.step  # noqa: F401  (loaded: single positions go through the step)
from engine import Bars, TradingParams, run
from engine.corporate import CorporateActions
from rules import position_exits, validate_rule
from rules.size_expr import check_size, size_at

POSITION = ("bars_held", "entry_price", "open_return", "max_open_return")
SIZE_TERMS = ("equity", "close", "atr(5)", "2", "0.5", "(-3)", "0")
EXIT_TERMS = (*POSITION, "close", "sma(close, 4)", "3", "0.25", "(-1)", "0", "100")


def numbers(terms: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A numeric text over ``terms`` joined by every operation with an opcode."""

    def joined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        pair = st.tuples(inner, inner)
        return st.one_of(
            st.builds(lambda ab, o: f"({ab[0]} {o} {ab[1]})", pair, st.sampled_from("+-*/")),
            st.builds(lambda a: f"(-{a})", inner),
            st.builds(lambda a, f: f"{f}({a})", inner, st.sampled_from(["abs", "sqrt"])),
            st.builds(
                lambda ab, f: f"{f}({ab[0]}, {ab[1]})", pair, st.sampled_from(["min", "max"])
            ),
        )

    return st.recursive(st.sampled_from(terms), joined, max_leaves=6)


def conditions() -> st.SearchStrategy[str]:
    """A condition text over the position series: comparisons joined by and/or/not."""
    compared = st.builds(
        lambda a, o, b: f"({a} {o} {b})",
        numbers(EXIT_TERMS),
        st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
        numbers(EXIT_TERMS),
    )

    def joined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.builds(
                lambda a, o, b: f"({a} {o} {b})", inner, st.sampled_from(["and", "or"]), inner
            ),
            st.builds(lambda a: f"(not {a})", inner),
        )

    leaf = st.one_of(compared, st.just("(close > open)"))
    return st.builds(
        lambda text, hold: f"({text}) or bars_held >= {hold}",
        st.recursive(leaf, joined, max_leaves=4),
        st.integers(1, 12),
    )


def _bars(data: st.DataObject, n: int) -> Bars:
    """A random walk with flat stretches (ties for ``==``), OHLC around it."""
    moves = data.draw(
        st.lists(st.sampled_from([-2.0, -1.0, 0.0, 0.0, 1.0, 1.5]), min_size=n, max_size=n)
    )
    close = 50.0 + np.cumsum(moves) * 0.5
    close = np.maximum(close, 5.0)
    open_ = np.r_[close[0], close[:-1]]
    high, low = np.maximum(open_, close) + 0.5, np.minimum(open_, close) - 0.5
    days = np.arange(n).astype("datetime64[D]")
    return Bars(days, open_, high, low, close, np.ones(n))


def _params(data: st.DataObject) -> TradingParams:
    max_entries = data.draw(st.sampled_from([1, 1, 2, 3]))
    fraction = (
        1.0
        if max_entries == 1 and data.draw(st.booleans())
        else data.draw(st.sampled_from([1.0, 0.5]))
    )
    stop = data.draw(st.sampled_from([None, 3.0]))
    return TradingParams(
        initial_capital=100_000.0,
        fee_rate=data.draw(st.sampled_from([0.0, 0.001])),
        direction=data.draw(st.sampled_from(["longonly", "longshort"])),
        max_entries=max_entries,
        exit_fraction=fraction,
        stop_loss_pct=stop,
        entry_type=data.draw(st.sampled_from(["market", "limit", "on_close"])),
        valid_bars=3,
        size_unit=data.draw(st.sampled_from([None, "fraction", "shares"])),
    )


def _size_text(data: st.DataObject, unit: str) -> str:
    inner = data.draw(numbers(SIZE_TERMS))
    if data.draw(st.booleans()):
        return inner  # often undefined or not above 0: no unit then
    if unit == "fraction":
        return f"0.5 * abs({inner}) / (1 + abs({inner}))"
    return f"0.001 * equity * (1 + abs({inner}) / (1 + abs({inner}))) / close"


def _without_program(objects):
    """The same objects with no program: the step returns to Python for their values."""
    plain = copy.copy(objects)
    plain.program = None
    return plain


def _assert_same(ours, theirs) -> None:
    assert ours.equity.tobytes() == theirs.equity.tobytes()
    assert ours.cash.tobytes() == theirs.cash.tobytes()
    assert ours.position.tobytes() == theirs.position.tobytes()
    assert ours.bust_bar == theirs.bust_bar
    assert repr(ours.metrics) == repr(theirs.metrics)
    assert len(ours.trades) == len(theirs.trades)
    for name in vars(ours.trades):
        mine, other = getattr(ours.trades, name), getattr(theirs.trades, name)
        if isinstance(mine, np.ndarray):
            assert mine.tobytes() == other.tobytes(), name
    assert (ours.orders is None) == (theirs.orders is None)
    if ours.orders is not None:
        for name in vars(ours.orders):
            mine, other = getattr(ours.orders, name), getattr(theirs.orders, name)
            assert np.asarray(mine).tobytes() == np.asarray(other).tobytes(), name
    assert repr(ours.applied) == repr(theirs.applied)


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_size_and_exit_programs_equal_their_python_objects_bit_for_bit(data):
    n = data.draw(st.integers(30, 160))
    bars = _bars(data, n)
    params = _params(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    entries, exits = rng.random(n) < 0.15, rng.random(n) < 0.08
    exit_text = data.draw(conditions())
    _, checked = validate_rule("EXPR", {"entry": "close > 0", "exit": exit_text})
    (held,) = position_exits("EXPR", [checked], bars, slice(0, n), {})
    assert held.program is not None, exit_text
    size = None
    if params.size_unit is not None:
        text = _size_text(data, params.size_unit)
        scale = rng.uniform(0.5, 2.0, n) if data.draw(st.booleans()) else None
        size = size_at(text, bars, check_size(text, {}), slice(0, n), scale)
        assert size.program is not None, text
    orders = {}
    if params.entry_type == "limit":
        orders["limit"] = bars.close * rng.uniform(0.97, 1.01, n)
    actions = None
    if params.scales and data.draw(st.booleans()):
        split = np.ones(n)
        split[rng.integers(1, n, 2)] = rng.choice([2.0, 0.5, 3.0], 2)
        actions = CorporateActions(split, np.zeros(n))
    ours = run(
        bars, entries, exits, params, position_exit=held, size=size, actions=actions, **orders
    )
    theirs = run(
        bars,
        entries,
        exits,
        params,
        position_exit=_without_program(held),
        size=None if size is None else _without_program(size),
        actions=actions,
        **orders,
    )
    _assert_same(ours, theirs)


def test_an_expression_with_a_function_without_an_opcode_keeps_its_python_path():
    """``log`` has no opcode: the exit and the size carry no program, and the run calls
    them as before."""
    n = 60
    close = 100.0 + np.sin(np.arange(n) / 4.0)
    bars = Bars(
        np.arange(n).astype("datetime64[D]"), close, close + 1, close - 1, close, np.ones(n)
    )
    _, checked = validate_rule("EXPR", {"entry": "close > 0", "exit": "log(bars_held + 1) > 2"})
    (held,) = position_exits("EXPR", [checked], bars, slice(0, n), {})
    text = "100 * log(equity) / close"
    size = size_at(text, bars, check_size(text, {}), slice(0, n))
    assert held.program is None and size.program is None
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    entries[[3, 20, 40]] = True
    params = TradingParams(size_unit="shares", max_entries=2)
    result = run(bars, entries, exits, params, position_exit=held, size=size)
    assert all(t.size == int(100 * np.log(100_000.0) / close[3]) for t in result.trades[:1])
    assert [t.exit_bar - t.entry_bar for t in result.trades if t.exit_reason == "signal"]
    assert all(t.exit_bar - t.entry_bar == 8 for t in result.trades if t.exit_reason == "signal")
