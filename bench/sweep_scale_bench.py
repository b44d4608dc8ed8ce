"""Sweeps of 1 M and 10 M combinations end to end through the queue, stored compactly.

    .venv/bin/python -m bench.sweep_scale_bench [--size 1m|10m] [--no-kill] [--redis-url URL]
    .venv/bin/python -m bench.sweep_scale_bench --cpu [--size 1m|10m]

``--cpu`` evaluates one chunk in this process only, by column as its Job does and a
combination at a time (``tests.sweeps.chunk_reference``, the code before) in alternated
rounds: their CPU seconds and the kernel's share of them (``chunk_cpu``), the stored bytes
checked equal. ``NUMBA_NUM_THREADS=1`` gives the kernel the thread a Job granted one core
runs it on.

One local stack (``tests.stack.LocalStack``: the web and the local scaler, which starts one
consumer process per queued chunk as the sweep ScaledJob does, with the committed
manifest's polling and 8 concurrent Jobs) on MariaDB (TEST_DATABASE_URL, default
mysql+pymysql://root@127.0.0.1:3306/test; a fresh database per run) and Redis (db 12, or
``--redis-url``), with ``SWEEP_MAX_COMBINATIONS`` 10,000,000 so that sweeps above
``SWEEP_COMPACT_ABOVE`` (100,000) are accepted and stored compactly
(``kinds.sweeps.compact``).

The sweep: RSI period 2..N × oversold 1..50 × overbought 50..99 (oversold < overbought) on
GOOG.csv's first 2 1/3 years (2004-08-19..2006-12-31, 596 bars), registered as several
tickers; chunks sized by the web. ``1m``: period 2..135 on 3 tickers, 1,004,598
combinations; ``10m``: period 2..200 on 20 tickers, 9,946,020 (a sweep may run at most
10,000,000). Printed, with the load average before and after:

- POST → last chunk stored (the status's ``completed_at``) and POST → overfitting
  statistics stored, with the chunks' summed start-up, compute and write times;
- a killed chunk (unless ``--no-kill``): once the first chunk has finished, the work-horse
  of a running chunk is SIGKILLed (its pid is the chunk row's ``worker``); RQ queues the
  chunk again and the scaler starts a Job for it alone: each chunk's attempts are printed
  (the killed one 2, every other 1);
- the storage per combination: each table's data and index bytes (``information_schema``
  after ``ANALYZE TABLE``; the database holds this one sweep) and the blobs' exact bytes
  (``SUM(LENGTH(...))``), against 485 B a combination stored row by row;
- what a user reads at that size: the top table (best 50 by Sharpe), the Sharpe heatmap
  (period × oversold, max over overbought and the tickers), the statistics, and the CSV
  served from the chunks' stored parts (time to its first bytes, and for ``1m`` the whole
  file). The heatmap and line alone, against the former row-by-row aggregation in the same
  run: ``bench.sweep_heatmap_bench``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.peers import goog_csv
from bench.sweep_bench import bench_stack, post_and_wait, server_url
from kinds.sweeps.status import SWEEP_FINISHED

SIZES = {"1m": (135, 3), "10m": (200, 20)}
"""Per size: the largest RSI period and the number of tickers."""

ROW_BY_ROW_BYTES = 485
"""A combination stored row by row with the statistics: a result row (203 B), its block
statistics (256 B) and its Sharpe ratio and grid position (11 B), plus its sorting rows."""

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def data_dir(tickers: int) -> tuple[Path, list[str]]:
    """A DATA_DIR with GOOG.csv registered as ``tickers`` tickers (GOOGA, GOOGB, …)."""
    import data

    folder = Path(tempfile.mkdtemp(prefix="sweep-scale-"))
    names = [f"GOOG{chr(ord('A') + i)}" for i in range(tickers)]
    content = goog_csv().read_bytes()
    for name in names:
        data.register_csv(content, name, name=f"Alphabet as {name}", data_dir=folder)
    return folder, names


def sweep_body(period_max: int, tickers: list[str]) -> dict:
    return {
        "tickers": tickers,
        "rule_type": "RSI",
        "grid": {
            "period": f"2:{period_max}:1",
            "oversold": "1:50:1",
            "overbought": "50:99:1",
        },
        "start_date": "2004-08-19",
        "end_date": "2006-12-31",
        "size_type": "percent",
        "position_size": 100,
        "fee_rate": 0.001,
        "cache": False,
    }


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Killer(threading.Thread):
    """Once a chunk of the newest sweep has SUCCEEDED, SIGKILL the work-horse of one that
    is RUNNING (its row's ``worker`` is ``host:pid``)."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.killed: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text

        from store.db import make_engine

        engine = make_engine(self.database_url)
        try:
            while not self.stop.wait(0.2):
                with engine.connect() as conn:
                    rows = conn.execute(
                        text("SELECT chunk_id, status, worker FROM sweep_chunks")
                    ).all()
                if not any(status == "SUCCEEDED" for _, status, _ in rows):
                    continue
                running = [(c, w) for c, status, w in rows if status == "RUNNING" and w]
                if running:
                    chunk_id, worker = running[0]
                    try:
                        os.kill(int(worker.rsplit(":", 1)[1]), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        continue
                    self.killed = chunk_id
                    return
        finally:
            engine.dispose()


def timed_get(base_url: str, path: str, **params) -> tuple[float, object]:
    import requests

    started = time.perf_counter()
    response = requests.get(f"{base_url}{path}", params=params, timeout=3600)
    return time.perf_counter() - started, response


def storage(database_url: str, combos: int) -> None:
    """Each table's bytes per combination (the database holds one sweep)."""
    from sqlalchemy import text

    from store.db import make_engine

    tables = ("sweeps", "sweep_chunks", "sweep_results", "sweep_metric_values")
    engine = make_engine(database_url)
    with engine.connect() as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE TABLE {table}")).all()
        sizes = conn.execute(
            text(
                "SELECT table_name, data_length, index_length FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name IN "
                "('sweeps', 'sweep_chunks', 'sweep_results', 'sweep_metric_values')"
            )
        ).all()
        blobs = conn.execute(
            text(
                "SELECT SUM(LENGTH(sharpe_grid)), SUM(LENGTH(block_stats)), "
                "SUM(LENGTH(payload_json)), COUNT(*) FROM sweep_chunks"
            )
        ).one()
        rows = conn.execute(text("SELECT COUNT(*) FROM sweep_results")).scalar()
        values = conn.execute(text("SELECT COUNT(*) FROM sweep_metric_values")).scalar()
    engine.dispose()
    total = 0
    print("  storage (information_schema after ANALYZE TABLE, data + indexes):")
    for name, data_bytes, index_bytes in sorted(sizes):
        both = int(data_bytes or 0) + int(index_bytes or 0)
        total += both
        print(f"    {name:20s} {both / 2**20:9.1f} MiB  {both / combos:7.2f} B/combination")
    print(
        f"    total                {total / 2**20:9.1f} MiB  {total / combos:7.2f} B/combination "
        f"(row by row: {ROW_BY_ROW_BYTES} B, {ROW_BY_ROW_BYTES * combos / 2**20:,.0f} MiB)"
    )
    sharpe, blocks, messages, chunks = (int(v or 0) for v in blobs)
    print(
        f"  exact bytes: Sharpe grid {sharpe / combos:.2f} B/combination, block statistics "
        f"{blocks / combos:.2f} B/combination, chunk messages {messages:,} B in all "
        f"({chunks} chunks); {rows:,} result rows, {values:,} sorting rows"
    )


def run(size: str, redis_url: str, kill: bool) -> None:
    from tests.databases import scratch_database

    period_max, n_tickers = SIZES[size]
    folder, tickers = data_dir(n_tickers)
    body = sweep_body(period_max, tickers)
    with scratch_database(server_url(), "scale") as database_url:
        stack = bench_stack(database_url, redis_url, folder, SWEEP_MAX_COMBINATIONS="10000000")
        try:
            stack.start()
            killer = Killer(database_url)
            print(f"{size}: {load()} before")
            if kill:
                killer.start()
            posted = time.perf_counter()
            through = post_and_wait(
                stack.base_url, "/api/sweeps", size, body, SWEEP_FINISHED, 7200, "completed_at"
            )
            killer.stop.set()
            if through is None:
                return
            accepted, status, wall, _ = through
            combos = accepted["combos"]
            t = status["timings"]
            print(
                f"  {combos:,} combinations on {n_tickers} tickers, {accepted['chunks']} chunks "
                f"of {status['chunk_size']:,}, {status['status']}: POST → last chunk stored "
                f"{wall:.1f} s ({load()})"
            )
            print(
                f"    summed over chunks: start-up {t['startup_ms'] / 1000:.1f} s, compute "
                f"{t['compute_ms'] / 1000:.1f} s, writes {t['write_ms'] / 1000:.1f} s"
                + (f"; errors: {t['errors']}" if t["errors"] else "")
            )
            status_path = accepted["status_url"]
            from tests.stack import wait_until

            wait_until(
                lambda: timed_get(stack.base_url, status_path)[1].json()["overfitting_ready"],
                1800,
                0.5,
                what="the overfitting statistics",
            )
            stored = time.perf_counter() - posted
            print(f"  POST → statistics stored (seen by polling) {stored:.1f} s")
            attempts = {
                name: count
                for name, count in _attempts(database_url).items()
                if count != 1 or name == killer.killed
            }
            if kill:
                print(
                    f"  killed chunk: {killer.killed}; chunks not on attempt 1: "
                    f"{attempts or 'none'} (every other chunk ran once)"
                )
            storage(database_url, combos)
            reads(stack.base_url, status_path, size)
        finally:
            stack.stop()


def _attempts(database_url: str) -> dict[str, int]:
    from sqlalchemy import text

    from store.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT chunk_id, attempts FROM sweep_chunks")).all()
    engine.dispose()
    return {chunk_id.rsplit("-", 1)[1]: int(attempts) for chunk_id, attempts in rows}


def reads(base_url: str, status_path: str, size: str) -> None:
    """What a user reads at this size, each timed."""
    import requests

    top, response = timed_get(base_url, f"{status_path}/results", sort="sharpe_ratio", per_page=50)
    best = response.json()["results"][0]
    print(f"  top table (best 50 by Sharpe) {top:.2f} s: best {best['params']} {best['ticker']}")
    heat, response = timed_get(
        base_url, f"{status_path}/heatmap", metric="sharpe_ratio", x="period", y="oversold"
    )
    cells = sum(len(row) for row in response.json()["z"])
    print(f"  Sharpe heatmap period × oversold ({cells:,} cells) {heat:.2f} s")
    stats, response = timed_get(base_url, f"{status_path}/overfitting")
    print(f"  statistics read {stats:.2f} s: {response.json().get('verdict')}")
    started = time.perf_counter()
    with requests.get(f"{base_url}{status_path}/results.csv", stream=True, timeout=3600) as csv:
        lines, first = 0, None
        for block in csv.iter_content(chunk_size=1 << 20):
            first = first or time.perf_counter() - started
            lines += block.count(b"\n")
            if size != "1m" and lines > 100_000:
                break
    whole = "whole file" if size == "1m" else "first 100,000 lines"
    print(
        f"  CSV: first bytes {first:.2f} s, {whole} ({lines:,} lines) "
        f"{time.perf_counter() - started:.1f} s"
    )


class KernelClock:
    """CPU seconds spent in the engine's batch calls (``run_batch``, ``run_crossings``: the
    compiled one pass and the arrays it is handed), counted while it is installed."""

    NAMES = ("run_batch", "run_crossings")

    def __init__(self) -> None:
        self.seconds = 0.0

    def __enter__(self) -> KernelClock:
        from kinds.sweeps import evaluate

        self.saved = {name: getattr(evaluate, name) for name in self.NAMES}
        for name, function in self.saved.items():
            setattr(evaluate, name, self._timed(function))
        return self

    def __exit__(self, *exc: object) -> None:
        from kinds.sweeps import evaluate

        for name, function in self.saved.items():
            setattr(evaluate, name, function)

    def _timed(self, function):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - started

        return timed


def _columns_chunk(payload: dict) -> tuple[float, float, float, object]:
    """The chunk as its Job handles it (by column): (evaluation CPU-s, CSV part CPU-s,
    kernel CPU-s, (rows, block statistics, Sharpe grid, part))."""
    from kinds.sweeps.export import part_of
    from kinds.sweeps.search_sweep import evaluate_sweep_chunk, read_chunk
    from metrics import sweep_metric_keys

    with KernelClock() as kernel:
        started = time.process_time()
        evaluated = evaluate_sweep_chunk(read_chunk(payload))
        evaluating = time.process_time() - started
    started = time.process_time()
    assert evaluated.cells is not None
    part = part_of(evaluated.cells, payload["grid_params"], sweep_metric_keys())
    writing = time.process_time() - started
    stored = (evaluated.rows, evaluated.block_stats, evaluated.sharpe_grid, part)
    return evaluating, writing, kernel.seconds, stored


def _reference_chunk(payload: dict) -> tuple[float, float, float, object]:
    """The chunk a combination at a time (``tests.sweeps.chunk_reference``): (its CPU-s
    with its CSV part, 0, kernel CPU-s, what it stores)."""
    from tests.sweeps.chunk_reference import reference_chunk

    with KernelClock() as kernel:
        started = time.process_time()
        done = reference_chunk(payload)
        cpu = time.process_time() - started
    return cpu, 0.0, kernel.seconds, (done.rows, done.block_stats, done.sharpe_grid, done.csv_part)


CPU_ROUNDS = 3
"""Rounds of ``--cpu``: each evaluates the chunk by column and a combination at a time
(alternating which goes first), so both see the same machine."""


def chunk_cpu(size: str) -> None:
    """One chunk of the sweep evaluated and its CSV part written in this process (``--cpu``),
    as its Job does, by column and (the reference) a combination at a time, alternately:
    their CPU seconds (steady on a shared machine, where the stack's walls are not), the
    kernel's share of them (the engine's batch calls, ``KernelClock``), that both store
    the same bytes, and what the sweep's chunks cost in all with a consumer's start-up
    (``STARTUP_CPU_S``): the wall the sweep would take on two free cores."""
    from dataclasses import replace

    from kinds.sweeps.caps import CompactForm, RequestCaps
    from kinds.sweeps.contract import chunk_payloads, sized_chunk_size
    from kinds.sweeps.service import check_sweep_data

    period_max, n_tickers = SIZES[size]
    folder, tickers = data_dir(n_tickers)
    os.environ["DATA_DIR"] = str(folder)
    body = {k: v for k, v in sweep_body(period_max, tickers).items() if k != "cache"}
    caps = RequestCaps(combinations=10**7, chunks=10**4, compact=CompactForm(combinations=10**7))
    started = time.process_time()
    sweep, bars = check_sweep_data(body, folder, caps=caps)
    sweep = replace(sweep, chunk_size=sized_chunk_size(None, sweep.combos, bars))
    sweep = replace(sweep, top_k=100, pbo_stride=-(-sweep.combos // 50_000))
    payloads = chunk_payloads(sweep)
    submit = time.process_time() - started
    payload = payloads[1]
    _columns_chunk(payloads[0])  # numba and the caches loaded before anything is timed
    ours: list[tuple[float, float, float]] = []
    theirs: list[tuple[float, float, float]] = []
    for round_no in range(CPU_ROUNDS):
        order = (_columns_chunk, _reference_chunk)[:: 1 if round_no % 2 == 0 else -1]
        for path in order:
            evaluating, writing, kernel, stored = path(payload)
            (ours if path is _columns_chunk else theirs).append((evaluating, writing, kernel))
            if path is _columns_chunk:
                by_column = stored
            else:
                reference = stored
        if by_column != reference:
            raise SystemExit("the chunk by column stores other bytes than the reference")
    combos = payload["combo_count"]
    rows, _, _, part = by_column
    print(
        f"  one chunk of {combos:,} combinations on {bars} bars ({CPU_ROUNDS} rounds, "
        f"numba {_numba_threads()} threads; rows, blobs and CSV part equal to the "
        f"reference's every round: {len(rows):,} rows kept, CSV {part.size / 1e6:.1f} MB "
        f"stored in {len(part.data) / 1e6:.2f} MB):"
    )
    for name, runs in (("by column", ours), ("a combination at a time (reference)", theirs)):
        cpus = [e + w for e, w, _ in runs]
        shares = [k / (e + w) for e, w, k in runs]
        kernels = [k for _, _, k in runs]
        detail = (
            f"; evaluation {_range([e for e, _, _ in runs])}, its CSV part "
            f"{_range([w for _, w, _ in runs])}"
            if runs is ours
            else ""
        )
        print(
            f"    {name:36s} {_range(cpus)} CPU-s, kernel {_range(kernels)} CPU-s = "
            f"{_range([100 * s for s in shares], '%')} of it{detail}"
        )
    cpu = min(e + w for e, w, _ in ours)
    total = len(payloads) * (cpu * sweep.chunk_size / combos + STARTUP_CPU_S)
    print(
        f"  the request checked and cut into {len(payloads)} chunk messages in {submit:.1f} "
        f"CPU-s; all {len(payloads)} chunks by column with a {STARTUP_CPU_S:.0f} CPU-s "
        f"start-up each: {total:.0f} CPU-s, {total / 2:.0f} s on two free cores ({load()})"
    )


def _range(values: list[float], unit: str = "") -> str:
    low, high = min(values), max(values)
    digits = 0 if unit == "%" else 2
    return f"{low:.{digits}f}{unit}" if high == low else f"{low:.{digits}f}-{high:.{digits}f}{unit}"


def _numba_threads() -> int:
    import numba

    return numba.get_num_threads()


STARTUP_CPU_S = 1.0
"""A consumer Job's start-up, in CPU seconds (docs/benchmarks.md, "What one Job costs")."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep_scale_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", choices=tuple(SIZES), default="1m")
    parser.add_argument("--no-kill", action="store_true", help="kill no chunk")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--cpu", action="store_true", help="one chunk's CPU in this process only")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    if args.cpu:
        chunk_cpu(args.size)
        return 0
    run(args.size, args.redis_url, not args.no_kill)
    return 0


if __name__ == "__main__":
    sys.exit(main())
