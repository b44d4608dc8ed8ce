"""Strategy modules the PYTHON run tests send as ``strategy_code`` (source text: the
platform runs them in its sandbox; a test runs them in process only to compute expected
values)."""

from __future__ import annotations

from kinds.runs.python_request import EXAMPLE_CODE

SMA_CROSS = EXAMPLE_CODE
"""backtesting.py's quick start SmaCross (the run form's example)."""

ACME_SMA_CROSS = {
    "ticker": "ACME",
    "rule_type": "PYTHON",
    "strategy_code": SMA_CROSS,
    "strategy_class": "SmaCross",
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
}
"""The request fields of ``SMA_CROSS`` on ACME's 2016-2017 bars, which the PYTHON run,
sweep, study and walk-forward tests add their own to."""

RAISES = """\
from backtest_strategy import Strategy


def helper(bar):
    raise RuntimeError(f"my strategy gave up on bar {bar}")


class Raises(Strategy):
    def init(self):
        pass

    def next(self):
        if len(self.data) > 30:
            helper(len(self.data))
"""

ENDLESS = """\
from backtest_strategy import Strategy


class Endless(Strategy):
    def init(self):
        pass

    def next(self):
        while True:
            pass
"""


def module_of(source: str, name: str = "user_strategy") -> dict:
    """The namespace of ``source`` executed in process (expected values only)."""
    namespace: dict = {"__name__": name}
    exec(
        compile(source, f"<{name}>", "exec"), namespace
    )  # the test's own code, for expected values
    return namespace


RANDOM = """\
import random

import numpy as np
from backtest_strategy import Strategy


class Coin(Strategy):
    def init(self):
        pass

    def next(self):
        if not self.position and random.random() < 0.1:
            self.buy(size=int(1 + np.random.randint(0, 50)))
        elif self.position and random.random() < 0.1:
            self.position.close()
"""
