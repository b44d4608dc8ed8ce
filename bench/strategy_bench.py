"""A Python strategy in process (notebook mode, ``backtest_strategy.Backtest``) against
backtesting.py 0.6.6 on the same strategy and data, in one process.

    .venv/bin/python -m bench.strategy_bench [--repeat 7] [--parts abcdefg] [--queue-runs 5]
        [--sweep-repeat 1]

(a) backtesting.py's quick-start ``SmaCross`` (10/20 SMA cross, always in the market,
    commission 0.2 %) on GOOG.csv (2,148 daily bars), written once and built on either
    API. Median wall time of ``--repeat`` runs each, alternating, after one warm-up run of
    each (imports and first calls outside the timing). Goal: ours / backtesting.py <= 1.0.
(b) The same with every bar's state and decisions passed through JSON (``wire=True``), as
    the sandbox's pipe will pass them: what serialising the boundary costs in process.
(c) A bracket strategy (stop-loss and take-profit on every entry, 5/20 SMA cross) on the
    same data: contingent orders worked every bar.
(d) The SmaCross of (a) sandboxed (``kinds.strategies.sandboxed.run_strategy``: the class
    in the sandbox's child against its copy of the book, its decisions replayed through the
    book here, a round trip a page of decisions) against the same run in process: wall and
    CPU (this process's plus the child's), the median of ``--repeat`` runs. The whole run,
    its fixed part (a run on the first 30 bars: spawning and confining the child, importing
    numpy and pandas there, ``init``) and the cost of one bar (the difference over the bars
    between: the child's copy of the book, ``next`` and the replay here).
(e) An expression strategy (EXPR: a 10/20 SMA cross, commission 0.2 %, on ACME
    2014-2024) run in the notebook's process (``kinds.runs.kind.execute_request`` of the
    request, what a notebook in a checkout calls; median of ``--repeat`` after a warm-up)
    against the same request through the queue: ``--queue-runs`` submissions with
    ``cache: false`` to the real web app and local scaler (one consumer Job per run) on
    MariaDB and Redis, submit to SUCCEEDED, one after the other; the first is reported
    apart (a cold web process). The two results' equity and metrics are checked equal.
    Needs the MySQL server of BENCH_DATABASE_URL and the Redis of BENCH_REDIS_URL (its
    database flushed before and after), as ``bench.cache_bench``.
(f) A 500-combination sweep of that SmaCross (``fast`` 5..54 × ``slow`` 60..150 step 10,
    commission 0.2 %) on GOOG: the platform's sweep chunk evaluation in process
    (``kinds.strategies.replayed.run_strategies``, what a chunk's consumer runs: one
    sandbox per chunk, every combination's book here, each point's figures kept without
    pandas frames, as ``kinds.sweeps.python_points``), as two chunks of 250 in two
    processes at once (two consumers on the 2 cores), against backtesting.py's
    ``Backtest.optimize`` over the same grid (its own process pool). Not through the
    queue: no Redis, MySQL or consumer start-up counted. One run each (``--sweep-repeat``
    more). Goal: ours / backtesting.py <= 0.5.
(g) The sweep of (f) through the queue, as a user submits it: one PYTHON sweep request
    (the SmaCross module's source, GOOG's whole window, 10,000 cash, ``fee_rate`` 0.002, the
    same grid; no chunk size, so the server cuts it in two chunks of 250) POSTed to the
    real web app and local scaler (the committed manifests' polling: a chunk waits up to
    its interval, 1 s) on MariaDB and Redis, from POST to the last chunk stored (``completed_at``),
    ``cache: false``; against ``optimize`` timed right after it, ``--sweep-repeat`` rounds,
    the medians. Needs the MySQL server of TEST_DATABASE_URL (else the local one) and the
    Redis of ``bench.sweep_bench``'s parts (c) and (d) (db 11). Goal: ours / backtesting.py
    <= 0.5.

Parts (d) to (g) start processes that import the project: its packages are compiled to
bytecode first, as the image holds them (``bench.peers.compile_like_the_image``), so a
machine that sets PYTHONDONTWRITEBYTECODE does not charge them a compile no Job pays.
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import statistics
import time
import warnings
from collections.abc import Callable

import pandas as pd

from bench.peers import compile_like_the_image, goog_csv


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


STRATEGY_IMPORTS = (
    "import numpy as np\n"
    "import pandas as pd\n"
    "from backtest_strategy import Strategy\n"
    "from backtest_strategy.lib import crossover\n\n\n"
)


def strategy_module(make) -> tuple[str, str]:
    """(the source of a module defining the class that the factory ``make(Strategy,
    crossover)`` builds, that class's name): a strategy as a user sends it to the platform.
    The factory may use ``sma``, ``np`` and ``pd``."""
    from backtest_strategy import Strategy, lib

    name = make(Strategy, lib.crossover).__name__
    source = (
        STRATEGY_IMPORTS
        + inspect.getsource(sma)
        + "\n\n"
        + inspect.getsource(make)
        + f"\n\n{name} = {make.__name__}(Strategy, crossover)\n"
    )
    return source, name


def _costs(run) -> tuple[float, float]:
    """(wall, CPU of this process and its children) seconds of ``run()``."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu, started = time.process_time(), time.perf_counter()
    run()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return wall, time.process_time() - cpu + child


def sandboxed_part(goog: pd.DataFrame, repeat: int) -> None:
    """Part (d): see the module's docstring."""
    import backtest_strategy
    from backtest_strategy import Strategy, lib
    from engine.broker.book import book_costs
    from kinds.strategies.sandboxed import run_strategy

    source, name = strategy_module(sma_cross)
    costs = book_costs(10_000, 0.0, 0.002)
    short = goog.iloc[:30]

    def sandboxed(bars: pd.DataFrame):
        def run():
            outcome = run_strategy(source, name, {}, bars, costs)
            assert outcome.status == "SUCCEEDED", outcome.failure

        return run

    notebook = backtest_strategy.Backtest(
        goog, sma_cross(Strategy, lib.crossover), commission=0.002
    )
    runs = {"in process": notebook.run, "sandboxed": sandboxed(goog), "fixed": sandboxed(short)}
    for run in runs.values():
        run()
    figures: dict[str, list[tuple[float, float]]] = {label: [] for label in runs}
    for _ in range(repeat):
        for label, run in runs.items():
            figures[label].append(_costs(run))
    wall = {label: statistics.median(w for w, _ in got) for label, got in figures.items()}
    cpu = {label: statistics.median(c for _, c in got) for label, got in figures.items()}
    bars = len(goog) - len(short)
    print(
        f"{'(d) SmaCross sandboxed':36s} wall {wall['sandboxed'] * 1000:7.1f} ms "
        f"(cpu {cpu['sandboxed'] * 1000:.1f})   in process {wall['in process'] * 1000:.1f} ms "
        f"(cpu {cpu['in process'] * 1000:.1f})   ratio {wall['sandboxed'] / wall['in process']:.1f}"
    )
    print(
        f"{'    fixed part, per bar':36s} fixed {wall['fixed'] * 1000:7.1f} ms "
        f"(cpu {cpu['fixed'] * 1000:.1f})   per bar "
        f"{(wall['sandboxed'] - wall['fixed']) / bars * 1e6:.0f} us "
        f"(cpu {(cpu['sandboxed'] - cpu['fixed']) / bars * 1e6:.0f}) against "
        f"{wall['in process'] / len(goog) * 1e6:.0f} us in process"
    )


EXPR_REQUEST = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "start_date": "2014-01-01",
    "end_date": "2024-12-31",
    "params": {
        "entry": "crossover(sma(close, 10), sma(close, 20))",
        "exit": "crossunder(sma(close, 10), sma(close, 20))",
    },
    "fee_rate": 0.002,
    "charts": False,
}
"""Part (e)'s request: the quick start's SMA cross written in the expression language."""


