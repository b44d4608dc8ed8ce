"""Long runs: one backtest of 5 M bars with 100k+ trades in process, and a five-year run of
one-minute bars (491,400) through a Job, measured in the same run as their peers.

    .venv/bin/python -m bench.long_run_bench [--repeat 5] [--peer-bars 200000]

1. ``engine.run`` on 5,000,000 synthetic bars whose signals make ~137,000 round trips
   (long-only, all-in, no fee), median seconds, with its parts: the fills (``engine._simulate``),
   the per-bar paths and core metrics, the trades (``engine._trades``, columns), and the
   result's trade records (``adapters.trade_records``). Goal: engine.run <= 0.5 s. Peer:
   backtesting.py's ``Backtest.run`` on the first ``--peer-bars`` bars of the same data and
   signals (its per-bar broker loop makes 5 M bars take minutes), as µs per bar and per trade
   next to ours.
2. The five-year one-minute run (SMA_CROSS(10, 30), charts on) as a consumer Job does it,
   ``python -m consumer --request``: wall time, peak RSS (the process's VmHWM) and the result
   JSON's size, with the ticker's binary copy cold (the CSV parsed) and warm; the memory
   estimate the submission compares with RUN_MAX_MEMORY_MB beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench.peers import time_in_process

PROJECT_ROOT = Path(__file__).resolve().parents[1]

BARS = 5_000_000
SIGNAL_RATE = 0.055
"""Share of bars with an entry (and, apart, an exit) signal: ~137,000 round trips on 5 M bars."""

GOAL_S = 0.5

FIVE_YEARS = 491_400
"""Five years of one-minute bars: 390 a session, 1,260 sessions (2015-01-02 .. 2020-01-03)."""

FIVE_YEAR_RUN = {
    "ticker": "MINUTES",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2015-01-02",
    "end_date": "2020-01-03",
    "timeframe": "1m",
}
"""The long run of part 2 (and of tests/runs/test_runs_long.py), on ``MINUTES``: five years
of ``data.generate_intraday.session_csv(FIVE_YEARS, 1)``."""


def _median_s(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic(n: int, seed: int = 7):
    """Minute bars of a random walk and sparse random signals (the same for ours and the peer)."""
    from engine import Bars

    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    stamps = np.datetime64("2015-01-01T00:00") + np.arange(n).astype("timedelta64[m]")
    bars = Bars(stamps, close, close * 1.001, close * 0.999, close, np.ones(n))
    draw = rng.random(n)
    entries = draw < SIGNAL_RATE
    exits = (draw > 0.5) & (draw < 0.5 + SIGNAL_RATE)
    return bars, entries, exits


def _peer_us(bars, entries: np.ndarray, exits: np.ndarray) -> tuple[float, int]:
    """backtesting.py on the same bars and signals: seconds and its trade count."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # its progress bar on stderr
    import pandas as pd
    from backtesting import Backtest, Strategy

    frame = pd.DataFrame(
        {"Open": bars.open, "High": bars.high, "Low": bars.low, "Close": bars.close},
        index=pd.DatetimeIndex(bars.timestamps),
    )
    entry, leave = entries, exits

    class Signals(Strategy):
        def init(self):
            self.entry = self.I(lambda: entry.astype(float), plot=False)
            self.leave = self.I(lambda: leave.astype(float), plot=False)

        def next(self):
            if self.entry[-1] and not self.position:
                self.buy()
            elif self.leave[-1] and self.position:
                self.position.close()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        stats = Backtest(frame, Signals, cash=1e12, commission=0.0).run()
    return time.perf_counter() - start, int(stats["# Trades"])


