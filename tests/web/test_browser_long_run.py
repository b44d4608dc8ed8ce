"""A long run's page in a real browser (Debian's chromium driven by Playwright) against the
whole platform (the ``stack`` fixture): five years of one-minute bars imported into the user
catalog, submitted over HTTP, run by a consumer Job, its page showing the bar count and its
charts drawn from the stored points, with no script error.

Screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``long-run-<tab>.png``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

import data
from adapters.curves import curve_points
from bench.long_run_bench import FIVE_YEAR_RUN, FIVE_YEARS
from data.catalog import user_catalog_dir
from data.generate_intraday import session_csv
from tests.web.support_browser import recording_page, screenshots_dir, shoot

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def minutes() -> Iterator[str]:
    """MINUTES in the session's user catalog (the stack reads it), taken out again after the
    test: later tests list the catalog and must not meet it."""
    catalog = user_catalog_dir()
    before = (
        {path.name: path.read_bytes() for path in catalog.glob("*")} if catalog.is_dir() else {}
    )
    data.register_csv(session_csv(FIVE_YEARS, 1), "MINUTES")
    try:
        yield "MINUTES"
    finally:
        for path in catalog.glob("*"):
            if path.name not in before:
                path.unlink()
        for name, content in before.items():
            (catalog / name).write_bytes(content)


def test_a_five_year_minute_runs_page_draws_its_points(stack, browser, tmp_path, minutes):
    response = stack.submit({**FIVE_YEAR_RUN, "charts": True})
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    status = stack.wait_finished([run_id], timeout=300)[run_id]
    assert status["status"] == "SUCCEEDED", status["error_message"]

    points = len(status["result"]["equity_curve"]["bar"])
    assert points == len(curve_points(FIVE_YEARS, 20_000)) == 19_657  # every 25th bar, the last
    shots = screenshots_dir(tmp_path)
    page = recording_page(browser)
    try:
        page.goto(f"{stack.base_url}/runs/{run_id}")
        state = page.locator("#result-state")
        trades = len(status["result"]["trades"])
        expected = f"{FIVE_YEARS} bars (charts: {points} points) · {trades} trades"
        expect(state).to_have_text(expected, timeout=60_000)
        shoot(page, shots / "long-run-equity.png")
        for tab in ("drawdown", "candles"):
            page.click(f"#tab-{tab}")
            page.wait_for_timeout(1_500)
            shoot(page, shots / f"long-run-{tab}.png")
        assert page.errors == []
    finally:
        page.context.close()
