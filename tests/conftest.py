"""Shared fixtures: real Redis and real MySQL/MariaDB (never mocks), temporary SQLite, data.

* ``redis_url``: TEST_REDIS_URL (default redis://127.0.0.1:6379/15), a database index the
  platform never uses, flushed before and after each test. The end-to-end stacks use the
  two indexes below it on the same server (``tests.servers``): the suite touches no other
  Redis database.
* ``mysql_url``: a fresh database on the server named by TEST_DATABASE_URL (e.g.
  mysql+pymysql://root@127.0.0.1:3306/test), created for the test session and dropped after.
  Without TEST_DATABASE_URL the MySQL tests skip locally and FAIL in CI (CI=true).
* ``empty_mysql_url``: an empty database of one test's own on the same server.
* ``sqlite_url``: a temporary SQLite file per test.
* ``user_data_dir`` (automatic, the whole session): USER_DATA_DIR set to a temporary folder.
* ``demo_data_dir`` (automatic, the whole session): DATA_DIR set to a temporary copy of the
  demo data git tracks in ``data/``, so no file a user put there reaches a test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.demo_data import copy_demo_data
from tests.servers import STACK_REDIS_URL, given_redis_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.consumer.fixtures", "tests.portfolios.fixtures"]  # shared fixtures


@contextmanager
def _session_env(name: str, folder: Path) -> Iterator[Path]:
    """``name`` set to ``folder`` in this process's environment (which every process it
    starts inherits) while in the block, restored after."""
    before = os.environ.get(name)
    os.environ[name] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@pytest.fixture(autouse=True, scope="session")
def user_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """USER_DATA_DIR for the whole session (and every process it starts): a temporary
    folder, so a developer's own imported tickers never reach a test and no test writes
    into the checkout's var/."""
    with _session_env("USER_DATA_DIR", tmp_path_factory.mktemp("user-data")) as folder:
        yield folder


@pytest.fixture(autouse=True, scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DATA_DIR for the whole session (and every process it starts): a copy of the demo
    data git tracks in ``data/`` (``tests.demo_data``), never the checkout's folder, where
    a user's files may lie."""
    copy = copy_demo_data(tmp_path_factory.mktemp("demo-data"))
    with _session_env("DATA_DIR", copy) as folder:
        yield folder


RANDOM_ID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
"""A UUID as text: a parameter drawn at random (``uuid.uuid4()``) when the module loads."""


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """A random UUID parameter's test id is ``<argname>-uuid`` (pytest numbers repeats), not
    the value, so every collection of the suite names the same tests: pytest-xdist's
    workers each collect it and must agree (``scripts/test.sh`` runs them)."""
    if isinstance(val, str) and RANDOM_ID.fullmatch(val):
        return f"{argname}-uuid"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In pytest-xdist's workers, the slowest files first (``tests.schedule``), so no long
    file is left to run alone at the end; a run in one process keeps the collection order."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        from tests.schedule import slowest_first

        slowest_first(items, config.rootpath)


STACK_LOG_LINES = 80
"""Lines of each stack process's log a failed test's report ends with."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used the shared ``stack`` ends its report with the last lines of
    the stack's web and scaler logs (the scaler's holds its consumers' lines too): CI keeps
    the report, not the worker's temporary folders, and a queued item that never finished
    is otherwise a bare timeout."""
    report = yield
    platform = getattr(item, "funcargs", {}).get("stack") if report.failed else None
    if platform is not None and hasattr(platform, "log_tail"):
        for name in ("web", "scaler"):
            tail = platform.log_tail(name, STACK_LOG_LINES)
            report.sections.append((f"stack {name}.log, last {STACK_LOG_LINES} lines", tail))
    return report


def _require(what: str, reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI: {reason}")
    pytest.skip(f"{what} unavailable: {reason}")


@pytest.fixture
def redis_url() -> str:
    from redis import Redis
    from redis.exceptions import RedisError

    url = given_redis_url()
    client = Redis.from_url(url)
    try:
        client.flushdb()
    except RedisError as exc:
        _require("Redis", f"{url}: {exc}")
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def mysql_server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        _require("MySQL", "set TEST_DATABASE_URL (scripts/test.sh does)")
    return url


@contextmanager
def _scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """``tests.databases.scratch_database``, skipped locally (failed in CI) when the server
    cannot create it."""
    from sqlalchemy.engine import make_url

    from tests.databases import scratch_database

    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_database(server_url, prefix))
        except Exception as exc:
            server = make_url(server_url).render_as_string(hide_password=True)
            _require("MySQL", f"{server}: {exc}")
        yield url


@pytest.fixture(scope="session")
def mysql_url(mysql_server_url: str) -> Iterator[str]:
    with _scratch_database(mysql_server_url, "bt_test") as url:
        yield url


@pytest.fixture
def empty_mysql_url(mysql_server_url: str) -> Iterator[str]:
    """An empty database of this test's own (``mysql_url`` is shared by the session and holds
    other tests' tables): for what applies the schema itself, as init-db does."""
    with _scratch_database(mysql_server_url, "bt_empty") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def goog_csv() -> Path:
    """backtesting.py's bundled GOOG.csv: real daily data, 2004-08-19 .. 2013-03-01."""
    from tests.bars import GOOG_CSV

    return GOOG_CSV


@pytest.fixture(scope="session")
def stack(mysql_url: str, tmp_path_factory):
    """The real platform (web + local scaler processes) on MariaDB and Redis, shared by the
    end-to-end and browser tests of one session."""
    from redis import Redis
    from redis.exceptions import RedisError

    from tests.stack import LocalStack

    try:
        Redis.from_url(STACK_REDIS_URL).ping()
    except RedisError as exc:
        _require("Redis", f"{STACK_REDIS_URL}: {exc}")
    platform = LocalStack(mysql_url, STACK_REDIS_URL, tmp_path_factory.mktemp("stack")).start()
    yield platform
    platform.stop()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
"""Debian's chromium, as root, on a machine with no network but the package registries."""


PAGE_TIMEOUT_MS = 60_000
"""Every browser context's and page's default wait (a selector, a navigation): a page's first script
run and its result's fetch took over 30 s (Playwright's default) once in the suite's
heaviest minutes (the image's warm-up compiling beside the test workers and chromium), on a
page that loads in about 1 s alone."""


class _PatientBrowser:
    """The launched browser, whose every new context and page waits ``PAGE_TIMEOUT_MS`` by
    default."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        return context

    def new_page(self, **options):
        page = self._browser.new_page(**options)  # its own context, closed with it
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        return page

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    """Playwright driving Debian's chromium (never Playwright's own browser download); its
    contexts wait ``PAGE_TIMEOUT_MS``."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        _require("chromium", "apt-get install chromium (scripts/test.sh does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield _PatientBrowser(chromium)
        chromium.close()
