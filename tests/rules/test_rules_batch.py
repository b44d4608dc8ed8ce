"""rules._batch: the bars-bound indicator cache and (N, T) gathering."""

from __future__ import annotations

import numpy as np

from engine import Bars
from rules._batch import bind_cache, column, indicator_rows, rows
from rules.indicators import sma
from tests.bars import daily_bars


def _bars() -> Bars:
    """Six bars closing 1, 2, …, 6, each 1 above and below its close."""
    return daily_bars(np.arange(1.0, 7), spread=1.0)


def test_bind_cache_keeps_a_cache_for_the_same_bars_and_clears_it_for_others():
    """Arrays computed from other bars are never mixed in."""
    bars, other = _bars(), _bars()
    cache = bind_cache({}, bars)
    cache[("x",)] = np.zeros(6)
    assert bind_cache(cache, bars) is cache and ("x",) in cache
    assert ("x",) not in bind_cache(cache, other)
    assert bind_cache(None, bars) == {"bars": bars}


def test_rows_computes_each_distinct_key_once_in_one_call():
    """Repeated keys share a row; missing keys are computed together, cached ones never."""
    calls: list[list] = []

    def compute(missing: list) -> list[np.ndarray]:
        calls.append(missing)
        return [np.full(3, float(key)) for key in missing]

    cache: dict = {}
    out = rows(cache, [2, 1, 2, 3], compute)
    np.testing.assert_array_equal(out[:, 0], [2, 1, 2, 3])
    rows(cache, [3, 4], compute)
    assert calls == [[2, 1, 3], [4]]


def test_indicator_rows_are_the_indicator_results_keyed_by_name_inputs_and_args():
    """Rows equal direct calls; the cache key names the function, its inputs and args."""
    bars = _bars()
    cache: dict = {}
    out = indicator_rows(cache, bars, sma, ("close",), [(2,), (3,), (2,)])
    for row, n in enumerate((2, 3, 2)):
        np.testing.assert_array_equal(out[row], sma(bars.close, n))
    assert set(cache) == {("sma", ("close",), 2), ("sma", ("close",), 3)}


def test_column_is_an_n_by_one_float_array():
    """One parameter across parameter sets, ready to broadcast against (N, T)."""
    out = column([{"k": 1}, {"k": 2.5}], "k")
    assert out.shape == (2, 1) and out.dtype == np.float64
    np.testing.assert_array_equal(out[:, 0], [1.0, 2.5])