def queue_part(repeat: int, queue_runs: int) -> None:
    """Part (e): see the module's docstring."""
    import tempfile
    from pathlib import Path

    import requests
    from redis import Redis

    from bench.job_cost_bench import REDIS_URL, SERVER_URL
    from bench.lifecycle_bench import percentile
    from kinds.runs.contract import parse_request
    from kinds.runs.kind import execute_request
    from tests.databases import scratch_database
    from tests.stack import LocalStack, wait_until
    from work.status import RunStatus

    request = parse_request(EXPR_REQUEST)
    local = execute_request(request)  # warm-up: numba's compiled kernels, the data's parse
    in_process = _median(lambda: execute_request(request), repeat)
    times: list[float] = []
    Redis.from_url(REDIS_URL).flushdb()
    work = Path(tempfile.mkdtemp(prefix="strategy-bench-"))
    try:
        with scratch_database(SERVER_URL, "bench") as database_url:
            stack = LocalStack(database_url, REDIS_URL, work / "stack").start()
            try:
                for _ in range(queue_runs):
                    started = time.perf_counter()
                    run_id = stack.submit({**EXPR_REQUEST, "cache": False}).json()["run_id"]
                    wait_until(
                        lambda run_id=run_id: (
                            stack.status(run_id)["status"]
                            in (RunStatus.SUCCEEDED, RunStatus.FAILED)
                        ),
                        300,
                        interval=0.02,
                    )
                    times.append(time.perf_counter() - started)
                    assert stack.status(run_id)["status"] == RunStatus.SUCCEEDED, run_id
                stored = requests.get(f"{stack.base_url}/runs/{run_id}/result.json", timeout=30)
            finally:
                stack.stop()
    finally:
        Redis.from_url(REDIS_URL).flushdb()
    queued = stored.json()
    assert queued["equity_curve"]["equity"] == local.equity_curve["equity"]
    assert queued["metrics"] == local.metrics
    warm = times[1:] or times
    print(
        f"{'(e) EXPR SMA cross, ACME 11 years':36s} notebook {in_process * 1000:7.1f} ms   "
        f"through the queue p50 {percentile(warm, 0.5) * 1000:.0f} ms "
        f"(first {times[0] * 1000:.0f} ms, n={len(times)})   "
        f"ratio {percentile(warm, 0.5) / in_process:.0f}x   same equity and metrics"
    )


