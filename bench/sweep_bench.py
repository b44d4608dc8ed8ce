"""Parameter-sweep speed and memory, with the peers measured in the same run (GOOG.csv).

    .venv/bin/python -m bench.sweep_bench [--skip-queue] [--repeat 3]

(a) 10,000 SMA_CROSS combos (fast 2..101 × slow 110..308 step 2, all fast < slow) on
    backtesting.py's GOOG.csv, long-only, all-in, fee 0.001, inside one process: ours
    (``kinds.sweeps.evaluate.evaluate``; signals + engine, and with the equity-curve metrics a
    chunk stores) versus vectorbt's ``Portfolio.from_signals`` on the same MA windows
    (``init_cash`` 100,000, ``fees`` 0.001, all-in; total return, Sharpe, max drawdown and
    trade count read out). Each side runs in its own fresh process: wall time of the work
    after imports (best of ``--repeat``) and the process's peak RSS. vectorbt runs from
    ``.venv-bench`` (``requirements-bench.txt``) or VECTORBT_PYTHON; the bench says so
    when it is unavailable. Its numba functions are compiled by a warm-up call first; ours
    are compiled into numba's cache first (``engine.compiled.warm``, as the image does),
    and GOOG.csv is found without importing backtesting.py (whose pandas and bokeh would
    count in our peak RSS).
(b) 100 combos (fast 5..50 step 5 × slow 60..150 step 10) versus backtesting.py's
    ``Backtest.optimize`` over the same grid (its default: all combos, best by SQN).
(c) The same 10,000 combos end to end through the queue: ``tests.stack.LocalStack`` (web +
    local scaler with the committed manifest's pollingInterval) on MariaDB
    (TEST_DATABASE_URL, default mysql+pymysql://root@127.0.0.1:3306/test; a fresh database)
    and Redis (db 11, or ``--redis-url``): from POST /api/sweeps to the last chunk stored, and
    the chunks' own timings (process start-up, compute, database writes), for chunks of 500,
    the default (1,000) and 2,000 combos.
(d) 100,000 RSI combos (period 5..54 × oversold 10..49 × overbought 50..99, the API's
    maximum) the same way, with the chunk size the web picks (``--only-100k`` runs this alone),
    twice in one run: without the overfitting statistics (``cscv_blocks`` 0) and with them
    (the default, 16 blocks: chunks store their block sums, the last chunk computes PBO, DSR
    and stability), POST → seen finished (without) or → statistics stored (with), and the
    database bytes the statistics add per combination.
(e) 100,000 SMA_CROSS combos (fast 2.. × slow 101..600, fast < slow, the first 100,000) on
    ACME's ten years 2014-2024 (2,516 bars), all-in, fee 0.001, in one process each, as bar-
    updates per second (combos × bars / wall time of the work after imports, best of
    ``--repeat``) and per CPU-second of the process (steadier on a shared machine: wall
    time there is the CPU-s over the cores the process got): ours (``evaluate``: the SMA
    lines, the engine's compiled one pass and every stored metric), ours on the numpy path
    (N × T arrays; its first 10,000 combos), and a single-pass reference kernel written for
    the bench (``bench.sweep_kernel_ref``: one compiled loop per combination with running
    sums; its compilation not counted).
    ``--only-sma-100k`` runs this alone.
(f) A metric defined by a function: (a)'s 10,000 combos through ``evaluate`` without and
    with a registered metric (``bench.sweep_bench:final_over_first``, each curve's final
    over its first equity), alternating in one process with the kernels loaded, CPU
    seconds of the work (best of ``--repeat``): the compiled one pass keeps each block's
    curves for the function. ``--only-function-metric`` runs this alone.
Targets: (a) ours <= 0.65 s and < 1 GB; (c) < 15 s; (d) <= 20 s, with statistics <= 1.1×;
(e) ours >= 200 M bar-updates/s; (f) with / without <= 1.2 (CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from bench.peers import goog_csv, measured, vectorbt_python
from kinds.sweeps.status import SWEEP_FINISHED

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FAST = list(range(2, 102))
SLOW = list(range(110, 310, 2))
SMALL_FAST = list(range(5, 55, 5))
SMALL_SLOW = list(range(60, 160, 10))


def goog_data_dir() -> Path:
    """A DATA_DIR holding GOOG.csv, registered unchanged."""
    import data

    folder = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
    data.register_csv(
        goog_csv().read_bytes(), "GOOG", name="Alphabet (backtesting.py)", data_dir=folder
    )
    return folder


def request_body(fast: list[int], slow: list[int], **extra) -> dict:
    return {
        "ticker": "GOOG",
        "rule_type": "SMA_CROSS",
        "grid": {"fast": fast, "slow": slow},
        "start_date": "2004-01-01",
        "end_date": "2014-01-01",
        "size_type": "percent",
        "position_size": 100,
        "fee_rate": 0.001,
        **extra,
    }


# -- children: each measured side runs in a fresh process -------------------------------


def child_ours(repeat: int) -> dict:
    """Our 10,000 combos in this process: core metrics only, and every stored metric."""
    from engine import run_batch
    from kinds.runs.execute import load_market_data, market_window, signals_in_window
    from kinds.sweeps.contract import parse_sweep_request
    from kinds.sweeps.evaluate import BLOCK_ROWS, evaluate

    folder = goog_data_dir()
    sweep = parse_sweep_request(request_body(FAST, SLOW))
    params_list = [sweep.grid.params(sweep.params, combo) for combo in sweep.grid.combos]
    request = sweep.base
    trading = request.trading_params()
    core, full = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        frame = market_window(load_market_data(request, folder))
        cache: dict = {}
        for first in range(0, len(params_list), BLOCK_ROWS):
            entries, exits = signals_in_window(
                frame, "SMA_CROSS", params_list[first : first + BLOCK_ROWS], cache
            )
            run_batch(frame.bars, entries, exits, trading)
        core.append(time.perf_counter() - started)
        started = time.perf_counter()
        frame = market_window(load_market_data(request, folder))
        metrics = evaluate(frame, request, params_list)
        full.append(time.perf_counter() - started)
    best = int(metrics["sharpe_ratio"].argmax())
    return {
        "combos": len(params_list),
        "core_s": min(core),
        "full_s": min(full),
        "best": {**params_list[best], "sharpe": float(metrics["sharpe_ratio"][best])},
    }


SMA_100K_BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": [10], "slow": [50]},
    "start_date": "2014-01-01",
    "end_date": "2024-01-01",
    "size_type": "percent",
    "position_size": 100,
    "fee_rate": 0.001,
}


def sma_100k() -> tuple:
    """(request, frame, the 100,000 parameter sets) of part (e)."""
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.contract import parse_sweep_request

    sweep = parse_sweep_request(SMA_100K_BODY)
    base = sweep.grid.params(sweep.params, sweep.grid.combos[0])
    pairs = ((f, s) for f in range(2, 400) for s in range(101, 601) if f < s)
    params = [{**base, "fast": f, "slow": s} for f, s in pairs][:100_000]
    return sweep.base, market_window(load_market_data(sweep.base)), params


def child_sma_100k(repeat: int, side: str) -> dict:
    """Part (e) in this process: ``side`` "ours", "numpy" (the first 10,000 combos on the
    numpy path) or "reference" (``bench.sweep_kernel_ref``)."""
    import numpy as np

    from engine import compiled
    from kinds.sweeps.evaluate import evaluate

    request, frame, params = sma_100k()
    if side == "numpy":
        compiled.pays = lambda work, threshold: False
        params = params[:10_000]
    times = []
    if side == "reference":
        from bench import sweep_kernel_ref
        from rules.indicators import sma

        history, window = frame.signal_history()
        windows = sorted({p["fast"] for p in params} | {p["slow"] for p in params})
        lines = np.vstack([sma(history.close, w) for w in windows])
        row = {w: i for i, w in enumerate(windows)}
        fast = np.array([row[p["fast"]] for p in params])
        slow = np.array([row[p["slow"]] for p in params])
        bars = frame.bars
        days = (bars.timestamps - bars.timestamps[0]) / np.timedelta64(1, "D")
        arguments = (lines, fast, slow, window.start, bars.open, bars.close, days, 100_000.0, 0.001)
        sweep_kernel_ref.sweep(lines, fast[:2], slow[:2], *arguments[3:])  # compile
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            out = sweep_kernel_ref.sweep(*arguments)
            times.append((time.perf_counter() - started, time.process_time() - cpu))
        sample = evaluate(frame, request, params[:2_000])["sharpe_ratio"]
        theirs = out[:2_000, 1] * np.sqrt(252.0)
        both = np.isfinite(sample) & np.isfinite(theirs)
        gap = float(np.max(np.abs(sample[both] - theirs[both]), initial=0.0))
        wall, cpu = min(times)
        return {
            "combos": len(params),
            "bars": len(bars),
            "s": wall,
            "cpu_s": cpu,
            "sharpe_gap": gap,
        }
    if side == "ours":
        compiled.kernels()  # numba imported and the cached kernels loaded: not timed
    evaluate(frame, request, params[:500])
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        evaluate(frame, request, params)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    wall, cpu = min(times)
    return {"combos": len(params), "bars": len(frame.bars), "s": wall, "cpu_s": cpu}


def final_over_first(curves):
    """(f)'s registered metric: each curve's final equity over its first."""
    return curves.equity[:, -1] / curves.equity[:, 0]


def child_function_metric(repeat: int) -> dict:
    """Part (f) in this process: CPU-s of (a)'s sweep without and with a registered metric."""
    from engine import compiled
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.contract import parse_sweep_request
    from kinds.sweeps.evaluate import evaluate
    from metrics import MetricDef, register, unregister

    folder = goog_data_dir()
    sweep = parse_sweep_request(request_body(FAST, SLOW))
    params_list = [sweep.grid.params(sweep.params, combo) for combo in sweep.grid.combos]
    frame = market_window(load_market_data(sweep.base, folder))
    metric = MetricDef(
        "bench_final_over_first", "Final/first", function="bench.sweep_bench:final_over_first"
    )
    compiled.kernels()  # numba imported and the cached kernels loaded: not timed
    cpu: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(repeat + 1):  # the first round warms the caches
        for side in cpu:
            if side == "with":
                register(metric)
            try:
                started = time.process_time()
                out = evaluate(frame, sweep.base, params_list)
                cpu[side].append(time.process_time() - started)
            finally:
                unregister(metric.key)
    assert metric.key in out
    return {
        "combos": len(params_list),
        "bars": len(frame.bars),
        **{side: min(times[1:]) for side, times in cpu.items()},
    }


