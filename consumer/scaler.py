"""``python -m consumer.scaler``: KEDA's ScaledJobs on one machine.

Reads the project's ScaledJobs (SCALER_MANIFEST, comma-separated; default every
keda/scaledjob*.yaml: the shared queue's and one per kind with a queue of its own) — one
source of truth for scaling — and drives each on its own, as KEDA does: every
``pollingInterval`` it starts as many ``python -m consumer`` processes for that ScaledJob's
list as KEDA would start Jobs (``consumer.scaling.jobs_to_create``), each popping that list
(CONSUMER_QUEUE), at most its ``maxReplicaCount`` at once. "Running" is a consumer process
still alive; "pending" (with ``pendingPodConditions: ["Ready"]``) one that has not touched
its claim file yet — exactly what the Job's readiness probe checks on a cluster. Each poll
logs ``queue=N running=M pending=P started=K list=<its list>``, and records the consumers it
started that have not claimed a run yet in Redis (``work.starting``, one command a poll) for
the queue panel, which counts those RQ does not list yet as starting. It also runs the
reaper's pass over every registered kind (``consumer.reaper.reap``) of each list's queue
periodically (SCALER_REAPER_INTERVAL seconds, default 30), as the CronJob does on a cluster.
It knows no kind of work itself: a consumer takes whatever message is next on its list.

SCALER_RUNTIME picks what a Job is: ``process`` (default) a ``python -m consumer`` child;
``podman`` a container of SCALER_IMAGE (default ``stock-backtest:$IMAGE_TAG``) started with
the flags ``consumer.pod_template`` derives from the same manifest's pod template — user,
read-only root, dropped capabilities, cpu and memory limits, /tmp as a fresh emptyDir (a
host directory, where the claim file of the readiness probe is read), the ConfigMap from
the kustomization's generator and the Secret's keys from this process's environment
(``consumer.pod_template.local_env``), on the host network. ``python -m scripts.container
build`` makes the image; CONTAINERS_CONF as ``python -m scripts.container env`` prints it.

Ctrl-C / SIGTERM: stop starting consumers, send SIGTERM to the running ones (RQ finishes the
current run first), wait up to SCALER_GRACE seconds (default 60), then kill what is left.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from config import process
from consumer.scaling import ScaledJobSpec, jobs_to_create, load_scaled_job
from work.connection import QUEUE_KEY_PREFIX
from work.starting import StartingConsumer, record_starting, starting_key

logger = logging.getLogger("consumer.scaler")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFESTS = tuple(
    sorted((PROJECT_ROOT / "keda").glob("scaledjob*.yaml"), key=lambda path: path.stem.split("-"))
)
"""Every ScaledJob of keda/: the shared queue's (``scaledjob.yaml``) first, then one per
kind with a queue of its own (``scaledjob-<queue>.yaml``; a test keeps them equal to the
registry's queues)."""


def manifest_paths() -> list[Path]:
    """SCALER_MANIFEST (comma-separated paths, relative to the project), default every
    ScaledJob of this project (``DEFAULT_MANIFESTS``)."""
    raw = [part.strip() for part in process.SCALER_MANIFEST.value().split(",")]
    paths = [Path(part) for part in raw if part] or list(DEFAULT_MANIFESTS)
    return [path if path.is_absolute() else PROJECT_ROOT / path for path in paths]


@dataclass(frozen=True)
class Poll:
    """One scaling decision."""

    queue_length: int
    running: int
    pending: int
    started: int


@dataclass
class _Consumer:
    process: subprocess.Popen
    claim_file: Path
    folder: Path | None = None  # a container's env file and emptyDir, removed when it ends
    name: str = ""  # its HOSTNAME: RQ names its worker "<name>:<pid>"
    started_at: str = ""  # ISO-8601 UTC


class PodmanJobs:
    """Starts a Job as a container of ``image``, with the pod template's settings."""

    def __init__(self, document: dict, image: str, machine_env: dict[str, str]) -> None:
        from consumer.pod_template import (
            CONSUMER_CONTAINER,
            local_env,
            pod_settings,
        )

        for key in ("DATABASE_URL", "REDIS_URL"):
            if not machine_env.get(key) or machine_env[key].startswith(("sqlite", "unix")):
                raise ValueError(
                    f"SCALER_RUNTIME=podman needs {key} naming a server: a container cannot "
                    "reach the embedded default's files"
                )
        self.image = image
        self.settings = pod_settings(document, CONSUMER_CONTAINER)
        self.env = local_env(self.settings, kustomize_config_maps(), machine_env)
        self.claim = self.env.get("CLAIM_FILE") or "/tmp/consumer-claimed"

    def start(self, folder: Path, name: str) -> _Consumer:
        from consumer.pod_template import (
            host_path,
            podman_run_args,
            prepare_empty_dir,
            write_env_file,
        )

        folder.mkdir(parents=True)
        volumes = {
            empty.mount_path: prepare_empty_dir(folder / f"volume-{index}", self.settings)
            for index, empty in enumerate(self.settings.empty_dirs)
            if not empty.memory
        }
        claim = host_path(self.claim, volumes)
        if claim is None:
            raise ValueError(f"CLAIM_FILE {self.claim} is on no disk-backed emptyDir of the pod")
        env = write_env_file(folder / "env", {**self.env, "HOSTNAME": name})
        args = podman_run_args(self.settings, self.image, env_file=env, empty_dir_paths=volumes)
        # host network: this machine's services; --no-healthcheck: Kubernetes ignores the
        # image's HEALTHCHECK, and podman cannot schedule one without systemd.
        command = ["podman", "run", "--rm", "--name", name, "--network", "host"]
        # cwd: conmon drops an empty "oom" file in its working directory after an OOM kill
        process = subprocess.Popen([*command, "--no-healthcheck", *args], cwd=folder)
        logger.info("started container %s of %s", name, self.image)
        return _Consumer(process, claim, folder, name)


def kustomize_config_maps() -> dict[str, dict[str, str]]:
    """The configMapGenerator literals of the project's k8s/ kustomizations, overlays left
    out (a machine's own environment overrides them instead), by ConfigMap name; empty where
    k8s/ is not shipped (the image)."""
    import yaml

    from consumer.pod_template import config_map_literals

    files = [
        path
        for path in sorted((PROJECT_ROOT / "k8s").rglob("kustomization.yaml"))
        if "overlays" not in path.relative_to(PROJECT_ROOT).parts
    ]
    documents = [yaml.safe_load(path.read_text(encoding="utf-8")) or {} for path in files]
    names = {g.get("name") for d in documents for g in d.get("configMapGenerator") or []}
    return {name: config_map_literals(documents, name) for name in names if name}


class LocalScaler:
    """Starts consumer processes the way KEDA starts Jobs for a ScaledJob."""

    def __init__(
        self,
        spec: ScaledJobSpec,
        connection,
        *,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        reaper=None,
        reaper_interval: float = 30.0,
        podman: PodmanJobs | None = None,
    ) -> None:
        self.spec = spec
        self.connection = connection
        self.command = command or [sys.executable, "-m", "consumer"]
        self.env = dict(env if env is not None else os.environ)
        self.reaper = reaper
        self.reaper_interval = reaper_interval
        self.podman = podman
        self.consumers: list[_Consumer] = []
        self.claims_dir = Path(tempfile.mkdtemp(prefix="consumer-claims-"))
        self.max_seen = 0
        self._last_reap = 0.0
        self._serial = 0
        self._last_logged: tuple[int, int, int, int] | None = None
        self._failing: str | None = None
        self.queue_name = spec.list_name.removeprefix(QUEUE_KEY_PREFIX)
        # seconds the recorded starting consumers outlive a scaler that stopped polling
        self.starting_ttl = max(10, 3 * int(spec.polling_interval))

    # -- state -----------------------------------------------------------------------
    def _collect_finished(self) -> None:
        alive = []
        for consumer in self.consumers:
            code = consumer.process.poll()
            if code is None:
                alive.append(consumer)
                continue
            if code != 0:
                logger.warning("consumer pid %s exited with %s", consumer.process.pid, code)
            consumer.claim_file.unlink(missing_ok=True)
            if consumer.folder is not None:
                shutil.rmtree(consumer.folder, ignore_errors=True)
        self.consumers = alive

    def _unclaimed(self) -> list[_Consumer]:
        """The consumers alive that have not claimed a run yet (no claim file)."""
        return [c for c in self.consumers if not c.claim_file.exists()]

    def _pending(self) -> int:
        if "Ready" not in self.spec.pending_pod_conditions:
            return 0  # a local process is "Running" as soon as it exists
        return len(self._unclaimed())

    def _start_consumer(self) -> None:
        self._serial += 1
        started_at = datetime.now(UTC).isoformat(timespec="seconds")
        if self.podman is not None:
            name = f"local-consumer-{uuid.uuid4().hex[:8]}-{self._serial}"
            consumer = self.podman.start(self.claims_dir / name, name)
        else:
            name = f"local-consumer-{self._serial}"
            claim = self.claims_dir / f"{uuid.uuid4().hex}.claimed"
            env = dict(self.env, CLAIM_FILE=str(claim), HOSTNAME=name)
            process = subprocess.Popen(self.command, env=env, cwd=PROJECT_ROOT)
            consumer = _Consumer(process, claim, name=name)
        consumer.started_at = started_at
        self.consumers.append(consumer)

    def _record_starting(self) -> None:
        """Write the consumers that have not claimed a run yet for the queue panel."""
        starting = [StartingConsumer(c.name, c.started_at) for c in self._unclaimed()]
        record_starting(self.connection, self.queue_name, starting, self.starting_ttl)

    # -- one polling interval --------------------------------------------------------
    def poll_once(self) -> Poll:
        """Count, decide, start; then run the reaper if it is due."""
        self._collect_finished()
        queue_length = int(self.connection.llen(self.spec.list_name))
        running, pending = len(self.consumers), self._pending()
        started = jobs_to_create(self.spec, queue_length, running, pending)
        for _ in range(started):
            self._start_consumer()
        self._record_starting()
        self.max_seen = max(self.max_seen, len(self.consumers))
        counts = (queue_length, running, pending, started)
        if counts != self._last_logged:  # on change: an idle scaler does not log every poll
            logger.info(
                "queue=%d running=%d pending=%d started=%d list=%s", *counts, self.spec.list_name
            )
            self._last_logged = counts
        if self.reaper is not None and time.monotonic() - self._last_reap >= self.reaper_interval:
            self._last_reap = time.monotonic()
            try:
                self.reaper()
            except Exception:
                logger.exception("reaper pass failed")
        return Poll(queue_length, running, pending, started)

    def run(self, stop: threading.Event) -> None:
        """Poll every ``pollingInterval`` until ``stop`` is set, then shut down. The polls
        keep their rate whatever one takes (the reaper's pass, a slow Redis), as KEDA's
        ticker does: a poll that overruns the interval is followed at once by the next."""
        interval = self.spec.polling_interval
        due = time.monotonic()
        try:
            while not stop.is_set():
                self._poll_logging_failures()
                due = max(due + interval, time.monotonic())
                stop.wait(due - time.monotonic())
        finally:
            self.shutdown()

    def _poll_logging_failures(self) -> None:
        """``poll_once``; a failure is logged with its traceback once, a repeat of the same
        failure not at all, and the recovery once (Redis away for a minute was 30 tracebacks)."""
        try:
            self.poll_once()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
            if problem != self._failing:
                logger.exception(
                    "poll failed (%s); retrying every interval until it works", self.spec.list_name
                )
            self._failing = problem
            return
        if self._failing is not None:
            logger.info("polling works again (after: %s)", self._failing)
            self._failing = None

    def shutdown(self, grace: float | None = None) -> None:
        """SIGTERM every consumer (warm shutdown), wait, then SIGKILL the rest."""
        grace = process.SCALER_GRACE.value() if grace is None else grace
        for consumer in self.consumers:
            if consumer.process.poll() is None:
                consumer.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for consumer in self.consumers:
            try:
                consumer.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                consumer.process.kill()
                consumer.process.wait()
        self.consumers = []
        shutil.rmtree(self.claims_dir, ignore_errors=True)
        try:
            self.connection.delete(starting_key(self.queue_name))
        except Exception:  # Redis away: the key expires by itself
            logger.warning("could not clear the starting consumers; they expire")


def scaler_for(path: Path, connection, sessions, runtime: str) -> LocalScaler:
    """The ``LocalScaler`` of one ScaledJob manifest: its consumers pop the manifest's list
    (CONSUMER_QUEUE) and its reaper passes reconcile that queue.

    :raise ValueError: the manifest cannot be read, or podman cannot start its pods.
    """
    from consumer.reaper import reap

    spec = load_scaled_job(path)
    queue_name = spec.list_name.removeprefix("rq:queue:")
    logger.info(
        "scaling from %s: strategy=%s max=%d listLength=%g pollingInterval=%ds list=%s",
        path,
        spec.strategy,
        spec.max_replica_count,
        spec.list_length,
        spec.polling_interval,
        spec.list_name,
    )
    env = dict(os.environ, CONSUMER_QUEUE=queue_name)
    podman = None
    if runtime == "podman":
        import yaml

        image = (
            process.SCALER_IMAGE.value() or f"stock-backtest:{process.IMAGE_TAG.value() or 'dev'}"
        )
        podman = PodmanJobs(yaml.safe_load(path.read_text(encoding="utf-8")), image, env)
        logger.info("jobs are containers of %s", image)
    return LocalScaler(
        spec,
        connection,
        env=env,
        reaper=lambda: reap(connection, sessions, queue_name),
        reaper_interval=process.SCALER_REAPER_INTERVAL.value(),
        podman=podman,
    )


def main() -> int:
    """Run one local scaler per ScaledJob manifest, each on its own thread, until
    SIGINT/SIGTERM."""
    from store.db import process_sessionmaker
    from work.logs import configure_logging
    from work.queue import redis_connection

    configure_logging()
    runtime = process.SCALER_RUNTIME.value()
    if runtime not in ("process", "podman"):
        logger.error("SCALER_RUNTIME must be process or podman, not %r", runtime)
        return 2
    connection, sessions = redis_connection(), process_sessionmaker()
    try:
        scalers = [scaler_for(p, connection, sessions, runtime) for p in manifest_paths()]
    except ValueError as exc:
        logger.error("%s", exc)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in scalers]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # joined in slices: the main thread keeps taking signals
            thread.join(0.5)
    logger.info("scaler stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
