"""The real platform as processes, for end-to-end and browser tests.

``LocalStack`` starts ``python -m web`` and ``python -m consumer.scaler`` against a real
database and a real Redis, with the project's keda/scaledjob.yaml (copied with its own
queue name and, for speed, a 1 s pollingInterval; every other setting as committed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MANIFEST = PROJECT_ROOT / "keda" / "scaledjob.yaml"
SWEEP_MANIFEST = PROJECT_ROOT / "keda" / "scaledjob-sweeps.yaml"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def python_m(module: str, env: Mapping[str, str], **options: Any) -> subprocess.Popen:
    """Start ``python -m <module>`` in the project root with exactly ``env`` (``options``,
    such as where its output goes, are passed to ``subprocess.Popen``)."""
    return subprocess.Popen([sys.executable, "-m", module], cwd=PROJECT_ROOT, env=env, **options)


def answers_200(url: str, timeout: float = 2.0) -> bool:
    """Whether a GET of ``url`` answers 200 now (a refused or hung connection is a no)."""
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


ENDED = ("SUCCEEDED", "FAILED", "PARTIAL")
"""The statuses a sweep or walk-forward ends in."""


def ended(url: str, statuses: tuple[str, ...] = ENDED) -> dict | None:
    """The status document at ``url`` if its status is one of ``statuses``, else None: a
    predicate for ``wait_until`` on a sweep's or walk-forward's ``status_url``."""
    body = requests.get(url, timeout=10).json()
    return body if body["status"] in statuses else None


def run_count(base_url: str) -> int:
    """How many runs the API at ``base_url`` lists (its ``/api/runs`` total)."""
    return requests.get(f"{base_url}/api/runs", params={"per_page": 1}, timeout=10).json()["total"]


@dataclass
class LocalStack:
    """web + local scaler as child processes; ``base_url`` serves the API and dashboard."""

    database_url: str
    redis_url: str
    workdir: Path
    polling_interval: int | None = 1  # None keeps the committed manifest's value
    max_replicas: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    queue: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:8]}")
    port: int = field(default_factory=free_port)
    scaler: bool = True  # False: the web alone (a test drives its own scaler)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RQ_QUEUE": self.queue,
            "PORT": str(self.port),
            "IMAGE_TAG": "e2e-test",
            "SCALER_MANIFEST": f"{self.manifest},{self.sweep_manifest}",
            "SCALER_REAPER_INTERVAL": "5",
            "SCALER_GRACE": "20",
            "MPLCONFIGDIR": str(self.workdir / "mpl"),
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    @property
    def manifest(self) -> Path:
        return self.workdir / "scaledjob.yaml"

    @property
    def sweep_manifest(self) -> Path:
        return self.workdir / "scaledjob-sweeps.yaml"

    def write_manifest(self) -> dict:
        """Both ScaledJobs on this stack's queues (runs: ``queue``; sweep chunks: its
        ``-sweeps`` queue), with the overrides; the runs' document."""
        written = {}
        for source, target, queue in (
            (MANIFEST, self.manifest, self.queue),
            (SWEEP_MANIFEST, self.sweep_manifest, f"{self.queue}-sweeps"),
        ):
            doc = yaml.safe_load(source.read_text())
            if self.polling_interval is not None:
                doc["spec"]["pollingInterval"] = self.polling_interval
            if self.max_replicas is not None:
                doc["spec"]["maxReplicaCount"] = self.max_replicas
            for trigger in doc["spec"]["triggers"]:
                trigger["metadata"]["listName"] = f"rq:queue:{queue}"
            target.write_text(yaml.safe_dump(doc))
            written[source] = doc
        return written[MANIFEST]

    def start(self) -> LocalStack:
        from store.db import create_schema, make_engine

        self.workdir.mkdir(parents=True, exist_ok=True)
        self.write_manifest()
        engine = make_engine(self.database_url)
        create_schema(engine)
        engine.dispose()
        parts = (("web", "web"), ("scaler", "consumer.scaler"))[: 2 if self.scaler else 1]
        self.logs = {  # closed in stop(): they live as long as the processes
            name: open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115
            for name, _ in parts
        }
        for name, module in parts:
            self.processes.append(
                python_m(module, self.env, stdout=self.logs[name], stderr=subprocess.STDOUT)
            )
        wait_until(lambda: answers_200(f"{self.base_url}/health", 1), 30, what="web /health")
        return self

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def log_tail(self, name: str, lines: int = 80) -> str:
        """The last ``lines`` lines of a process's log (empty when it has none)."""
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def submit(self, payload: dict) -> requests.Response:
        return requests.post(f"{self.base_url}/run_backtest", json=payload, timeout=10)

    def status(self, run_id: str) -> dict:
        return requests.get(f"{self.base_url}/status/{run_id}", timeout=10).json()

    def wait_finished(self, run_ids: list[str], timeout: float = 120) -> dict[str, dict]:
        done: dict[str, dict] = {}

        def all_done() -> bool:
            for run_id in run_ids:
                if run_id not in done:
                    body = self.status(run_id)
                    if body["status"] in ("SUCCEEDED", "FAILED"):
                        done[run_id] = body
            return len(done) == len(run_ids)

        wait_until(all_done, timeout, interval=0.5, what=f"{len(run_ids)} runs to finish")
        return done

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in getattr(self, "logs", {}).values():
            handle.close()
