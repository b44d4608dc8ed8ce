"""Scenario ``intraday_memory``: long windows on a long intraday history, in the web and in a Job.

The attack: a 100,000-bar 5-minute ticker imported, then ``zscore(close, 2000) > 0`` on a
one-day window (every window of 2,000 bars over the whole file: 1.6 GB in a web worker
before the fix), and expressions stacking 2,000-bar ``stdev`` calls sent two at a time (30 s
of CPU each: gunicorn killed both workers and ``/health`` waited 39.8 s).

What it starts (and stops): a private ``redis-server`` and a scratch MariaDB database
(``bench.fault_campaign``), the web and the local scaler of ``tests.stack.LocalStack`` on a
data folder of its own holding the ticker (``data.generate_intraday.five_minute_csv``), and
— because LocalStack's web is ``python -m web``'s threaded server — the image's web command
too: gunicorn with ``gunicorn.conf.py`` and two gevent workers on the same services, which
every request below goes to. Then, while ``/health`` is polled every 0.1 s:

1. ``POST /api/analyze_signals`` with ``zscore(close, 2000) > 0`` on one day (answered);
2. two concurrent requests of the literal 120-nested ``stdev`` text (the parser refuses it:
   deeper than 30 levels), then two concurrent requests of the heaviest expression the
   grammar admits (63 ``stdev`` windows of ~2,000 bars: refused by the cost cap, 400 params);
3. a run of the zscore expression on a week, through the queue to a Job (SUCCEEDED).

The peak RSS is each process's VmHWM (/proc/<pid>/status), sampled every 50 ms: gunicorn's
workers for the web, the consumer processes the scaler starts (and their work-horses) for the
Job. Goals: web < 1024 MB, Job < 1024 MB, ``/health`` worst < 2 s, no 5xx, the run SUCCEEDED.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis, consumer_pids
from tests.consumer.support import children
from tests.stack import PROJECT_ROOT, LocalStack, answers_200, free_port, wait_until

TICKER, BARS = "FIVEMIN", 100_000
DAY = "2020-02-05"
"""A whole session near the end of the file: 78 bars after 99,900 of history."""

WEEK = ("2020-01-29", DAY)
"""The run's window: six sessions, 468 bars."""

ZSCORE = {"entry": "zscore(close, 2000) > 0", "exit": "zscore(close, 2000) < 0"}


def nested_stdev(depth: int, window: int = 2000) -> str:
    text = "close"
    for i in range(depth):
        text = f"stdev({text}, {window - i})"
    return text


LITERAL = {"entry": f"{nested_stdev(120)} > 0", "exit": "close < 0"}
"""The reported text: 120 nested calls."""

HEAVIEST = {
    "entry": f"{nested_stdev(14)} > 0",
    "exit": "+".join(f"stdev(close, {2000 - i})" for i in range(49)) + " > 0",
}
"""The most ``stdev`` calls one EXPR admits (nesting depth 30, 200 parts per text)."""

LIMIT_MB = 1024
HEALTH_LIMIT_S = 2.0


def _request(params: dict, start: str = DAY, end: str = DAY, **fields) -> dict:
    return {
        "ticker": TICKER,
        "timeframe": "5m",
        "rule_type": "EXPR",
        "params": params,
        "start_date": start,
        "end_date": end,
        **fields,
    }