def part_f(repeat: int) -> None:
    print("(f) a metric defined by a function: (a)'s 10,000 combos without and with it")
    warm_kernels()
    child = [sys.executable, "-m", "bench.sweep_bench", "--repeat", str(repeat), "--child"]
    out, _ = measured([*child, "function-metric"])
    print(f"  without a registered metric              {out['without']:7.3f} CPU-s")
    print(f"  with one (final / first equity)          {out['with']:7.3f} CPU-s")
    print(f"  ratio with/without {out['with'] / out['without']:.2f} (goal <= 1.2)")


def part_e(repeat: int) -> None:
    print("(e) 100,000 SMA_CROSS combos on ACME 2014-2024, one process each (bar-updates/s)")
    warm_kernels()
    child = [sys.executable, "-m", "bench.sweep_bench", "--repeat", str(repeat), "--child"]
    figures, per_cpu_figures = {}, {}
    for side, label in (
        ("ours", "ours (compiled one pass + stored metrics)"),
        ("numpy", "ours on the numpy path (10,000 combos)"),
        ("reference", "single-pass reference kernel (bench)"),
    ):
        out, mb = measured([*child, f"sma-{side}"])
        updates = out["combos"] * out["bars"] / 1e6
        rate, per_cpu = updates / out["s"], updates / out["cpu_s"]
        figures[side] = rate
        print(
            f"  {label:44s} {out['s']:7.3f} s {rate:5.0f} M/s   {out['cpu_s']:6.2f} CPU-s"
            f" {per_cpu:5.0f} M/CPU-s   peak RSS {mb:4.0f} MB   ({out['combos']:,} combos)"
        )
        per_cpu_figures[side] = per_cpu
        if side == "reference":
            print(
                f"  largest |Sharpe| gap, ours vs reference (2,000 combos): {out['sharpe_gap']:.2e}"
            )
    print(
        f"  ratio ours/reference {figures['ours'] / figures['reference']:.2f} "
        f"({per_cpu_figures['ours'] / per_cpu_figures['reference']:.2f} per CPU-s); ours/numpy "
        f"path {per_cpu_figures['ours'] / per_cpu_figures['numpy']:.1f}× per CPU-s "
        "(goal >= 200 M/s)"
    )


