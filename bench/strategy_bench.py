"""A Python strategy in process (notebook mode, ``backtest_strategy.Backtest``) against
backtesting.py 0.6.6 on the same strategy and data, in one process.

    .venv/bin/python -m bench.strategy_bench [--repeat 7]

(a) backtesting.py's quick-start ``SmaCross`` (10/20 SMA cross, always in the market,
    commission 0.2 %) on GOOG.csv (2,148 daily bars), written once and built on either
    API. Median wall time of ``--repeat`` runs each, alternating, after one warm-up run of
    each (imports and first calls outside the timing). Goal: ours / backtesting.py <= 1.0.
(b) The same with every bar's state and decisions passed through JSON (``wire=True``), as
    the sandbox's pipe will pass them: what serialising the boundary costs in process.
(c) A bracket strategy (stop-loss and take-profit on every entry, 5/20 SMA cross) on the
    same data: contingent orders worked every bar.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import pandas as pd

from bench.peers import goog_csv


def sma(values, n):
    """The simple moving average backtesting.py's quick start declares."""
    return pd.Series(values).rolling(n).mean()


def sma_cross(base, crossover, n1=10, n2=20):
    """backtesting.py's quick-start strategy built on either API's ``Strategy`` (``base``)
    and ``crossover``; ``n1``/``n2`` its class attributes ``fast`` and ``slow``."""

    class SmaCross(base):
        fast = n1
        slow = n2

        def init(self):
            self.sma1 = self.I(sma, self.data.Close, self.fast)
            self.sma2 = self.I(sma, self.data.Close, self.slow)

        def next(self):
            if crossover(self.sma1, self.sma2):
                self.position.close()
                self.buy()
            elif crossover(self.sma2, self.sma1):
                self.position.close()
                self.sell()

    return SmaCross


def brackets(base, crossover):
    class Brackets(base):
        def init(self):
            self.sma1 = self.I(sma, self.data.Close, 5)
            self.sma2 = self.I(sma, self.data.Close, 20)

        def next(self):
            close = self.data.Close[-1]
            if crossover(self.sma1, self.sma2):
                self.buy(size=0.5, sl=close * 0.95, tp=close * 1.08)
            elif crossover(self.sma2, self.sma1):
                self.position.close()

    return Brackets


def _median(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    repeat = parser.parse_args().repeat
    warnings.simplefilter("ignore")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import backtesting
    import backtesting.lib

    import backtest_strategy
    from backtest_strategy import lib

    goog = pd.read_csv(goog_csv(), index_col=0, parse_dates=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, GOOG {len(goog)} bars")
    cases = {
        "(a) SmaCross": (sma_cross, {}),
        "(b) SmaCross, state through JSON": (sma_cross, {"wire": True}),
        "(c) brackets": (brackets, {}),
    }
    for label, (make, ours_only) in cases.items():
        peer = backtesting.Backtest(
            goog, make(backtesting.Strategy, backtesting.lib.crossover), commission=0.002
        )
        ours = backtest_strategy.Backtest(
            goog, make(backtest_strategy.Strategy, lib.crossover), commission=0.002, **ours_only
        )
        peer.run(), ours.run()
        peer_s, ours_s = [], []
        for _ in range(repeat):
            peer_s.append(_median(peer.run, 1))
            ours_s.append(_median(ours.run, 1))
        p, o = statistics.median(peer_s), statistics.median(ours_s)
        print(
            f"{label:36s} ours {o * 1000:7.1f} ms   backtesting.py {p * 1000:7.1f} ms   "
            f"ratio {o / p:.2f} (goal <= 1.0)"
        )


if __name__ == "__main__":
    main()
