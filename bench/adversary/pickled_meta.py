"""Pickled job hashes opened by an admin in the operator UI: does the web process unpickle?

The attack: anybody with Redis access writes a job hash whose ``meta`` (or ``data``, or
``exc_info``) is a pickle, or bytes that are not UTF-8 text, and puts its id in
``rq:failed:backtests``; then waits for an admin to look at it in rq-dashboard. rq-dashboard
fetched jobs without the JSON serializer, so RQ fell back to pickle and the callable ran in
the web worker that served the page, the requeue or the delete.

The scenario starts a private ``redis-server``, a scratch database (migrated; an admin token
made in it) and two real web servers in AUTH_MODE=token with RQ_DASHBOARD_ENABLED=1: the
threaded ``python -m web`` of ``tests.stack.LocalStack`` and the image's gunicorn command (two
gevent workers, ``tests.deploy.test_deploy_slow_clients.image_web``). On each it signs in as
the admin through ``/login`` (a session cookie, as a browser) and, for every hostile variant,
opens every route an admin would: the overview, the failed registry's page and data, the
job's page and data, Requeue, Requeue all, Delete, then Empty on a fresh set, and the
workers' page while a worker is busy on a hostile job. Before each request the pickle is
written again with a tag naming the variant and the route; its callable is
``pathlib.Path.touch`` of ``executed-<tag>`` in the scenario's temp dir, so a file there is an
execution in a web process, whichever worker served it.

Goals: executions 0, server errors (5xx) 0, admin requests refused (401/403/404: the sign-in
did not hold, so nothing was tested) 0, hostile jobs left after Delete and Empty 0, and on
every server Requeue all still requeued a readable failed job planted beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import pickle
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from redis import Redis
from rq import Worker
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry
from rq.results import Result
from sqlalchemy.orm import Session

from bench.adversary.report import Goal, ScenarioReport
from bench.fault_campaign import CampaignDatabase, PrivateRedis
from store.tokens import ADMIN, create_token
from tests.deploy.test_deploy_slow_clients import image_web
from tests.stack import LocalStack
from tests.web.support_auth import form_csrf
from work.queue import backtest_queue, enqueue_message

QUEUE = "backtests"
SECRET_KEY = "adversary-pickled-meta-" + "k" * 32
SETTINGS = {"AUTH_MODE": "token", "SECRET_KEY": SECRET_KEY, "RQ_DASHBOARD_ENABLED": "1"}
NOT_UTF8 = b"\xff\xfe\x80 not text"
VARIANTS: dict[str, tuple[str, bool]] = {
    "meta-pickle": ("meta", True),
    "data-pickle": ("data", True),
    "exc_info-pickle": ("exc_info", True),
    "meta-not-utf8": ("meta", False),
    "exc_info-not-utf8": ("exc_info", False),
    "description-not-utf8": ("description", False),
    "hand-made": ("meta", True),
}
"""Each hostile job: the hash field written and whether it is a pickle (else NOT_UTF8).
``hand-made``: a hash of nothing but a pickled ``data`` and ``meta``, no status, no origin."""
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
"""What a browser sends with the dashboard's own buttons' POSTs."""


class Trap:
    """Unpickled, it creates ``path`` (``pathlib.Path.touch``): a file there is an execution."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


class Attack:
    """The hostile jobs of one server, the requests an admin makes on them, what answered."""

    def __init__(self, redis: Redis, traps: Path, server: str) -> None:
        self.redis = redis
        self.traps = traps
        self.server = server
        self.queue = backtest_queue(redis, QUEUE)
        self.answers: Counter[int] = Counter()
        self.requeued = 0
        """Readable failed jobs that Requeue all put back on the queue."""
        self.errors: list[str] = []

    def pickle_for(self, tag: str) -> bytes:
        """A pickle that creates ``executed-<server>-<tag>`` among the traps when loaded."""
        return pickle.dumps(Trap(self.traps / f"executed-{self.server}-{tag}"))

    def plant(self, variant: str | None) -> str:
        """A failed job of ours with the variant's field hostile (the hand-made hash; with
        None, a readable one), in ``rq:failed:backtests``; its id."""
        job_id = f"{variant or 'ours'}-{uuid.uuid4().hex[:8]}"
        if variant == "hand-made":
            self.redis.sadd("rq:queues", self.queue.key)
            self.redis.hset(Job.key_for(job_id), "data", self.pickle_for(f"{variant}-data"))
        else:
            payload = {"run_id": job_id}
            job = enqueue_message(self.queue, "consumer.jobs.run_backtest", payload, job_id, "run")
            self.queue.remove(job.id)
            job.set_status(JobStatus.FAILED)
            Result.create_failure(job, ttl=600, exc_string="Traceback: boom")
        self.redis.zadd(FailedJobRegistry(queue=self.queue).key, {job_id: 9999999999})
        if variant is not None:
            self.arm(variant, job_id, "planted")
        return job_id

    def arm(self, variant: str, job_id: str, route: str) -> None:
        """Write the variant's hostile bytes again, a pickle tagged with the route."""
        field, is_pickle = VARIANTS[variant]
        value = self.pickle_for(f"{variant}-{route}") if is_pickle else NOT_UTF8
        self.redis.hset(Job.key_for(job_id), field, value)

    def ask(self, client: requests.Session, method: str, url: str, what: str) -> None:
        answer = client.request(method, url, headers=SAME_ORIGIN, timeout=30)
        self.answers[answer.status_code] += 1
        if answer.status_code >= 500 or answer.status_code in (401, 403, 404):
            self.errors.append(f"{self.server} {method} {what}: {answer.status_code}")