def one_long_backtest(repeat: int, peer_bars: int) -> None:
    import adapters
    from engine import TradingParams, run
    from engine import backtest as core
    from engine._trades import trade_table

    bars, entries, exits = synthetic(BARS)
    params = TradingParams(position_size=100, size_type="percent", fee_rate=0.0)
    result = run(bars, entries, exits, params)
    trades = len(result.trades)
    signals = core._as_signals(bars, entries, exits, ndim=1)
    events = core._events(bars, signals[0][None], signals[1][None], params)
    paths, _ = core._block(events, 0, 1, bars, params)
    bust = int(paths.bust_bar[0])
    parts = {
        "fills (engine._simulate)": lambda: core._events(
            bars, signals[0][None], signals[1][None], params
        ),
        "paths + core metrics": lambda: core._block(events, 0, 1, bars, params),
        "trades (columns)": lambda: trade_table(events, bust, bars.close, params.fee_rate),
    }
    total = _median_s(lambda: run(bars, entries, exits, params), repeat)
    print(f"1. one backtest of {BARS:,} bars with {trades:,} trades, median of {repeat}")
    print(f"   engine.run                      {total:8.3f} s   goal <= {GOAL_S} s")
    for name, fn in parts.items():
        print(f"     {name:30s}{_median_s(fn, repeat):8.3f} s")
    records = _median_s(lambda: adapters.trade_records(bars, result), max(repeat // 2, 1))
    print(f"   adapters.trade_records          {records:8.3f} s   (the stored result's)")
    ours_trade_us = _median_s(
        lambda: trade_table(events, bust, bars.close, params.fee_rate), repeat
    ) / max(trades, 1)
    head = bars.slice(0, peer_bars)
    peer_s, peer_trades = _peer_us(head, entries[:peer_bars], exits[:peer_bars])
    print(f"   backtesting.py Backtest.run on the first {peer_bars:,} bars: {peer_s:.2f} s, "
          f"{peer_trades:,} trades")  # fmt: skip
    print(f"   µs per bar:   ours {total / BARS * 1e6:8.3f}   backtesting.py "
          f"{peer_s / peer_bars * 1e6:8.3f}")  # fmt: skip
    print(f"   µs per trade: ours {ours_trade_us * 1e6:8.3f} (building it)   backtesting.py "
          f"{peer_s / max(peer_trades, 1) * 1e6:8.1f} (whole run / trades)")  # fmt: skip


def _job(request: Path, env: dict) -> tuple[float, float, int]:
    """``python -m consumer --request``: wall seconds, peak RSS (MB) and result bytes."""
    code = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "out = subprocess.run([sys.executable, '-m', 'consumer', '--request', sys.argv[1]],"
        " capture_output=True, check=True).stdout\n"
        "print(time.perf_counter() - start,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, len(out))\n"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code, str(request)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(answer[0]), float(answer[1]), int(answer[2])


def five_years_of_minutes() -> None:
    import data
    from data.generate_intraday import session_csv
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import load_market_data
    from kinds.runs.run_memory import run_estimate_mb

    bars = FIVE_YEARS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["BARS_CACHE_DIR"] = f"{tmp}/parent"  # this process's copy stays in tmp
        data.register_csv(session_csv(bars, 1), "MINUTES", data_dir=folder)
        body = {**FIVE_YEAR_RUN, "charts": True}
        request = folder / "request.json"
        request.write_text(json.dumps(body))
        run = parse_request(body)
        estimate = run_estimate_mb(run, load_market_data(run, folder))
        base = {
            "PATH": "/usr/bin:/bin",
            "DATA_DIR": tmp,
            "USER_DATA_DIR": f"{tmp}/user",
            "MPLCONFIGDIR": f"{tmp}/mpl",
        }
        print(f"2. five years of one-minute bars ({bars:,}), SMA_CROSS(10, 30), all charts, "
              "python -m consumer --request")  # fmt: skip
        for label, cache in (("CSV parsed (cold)", f"{tmp}/cold"), ("binary copy (warm)", None)):
            env = {**base, "BARS_CACHE_DIR": cache or f"{tmp}/warm"}
            if cache is None:
                _job(request, env)  # writes the binary copy
            else:
                os.makedirs(cache, exist_ok=True)
            seconds, peak, size = _job(request, env)
            if cache is not None:
                for name in os.listdir(cache):  # the next cold run parses again
                    os.remove(os.path.join(cache, name))
            print(f"   {label:20s} {seconds:6.1f} s   peak {peak:5.0f} MB   "
                  f"result {size / 2**20:5.1f} MiB")  # fmt: skip
        print(f"   the submission's estimate {estimate:5.0f} MB (RUN_MAX_MEMORY_MB default 768)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-bars", type=int, default=200_000)
    parser.add_argument("--skip-job", action="store_true", help="part 1 only")
    args = parser.parse_args()
    time_in_process()
    one_long_backtest(args.repeat, args.peer_bars)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   (this process peaked at {peak:.0f} MB)")
    if not args.skip_job:
        five_years_of_minutes()


if __name__ == "__main__":
    main()
