"""The capacity curve in the browser, on the whole platform (the ``stack`` fixture): the run
form's "Capacity curve" checkbox sends ``capacity``, the consumer's Job computes the curve
with the run, and the run page's Capacity tab shows its chart (drawn by the server) and its
table, one row per capital (docs/capacity.md)."""

from __future__ import annotations

import pytest
import requests

from engine.capacity import capital_grid
from tests.web.support_browser import shoot
from tests.web.test_browser_dashboard import (  # noqa: F401  (fixtures)
    TIMEOUT_MS,
    fill_run,
    open_form,
    shots,
    watched,
)

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]


def test_a_run_with_capacity_from_the_form_shows_its_curve(watched, stack, shots):  # noqa: F811
    """The thin demo ticker's demo strategy with the box ticked: the request stores
    ``capacity: true``, the tab lists the 12 default capitals with their figures, the chart
    is the server's SVG of the stored table, and the verdict line is there."""
    page = watched.page
    open_form(page, stack)
    assert not page.is_checked("#f-capacity")
    params = {"fast": "10", "slow": "50"}
    fill_run(page, rule="SMA_CROSS", params=params, ticker="MOSS", start_date="2014-01-02")
    page.check("#f-capacity")
    page.uncheck("#use-cache")
    page.click("#submit-run")
    page.wait_for_url("**/runs/*", timeout=TIMEOUT_MS)
    page.wait_for_selector("body[data-result='loaded']", timeout=TIMEOUT_MS)
    run_id = page.url.rsplit("/", 1)[1]
    status = requests.get(f"{stack.base_url}/api/runs/{run_id}?result=false", timeout=30).json()
    assert status["request"]["capacity"] is True
    page.click("#tab-capacity")
    page.wait_for_selector("#pane-capacity[data-drawn='true']")
    rows = page.locator("#capacity-table tbody tr")
    assert rows.count() == len(capital_grid())
    capitals = [float(c) for c in rows.evaluate_all("rs => rs.map(r => r.dataset.capital)")]
    assert capitals == list(capital_grid())
    assert rows.first.locator("td").first.text_content() == "10k"
    assert rows.last.locator("td").first.text_content() == "1B"
    chart = page.locator("#capacity-chart")
    page.wait_for_selector("#pane-capacity[data-chart='loaded']")
    assert chart.get_attribute("src").endswith(f"/api/runs/{run_id}/capacity.svg")
    assert "Sharpe ratio" in page.locator("#capacity-verdict").text_content()
    stored = requests.get(f"{stack.base_url}/api/runs/{run_id}/capacity", timeout=30).json()
    sharpe = rows.first.locator("td").nth(1).text_content()
    assert sharpe == f"{stored['points']['sharpe_ratio'][0]:.2f}"
    shoot(page.locator("#pane-capacity"), shots / "capacity.png")


def test_the_thin_tickers_curve_falls_and_marks_the_half_sharpe_capital(watched, stack, shots):  # noqa: F811
    """The demo strategy on MOSS with a volume limit, submitted through the API and opened
    in the browser: the Sharpe ratio falls to half within the 12 capitals, the chart marks
    that capital and the verdict line says it."""
    body = {"ticker": "MOSS", "rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 50}}
    body |= {"start_date": "2014-01-02", "end_date": "2024-12-31", "capacity": True}
    body |= {"volume_limit": 0.1, "charts": False, "cache": False}
    submitted = requests.post(f"{stack.base_url}/run_backtest", json=body, timeout=30)
    assert submitted.status_code == 202, submitted.text
    run_id = submitted.json()["run_id"]
    page = watched.page
    page.goto(f"{stack.base_url}/runs/{run_id}")
    page.wait_for_selector("body[data-result='loaded']", timeout=TIMEOUT_MS)
    page.click("#tab-capacity")
    page.wait_for_selector("#pane-capacity[data-drawn='true']")
    page.wait_for_selector("#pane-capacity[data-chart='loaded']")
    stored = requests.get(f"{stack.base_url}/api/runs/{run_id}/capacity", timeout=30).json()
    assert stored["half_sharpe_capital"] is not None
    assert "falls to half" in page.locator("#capacity-verdict").text_content()
    svg = requests.get(f"{stack.base_url}/api/runs/{run_id}/capacity.svg", timeout=30).text
    assert 'data-mark="half-sharpe"' in svg
    shoot(page.locator("#pane-capacity"), shots / "capacity-thin.png")
