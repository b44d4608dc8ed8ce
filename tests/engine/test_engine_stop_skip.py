"""The broker step's skip over quiet bars while units are held with stops: the levels a
bar's high and low must reach (``engine.broker.step._stop_bounds``), taken once for the
bars skipped, say of every bar what the units' stops say one by one — every side, NaN
levels, a trailing fraction or none, and prices equal to a level."""

from __future__ import annotations

import numpy as np
from numba import njit

from engine.broker import step


@njit(cache=False)
def _unit_by_unit(state, trail, h, lo) -> bool:
    """The predicate unit by unit, as the step wrote it before it took the levels once."""
    ns, held = state[1], state[2]
    for j in range(ns[step.N_HELD]):
        unit = held[j]
        if unit[step.SIDE] > 0:
            if lo <= max(unit[step.LOSS], unit[step.TRAIL_LEVEL]) or h >= unit[step.PROFIT]:
                return True
            if trail == trail and h > unit[step.EXTREME]:
                return True
        else:
            if h >= min(unit[step.LOSS], unit[step.TRAIL_LEVEL]) or lo <= unit[step.PROFIT]:
                return True
            if trail == trail and lo < unit[step.EXTREME]:
                return True
    return False


def _level(rng: np.random.Generator) -> float:
    return np.nan if rng.random() < 0.3 else float(rng.choice([90.0, 95.0, 100.0, 105.0, 110.0]))


def test_the_levels_taken_once_say_what_each_unit_says_on_every_bar():
    rng = np.random.default_rng(11)
    prices = [np.nan, 85.0, 90.0, 92.5, 95.0, 100.0, 105.0, 107.5, 110.0, 115.0]
    reached = quiet = 0
    for _ in range(400):
        fs = np.zeros(step.N_FLOATS)
        ns = np.zeros(step.N_INTS, dtype=np.int64)
        held = np.zeros((4, step.UNIT_FIELDS))
        ns[step.N_HELD] = rng.integers(0, 5)
        for j in range(4):
            held[j, step.SIDE] = rng.choice([1.0, -1.0])
            for field in (step.LOSS, step.PROFIT, step.TRAIL_LEVEL, step.EXTREME):
                held[j, field] = _level(rng)
        state = (fs, ns, held)
        for trail in (np.nan, 0.05):
            bounds = step._stop_bounds(state, trail)
            for h in prices:
                for lo in prices:
                    expected = _unit_by_unit(state, trail, h, lo)
                    assert step._reaches(bounds, h, lo) == expected, (held, ns, trail, h, lo)
                    assert step._stops_act(state, trail, h, lo) == expected
                    reached += expected
                    quiet += not expected
    assert reached > 10_000 and quiet > 10_000  # both answers met often