VECTORBT_CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
import vectorbt as vbt
goog, repeat = sys.argv[1], int(sys.argv[4])
fast, slow = json.loads(sys.argv[2]), json.loads(sys.argv[3])
close = pd.read_csv(goog, index_col=0, parse_dates=True)["Close"]

def sweep(fw, sw):
    fast_ma = vbt.MA.run(close, window=np.repeat(fw, len(sw)).tolist(), short_name="fast")
    slow_ma = vbt.MA.run(close, window=np.tile(sw, len(fw)).tolist(), short_name="slow")
    entries = fast_ma.ma_crossed_above(slow_ma)
    exits = fast_ma.ma_crossed_below(slow_ma)
    pf = vbt.Portfolio.from_signals(close, entries, exits, init_cash=100_000, fees=0.001, freq="1D")
    return pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown(), pf.trades.count()

warm = time.perf_counter(); sweep(fast[:2], slow[:1]); warm = time.perf_counter() - warm
times = []
for _ in range(repeat):
    started = time.perf_counter()
    total_return, sharpe, drawdown, trades = sweep(fast, slow)
    times.append(time.perf_counter() - started)
best = sharpe.idxmax()
print(json.dumps({"combos": int(len(sharpe)), "s": min(times), "warmup_s": warm,
                  "version": vbt.__version__, "best": [int(v) for v in best],
                  "best_sharpe": float(sharpe.max())}))
