"""A whole in-process run against vectorbt's, CPU time, in one run.

    .venv/bin/python -m bench.run_result_bench [--repeat 5] [--bars 100000 1000000]

For each bar count: synthetic one-minute bars (``data.generate_intraday.session_csv``) in a
temporary data folder, and one run of SMA_CROSS(10, 30) over all of them, charts off, as a
consumer Job computes it: ``kinds.runs.execute.execute`` (the data read from its binary
copy, the signals, the engine, the result's curves, trades, markers and statistics) and the
result's JSON (``kinds.runs.serialize.to_json``). The shares spent in the engine
(``engine.run``) and in writing the JSON are printed beside it. Peer: vectorbt's
``Portfolio.from_signals`` on the same closes and signals plus ``stats()``, in a child of
the interpreter that has vectorbt (``bench.peers.vectorbt_python``), its signals given (not
timed). Median CPU seconds of
``--repeat`` after one warm-up each (numba compiled and loaded). Goal: ours / vectorbt <= 0.25.
RUN_MAX_MEMORY_MB is raised for the 1 M-bar run: this measures the cost, not the limit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.peers import measured, time_in_process, vectorbt_python

GOAL = 0.25
RULE = {"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 30}}

VECTORBT_CHILD = """
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
import vectorbt as vbt
folder, repeat = sys.argv[1], int(sys.argv[2])
index = pd.DatetimeIndex(np.load(folder + "/timestamps.npy"))
close = pd.Series(np.load(folder + "/close.npy"), index=index)
entries = pd.Series(np.load(folder + "/entries.npy"), index=index)
exits = pd.Series(np.load(folder + "/exits.npy"), index=index)

def run():
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=100_000, fees=0.001,
                                    freq="1min")
    return pf.stats()

run()
times = []
for _ in range(repeat):
    started = time.process_time()
    stats = run()
    times.append(time.process_time() - started)
print(json.dumps({"cpu_s": statistics.median(times), "version": vbt.__version__,
                  "trades": int(stats["Total Trades"])}))
"""


def ours(bars: int, folder: Path, repeat: int) -> dict:
    """Median CPU seconds of a whole run and its JSON, the engine's share, and the signals
    and closes saved for the peer."""
    import data
    import kinds.runs.execute as execute_module
    from data.generate_intraday import session_csv
    from kinds.runs.contract import parse_request
    from kinds.runs.serialize import to_json

    data.register_csv(session_csv(bars, 1), "MINUTES", data_dir=folder)
    body = {"ticker": "MINUTES", "timeframe": "1m", "charts": False, **RULE}
    request = parse_request({**body, "start_date": "2015-01-02", "end_date": "2100-01-01"})
    engine_cpu: list[float] = []
    engine_run = execute_module.run_engine

    def timed_engine(*args, **kwargs):
        started = time.process_time()
        try:
            return engine_run(*args, **kwargs)
        finally:
            engine_cpu.append(time.process_time() - started)

    execute_module.run_engine = timed_engine
    try:
        size = len(to_json(execute_module.execute(request, folder)))  # warm: binary copy, numba
        engine_cpu.clear()
        times, writing = [], []
        for _ in range(repeat):
            started = time.process_time()
            result = execute_module.execute(request, folder)
            written = time.process_time()
            to_json(result)
            times.append(time.process_time() - started)
            writing.append(time.process_time() - written)
    finally:
        execute_module.run_engine = engine_run
    market = execute_module.load_market_data(request, folder)
    frame = execute_module.market_window(market)
    entries, exits = execute_module.signals_in_window(frame, request.rule_type, [request.params])
    np.save(folder / "timestamps.npy", frame.bars.timestamps)
    np.save(folder / "close.npy", frame.bars.close)
    np.save(folder / "entries.npy", entries[0])
    np.save(folder / "exits.npy", exits[0])
    cpu = statistics.median(times)
    return {
        "cpu_s": cpu,
        "engine_share": statistics.median(engine_cpu) / cpu,
        "json_share": statistics.median(writing) / cpu,
        "trades": len(result.trades),
        "mib": size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bars", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    time_in_process()
    os.environ["RUN_MAX_MEMORY_MB"] = "8192"
    python = vectorbt_python()
    print(
        "a whole in-process run (execute + to_json, charts off) vs vectorbt from_signals + "
        f"stats(), SMA_CROSS(10, 30) on one-minute bars, median CPU of {args.repeat}"
    )
    for bars in args.bars:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            os.environ["BARS_CACHE_DIR"] = f"{tmp}/cache"
            mine = ours(bars, folder, args.repeat)
            line = (
                f"  {bars:>9,} bars  ours {mine['cpu_s'] * 1000:7.0f} ms CPU "
                f"(engine {mine['engine_share']:4.0%}, JSON {mine['json_share']:4.0%}, "
                f"{mine['trades']:,} trades, "
                f"result {mine['mib']:4.1f} MiB)"
            )
            if python is None:
                print(f"{line}   vectorbt: UNAVAILABLE (install requirements-bench.txt)")
                continue
            peer, _ = measured([python, "-c", VECTORBT_CHILD, tmp, str(args.repeat)])
            print(
                f"{line}   vectorbt {peer['version']} {peer['cpu_s'] * 1000:7.0f} ms CPU "
                f"({peer['trades']:,} trades)   ratio {mine['cpu_s'] / peer['cpu_s']:5.2f} "
                f"(goal <= {GOAL})"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
