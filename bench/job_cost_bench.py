"""What one Kubernetes Job costs: CPU seconds of one consumer process against a one-shot
backtesting.py process doing the same backtest, measured in the same run.

    .venv/bin/python -m bench.job_cost_bench [--samples 5]

On a cluster every run is one pod, so the price of a run is the CPU of one whole
``python -m consumer`` process, its RQ work-horse included — not the engine's 0.4 ms. Each
figure is user + system CPU seconds of the process and every child it waited for (the
``rusage`` of ``os.wait4``), median of ``--samples``, the commands alternating so that
machine noise falls on all of them alike:

- a queue-mode Job (what the ScaledJob runs): take one run from Redis, record it in
  MariaDB, exit — with ``charts: false`` and with the charts;
- a queue-mode Job that finds the queue empty (KEDA over-starts some);
- ``python -m consumer --request`` (no Redis, no database), charts false; and the same
  with a 5 % stop-loss (a walked run: numba and the broker's step load);
- the peer: one process that imports backtesting.py and runs the same RSI(14, 30/70)
  backtest on backtesting.py's GOOG.csv (no plot).

The project's modules are compiled to bytecode first, as the image compiles them (both
sides then load ``.pyc`` files: pip compiled backtesting.py's at install).

Goals: queue-mode charts false ≤ 0.4×, with charts ≤ 0.8×, empty queue ≤ 0.25×
of the peer. Then (unless ``--skip-sweep``) the 100,000-combination RSI sweep through the
local scaler, POST → last chunk stored (``bench.sweep_bench`` part d; goal ≤ 20 s).

Needs the MySQL server named by BENCH_DATABASE_URL (default the local MariaDB; a fresh
database is created and dropped) and the Redis named by BENCH_REDIS_URL (default
127.0.0.1:6379, db 12).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.engine_bench import GOOG, PEER_ONESHOT  # noqa: E402
from bench.peers import compile_like_the_image  # noqa: E402
from tests.databases import scratch_database  # noqa: E402

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
"""The MySQL server the benchmarks create their databases on (one each, dropped after)."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
"""The Redis the queue benchmarks use (their own queue on it, emptied after)."""

REQUEST = {
    "ticker": "GOOG",
    "rule_type": "RSI",
    "params": {"period": 14, "oversold": 30, "overbought": 70},
    "start_date": "2004-08-19",
    "end_date": "2013-03-01",
}
PEER = "backtesting.py one-shot process"


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """Run ``command`` to its end; its CPU seconds (user + system), waited-for children
    included. A non-zero exit is an error: a failed Job is no figure."""
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{command} exited {process.returncode}:\n{stderr[-4000:]}")
    return usage.ru_utime + usage.ru_stime


class QueueJobs:
    """Runs put on a private queue the way the web does (a PENDING row, then the RQ job), for
    queue-mode consumers to take one each; ``env`` is their environment (``data_dir``, when
    given, is their DATA_DIR)."""

    def __init__(self, database_url: str, workdir: str, data_dir: str | None = None) -> None:
        from redis import Redis

        from store.db import create_schema, make_engine, make_sessionmaker
        from work.queue import backtest_queue

        Path(workdir).mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(database_url)
        create_schema(self.engine)  # as the stack's processes do (tests.stack)
        self.sessions = make_sessionmaker(self.engine)
        self.queue_name = f"bench-job-{uuid.uuid4().hex[:8]}"
        self.queue = backtest_queue(Redis.from_url(REDIS_URL), self.queue_name)
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "RQ_QUEUE": self.queue_name,
            "CLAIM_FILE": f"{workdir}/claimed",
            "MPLCONFIGDIR": f"{workdir}/mpl",
            "LOG_LEVEL": "WARNING",
            **({"DATA_DIR": data_dir} if data_dir else {}),
        }

    def put(self, fields: dict) -> str:
        """Queue one run of the request ``fields``; its run_id."""
        from kinds.runs.contract import parse_request
        from kinds.runs.kind import enqueue_run
        from kinds.runs.store import insert_pending

        request = parse_request(fields)
        with self.sessions.begin() as session:
            insert_pending(session, request, "bench", queue=self.queue_name)
        enqueue_run(self.queue, request)
        return request.run_id

    def consume(self, fields: dict) -> float:
        """Queue one run of ``fields`` and let one queue-mode consumer take it: the consumer's
        CPU seconds; an error unless the run SUCCEEDED."""
        from store.models import BacktestRun

        run_id = self.put(fields)
        seconds = cpu_seconds([sys.executable, "-m", "consumer"], self.env)
        with self.sessions() as session:
            status = session.get(BacktestRun, run_id).status
        if status != "SUCCEEDED":
            raise RuntimeError(f"run {run_id} ended {status}")
        return seconds

    def close(self) -> None:
        self.queue.empty()
        self.engine.dispose()


def measure(samples: int) -> dict[str, list[float]]:
    import data

    compile_like_the_image()

    with (
        scratch_database(SERVER_URL, "bench") as database_url,
        tempfile.TemporaryDirectory(prefix="job-cost-") as tmp,
    ):
        data.register_csv(GOOG.read_bytes(), "GOOG", data_dir=tmp)
        request_file = Path(tmp) / "request.json"
        request_file.write_text(json.dumps({**REQUEST, "charts": False}), encoding="utf-8")
        stopped_file = Path(tmp) / "stopped.json"
        stopped = {**REQUEST, "charts": False, "stop_loss_pct": 5.0}
        stopped_file.write_text(json.dumps(stopped), encoding="utf-8")
        jobs = QueueJobs(database_url, tmp, data_dir=tmp)
        consumer = [sys.executable, "-m", "consumer"]
        cases = {
            "queue-mode Job, charts false": lambda: jobs.consume({**REQUEST, "charts": False}),
            "queue-mode Job, with charts": lambda: jobs.consume({**REQUEST, "charts": True}),
            "queue-mode Job, empty queue": lambda: cpu_seconds(consumer, jobs.env),
            "consumer --request, charts false": lambda: cpu_seconds(
                [*consumer, "--request", str(request_file)], jobs.env
            ),
            "consumer --request, charts false, 5 % stop-loss": lambda: cpu_seconds(
                [*consumer, "--request", str(stopped_file)], jobs.env
            ),
            PEER: lambda: cpu_seconds([sys.executable, "-c", PEER_ONESHOT], jobs.env),
        }
        try:
            for case in cases.values():  # warm the file cache and matplotlib's font list
                case()
            figures: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(samples):
                for name, case in cases.items():
                    figures[name].append(case())
        finally:
            jobs.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument(
        "--skip-sweep", action="store_true", help="leave out the 100,000-combination sweep"
    )
    args = parser.parse_args()
    figures = measure(args.samples)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    peer = medians[PEER]
    print(f"CPU seconds of one process (median of {args.samples}, alternating), GOOG RSI(14)")
    print("| one Job | CPU s | × backtesting.py process |")
    print("|---|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:.2f} | {value / peer:.2f} |")
    if not args.skip_sweep:
        from bench.sweep_bench import part_d

        print()
        part_d()  # the sweep's goal: ≤ 20 s on this 2-core machine


if __name__ == "__main__":
    main()
