"""The queue panel in a real browser (Debian's chromium via Playwright) while consumers start:
the web alone (``LocalStack(scaler=False)``) on its own queue, and a local scaler driven from
the test whose consumers are processes that never register (``sleep``), so "starting" lasts
as long as the test needs. One consumer gets a registered RQ worker of its name meanwhile:
the panel shows "1 starting, 1 running" and lists both.

The panel's screenshot goes to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when
set (``dashboard-queue-starting.png``, shown in docs/dashboard.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from redis import Redis

from consumer.scaler import LocalScaler
from consumer.scaling import load_scaled_job
from tests.servers import STACK_REDIS_URL
from tests.stack import LocalStack
from tests.web.support_dashboard import registered_worker
from tests.web.test_browser_dashboard import VIEWPORT
from work.queue import backtest_queue

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def web_only(mysql_url: str, tmp_path: Path) -> Iterator[LocalStack]:
    """``python -m web`` on a queue of its own, with no scaler."""
    platform = LocalStack(mysql_url, STACK_REDIS_URL, tmp_path / "web", scaler=False).start()
    yield platform
    platform.stop()


@pytest.fixture
def sleeping_scaler(web_only: LocalStack) -> Iterator[LocalScaler]:
    """A local scaler of the web's queue whose consumers sleep instead of registering."""
    connection = Redis.from_url(STACK_REDIS_URL)
    spec = load_scaled_job(web_only.manifest)
    scaler = LocalScaler(spec, connection, command=["sleep", "120"])
    yield scaler
    scaler.shutdown(grace=5)
    connection.delete(spec.list_name)
    connection.close()


def test_the_panel_counts_consumers_that_are_starting(browser, web_only, sleeping_scaler):
    """Two consumers launched, one registered: 2 consumers, "1 starting, 1 running", the
    starting one listed as starting; once the scaler stops, "0 starting"."""
    scaler = sleeping_scaler
    scaler.connection.rpush(scaler.spec.list_name, "run-a", "run-b")
    assert scaler.poll_once().started == 2
    queue = backtest_queue(scaler.connection, web_only.queue)
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    panel = "#queue-panel [data-q='{}']".format
    try:
        with registered_worker(queue, "local-consumer-1:1"):
            page.goto(f"{web_only.base_url}/runs")
            page.wait_for_selector("#queue-panel[data-state='ok']")
            assert page.text_content(panel("consumers")) == "2"
            assert page.text_content(panel("consumer-split")) == "1 starting, 1 running"
            listed = page.text_content(panel("workers"))
            assert "local-consumer-2 starting" in listed
            assert "local-consumer-1:1" in listed
            assert page.locator("#queue-panel .bt-dot-starting").count() == 1
            shots = Path(os.environ.get("DASHBOARD_SCREENSHOTS_DIR") or web_only.workdir)
            shots.mkdir(parents=True, exist_ok=True)
            page.locator("#queue-panel").screenshot(
                path=str(shots / "dashboard-queue-starting.png")
            )
            scaler.shutdown(grace=5)
        expect(page.locator(panel("consumer-split"))).to_have_text(
            "0 starting, 0 running", timeout=10_000
        )
        assert errors == []
    finally:
        context.close()
