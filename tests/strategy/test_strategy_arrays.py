"""The arrays a strategy reads (``self.data.<column>``, ``self.data.index``, ``.df``,
``.pip`` and ``Strategy.I``'s indicators, 1-d and 2-d) behave as backtesting.py 0.6.6's on
every bar: one probe strategy, written once and built on either API, records what user
code sees (last values, slices, numpy and pandas conversions, arithmetic, ``.s``/``.df``,
default indicator names, the errors of a bad indicator) and both records are equal."""

from __future__ import annotations

import warnings

import backtesting
import backtesting.lib
import numpy as np
import pandas as pd
import pytest

import backtest_strategy
from backtest_strategy import lib
from tests.strategy.peer import random_frame


def bands(values, n):
    """A 2-d indicator as a tuple of Series (mean and max of ``n`` bars)."""
    series = pd.Series(values)
    return series.rolling(n).mean(), series.rolling(n).max()


def frame_bands(values):
    """A 2-d indicator as a DataFrame (two columns)."""
    return pd.DataFrame({"up": np.asarray(values) * 1.1, "down": np.asarray(values) * 0.9})


def a_rather_long_function_name(values, *_):
    return np.asarray(values, dtype=float)


def failing(values):
    raise ZeroDivisionError("no")


def probe(base, crossover, seen):
    """A strategy that appends what it reads to ``seen`` (a list), on every bar."""

    class Probe(base):
        n = 4

        def init(self):
            data = self.data
            self.sma = self.I(lambda x, n: pd.Series(x).rolling(n).mean(), data.Close, self.n)
            self.bands = self.I(bands, data.Close, self.n)
            self.frame = self.I(frame_bands, data.Close)
            self.columns = self.I(lambda: np.c_[data.Open, data.Close], name="columns")
            self.long = self.I(a_rather_long_function_name, data.Low, data.df, "text", 2.5)
            self.flags = self.I(lambda: data.Close > data.Open)
            self.named = self.I(a_rather_long_function_name, self.sma)
            errors = []
            for bad in (lambda: np.arange(3.0), lambda: None, lambda: np.ones((2, 2, 3))):
                with pytest.raises(ValueError) as error:
                    self.I(bad)
                errors.append(str(error.value)[:60])
            with pytest.raises(RuntimeError) as error:
                self.I(failing, data.Close)
            errors.append(str(error.value))
            declared = (self.sma, self.bands, self.frame, self.long, self.flags, self.columns)
            seen.append(
                {
                    "names": [ind.name for ind in (*declared, self.named)],
                    "errors": errors,
                    "len": len(data),
                    "float": float(data.Close),
                    "pip": data.pip,
                    "shapes": [self.bands.shape, self.frame.shape, self.columns.shape],
                    "dtype": str(self.flags.dtype),
                }
            )

        def next(self):
            data, sma, bands = self.data, self.sma, self.bands
            diff = sma - bands[1]
            seen.append(
                {
                    "last": data.Close[-1],
                    "tail": data.Close[-3:].tolist(),
                    "mean": float(np.mean(data.Close)),
                    "series": pd.Series(data.Close).iloc[-2:].tolist(),
                    "len": (len(data), len(data.Close), len(data.df), len(data.index)),
                    "time": (data.index[-1], data.Close.s.index[-1], data.df.index[-1]),
                    "columns": (list(data.df.columns), data["Extra"][-1], data.Extra[-1]),
                    "volume": data.Volume[-2:].tolist(),
                    "compare": (bool(sma[-1] > bands[0][-1]), bool(data.Close > sma)),
                    "cross": (crossover(sma, bands[0]), crossover(data.Close, sma)),
                    "diff": (diff[-2:].tolist(), diff.name, float(data.Close * 2)),
                    "2-d": (bands.shape, bands[:, -1].tolist(), float(bands), bool(bands)),
                    "s": (sma.s.iloc[-1], sma.s.name, bands.s.tolist()[-2:], bands.s.name),
                    "df": (
                        bands.df.shape,
                        list(bands.df.columns),
                        bands.df.iloc[-1].tolist(),
                        list(self.frame.df.columns),
                        sma.df.shape,
                    ),
                    "columns indicator": self.columns[:, -1].tolist(),
                    "flags": (bool(self.flags), self.flags[-3:].tolist()),
                    "names after slicing": (sma.name, bands[0].name, sma[-3:].name),
                }
            )
            if len(self.data) % 9 == 0 and not self.position:
                self.buy(size=1, sl=data.Close * 0.9)  # an array: its last value
            elif len(self.data) % 9 == 4 and self.position:
                self.position.close()

    return Probe


def missing_column(base):
    """What reading a column the frame lacks raises, by attribute and by key."""
    raised = []

    class Missing(base):
        def init(self):
            for read in (lambda: self.data.Nope, lambda: self.data["Nope"]):
                try:
                    read()
                except Exception as error:
                    raised.append((type(error).__name__, str(error)))

        def next(self):
            pass

    return Missing, raised


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = random_frame(11, 80)
    df["Close"] = df["Close"].round(2)
    df["Extra"] = np.arange(len(df), dtype=float)
    return df


def test_every_bar_reads_as_in_backtesting_py(frame):
    theirs, ours = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make = probe(backtesting.Strategy, backtesting.lib.crossover, theirs)
        backtesting.Backtest(frame, make).run()
    backtest_strategy.Backtest(frame, probe(backtest_strategy.Strategy, lib.crossover, ours)).run()
    assert len(ours) == len(theirs) > 60
    for bar, (mine, expected) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_equal(mine, expected, err_msg=f"call {bar}")


def test_a_missing_column_raises_as_in_backtesting_py(frame):
    results = []
    for module in (backtesting, backtest_strategy):
        strategy, raised = missing_column(module.Strategy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module.Backtest(frame, strategy).run()
        results.append(raised)
    assert results[0] == results[1]
    assert [kind for kind, _ in results[1]] == ["AttributeError", "KeyError"]


def test_arrays_of_a_bar_are_views_kept_until_the_bar_moves(frame):
    """Within a bar a column is one view of the full column (no copy); the next bar
    shows one more value, and ``data.df`` is the frame itself once every bar is seen."""
    data = backtest_strategy.data._Data(frame)
    data._set_length(10)
    close = data.Close
    assert data.Close is close and data["Close"] is close and len(close) == 10
    assert np.shares_memory(close, data._full["Close"])
    data._set_length(11)
    assert data.Close is not close and len(data.Close) == 11 and len(data.index) == 11
    assert data.Close[-1] == frame["Close"].iloc[10] and len(data.Extra) == 11
    data._set_length(len(frame))
    assert data.df is frame


def test_an_absent_ohlcv_column_raises_attribute_error_naming_it(frame):
    data = backtest_strategy.data._Data(frame.drop(columns="Volume"))
    with pytest.raises(AttributeError, match="Column 'Volume' not in data"):
        data.Volume  # noqa: B018 - the read is the test
    with pytest.raises(KeyError, match="Volume"):
        data["Volume"]