"""


def warm_kernels() -> None:
    """Compile the engine's kernels into numba's cache first, as the image does at build time
    (``engine.compiled.warm``): the child then measures what a Job pays, not a first-ever
    compilation (which, on a fresh clone, adds ~80 MB to the peak RSS and ~20 s)."""
    import subprocess

    warm = "from engine.compiled import warm; warm()"
    subprocess.run([sys.executable, "-c", warm], cwd=PROJECT_ROOT, check=True)


def part_a(repeat: int) -> None:
    print("(a) 10,000 SMA_CROSS combos on GOOG (2,148 bars), one process each")
    warm_kernels()
    ours, ours_mb = measured(
        [sys.executable, "-m", "bench.sweep_bench", "--child", "ours", "--repeat", str(repeat)]
    )
    print(f"  ours, signals + engine (core metrics)      {ours['core_s']:7.3f} s")
    print(
        f"  ours, + equity-curve metrics (as stored)   {ours['full_s']:7.3f} s   "
        f"peak RSS {ours_mb:6.0f} MB   ({ours['combos']:,} combos)"
    )
    python = vectorbt_python()
    if python is None:
        print("  vectorbt: UNAVAILABLE (install requirements-bench.txt into .venv-bench)")
        return
    command = [
        python,
        "-c",
        VECTORBT_CHILD,
        str(goog_csv()),
        json.dumps(FAST),
        json.dumps(SLOW),
        str(repeat),
    ]
    peer, peer_mb = measured(command)
    print(
        f"  vectorbt {peer['version']} from_signals + 4 stats  {peer['s']:7.3f} s   "
        f"peak RSS {peer_mb:6.0f} MB   (numba warm-up {peer['warmup_s']:.1f} s not counted)"
    )
    print(
        f"  ratio ours/vectorbt: core {ours['core_s'] / peer['s']:.3f}, "
        f"stored metrics {ours['full_s'] / peer['s']:.3f}; memory {ours_mb / peer_mb:.2f}"
    )
    print(
        f"  best Sharpe: ours fast/slow {ours['best']['fast']}/{ours['best']['slow']}, "
        f"vectorbt {peer['best'][0]}/{peer['best'][1]} (its fractional shares differ)"
    )


def part_b() -> None:
    import warnings
    from multiprocessing.dummy import Pool as ThreadPool

    import backtesting
    import pandas as pd
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    import kinds.runs.request_model  # noqa: F401

    # Validation's modules (pydantic) are imported on first use; import them before the clock
    # starts, as every module on both sides is (building the rule's model stays timed).
    import rules.params_model  # noqa: F401
    from kinds.runs.execute import load_market_data, market_window
    from kinds.sweeps.contract import parse_sweep_request
    from kinds.sweeps.evaluate import evaluate

    print("(b) 100 combos (fast 5..50 × slow 60..150) against backtesting.py optimize")
    folder = goog_data_dir()
    started = time.perf_counter()
    sweep = parse_sweep_request(request_body(SMALL_FAST, SMALL_SLOW))
    params_list = [sweep.grid.params(sweep.params, combo) for combo in sweep.grid.combos]
    evaluate(market_window(load_market_data(sweep.base, folder)), sweep.base, params_list)
    ours = time.perf_counter() - started

    df = pd.read_csv(goog_csv(), index_col=0, parse_dates=True)

    class SmaCross(Strategy):
        fast = 10
        slow = 20

        def init(self):
            close = pd.Series(self.data.Close)
            self.a = self.I(lambda: close.rolling(self.fast).mean().to_numpy())
            self.b = self.I(lambda: close.rolling(self.slow).mean().to_numpy())

        def next(self):
            if crossover(self.a, self.b) and not self.position:
                self.buy()
            elif crossover(self.b, self.a) and self.position:
                self.position.close()

    # backtesting.py's own hook: a thread pool, so its optimize runs in one process as ours
    # does (its default forks processes, which cannot pickle a strategy defined here).
    backtesting.Pool = lambda processes=None, initializer=None, initargs=(): ThreadPool(
        processes, initializer, initargs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        Backtest(df, SmaCross, cash=100_000, commission=0.001).optimize(
            fast=SMALL_FAST, slow=SMALL_SLOW, constraint=lambda p: p.fast < p.slow
        )
        peer = time.perf_counter() - started
    print(
        f"  ours {ours * 1000:8.1f} ms   backtesting.py optimize {peer * 1000:8.1f} ms   "
        f"ratio {ours / peer:.4f}"
    )


def rsi_100k_body() -> dict:
    """The API's largest sweep: RSI period 5..54 × oversold 10..49 × overbought 50..99."""
    return {
        "ticker": "GOOG",
        "rule_type": "RSI",
        "grid": {
            "period": list(range(5, 55)),
            "oversold": list(range(10, 50)),
            "overbought": list(range(50, 100)),
        },
        "start_date": "2004-01-01",
        "end_date": "2014-01-01",
        "size_type": "percent",
        "position_size": 100,
        "fee_rate": 0.001,
    }


DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"
"""The Redis of (c) and (d)'s stack unless ``--redis-url`` names another."""


def server_url() -> str:
    """The MariaDB server the queue parts use: TEST_DATABASE_URL, else the local one."""
    return os.environ.get("TEST_DATABASE_URL") or "mysql+pymysql://root@127.0.0.1:3306/test"


def bench_stack(database_url: str, redis_url: str, data_dir: Path, **env: str):
    """A ``tests.stack.LocalStack`` (web + local scaler with the committed manifest's
    polling) on ``database_url`` and ``redis_url`` serving ``data_dir``, ``env`` on top."""
    from tests.stack import LocalStack

    return LocalStack(
        database_url,
        redis_url,
        Path(tempfile.mkdtemp(prefix="sweep-stack-")),
        polling_interval=None,
        extra_env={"DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING", **env},
    )


def through_the_queue(
    title: str, cases: list[tuple], redis_url: str = DEFAULT_REDIS_URL
) -> list[float | None]:
    """POST each sweep to one stack (web + local scaler with the committed manifest's
    polling, MariaDB, Redis at ``redis_url``) and print POST → last chunk stored, with the
    chunks' timings. A case is ``(label, body)`` or ``(label, body, runner)``:
    ``runner(base_url, label, body)`` submits and waits (default ``sweep_through``); the
    walls, in case order."""
    from tests.databases import scratch_database

    print(title)
    with scratch_database(server_url(), "bench") as database_url:
        stack = bench_stack(database_url, redis_url, goog_data_dir())
        walls = []
        try:
            stack.start()
            for label, body, *run in cases:
                walls.append((run[0] if run else sweep_through)(stack.base_url, label, body))
        finally:
            stack.stop()
    return walls


