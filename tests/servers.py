"""The servers the test suite is given, and the only ones it touches.

* ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) names database index N of a
  Redis server. The suite uses N (``redis_url``, emptied around each test) and, on the same
  server, N-1 (the end-to-end stack's, ``STACK_REDIS_URL``) and N-2 (the capped stack of
  the consumer lifecycle test, ``CAPPED_STACK_REDIS_URL``), counted modulo 16 (Redis's
  default number of databases), and empties each of them.
* ``TEST_DATABASE_URL`` names a MySQL/MariaDB server on which the suite creates databases
  of its own and drops them (``tests.databases.scratch_database``).

Run in parallel (``pytest -n``, pytest-xdist), each worker process starts a Redis server of
its own on a free port (``worker_redis_url``) and uses databases N, N-1 and N-2 of it
instead, so two workers never empty each other's databases; the given server is then left
alone. Every worker creates its own MySQL databases already (random names).

Tests also start servers of their own on free ports, and name closed ports (``:1``) to
see a server down. ``tests/test_suite_isolation.py`` fails if a test module names any other.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

from redis import Redis
from redis.exceptions import RedisError

from tests.stack import free_port

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
"""The Redis database the suite uses when TEST_REDIS_URL is unset."""

REDIS_DATABASES = 16
"""Redis's default number of databases: the indexes the siblings wrap around."""


def given_redis_url() -> str:
    """TEST_REDIS_URL, or its default."""
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL


def sibling_redis_url(step: int, url: str | None = None) -> str:
    """Database index N - ``step`` (modulo 16) of the server of ``url`` (default:
    ``given_redis_url()``, index N), with its credentials and options."""
    parts = urlsplit(url or given_redis_url())
    index = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(index - step) % REDIS_DATABASES}"))


WORKER_REDIS = "TEST_REDIS_WORKER"
"""Set (to the worker's id) in a worker's environment once its own Redis server is up, so
the processes it starts, which inherit the environment, start none of their own."""


def _start_redis(port: int) -> subprocess.Popen:
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is not installed (scripts/services.sh installs it)")
    options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--port", str(port)]
    return subprocess.Popen([server, *options], stdout=subprocess.DEVNULL)


def _answers_as(port: int, process: subprocess.Popen, timeout: float = 30.0) -> bool:
    """Whether the server on ``port`` comes up and is ``process`` (not another worker's
    that took the same free port first): False once ``process`` has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with Redis(port=port, socket_timeout=5) as client:
                return client.info("server")["process_id"] == process.pid
        except RedisError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def worker_redis_url(given: str, worker: str) -> str:
    """Start a Redis server of this worker's own on a free port (stopped when the worker
    exits) and name the database index of ``given`` on it."""
    for _ in range(5):  # another process may bind the free port first: take another one
        port = free_port()
        process = _start_redis(port)
        if _answers_as(port, process):
            atexit.register(_stop, process)
            os.environ[WORKER_REDIS] = worker
            return urlunsplit(urlsplit(given)._replace(netloc=f"127.0.0.1:{port}"))
        process.kill()
        process.wait()
    raise RuntimeError(f"xdist worker {worker}: no Redis server of its own came up")


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get(WORKER_REDIS) != _worker:
    os.environ["TEST_REDIS_URL"] = worker_redis_url(given_redis_url(), _worker)

STACK_REDIS_URL = sibling_redis_url(1)
"""The end-to-end stack's Redis database (``tests.conftest.stack``, the browser tests)."""

CAPPED_STACK_REDIS_URL = sibling_redis_url(2)
"""The Redis database of the lifecycle test's own stack capped at three replicas."""
