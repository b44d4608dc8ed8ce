"""The platform's indicators by name in a strategy (``lib.indicator``): the values
``self.I`` serves are ``rules.indicators``' own, bit for bit, in notebook mode and in the
sandbox (which loads the rules' numpy-only indicator modules alone, not the package's
``__init__`` and what it imports)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtest_strategy import Backtest, Strategy
from backtest_strategy.indicators import NAMES
from backtest_strategy.lib import indicator
from engine.broker.book import book_costs
from kinds.strategies.sandboxed import run_strategy
from rules import indicators
from tests.sandbox.conftest import LIMITS
from tests.strategy.peer import random_frame
from tests.strategy.test_strategy_sandboxed import assert_identical

NAMED = """\
import numpy as np
from backtest_strategy import Strategy
from backtest_strategy.lib import crossover, indicator


class Named(Strategy):
    n = 14

    def init(self):
        close = self.data.Close
        self.rsi = self.I(indicator("rsi"), close, self.n)
        self.line, self.signal, _ = self.I(indicator("macd"), close, 8, 17, 5)
        self.atr = self.I(indicator("atr"), self.data.High, self.data.Low, close, self.n)

    def next(self):
        if self.rsi[-1] < 60 and crossover(self.line, self.signal):
            self.buy(size=10, sl=self.data.Close[-1] - 2 * self.atr[-1])
        elif crossover(self.signal, self.line) and self.position:
            self.position.close()
"""
"""A strategy reading three of the platform's indicators by name."""

BY_HAND = NAMED.replace(
    "from backtest_strategy.lib import crossover, indicator",
    "from backtest_strategy.lib import crossover\nfrom rules import indicators as _ind\n"
    "indicator = lambda name: getattr(_ind, name)",
)
"""The same strategy calling ``rules.indicators`` directly (notebook only: the expected)."""


def classes(source: str, name: str = "Named") -> type:
    namespace: dict = {}
    exec(compile(source, "named.py", "exec"), namespace)  # the test's own code
    return namespace[name]


def test_a_named_indicator_is_the_rules_function_itself():
    assert indicator("rsi") is indicators.rsi and indicator("bollinger") is indicators.bollinger
    assert all(callable(indicator(name)) for name in NAMES)
    with pytest.raises(ValueError, match="indicator: 'rsx'"):
        indicator("rsx")


def test_the_values_a_strategy_reads_are_the_rules_bit_for_bit():
    frame = random_frame(11, 150)
    seen = {}

    class Read(Strategy):
        def init(self):
            self.rsi = self.I(indicator("rsi"), self.data.Close, 14)
            self.bands = self.I(indicator("bollinger"), self.data.Close, 20, 2.0)

        def next(self):
            seen["rsi"], seen["bands"] = np.asarray(self.rsi), np.asarray(self.bands)

    Backtest(frame, Read).run()
    close = frame["Close"].to_numpy()
    assert seen["rsi"].tobytes() == indicators.rsi(close, 14).tobytes()
    assert seen["bands"].tobytes() == np.array(indicators.bollinger(close, 20, 2.0)).tobytes()


def test_named_indicators_sandboxed_equal_the_rules_computed_in_process():
    frame = random_frame(12, 250)
    expected = Backtest(frame, classes(BY_HAND), cash=100_000).run()
    outcome = run_strategy(NAMED, "Named", {}, frame, book_costs(100_000), limits=LIMITS)
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert expected["# Trades"] > 3
    assert_identical(expected, outcome.value)


def test_the_sandbox_loads_the_indicator_modules_alone_not_the_rules_package():
    probe = NAMED.replace(
        "    def next(self):\n",
        "    def next(self):\n"
        "        import sys\n"
        "        loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'rules')\n"
        "        assert loaded == ['rules', 'rules._arrays', 'rules.indicators',"
        " 'rules.indicators_trend'], loaded\n",
    )
    outcome = run_strategy(
        probe, "Named", {}, random_frame(13, 60), book_costs(10_000), limits=LIMITS
    )
    assert outcome.status == "SUCCEEDED", outcome.failure


def test_a_revealed_indicator_keeps_its_label_on_every_view_and_result():
    """The host reveals each indicator bar by bar through views whose label lives on their
    class (``backtest_strategy.data.revealed``: no Python ``__array_finalize__`` a bar):
    slices, 2-d rows and results, alone or with a data column, still carry the name, the
    bars' index and the options."""
    from backtest_strategy.data import _Array, _Indicator, revealed

    index = pd.date_range("2021-01-04", periods=6, freq="D")
    one = _Indicator(np.arange(6.0), name="SMA(3)", index=index, overlay=True)
    two = _Indicator(np.arange(12.0).reshape(2, 6), name="BB", index=index, overlay=False)
    close = _Array(np.linspace(10, 15, 6), name="Close", index=index)
    shown_one, shown_two = revealed(one), revealed(two)
    for view in (
        shown_one[:4],
        shown_one[:4][-2:],
        shown_one[:4] * 2 - 1,
        close[:4] - shown_one[:4],
    ):
        assert isinstance(view, _Array) and view.name in ("SMA(3)", "Close")
        assert view.s.index.equals(index[: len(view)])
    assert isinstance(shown_one[:4], _Indicator) and shown_one[:4]._opts == {"overlay": True}
    assert (shown_one[:4] * 2 - 1).name == "SMA(3)"
    rows = shown_two[..., :3]
    assert rows.shape == (2, 3) and rows.df.columns.tolist() == ["BB", "BB"]
    assert float(rows) == float(two[..., :3]) == 8.0 and float(shown_one[:4]) == 3.0