def finished_status(url: str, finished, timeout: float) -> dict:
    """Poll ``url`` (a status document) until its status is in ``finished``; that document."""
    import requests

    from tests.stack import wait_until

    return wait_until(
        lambda: (s := requests.get(url, timeout=30).json())["status"] in finished and s,
        timeout,
        0.1,
        what=url,
    )


class Through(NamedTuple):
    """A finished POST: its 202 answer, its last status, the wall from POST to the status's
    end stamp, and how long polling took to see it (s)."""

    accepted: dict
    status: dict
    wall: float
    seen: float


def post_and_wait(
    base_url: str,
    path: str,
    label: str,
    body: dict,
    finished: Collection[str],
    timeout: float,
    end: str,
) -> Through | None:
    """POST ``body`` to ``path`` and poll its status URL until one of ``finished``:
    ``Through`` with the wall up to the status field ``end``, or None after printing the
    refusal."""
    import requests

    posted = datetime.now(UTC)
    started = time.perf_counter()
    response = requests.post(f"{base_url}{path}", json=body, timeout=120)
    accepted = response.json()
    if response.status_code != 202:
        print(f"  {label}: refused {response.status_code} {accepted}")
        return None
    status = finished_status(f"{base_url}{accepted['status_url']}", finished, timeout)
    seen = time.perf_counter() - started
    wall = (datetime.fromisoformat(status[end]) - posted).total_seconds()
    return Through(accepted, status, wall, seen)


def sweep_through(base_url: str, label: str, body: dict) -> float | None:
    """POST one sweep to the stack at ``base_url`` (``cache: false``: its chunks run even if
    an identical sweep finished before); print, once it has finished, POST → last chunk
    stored and where the chunks' time went; that wall (None if refused)."""
    body = {**body, "cache": False}
    through = post_and_wait(
        base_url, "/api/sweeps", label, body, SWEEP_FINISHED, 900, "completed_at"
    )
    if through is None:
        return None
    accepted, status, wall, seen = through
    t = status["timings"]
    if t["errors"]:
        print(f"    chunk errors: {'; '.join(t['errors'])}")
    work = t["startup_ms"] + t["compute_ms"] + t["write_ms"]
    print(
        f"  {label}: chunks of {status['chunk_size']}, {accepted['chunks']} chunks, "
        f"{status['status']}, POST → last chunk stored {wall:5.2f} s "
        f"(seen by polling {seen:.2f} s)"
    )
    print(
        f"    summed over chunks: start-up {t['startup_ms'] / 1000:6.2f} s "
        f"({t['startup_ms'] / work:4.0%}), compute {t['compute_ms'] / 1000:6.2f} s "
        f"({t['compute_ms'] / work:4.0%}), writes {t['write_ms'] / 1000:6.2f} s "
        f"({t['write_ms'] / work:4.0%})"
    )
    return wall


