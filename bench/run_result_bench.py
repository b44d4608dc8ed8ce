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
timed). Both warmed up as a process running many runs is: vectorbt by one run (its numba
kernels compiled and loaded), ours by runs repeated until it has loaded its kernels (a
single run's fill walk stays in Python until the process's walks have cost a load:
``engine.compiled.worth_loading``; the median of those runs is printed too, the cost of a
run in a process that has not loaded them, a one-run Job's). Then ``--repeat`` rounds, each
one run of ours then one of vectorbt's (the child waits for its turn), so both are measured
under the same load on a shared machine; the median CPU seconds of each. Goal: ours /
vectorbt <= 0.25. RUN_MAX_MEMORY_MB is raised for the 1 M-bar run: this measures the cost,
not the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.peers import PROJECT_ROOT, time_in_process, vectorbt_python

GOAL = 0.25
WARM_RUNS = 40
"""At most this many runs warm our process up after the first: until it has loaded its
kernels, as a process running many runs does once its Python walks have cost a load."""
RULE = {"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 30}}

VECTORBT_CHILD = """
import json, statistics, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
import vectorbt as vbt
folder = sys.argv[1]
index = pd.DatetimeIndex(np.load(folder + "/timestamps.npy"))
close = pd.Series(np.load(folder + "/close.npy"), index=index)
entries = pd.Series(np.load(folder + "/entries.npy"), index=index)
exits = pd.Series(np.load(folder + "/exits.npy"), index=index)

def run():
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=100_000, fees=0.001,
                                    freq="1min")
    return pf.stats()

stats = run()
print(json.dumps({"version": vbt.__version__, "trades": int(stats["Total Trades"])}), flush=True)
for _ in sys.stdin:  # one timed run a line, when the parent's turn is over
    started = time.process_time()
    run()
    print(json.dumps({"cpu_s": time.process_time() - started}), flush=True)
"""


class Peer:
    """The vectorbt child over one data folder: warmed up on start, one timed run per
    ``cpu_s()``; None of it when no interpreter has vectorbt."""

    def __init__(self, python: str, folder: str) -> None:
        self.process = subprocess.Popen(
            [python, "-c", VECTORBT_CHILD, folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=PROJECT_ROOT,
            text=True,
        )
        self.about = self._answer()

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the vectorbt child exited {self.process.wait()}")
        return json.loads(line)

    def cpu_s(self) -> float:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return self._answer()["cpu_s"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def ours(bars: int, folder: Path, repeat: int, python: str | None) -> dict:
    """Median CPU seconds of a whole run and its JSON, the engine's share, and, when
    ``python`` has vectorbt, the peer's median CPU over the same rounds (on the closes and
    signals saved for it)."""
    import data
    import kinds.runs.execute as execute_module
    from data.generate_intraday import session_csv
    from engine import compiled
    from kinds.runs.contract import parse_request
    from kinds.runs.serialize import to_json

    data.register_csv(session_csv(bars, 1), "MINUTES", data_dir=folder)
    body = {"ticker": "MINUTES", "timeframe": "1m", "charts": False, **RULE}
    request = parse_request({**body, "start_date": "2015-01-02", "end_date": "2100-01-01"})
    market = execute_module.load_market_data(request, folder)
    frame = execute_module.market_window(market)
    entries, exits = execute_module.signals_in_window(frame, request.rule_type, [request.params])
    np.save(folder / "timestamps.npy", frame.bars.timestamps)
    np.save(folder / "close.npy", frame.bars.close)
    np.save(folder / "entries.npy", entries[0])
    np.save(folder / "exits.npy", exits[0])
    peer = None if python is None else Peer(python, str(folder))
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
        size = len(to_json(execute_module.execute(request, folder)))  # warm: binary copy
        cold = []  # runs before the process loads its kernels (engine.compiled.worth_loading)
        while not compiled.loaded() and len(cold) < WARM_RUNS:
            started = time.process_time()
            to_json(execute_module.execute(request, folder))
            cold.append(time.process_time() - started)
        engine_cpu.clear()
        times, writing, theirs = [], [], []
        for _ in range(repeat):
            started = time.process_time()
            result = execute_module.execute(request, folder)
            written = time.process_time()
            to_json(result)
            times.append(time.process_time() - started)
            writing.append(time.process_time() - written)
            if peer is not None:
                theirs.append(peer.cpu_s())
    finally:
        execute_module.run_engine = engine_run
        if peer is not None:
            peer.close()
    cpu = statistics.median(times)
    return {
        "cpu_s": cpu,
        "engine_share": statistics.median(engine_cpu) / cpu,
        "json_share": statistics.median(writing) / cpu,
        "trades": len(result.trades),
        "cold": cold,
        "mib": size / 2**20,
        "peer": None if peer is None else {**peer.about, "cpu_s": statistics.median(theirs)},
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
        f"stats(), SMA_CROSS(10, 30) on one-minute bars, median CPU of {args.repeat} "
        "interleaved rounds"
    )
    for bars in args.bars:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            os.environ["BARS_CACHE_DIR"] = f"{tmp}/cache"
            mine = ours(bars, folder, args.repeat, python)
            line = (
                f"  {bars:>9,} bars  ours {mine['cpu_s'] * 1000:7.0f} ms CPU "
                f"(engine {mine['engine_share']:4.0%}, JSON {mine['json_share']:4.0%}, "
                f"{mine['trades']:,} trades, "
                f"result {mine['mib']:4.1f} MiB)"
            )
            cold = mine["cold"]
            peer = mine["peer"]
            if peer is None:
                print(f"{line}   vectorbt: UNAVAILABLE (install requirements-bench.txt)")
                continue
            print(
                f"{line}   vectorbt {peer['version']} {peer['cpu_s'] * 1000:7.0f} ms CPU "
                f"({peer['trades']:,} trades)   ratio {mine['cpu_s'] / peer['cpu_s']:5.2f} "
                f"(goal <= {GOAL})"
            )
            if cold:
                print(
                    f"             before its kernels loaded ({len(cold)} runs) "
                    f"{statistics.median(cold) * 1000:7.0f} ms CPU   ratio "
                    f"{statistics.median(cold) / peer['cpu_s']:5.2f}"
                )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
