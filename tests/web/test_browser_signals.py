"""The signal analyzer in a real browser (Debian's chromium driven by Playwright): the run
form shows the validator's warning for a rule that never fires, its "Analyze signals"
button opens the Signals view with the form's fields, and a run page's "Signals" button
opens it with the run's stored request; both draw their charts with no script error.

The app is served on loopback from a thread (SQLite, the test Redis, the repository's demo
data; no consumer: the SUCCEEDED run is stored by the test). The Signals view's screenshot
(1280 x 1040, 256 colours) goes to the test's temporary directory, or to
DASHBOARD_SCREENSHOTS_DIR when set (``signals.png``, the picture in docs/dashboard.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page
from tests.web.support_dashboard import add_succeeded
from tests.web.test_browser_dashboard import shoot

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

VIEWPORT = {"width": 1280, "height": 1040}
ACME_WINDOW = {"ticker": "ACME", "start_date": "2016-01-01", "end_date": "2020-12-31"}


@pytest.fixture
def served(sqlite_url, redis_url, demo_data_dir) -> Iterator[tuple[str, str]]:
    """(base URL, run_id of a SUCCEEDED ACME SMA_CROSS run) of the app served on loopback."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    run, _ = add_succeeded(app, **ACME_WINDOW, params={"fast": 10, "slow": 30}, charts=False)
    with on_loopback(app) as base_url:
        yield base_url, run.run_id


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page that records script errors in ``page.errors`` (asserted empty after)."""
    page = recording_page(browser, VIEWPORT)
    yield page
    page.context.close()
    assert page.errors == []


def _charts_drawn(page) -> None:
    page.wait_for_selector("#chart-signals-price[data-ready='1'] canvas")
    page.wait_for_selector("#chart-signals-returns[data-ready='1'] canvas")


def test_the_form_warns_and_opens_the_signals_view(page, served, tmp_path: Path):
    """RSI oversold 1 → "never enters" under the parameters; back to 30, the warning goes
    and "Analyze signals" opens /signals with the form's rule, ticker and window."""
    base_url, _ = served
    page.goto(f"{base_url}/")
    page.wait_for_selector("#run-form[data-ready='1']")
    page.select_option("#f-ticker", "ACME")
    page.fill("#f-start", ACME_WINDOW["start_date"])
    page.fill("#f-end", ACME_WINDOW["end_date"])
    page.select_option("#f-rule", "RSI")
    page.fill("[data-field='params.oversold']", "1")
    warning = page.wait_for_selector(".bt-signal-warning[data-code='never_fires']")
    assert "never enters" in warning.text_content()
    page.screenshot(path=str(tmp_path / "form-warning.png"))
    page.fill("[data-field='params.oversold']", "30")
    page.wait_for_selector(".bt-signal-warning", state="detached")
    assert "entries" in page.text_content("#signal-summary")

    page.click("#analyze-signals")
    page.wait_for_url("**/signals?**")
    _charts_drawn(page)
    assert "rsi-14-30-70" in page.text_content("h1")
    rows = page.query_selector_all("#signals-returns tbody tr")
    assert [row.get_attribute("data-horizon") for row in rows] == ["1", "5", "20"]
    assert int(page.text_content("#signals-entries [data-count]")) > 0
    shots = Path(os.environ.get("DASHBOARD_SCREENSHOTS_DIR") or tmp_path)
    shoot(page, shots / "signals.png")


def test_a_run_page_opens_the_signals_view_of_its_request(page, served):
    """The run's "Signals" button → /signals?from=<run_id>, analysing its stored request,
    with a way back to the run; other horizons keep the run."""
    base_url, run_id = served
    page.goto(f"{base_url}/runs/{run_id}")
    page.click("#run-signals")
    page.wait_for_url(f"**/signals?from={run_id}")
    _charts_drawn(page)
    assert "sma_cross-10-30" in page.text_content("h1")
    assert page.get_attribute("#signals-run", "href") == f"/runs/{run_id}"

    page.fill("#signals-h", "2, 10")
    page.click("#signals-horizons button")
    page.wait_for_url(f"**/signals?from={run_id}&horizons=2*")
    _charts_drawn(page)
    rows = page.query_selector_all("#signals-returns tbody tr")
    assert [row.get_attribute("data-horizon") for row in rows] == ["2", "10"]
