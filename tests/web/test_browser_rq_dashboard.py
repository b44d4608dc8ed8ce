"""rq-dashboard at /rq in a real browser (Debian's chromium via Playwright): its own buttons,
same-origin POSTs, still requeue, empty and compact; following the "Requeue All" link as a
GET (what a link or an image of another site does) is 405 and requeues nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from kinds.runs.kind import enqueue_run
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import shoot
from tests.web.support_dashboard import make_request
from tests.web.test_dashboard_rq import failed_job
from web.queue import get_run_queue

pytestmark = [pytest.mark.browser, pytest.mark.redis]


def _ask(page, button: str) -> None:
    """Click ``button`` and wait until its confirmation dialog has finished opening, as a
    person reads it before answering: Bootstrap 4 ignores a ``hide`` while the dialog's
    opening transition runs, so a Yes clicked in those ~300 ms on a loaded machine did its
    action and left the dialog open."""
    page.evaluate(
        "() => { window.confirmationShown = false;"
        " $('#confirmation-modal').one('shown.bs.modal',"
        " () => { window.confirmationShown = true; }); }"
    )
    page.locator(button).click()
    page.wait_for_function("window.confirmationShown === true")


def test_rq_dashboards_buttons_work_and_a_get_requeues_nothing(
    browser, sqlite_url, redis_url, data_dir, tmp_path: Path
):
    """The failed-jobs page lists the failed job; a navigation to the Requeue All link is 405
    and the job stays failed; the job's Requeue button requeues it; Empty (confirmed) empties
    the queue, and Compact of the empty queue answers 200."""
    app = app_with_schema(sqlite_url, redis_url, data_dir, RQ_DASHBOARD_ENABLED="1")
    queue = get_run_queue(app).queue
    job_id = failed_job(app)
    with on_loopback(app) as base:
        page = browser.new_page()
        failed = f"{base}/rq/0/view/jobs/{queue.name}/failed/8/asc/1"
        page.goto(failed)
        row = page.locator(f"tr[data-job-id='{job_id}']")
        row.wait_for()
        shoot(page, tmp_path / "failed.png")

        link = page.locator("#requeue-all-btn").get_attribute("href")
        answer = page.goto(f"{base}{link}")
        assert answer is not None and answer.status == 405
        assert queue.failed_job_registry.get_job_ids() == [job_id]

        page.goto(failed)
        page.locator(f"tr[data-job-id='{job_id}'] [data-role=requeue-job-btn]").click()
        page.wait_for_function(f"!document.querySelector(\"tr[data-job-id='{job_id}']\")")
        assert queue.job_ids == [job_id]

        enqueue_run(queue, make_request())
        page.goto(f"{base}/rq/0/view/jobs/{queue.name}/queued/8/asc/1")
        _ask(page, "#empty-btn")
        page.locator("#confirmation-modal-yes").click()
        page.wait_for_function("document.querySelectorAll('tr[data-job-id]').length === 0")
        shoot(page, tmp_path / "emptied.png")
        assert queue.job_ids == []

        page.locator("#confirmation-modal").wait_for(state="hidden")
        _ask(page, "#compact-btn")
        with page.expect_response(lambda response: response.url.endswith("/compact")) as sent:
            page.locator("#confirmation-modal-yes").click()
        assert sent.value.status == 200  # an empty queue: nothing to compact