SWEEP_GRID = {"fast": list(range(5, 55)), "slow": list(range(60, 160, 10))}
"""The 500 combinations of part (f)."""


def _sweep_chunk(params: list[dict]) -> int:
    """One chunk of part (f) in this process: the combinations that SUCCEEDED."""
    from adapters.strategy_stats import strategy_figures
    from engine.broker.book import book_costs
    from kinds.strategies.replayed import run_strategies

    goog = pd.read_csv(goog_csv(), index_col=0, parse_dates=True)
    source, name = strategy_module(sma_cross)
    outcomes = run_strategies(
        source, name, params, goog, book_costs(10_000, 0.0, 0.002), seeds=[0] * len(params),
        summarize=strategy_figures,  # what a sweep's points keep (kinds.sweeps.python_points)
    )  # fmt: skip
    return sum(outcome.status == "SUCCEEDED" for outcome in outcomes)


def sweep_part(goog: pd.DataFrame, repeat: int) -> None:
    """Part (f): see the module's docstring."""
    from concurrent.futures import ProcessPoolExecutor

    combos = [{"fast": f, "slow": s} for f in SWEEP_GRID["fast"] for s in SWEEP_GRID["slow"]]
    half = len(combos) // 2
    chunks = [combos[:half], combos[half:]]
    optimize = peer_optimize(goog)
    ours_s, peer_s = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        with ProcessPoolExecutor(2) as pool:
            done = sum(pool.map(_sweep_chunk, chunks))
        ours_s.append(time.perf_counter() - started)
        assert done == len(combos), f"{len(combos) - done} combinations failed"
        started = time.perf_counter()
        optimize()
        peer_s.append(time.perf_counter() - started)
    o, p = statistics.median(ours_s), statistics.median(peer_s)
    print(
        f"{'(f) 500-combo sweep, 2 chunks':36s} ours {o:7.2f} s    backtesting.py {p:7.2f} s    "
        f"ratio {o / p:.2f} (goal <= 0.5; load {os.getloadavg()[0]:.2f})"
    )


