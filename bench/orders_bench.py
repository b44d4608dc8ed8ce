"""Entry orders in a sweep: 10,000 combinations with limit entries against the same sweep
with market entries, measured in the same run on GOOG.csv.

    .venv/bin/python -m bench.orders_bench [--repeat 3]

The sweep: SMA_CROSS over 100 fast × 100 slow windows (10,000 combinations, 2,148 bars),
all-in, ``fee_rate`` 0.001, signals precomputed (N × T). Market entries run the sweep's
one-pass kernel (``run_batch(one_pass=True)``); limit entries (a buy limit 1 % below the
signal close, good for 3 bars) run the compiled order walk (``engine._order_kernel``,
through ``run_batch``). Both kernels are compiled and loaded before timing (as in a
consumer). Median wall time of ``--repeat``, alternating. Goal: limit / market <= 2.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import backtesting
import numpy as np
import pandas as pd

from engine import Bars, TradingParams, run_batch

GOOG = Path(backtesting.__file__).parent / "test" / "GOOG.csv"


def _sweep_signals(close: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SMA_CROSS entries and exits for fast 2..101 × slow 102..201 (10,000 rows)."""
    series = pd.Series(close)
    smas = {n: series.rolling(n).mean().to_numpy() for n in range(2, 202)}
    entries, exits = [], []
    for fast in range(2, 102):
        for slow in range(102, 202):
            a, b = smas[fast], smas[slow]
            above, below = a > b, a < b
            was_at_most = np.r_[False, a[:-1] <= b[:-1]]
            was_at_least = np.r_[False, a[:-1] >= b[:-1]]
            entries.append(above & was_at_most)
            exits.append(below & was_at_least)
    return np.array(entries), np.array(exits)


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = pd.read_csv(GOOG, index_col=0, parse_dates=True)
    bars = Bars.from_dataframe(df)
    entries, exits = _sweep_signals(bars.close)
    common = {"fee_rate": 0.001, "position_size": 100.0, "size_type": "percent"}
    market = TradingParams(**common)
    limit = TradingParams(**common, entry_type="limit", valid_bars=3)
    prices = bars.close * 0.99

    def run_market():
        return run_batch(bars, entries, exits, market, one_pass=True)

    def run_limit():
        return run_batch(bars, entries, exits, limit, limit=prices)

    run_market(), run_limit()  # compile / load the kernels
    market_s, limit_s = [], []
    for _ in range(args.repeat):
        market_s.append(_timed(run_market))
        limit_s.append(_timed(run_limit))
    m, lim = statistics.median(market_s), statistics.median(limit_s)
    trades = run_limit().metrics["num_trades"].sum()
    print(
        f"10,000-combination SMA_CROSS sweep on GOOG ({len(bars):,} bars), median of {args.repeat}"
    )
    print(f"   market entries (one-pass kernel)   {m:8.3f} s")
    print(f"   limit entries (order kernel)       {lim:8.3f} s   ({trades:,} trades)")
    print(f"   ratio limit / market               {lim / m:8.2f}   goal <= 2")


if __name__ == "__main__":
    main()
