"""A position-aware exit on a scaled long matches backtesting.py 0.6.6 on GOOG and on 60
random series.

Ours: an EXPR rule whose exit names ``bars_held``, ``open_return``, ``max_open_return`` or
``entry_price``, through the language path (``test_engine_position_exits_parity.ours``),
with ``max_entries``, ``exit_fraction`` and stops (docs/execution.md, "Scaling in and
out"). The peer: the units peer of ``test_engine_scaling_stops_parity`` whose exit, while
units are held, is the same rule on the long as a whole: bars since its first unit filled,
the share-weighted entry of its trades, ``self.position.pl_pct`` and the best of it since
that fill; an exit closes ``exit_fraction`` of each trade. Equity on every bar within 1e-9
relative, closed trades grouped as that module compares them.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars
from tests.engine.test_engine_position_exits_parity import CASES, _random_frame, ours
from tests.engine.test_engine_scaling_stops_parity import _params, assert_same_as_peer, peer

GOOG_CASES = [
    ("time", (3, 1.0, "value", 20_000.0, (None, None, None))),
    ("profit", (4, 0.5, "percent", 30.0, (5.0, None, None))),
    ("give_back", (3, 1.0, "value", 25_000.0, (None, 15.0, None))),
    ("breakeven", (5, 0.5, "percent", 40.0, (None, None, 8.0))),
    ("time", (2, 0.3, "percent", 50.0, (6.0, 12.0, None))),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("case", "setup"), GOOG_CASES)
def test_a_position_exit_on_units_matches_backtesting_py_on_goog(goog, case, setup):
    """A unit on each close crossing over its 10-bar mean, the exit a cross under the 50-bar
    mean or the position rule: the rule reads the whole long and fires, as the peer's."""
    text, values, rule = CASES[case]
    params = _params(*setup)
    entry = "crossover(close, sma(close, 10))"
    signal_exit = "crossunder(close, sma(close, 50))"
    bars = Bars.from_dataframe(goog)
    result, entries, exits = ours(bars, entry, f"{signal_exit} or {text}", values, params)
    stats = peer(goog, entries, exits, params, rule)
    closed = assert_same_as_peer(result, stats)
    crossed = set(np.flatnonzero(exits).tolist())  # the exit outside a long: the signal's
    by_rule = [t for t in closed if t.exit_reason == "signal" and t.exit_bar - 1 not in crossed]
    assert by_rule, "the position rule never closed a unit"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(60))
def test_a_position_exit_on_units_matches_backtesting_py_on_random_series(seed):
    """60 random series: random signals, unit counts, fractions, sizes, stops and rules."""
    rng = np.random.default_rng(29_000 + seed)
    df = _random_frame(rng, int(rng.integers(80, 300)))
    text, values, rule = CASES[list(CASES)[seed % len(CASES)]]
    fraction = float(rng.choice([1.0, 0.5, 0.3]))
    size_type = ("value", "percent")[int(rng.integers(2))]
    size = 30_000.0 if size_type == "value" else float(rng.choice([20.0, 50.0]))
    stops = tuple(float(rng.choice([0.0, value])) or None for value in (3.0, 7.0, 4.0))
    params = _params(int(rng.integers(1, 5)), fraction, size_type, size, stops)
    bars = Bars.from_dataframe(df)
    exit_ = f"volume == 1 or volume == 3 or {text}"
    result, entries, exits = ours(bars, "volume >= 2", exit_, values, params)
    assert_same_as_peer(result, peer(df, entries, exits, params, rule))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed", range(30))
def test_a_position_exit_on_longshort_units_matches_backtesting_py(seed):
    """longshort: the rule reads the long units only; while short the exit is the signal's
    (it adds short units), as the peer's is."""
    rng = np.random.default_rng(49_000 + seed)
    df = _random_frame(rng, int(rng.integers(80, 300)))
    text, values, rule = CASES[list(CASES)[seed % len(CASES)]]
    fraction = float(rng.choice([1.0, 0.5]))
    stops = tuple(float(rng.choice([0.0, value])) or None for value in (3.0, 7.0, 4.0))
    params = _params(int(rng.integers(1, 4)), fraction, "value", 20_000.0, stops,
                     direction="longshort")  # fmt: skip
    exit_ = f"volume == 1 or volume == 3 or {text}"
    result, entries, exits = ours(Bars.from_dataframe(df), "volume >= 2", exit_, values, params)
    assert_same_as_peer(result, peer(df, entries, exits, params, rule))