def peer_optimize(goog: pd.DataFrame) -> Callable[[], object]:
    """backtesting.py's ``optimize`` of the SmaCross over ``SWEEP_GRID`` on ``goog``, as
    parts (f) and (g) time it (its own process pool)."""
    import backtesting
    import backtesting.lib

    strategy = sma_cross(backtesting.Strategy, backtesting.lib.crossover)
    strategy.__qualname__ = strategy.__name__ = "PeerSmaCross"  # its pool pickles the class:
    globals()["PeerSmaCross"] = strategy  # by name, from this module (forked workers have it)
    peer = backtesting.Backtest(goog, strategy, commission=0.002)
    return lambda: peer.optimize(**SWEEP_GRID, maximize="Equity Final [$]")


SWEEP_REQUEST = {
    "ticker": "GOOG",
    "rule_type": "PYTHON",
    "start_date": "2004-01-01",
    "end_date": "2013-12-31",
    "initial_capital": 10_000,
    "fee_rate": 0.002,
    "grid": SWEEP_GRID,
}
"""Part (g)'s request, but for its ``strategy_code`` and ``strategy_class``."""


def queue_sweep_part(goog: pd.DataFrame, repeat: int) -> None:
    """Part (g): see the module's docstring."""
    from bench.sweep_bench import (
        DEFAULT_REDIS_URL,
        bench_stack,
        goog_data_dir,
        server_url,
        sweep_through,
    )
    from tests.databases import scratch_database

    source, name = strategy_module(sma_cross)
    body = {**SWEEP_REQUEST, "strategy_code": source, "strategy_class": name}
    optimize = peer_optimize(goog)
    ours_s, peer_s = [], []
    with scratch_database(server_url(), "bench") as database_url:
        stack = bench_stack(database_url, DEFAULT_REDIS_URL, goog_data_dir())
        try:
            stack.start()
            for round_no in range(repeat):
                wall = sweep_through(stack.base_url, f"(g) round {round_no + 1}", body)
                assert wall is not None, "the sweep was refused"
                ours_s.append(wall)
                started = time.perf_counter()
                optimize()
                peer_s.append(time.perf_counter() - started)
        finally:
            stack.stop()
    o, p = statistics.median(ours_s), statistics.median(peer_s)
    print(
        f"{'(g) 500-combo sweep, the queue':36s} ours {o:7.2f} s    backtesting.py {p:7.2f} s    "
        f"ratio {o / p:.2f} (goal <= 0.5; POST to last chunk stored, n={repeat}; "
        f"load {os.getloadavg()[0]:.2f})"
    )


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
    parser.add_argument("--parts", default="abcdefg", help="which parts to run (default all)")
    parser.add_argument("--queue-runs", type=int, default=5, help="part (e)'s submissions")
    parser.add_argument("--sweep-repeat", type=int, default=1, help="parts (f)'s and (g)'s runs")
    args = parser.parse_args()
    repeat, parts = args.repeat, args.parts
    warnings.simplefilter("ignore")
    os.environ.setdefault("TQDM_DISABLE", "1")
    import backtesting
    import backtesting.lib

    import backtest_strategy
    from backtest_strategy import lib

    if set(parts) & set("defg"):  # the parts whose processes import the project
        compile_like_the_image()
    goog = pd.read_csv(goog_csv(), index_col=0, parse_dates=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, GOOG {len(goog)} bars")
    cases = {
        "(a) SmaCross": (sma_cross, {}),
        "(b) SmaCross, state through JSON": (sma_cross, {"wire": True}),
        "(c) brackets": (brackets, {}),
    }
    for label, (make, ours_only) in cases.items():
        if label[1] not in parts:
            continue
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
    if "d" in parts:
        sandboxed_part(goog, repeat)
    if "e" in parts:
        queue_part(repeat, args.queue_runs)
    if "f" in parts:
        sweep_part(goog, args.sweep_repeat)
    if "g" in parts:
        queue_sweep_part(goog, args.sweep_repeat)


if __name__ == "__main__":
    main()
