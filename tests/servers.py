"""The servers the test suite is given, and the only ones it touches.

* ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) names database index N of a
  Redis server. The suite uses N (``redis_url``, emptied around each test) and, on the same
  server, N-1 (the end-to-end stack's, ``STACK_REDIS_URL``) and N-2 (the capped stack of
  the consumer lifecycle test, ``CAPPED_STACK_REDIS_URL``), counted modulo 16 (Redis's
  default number of databases), and empties each of them.
* ``TEST_DATABASE_URL`` names a MySQL/MariaDB server on which the suite creates databases
  of its own and drops them (``tests.databases.scratch_database``).

Tests also start servers of their own on free ports, and name closed ports (``:1``) to
see a server down. ``tests/test_suite_isolation.py`` fails if a test module names any other.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

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


STACK_REDIS_URL = sibling_redis_url(1)
"""The end-to-end stack's Redis database (``tests.conftest.stack``, the browser tests)."""

CAPPED_STACK_REDIS_URL = sibling_redis_url(2)
"""The Redis database of the lifecycle test's own stack capped at three replicas."""
