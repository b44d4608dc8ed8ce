"""Backtest core speed against backtesting.py, measured in the same run on GOOG.csv.

    .venv/bin/python -m bench.engine_bench [--repeat 500] [--processes 7]

1. One SMA_CROSS(10, 20) backtest inside each engine (signals precomputed for ours; the
   peer's Backtest.run includes its own indicator and broker loop): median milliseconds.
2. Parts of our run: data load, RSI/SMA signals, engine, adapters, charts.
3. One-shot processes, wall time (median of N, interleaved): ``python -m consumer --request``
   for one RSI request on GOOG with all charts and with charts=false, versus a process that
   imports backtesting.py and runs one RSI backtest. Targets: ratio <= 1.0 with charts,
   <= 0.4 without.
4. One 5,000,000-bar backtest with 200,000+ trades (a random walk; random entry and exit
   signals on 10 % of bars each; 10,000 a trade, no fee), in process, median of
   ``--long-repeat``, alternating: ours (``engine.run``: fills walked compiled, the curve
   reduced compiled, trades paired with array operations; the kernels loaded beforehand, as
   in a process that imported numba) against the same run on the Python fill walk and the
   numpy reductions (the path a small run takes). Both give equal results (checked).
   Target: ours <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import warnings
from pathlib import Path

import numpy as np

from bench.peers import goog_csv, time_in_process

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GOOG = goog_csv()

PEER_ONESHOT = f"""
import warnings; warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from backtesting import Backtest, Strategy
def rsi(close, n=14):
    delta = pd.Series(close).diff()
    up = delta.clip(lower=0).ewm(alpha=1 / n, adjust=False).mean()
    down = (-delta.clip(upper=0)).ewm(alpha=1 / n, adjust=False).mean()
    return (100 - 100 / (1 + up / down)).to_numpy()
class Rsi(Strategy):
    def init(self):
        self.rsi = self.I(rsi, self.data.Close)
    def next(self):
        if self.rsi[-1] < 30 and not self.position:
            self.buy()
        elif self.rsi[-1] > 70 and self.position:
            self.position.close()
