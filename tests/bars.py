"""OHLCV bars for tests (no tests here): synthetic ones built from hand-written price lists,
and backtesting.py's bundled GOOG.csv (real daily data, 2004-08-19 .. 2013-03-01).

``daily_bars`` is the one builder the rules and engine tests share: bars one day apart from
1970-01-01, opens at the closes. The adapters tests build theirs, stamped 21:00 UTC with a 1%
range, with ``tests.adapters.support.make_bars``. ``GOOG_CSV`` is the file's path (found
without importing backtesting.py), ``goog_frame`` the file as pandas reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bench.peers import goog_csv
from engine import Bars

GOOG_CSV = goog_csv()
"""backtesting.py's bundled GOOG.csv: real daily data, 2004-08-19 .. 2013-03-01."""


def goog_frame() -> pd.DataFrame:
    """GOOG.csv as pandas reads it: dated index, Open/High/Low/Close/Volume columns."""
    return pd.read_csv(GOOG_CSV, index_col=0, parse_dates=True)


def daily_bars(
    close: Sequence[float] | np.ndarray,
    *,
    spread: float = 0.0,
    open_: Sequence[float] | np.ndarray | None = None,
    high: Sequence[float] | np.ndarray | None = None,
    low: Sequence[float] | np.ndarray | None = None,
    volume: Sequence[float] | np.ndarray | None = None,
) -> Bars:
    """Bars with these closes, one a day from 1970-01-01: opens at the closes, highs and lows
    ``spread`` above and below them, a volume of 1, unless ``open_``/``high``/``low``/``volume``
    are given."""
    c = np.asarray(close, dtype=float)
    n = len(c)

    def given(values: Sequence[float] | np.ndarray | None, default: np.ndarray) -> np.ndarray:
        return default if values is None else np.asarray(values, dtype=float)

    return Bars(
        np.arange(n).astype("datetime64[D]"),
        given(open_, c),
        given(high, c + spread),
        given(low, c - spread),
        c,
        given(volume, np.ones(n)),
    )
