"""Demos of the platform, over its HTTP API only.

``python -m scripts.demo run`` — the fixed end-to-end scenario: submit one backtest, poll its
status (PENDING → RUNNING → SUCCEEDED), print the result's key figures.

``python -m scripts.demo autoscale [--runs 40] [--out FILE.png]`` — the
queue-depth autoscaling demo: submit N runs at once and record, every poll, the queue length
and the number of consumers running, then draw both over time as a PNG (default
``<USER_DATA_DIR>/demo/autoscaling.png``: the image in docs/ is replaced only when asked, by
``--out docs/images/autoscaling.png``). Consumers are read
from ``/api/queue`` (RQ's worker registry) — or, on a cluster, with ``--kubectl``: the number
of active Jobs of the ScaledJob (``kubectl get jobs -l scaledjob.keda.sh/name=…``).

Both start the embedded local stack (``scripts.local_stack``) on a free port unless
``--url`` points at a running platform.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from backtest_client import BacktestError, Client, RunFailed
from config import process
from data.location import user_path
from work.status import FINISHED

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEMO_REQUEST = {
    "ticker": "ACME",
    "rule_type": "RSI_MACD",
    "start_date": "2016-01-01",
    "end_date": "2024-12-31",
    "size_type": "percent",
    "position_size": 100,
}


@contextlib.contextmanager
def platform(url: str | None) -> Iterator[str]:
    """Yield the base URL of a running platform, starting the embedded stack if needed."""
    if url:
        yield url.rstrip("/")
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    state = tempfile.mkdtemp(prefix="demo-")
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{state}/demo.sqlite3",
        "LOCAL_STATE_DIR": state,  # its own embedded Redis: never run-local.sh's
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    stack = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_stack"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    probe = Client(base, timeout=1, retries=0)
    try:
        for _ in range(120):
            with contextlib.suppress(BacktestError):
                probe.http.get_json("/ready")
                break
            time.sleep(0.25)
        else:
            raise SystemExit("the local stack did not become ready")
        yield base
    finally:
        stack.terminate()
        stack.wait(timeout=120)


def run_scenario(base: str, embedded: bool = False) -> int:
    """Submit → status → result, printed step by step. ``embedded``: the demo started the
    platform and stops it after, so no dashboard link is printed for it."""
    client = Client(base, timeout=10)
    print(f"POST {base}/run_backtest {json.dumps(DEMO_REQUEST)}")
    try:
        run = client.run(**DEMO_REQUEST)
    except BacktestError as exc:
        print(f"  {exc.status} {exc}")
        return 1
    print(f"  202 run_id {run.run_id}")
    last = None
    started = time.monotonic()
    while True:
        status = run.status()
        if status != last:
            print(f"  {time.monotonic() - started:5.1f}s  GET /status/{run.run_id} → {status}")
            last = status
        if status in FINISHED:
            break
        time.sleep(0.2)
    try:
        result = run.result()
    except RunFailed as exc:
        print(f"  error: {exc.message}")
        return 1
    metrics = result.metrics
    print(f"result: {len(result.raw['trades'])} trades, data_hash {result.data_hash[:16]}…, "
          f"engine {result.engine_version}")  # fmt: skip
    for name in ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "cagr_pct",
                 "win_rate_pct", "benchmark_return_pct"):  # fmt: skip
        value = metrics.get(name)
        print(f"  {name:22s} {'n/a' if value is None else f'{value:10.2f}'}")
    if embedded:
        print("the demo's embedded platform stops now; `bash scripts/run-local.sh` keeps one")
        print("running, with its dashboard at http://127.0.0.1:5000/")
    else:
        print(f"dashboard: {base}/runs/{run.run_id}")
    return 0


QUEUE_PATIENCE_S = 60.0
"""How long the autoscaling demo waits through an unavailable queue before giving up."""


def _consumers(client: Client, kubectl: str | None) -> tuple[int, int] | str:
    """(queue length, consumers running), or why the queue could not be read."""
    try:
        snapshot = client.http.get_json("/api/queue")
    except BacktestError as exc:
        return f"{exc.status} {str(exc.message)[:200]}"
    if kubectl is None:
        return snapshot["queued"], snapshot["consumers"]
    out = subprocess.run(
        ["kubectl", "get", "jobs", "-l", f"scaledjob.keda.sh/name={kubectl}", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    active = sum(1 for job in json.loads(out)["items"] if job.get("status", {}).get("active"))
    return snapshot["queued"], active


def autoscale(
    base: str,
    runs: int,
    out: Path,
    kubectl: str | None,
    poll: float,
    consumers_label: str = "local scaler",
) -> int:
    """Submit ``runs`` at once; record queue length and consumers per poll; draw a PNG."""
    client = Client(base, timeout=10, retries=0)
    ids = []
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()
    for i in range(runs):
        request = {
            **DEMO_REQUEST,
            "rule_type": "SMA_CROSS",
            "params": {"fast": 5 + i % 20, "slow": 60},
        }
        try:
            ids.append(client.run(**request).run_id)
        except BacktestError as exc:
            raise SystemExit(
                f"POST /run_backtest answered {exc.status}: {str(exc.message)[:200]} "
                f"({i} of {runs} runs submitted)"
            ) from None
    unavailable_since = None
    while True:
        counts = _consumers(client, kubectl)
        elapsed = time.monotonic() - started
        if isinstance(counts, str):  # a 503 while Redis is away: wait, within bounds
            unavailable_since = unavailable_since or time.monotonic()
            if time.monotonic() - unavailable_since > QUEUE_PATIENCE_S:
                raise SystemExit(
                    f"the queue stayed unavailable for {QUEUE_PATIENCE_S:.0f} s: {counts}"
                )
            print(f"  t={elapsed:5.1f}s queue unavailable: {counts}", flush=True)
            time.sleep(poll)
            continue
        unavailable_since = None
        queued, consumers = counts
        samples.append((elapsed, queued, consumers))
        print(f"  t={elapsed:5.1f}s queue={queued:3d} consumers={consumers:2d}", flush=True)
        lookup = client.http.get_json("/api/runs/lookup", {"ids": ",".join(ids)})
        done = sum(r["status"] in FINISHED for r in lookup["runs"])
        if done == len(ids) and consumers == 0:
            break
        time.sleep(poll)
    _draw(samples, out, runs, consumers_label)
    print(f"{runs} runs done in {samples[-1][0]:.1f}s; chart: {out}")
    return 0


def _draw(
    samples: list[tuple[float, int, int]], out: Path, runs: int, consumers_label: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    t, queued, consumers = zip(*samples, strict=True)
    fig = Figure(figsize=(8, 3.2), dpi=100, facecolor="#0d1117")
    try:
        ax = fig.add_subplot(facecolor="#0d1117")
        ax.step(t, queued, where="post", color="#58a6ff", label="queue length (LLEN)")
        ax.step(t, consumers, where="post", color="#3fb950", label="consumers running")
        ax.set_xlabel("seconds since submit", color="#c9d1d9")
        ax.set_title(f"{runs} runs: queue depth and consumers (KEDA rules, {consumers_label})",
                     color="#c9d1d9", fontsize=10)  # fmt: skip
        ax.tick_params(colors="#8b949e")
        for spine in ax.spines.values():
            spine.set_color("#30363d")
        ax.grid(color="#21262d")
        ax.legend(facecolor="#161b22", edgecolor="#30363d", labelcolor="#c9d1d9")
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, metadata={"Software": None})
    finally:
        fig.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=process.BACKTEST_URL.value(),
        help="a running platform (default: start the embedded local stack)",
    )
    sub = parser.add_subparsers(dest="demo", required=True)
    sub.add_parser("run", help="submit → status → result")
    scale = sub.add_parser("autoscale", help="queue depth vs consumers, as a PNG")
    scale.add_argument("--runs", type=int, default=40)
    scale.add_argument("--poll", type=float, default=0.5)
    scale.add_argument(
        "--out", type=Path, help="the PNG (default: <USER_DATA_DIR>/demo/autoscaling.png)"
    )
    scale.add_argument("--kubectl", metavar="SCALEDJOB", help="count active Jobs of this ScaledJob")
    scale.add_argument(
        "--consumers",
        default="local scaler",
        help="what ran the consumers, for the chart's title (e.g. 'podman containers')",
    )
    args = parser.parse_args(argv)
    with platform(args.url) as base:
        if args.demo == "run":
            return run_scenario(base, embedded=not args.url)
        out = args.out or user_path("demo", "autoscaling.png")
        return autoscale(base, args.runs, out, args.kubectl, args.poll, args.consumers)


if __name__ == "__main__":
    sys.exit(main())
