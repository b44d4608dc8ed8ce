"""The report-depth metrics on the run page's Report tab in a real browser (Debian's
chromium, Playwright): one row per metric with its note on hover, and the "HTML report"
link answering the self-contained file of the report on screen. Screenshots go to a
temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``dashboard-report-metrics.png``, ``report-export.png``, shown in docs/dashboard.md)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from metrics import REPORT_METRICS, note
from tests.web.test_browser_dashboard import shoot, shots  # noqa: F401
from tests.web.test_browser_report import report_tab, served_run  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


def test_the_report_tab_lists_every_report_metric_and_links_its_html_file(
    browser,
    served_run,  # noqa: F811
    shots,  # noqa: F811
):
    base_url, run_id, _ = served_run
    context, page, watched = report_tab(browser, base_url, run_id)
    expect(page.locator("#pane-report")).to_have_attribute("data-ready", ":63")
    rows = page.locator("#report-tearsheet tbody tr")
    expect(rows).to_have_count(len(REPORT_METRICS))
    omega = page.locator("#report-tearsheet tr[data-metric='omega_ratio'] td")
    expect(omega.first).to_have_attribute("title", note("omega_ratio"))
    expect(omega.last).not_to_have_text("—")
    link = page.locator("#report-export")
    expect(link).to_have_attribute("href", f"/api/runs/{run_id}/report.html")
    page.locator("#report-tearsheet").scroll_into_view_if_needed()
    shoot(page, shots / "dashboard-report-metrics.png")
    exported = context.new_page()
    exported.set_content(page.request.get(f"{base_url}/api/runs/{run_id}/report.html").text())
    shoot(exported, shots / "report-export.png")
    context.close()
    assert watched.errors == []
