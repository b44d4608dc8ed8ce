"""A portfolio of rules in a real browser (Debian's chromium driven by Playwright): the form's
"rules" allocation shows its own inputs (rule, parameters, EXPR texts, entry size, stops,
fees) and hides the ranking's, the caps' and the rebalance's, builds the request's
``strategy`` block, shows a bad rule parameter under its input (the API's 400), and the
accepted portfolio, computed as a Job computes it, is drawn on its page with its rule in
the summary and its stop exits in the orders.

Screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/portfolios.md's
``portfolio-form-rules.png`` and ``portfolio-rules.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

import data
from tests.portfolios.support import execute_item
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import screenshots_dir, server_refuses, shoot
from tests.web.test_portfolio_pages import with_pages

pytestmark = [pytest.mark.browser, pytest.mark.redis]

SHIPPED_DATA = Path(data.__file__).resolve().parent


@pytest.fixture
def served_app(sqlite_url: str, redis_url: str) -> Iterator[tuple]:
    """The app (for computing its portfolios in-process) and its loopback URL."""
    app = with_pages(app_with_schema(sqlite_url, redis_url, SHIPPED_DATA))
    with on_loopback(app) as base_url:
        yield app, base_url


RULES_FORM = {
    "start": "2016-01-04",
    "end": "2021-12-31",
    "rule_type": "SMA_CROSS",
    "rule_params": "fast=10, slow=40",
    "rule_sl": "8",
    "name": "SMA cross on every name",
}
"""What the form is given (input id after ``pf-`` → text)."""


def test_the_form_builds_a_portfolio_of_rules_and_its_page_draws_it(served_app, browser, tmp_path):
    app, served = served_app
    shots = screenshots_dir(tmp_path)
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/portfolios")
    expect(page.locator("#pf-rule_type")).to_be_hidden()
    page.select_option("#pf-method", "rules")
    expect(page.locator("#pf-rule_type")).to_be_visible()
    expect(page.locator("#pf-score")).to_be_hidden()
    for weights_only in ("#pf-max_weight", "#pf-vol", "#pf-drift", "#pf-schedule"):
        expect(page.locator(weights_only)).to_be_hidden()
    for field, value in RULES_FORM.items():
        page.fill(f"#pf-{field}", value)
    body = page.evaluate("PortfolioForm.body()")
    assert body["allocation"] == {"method": "rules"}
    assert body["strategy"] == {
        "rule_type": "SMA_CROSS",
        "params": {"fast": 10, "slow": 40},
        "size_type": "percent",
        "stop_loss_pct": 8,
    }
    assert "params" not in body

    params = "#pf-rule_params"
    server_refuses(page, params, "fast=50, slow=40", "fast=10, slow=40", params, "strategy.params")
    page.locator("#pf-rule_params").blur()
    shoot(page.locator("#pf-form"), shots / "portfolio-form-rules.png")

    answer = page.request.post(
        f"{served}/api/portfolios", data=page.evaluate("PortfolioForm.body()")
    )
    assert answer.status == 202, answer.text()
    portfolio_id = answer.json()["portfolio_id"]
    execute_item(app, portfolio_id)
    page.goto(f"{served}/portfolios/{portfolio_id}")
    expect(page.locator("body")).to_have_attribute("data-portfolio-status", "SUCCEEDED")
    for chart in ("pf-equity", "pf-drawdown", "pf-weights"):
        expect(page.locator(f"#{chart}[data-ready='1'] canvas")).to_have_count(1)
    expect(page.locator("#pf-setup")).to_contain_text("each ticker by SMA_CROSS(fast=10, slow=40)")
    expect(page.locator("#pf-setup")).to_contain_text("stop-loss 8%")
    assert page.locator("#pf-orders tbody tr").count() > 20
    expect(page.locator("#pf-orders")).to_contain_text("stop_loss")
    # a portfolio of rules has no rebalances: its signals decide on the closes with orders
    expect(page.locator("#pf-kpis")).to_contain_text("closes with orders")
    expect(page.locator("#pf-kpis")).not_to_contain_text("rebalances")
    expect(page.locator("#pf-turnover-card, .card:has(#pf-turnover)").first).to_contain_text(
        "on each of its closes with orders"
    )
    shoot(page, shots / "portfolio-rules.png", full_page=True)
    context.close()
    assert errors == []