def signed_in_admin(base: str, token: str) -> requests.Session:
    """A session signed in with ``token`` through the /login form, as a browser."""
    client = requests.Session()
    csrf = form_csrf(client.get(f"{base}/login", timeout=30).text)
    answer = client.post(
        f"{base}/login", data={"token": token, "csrf_token": csrf}, allow_redirects=False
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in as admin answered {answer.status_code}")
    return client


def read_routes(job_id: str) -> dict[str, tuple[str, str]]:
    """The GET routes an admin opens on a failed job, by name."""
    listing = f"{QUEUE}/failed/8/asc/1"
    return {
        "overview": ("GET", "/rq/"),
        "queues": ("GET", "/rq/0/data/queues.json"),
        "failed-page": ("GET", f"/rq/0/view/jobs/{listing}"),
        "failed-data": ("GET", f"/rq/0/data/jobs/{listing}.json"),
        "job-page": ("GET", f"/rq/0/view/job/{job_id}"),
        "job-data": ("GET", f"/rq/0/data/job/{job_id}.json"),
    }


def attack(target: Attack, base: str, token: str) -> None:
    """Every route an admin opens, on every variant, against the server at ``base``."""
    client = signed_in_admin(base, token)
    ours = target.plant(None)
    for variant in VARIANTS:
        job_id = target.plant(variant)
        routes = {
            **read_routes(job_id),
            "requeue": ("POST", f"/rq/job/{job_id}/requeue"),
            "requeue-all": ("POST", f"/rq/requeue/{QUEUE}"),
            "delete": ("POST", f"/rq/job/{job_id}/delete"),
        }
        for route, (method, path) in routes.items():
            target.arm(variant, job_id, route)
            target.ask(client, method, base + path, f"{route} {variant}")
    busy = target.plant("meta-pickle")
    worker = Worker([target.queue], connection=target.redis, serializer=target.queue.serializer)
    worker.register_birth()
    try:
        worker.set_state("busy")
        worker.set_current_job_id(busy)
        for route, path in (
            ("workers", "/rq/0/view/workers"),
            ("workers-data", "/rq/0/data/workers.json"),
        ):
            target.arm("meta-pickle", busy, route)
            target.ask(client, "GET", base + path, f"{route} meta-pickle")
    finally:
        worker.register_death()
    target.requeued = int(ours in target.queue.get_job_ids())
    target.queue.remove(ours)
    target.redis.delete(Job.key_for(ours), Result.get_key(ours))
    for variant in VARIANTS:
        target.arm(variant, target.plant(variant), "empty")
    target.ask(client, "POST", f"{base}/rq/queue/{QUEUE}/failed/empty", "empty failed")


def left_over(redis: Redis) -> int:
    """Hostile job hashes still in Redis (Delete and Empty should have removed them all)."""
    return sum(
        1 for key in redis.scan_iter("rq:job:*") if not key.endswith(b":dependents")
    ) + redis.zcard(FailedJobRegistry(QUEUE, connection=redis).key)


@contextlib.contextmanager
def local_stack(database_url: str, redis_url: str, workdir: Path) -> Iterator[str]:
    """The threaded ``python -m web`` of ``tests.stack.LocalStack`` (no scaler)."""
    stack = LocalStack(database_url, redis_url, workdir, scaler=False, extra_env=SETTINGS)
    try:
        yield stack.start().base_url
    finally:
        stack.stop()


def run(args: argparse.Namespace) -> ScenarioReport:
    """Attack both web servers; the report of executions and server errors."""
    workdir = Path(tempfile.mkdtemp(prefix="adversary-pickled-meta-"))
    traps = workdir / "traps"
    traps.mkdir()
    report = ScenarioReport(scenario="pickled_meta")
    redis_server = PrivateRedis(workdir)
    database = None
    attacks: list[Attack] = []
    leftover = 0
    try:
        database = CampaignDatabase()
        with Session(database.engine) as session, session.begin():
            _, token = create_token(session, "adversary-admin", ADMIN)
        servers: dict[str, Callable[[], contextlib.AbstractContextManager[str]]] = {
            "python-m-web": lambda: local_stack(database.url, redis_server.url, workdir / "stack"),
            "gunicorn": lambda: image_web(database.url, redis_server.url, **SETTINGS),
        }
        redis = redis_server.client()
        for name, server in servers.items():
            redis.flushdb()
            with server() as base:
                attacks.append(Attack(redis, traps, name))
                attack(attacks[-1], base, token)
                leftover += left_over(redis)
        redis.close()
    finally:
        redis_server.stop()
        if database is not None:
            database.drop()
    executed = sorted(path.name for path in traps.iterdir())
    answers = sum((a.answers for a in attacks), Counter())
    errors = [error for a in attacks for error in a.errors]
    report.notes += [
        f"{sum(answers.values())} admin requests on {len(VARIANTS)} hostile variants, "
        f"{len(attacks)} servers (python -m web, gunicorn x2 gevent workers); answers "
        + ", ".join(f"{code}: {count}" for code, count in sorted(answers.items())),
        *(f"executed: {name}" for name in executed[:20]),
        *errors[:20],
    ]
    report.goals += [
        Goal("pickles executed in a web process", len(executed), 0),
        Goal("server errors (5xx)", sum(n for code, n in answers.items() if code >= 500), 0),
        Goal(
            "admin requests refused (401/403/404)",
            sum(answers[code] for code in (401, 403, 404)),
            0,
        ),
        Goal("hostile jobs left after Delete and Empty", leftover, 0),
        Goal(
            "servers whose Requeue all requeued the readable job",
            sum(a.requeued for a in attacks),
            len(attacks),
            at_most=False,
        ),
    ]
    shutil.rmtree(workdir, ignore_errors=True)
    return report