def _hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Watch:
    """Samples the peaks of the web's and the Job's processes, and ``/health``'s latency."""

    def __init__(self, gunicorn_pid: int, scaler_pid: int, health_url: str) -> None:
        self.gunicorn_pid, self.scaler_pid, self.health_url = gunicorn_pid, scaler_pid, health_url
        self.web: dict[int, float] = {}
        self.job: dict[int, float] = {}
        self.health_worst = 0.0
        self.health_errors = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._memory, daemon=True),
            threading.Thread(target=self._health, daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def _memory(self) -> None:
        while not self.stop.is_set():
            for pid in children(self.gunicorn_pid):
                self._keep(self.web, pid)
            for pid in consumer_pids(self.scaler_pid):
                self._keep(self.job, pid)
                for horse in children(pid):
                    self._keep(self.job, horse)
            self.stop.wait(0.05)

    @staticmethod
    def _keep(peaks: dict[int, float], pid: int) -> None:
        figure = _hwm_mb(pid)
        if figure is not None:
            peaks[pid] = max(peaks.get(pid, 0.0), figure)

    def _health(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                ok = requests.get(self.health_url, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            self.health_worst = max(self.health_worst, time.monotonic() - began)
            self.health_errors += not ok
            self.stop.wait(0.1)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=35)


def start_gunicorn(
    stack: LocalStack, port: int, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """The image's web command (Dockerfile CMD) on ``port``, with the stack's environment
    (and ``env`` over it)."""
    command = [
        sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--no-control-socket",
        "--bind", f"127.0.0.1:{port}", "--workers", "2", "web.startup:served_app()",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**stack.env, **(env or {}), "PORT": str(port)},
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop_server(process: subprocess.Popen | None) -> None:
    """Stop a server this scenario started (SIGTERM, then SIGKILL after 30 s)."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def post_json(url: str, body: dict) -> tuple[int, float, dict]:
    began = time.monotonic()
    response = requests.post(url, json=body, timeout=120)
    try:
        answer = response.json()
    except ValueError:
        answer = {"error": response.text[:200]}
    return response.status_code, time.monotonic() - began, answer


def _attack(web: str, stack: LocalStack, notes: list[str]) -> tuple[list[int], str]:
    """Every request of the scenario; the HTTP statuses and the run's final status."""
    statuses = []
    code, took, answer = post_json(f"{web}/api/analyze_signals", _request(ZSCORE))
    statuses.append(code)
    notes.append(
        f"analyze_signals zscore(close, 2000) on {DAY}: {code} in {took:.2f} s "
        f"({answer.get('bars')} bars, {answer.get('entries', {}).get('count')} entries)"
    )
    for label, params in (("literal 120-nested stdev", LITERAL), ("heaviest admissible", HEAVIEST)):
        body = _request(params)
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(post_json, [f"{web}/api/analyze_signals"] * 2, [body] * 2))
        for code, took, answer in answers:
            statuses.append(code)
            notes.append(
                f"{label} (x2 concurrent): {code} in {took:.3f} s, field "
                f"{answer.get('field')}: {str(answer.get('error'))[:110]}"
            )
    code, took, answer = post_json(f"{web}/api/runs", _request(ZSCORE, *WEEK, charts=True))
    statuses.append(code)
    run_id = answer.get("run_id")
    notes.append(f"run submitted on {WEEK[0]}..{WEEK[1]}: {code} in {took:.2f} s, run_id {run_id}")
    if code != 202 or not run_id:
        return statuses, f"not accepted ({code}: {answer.get('error')})"
    final = stack.wait_finished([run_id], timeout=300)[run_id]
    return statuses, str(final["status"]) + (
        f" ({final.get('error_message')})" if final.get("error_message") else ""
    )


def run(args: argparse.Namespace) -> ScenarioReport:
    """Run the scenario and measure it."""
    import data
    from data.generate_intraday import five_minute_csv

    report = ScenarioReport(scenario="intraday_memory")
    with tempfile.TemporaryDirectory(prefix="adversary-intraday-") as tmp:
        workdir = Path(tmp)
        folder = workdir / "data"
        data.register_csv(five_minute_csv(BARS), TICKER, data_dir=folder)
        report.notes.append(f"imported {TICKER}: {BARS:,} five-minute bars into {folder.name}/")
        redis = PrivateRedis(workdir)
        db = CampaignDatabase()
        stack = LocalStack(
            database_url=db.url,
            redis_url=redis.url,
            workdir=workdir / "stack",
            extra_env={"DATA_DIR": str(folder), "USER_DATA_DIR": str(workdir / "user")},
        )
        gunicorn = watch = None
        try:
            stack.start()
            port = free_port()
            gunicorn = start_gunicorn(stack, port, workdir / "gunicorn.log")
            web = f"http://127.0.0.1:{port}"
            wait_until(lambda: answers_200(f"{web}/health", 1), 60, what="gunicorn /health")
            report.notes.append(
                "web: gunicorn --config gunicorn.conf.py --workers 2 (the image's CMD; "
                "LocalStack's own web is python -m web's threaded server, used only to poll "
                "the run) + LocalStack's scaler starting consumers"
            )
            watch = Watch(gunicorn.pid, stack.processes[1].pid, f"{web}/health")
            statuses, final = _attack(web, stack, report.notes)
            time.sleep(0.5)  # a last sample of the consumer before it is gone
        finally:
            if watch is not None:
                watch.close()
            stop_server(gunicorn)
            stack.stop()
            redis.stop()
            db.drop()
    report.notes.append(f"run final status: {final}")
    report.notes.append(
        f"peaks (VmHWM): web workers {sorted(round(v) for v in watch.web.values())} MB, "
        f"consumer processes {sorted(round(v) for v in watch.job.values())} MB"
    )
    errors = sum(code >= 500 for code in statuses) + watch.health_errors
    report.goals += [
        Goal("web peak RSS", round(max(watch.web.values(), default=0.0)), LIMIT_MB, " MB"),
        Goal("Job peak RSS", round(max(watch.job.values(), default=0.0)), LIMIT_MB, " MB"),
        Goal("/health worst latency", round(watch.health_worst, 3), HEALTH_LIMIT_S, " s"),
        Goal("server errors (5xx and failed /health)", errors, 0),
        Goal("run SUCCEEDED", float(final == "SUCCEEDED"), 1, at_most=False),
        Goal("Job processes measured", len(watch.job), 1, at_most=False),
    ]
    return report