def part_c(redis_url: str = DEFAULT_REDIS_URL) -> None:
    cases = [
        (f"10,000 SMA_CROSS, chunk_size {size or 'default'}", request_body(FAST, SLOW, **extra))
        for size, extra in ((500, {"chunk_size": 500}), (None, {}), (2000, {"chunk_size": 2000}))
    ]
    through_the_queue(
        "(c) 10,000 combos end to end: web + local scaler (manifest polling) + MariaDB + Redis",
        cases,
        redis_url,
    )


def with_statistics(base_url: str, label: str, body: dict) -> float | None:
    """``sweep_through``, then wait for the overfitting statistics the last chunk stores;
    POST → statistics stored as seen by polling, and the bytes they add per combination."""
    import requests

    from tests.stack import wait_until

    started = time.perf_counter()
    if sweep_through(base_url, label, body) is None:
        return None
    listed = requests.get(f"{base_url}/api/sweeps", params={"per_page": 1}, timeout=30).json()
    status_url = listed["sweeps"][0]["status_url"]
    wait_until(
        lambda: requests.get(f"{base_url}{status_url}", timeout=30).json()["overfitting_ready"],
        600,
        0.1,
        what="the overfitting statistics",
    )
    seen = time.perf_counter() - started
    stats = requests.get(f"{base_url}{status_url}/overfitting", timeout=60).json()
    print(f"    statistics stored, seen by polling {seen:.2f} s: {stats.get('verdict')}")
    return seen


def without_statistics(base_url: str, label: str, body: dict) -> float | None:
    """``sweep_through`` with ``cscv_blocks`` 0; POST → seen finished by polling."""
    started = time.perf_counter()
    if sweep_through(base_url, label, {**body, "cscv_blocks": 0}) is None:
        return None
    return time.perf_counter() - started


def part_d(redis_url: str = DEFAULT_REDIS_URL) -> None:
    body = rsi_100k_body()
    walls = through_the_queue(
        "(d) 100,000 RSI combos (the API's maximum) end to end, chunks sized by the web, "
        "without and with the overfitting statistics",
        [
            ("100,000 RSI without statistics", body, without_statistics),
            ("100,000 RSI with statistics (16 blocks)", body, with_statistics),
        ],
        redis_url,
    )
    blocks = 16
    per_combo = 2 * blocks * 8
    sharpe_grid = 8 + len(body["grid"])  # a float64 and a uint8 position per axis (≤ 256 values)
    print(
        f"  extra database space: {per_combo} B of block sums and {sharpe_grid} B of Sharpe "
        f"ratio and grid position per combination "
        f"({(per_combo + sharpe_grid) * 100_000 / 2**20:.1f} MiB for 100,000), plus one "
        "statistics document"
    )
    if all(walls):
        print(f"  ratio with/without statistics: {walls[1] / walls[0]:.2f} (goal <= 1.10)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-queue", action="store_true", help="leave out (c) and (d)")
    parser.add_argument("--only-100k", action="store_true", help="run (d) only")
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help="(c) and (d)'s Redis (default db 11)"
    )
    parser.add_argument("--only-sma-100k", action="store_true", help="run (e) only")
    parser.add_argument("--only-function-metric", action="store_true", help="run (f) only")
    parser.add_argument(
        "--child",
        choices=("ours", "sma-ours", "sma-numpy", "sma-reference", "function-metric"),
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args(argv)
    if args.child == "ours":
        print(json.dumps(child_ours(args.repeat)))
        return 0
    if args.child == "function-metric":
        print(json.dumps(child_function_metric(args.repeat)))
        return 0
    if args.child:
        print(json.dumps(child_sma_100k(args.repeat, args.child.removeprefix("sma-"))))
        return 0
    print(f"{os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    if args.only_100k:
        part_d(args.redis_url)
        return 0
    if args.only_sma_100k:
        part_e(args.repeat)
        return 0
    if args.only_function_metric:
        part_f(args.repeat)
        return 0
    part_a(args.repeat)
    part_b()
    part_e(args.repeat)
    part_f(args.repeat)
    if not args.skip_queue:
        part_c(args.redis_url)
        part_d(args.redis_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