df = pd.read_csv({str(GOOG)!r}, index_col=0, parse_dates=True)
print(Backtest(df, Rsi, cash=100_000, commission=0.001).run()["Return [%]"])
"""


def _median_ms(fn, repeat: int) -> float:
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeat)) * 1000


def in_process(repeat: int) -> None:
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    from data import load_bars
    from engine import TradingParams, run
    from rules import generate_signals

    df = pd.read_csv(GOOG, index_col=0, parse_dates=True)

    class SmaCross(Strategy):
        def init(self):
            close = pd.Series(self.data.Close)
            self.fast = self.I(lambda: close.rolling(10).mean().to_numpy())
            self.slow = self.I(lambda: close.rolling(20).mean().to_numpy())

        def next(self):
            if crossover(self.fast, self.slow) and not self.position:
                self.buy()
            elif crossover(self.slow, self.fast) and self.position:
                self.position.close()

    peer = Backtest(df, SmaCross, cash=100_000, commission=0.001)
    bars = load_bars(GOOG)
    params = TradingParams(position_size=100, size_type="percent")
    entries, exits = generate_signals("SMA_CROSS", {"fast": 10, "slow": 20}, bars)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer_ms = _median_ms(peer.run, max(repeat // 10, 20))
    ours_ms = _median_ms(lambda: run(bars, entries, exits, params), repeat)
    signals_ms = _median_ms(
        lambda: generate_signals("SMA_CROSS", {"fast": 10, "slow": 20}, bars), repeat
    )
    print("1. one SMA_CROSS(10, 20) backtest on GOOG (2,148 bars), median")
    print(f"   engine.run (signals given)      {ours_ms:8.3f} ms   target <= 1 ms")
    print(f"   SMA_CROSS signals               {signals_ms:8.3f} ms")
    print(f"   backtesting.py Backtest.run     {peer_ms:8.3f} ms")
    print(f"   ratio engine / backtesting.py   {ours_ms / peer_ms:8.4f}")


def parts(repeat: int) -> None:
    import adapters
    from data import load_bars
    from engine import TradingParams, run
    from rules import generate_signals

    bars = load_bars(GOOG)
    params = TradingParams()
    entries, exits = generate_signals("RSI", {"period": 14, "oversold": 30, "overbought": 70}, bars)
    result = run(bars, entries, exits, params)
    records = adapters.trade_records(bars, result)
    bench = adapters.buy_and_hold(bars, params.initial_capital)
    steps = {
        "load GOOG.csv": lambda: load_bars(GOOG),
        "RSI signals": lambda: generate_signals(
            "RSI", {"period": 14, "oversold": 30, "overbought": 70}, bars
        ),
        "engine.run": lambda: run(bars, entries, exits, params),
        "adapters (no charts)": lambda: (
            adapters.equity_curve(bars, result),
            adapters.drawdown_curve(bars, result),
            adapters.portfolio_curve(bars, result),
            adapters.trade_records(bars, result),
            adapters.enhanced_metrics(bars, result, records, bench),
            adapters.price_candles(bars),
        ),
        "six charts (matplotlib loaded)": lambda: adapters.render_charts(
            bars, result, entries=entries, exits=exits, records=records, benchmark=bench
        ),
    }
    print("2. parts of one RSI run on GOOG, median")
    for name, fn in steps.items():
        count = 15 if "charts" in name else repeat
        print(f"   {name:32s}{_median_ms(fn, count):8.2f} ms")


def processes(count: int) -> None:
    import data

    with tempfile.TemporaryDirectory() as tmp:
        data.register_csv(GOOG.read_bytes(), "GOOG", data_dir=tmp)
        request = {
            "ticker": "GOOG",
            "rule_type": "RSI",
            "start_date": "2004-08-19",
            "end_date": "2013-03-01",
        }
        files = {}
        for charts in (True, False):
            path = Path(tmp) / f"request-{charts}.json"
            path.write_text(json.dumps({**request, "charts": charts}))
            files[charts] = path
        env = {"DATA_DIR": tmp, "PATH": "/usr/bin:/bin", "MPLCONFIGDIR": f"{tmp}/mpl"}
        commands = {
            "consumer --request, all charts": [
                sys.executable,
                "-m",
                "consumer",
                "--request",
                str(files[True]),
            ],
            "consumer --request, charts=false": [
                sys.executable,
                "-m",
                "consumer",
                "--request",
                str(files[False]),
            ],
            "backtesting.py one-shot (no plot)": [sys.executable, "-c", PEER_ONESHOT],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the OS file cache and matplotlib's font cache
            subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, check=True)
        for _ in range(count):
            for name, cmd in commands.items():
                start = time.perf_counter()
                subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, check=True)
                times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(values) for name, values in times.items()}
    peer = med["backtesting.py one-shot (no plot)"]
    print(f"3. one-shot processes, wall time, median of {count} (interleaved)")
    for name, value in med.items():
        print(f"   {name:36s}{value * 1000:8.0f} ms   ratio {value / peer:5.2f}")
    print("   targets: all charts <= 1.00, charts=false <= 0.40")


def long_run(repeat: int) -> None:
    from engine import Bars, TradingParams, compiled, run

    n = 5_000_000
    rng = np.random.default_rng(1)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    open_ = close * (1.0 + rng.normal(0, 0.0005, n))
    minutes = np.datetime64("2000-01-01", "s") + np.arange(n) * np.timedelta64(60, "s")
    bars = Bars(minutes, open_, np.maximum(open_, close), np.minimum(open_, close), close, close)
    entries, exits = rng.random(n) < 0.1, rng.random(n) < 0.1
    params = TradingParams(size_type="value", position_size=10_000, fee_rate=0.0)
    compiled.kernels()
    pays = compiled.pays
    times: dict[str, list[float]] = {"compiled": [], "python": []}
    results = {}
    try:
        for _ in range(repeat):
            for side in times:
                compiled.pays = pays if side == "compiled" else (lambda work, threshold: False)
                started = time.perf_counter()
                results[side] = run(bars, entries, exits, params)
                times[side].append(time.perf_counter() - started)
    finally:
        compiled.pays = pays
    ours, python = results["compiled"], results["python"]
    same = ours.metrics == python.metrics and ours.trades == python.trades
    same = same and bool(np.array_equal(ours.equity, python.equity))
    print(f"4. one 5,000,000-bar backtest, {len(ours.trades):,} trades, median of {repeat}")
    fast, slow = statistics.median(times["compiled"]), statistics.median(times["python"])
    print(f"   ours (compiled)                 {fast:8.3f} s")
    print(f"   Python fill walk + numpy        {slow:8.3f} s")
    print(f"   ratio                           {fast / slow:8.3f}   equal results: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=500)
    parser.add_argument("--processes", type=int, default=7)
    parser.add_argument("--long-repeat", type=int, default=3)
    parser.add_argument("--only-long", action="store_true", help="run part 4 alone")
    args = parser.parse_args()
    time_in_process()
    if args.only_long:
        long_run(args.long_repeat)
        return
    in_process(args.repeat)
    parts(args.repeat // 5)
    processes(args.processes)
    long_run(args.long_repeat)


if __name__ == "__main__":
    main()
