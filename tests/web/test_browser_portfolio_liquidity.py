"""A portfolio's liquidity fields in a real browser (Debian's chromium driven by Playwright):
the form sends the volume limit, the ADV cap, the impact model and the spread estimate it is
given (and none of them left blank), shows a value out of its domain under its input (the
API's 400), hides them for a portfolio of rules, and a preset's request fills them back.

Screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web import test_browser_portfolio_rules as rules_page
from tests.web.support_browser import recording_page, screenshots_dir, server_refuses, shoot

pytestmark = [pytest.mark.browser, pytest.mark.redis]

served_app = rules_page.served_app
"""The app on the shipped data and its loopback URL (the portfolio of rules' fixture)."""


def test_the_form_sends_the_liquidity_fields_and_names_a_bad_one(served_app, browser, tmp_path):
    _, served = served_app
    shots = screenshots_dir(tmp_path)
    # the server's 400 for the bad value is expected in the console
    page = recording_page(browser, {"width": 1280, "height": 1100}, "Failed to load resource")
    page.goto(f"{served}/portfolios")
    plain = page.evaluate("PortfolioForm.body()")
    assert not {"volume_limit", "slippage_model", "spread_model"} & set(plain)
    typed = {"volume_limit": 0.025, "max_adv_participation": 0.5, "impact_k": 0.8}
    chosen = {"slippage_model": "square_root", "spread_model": "corwin_schultz"}
    for name, number in typed.items():
        page.fill(f"#pf-{name}", str(number))
    for name, choice in chosen.items():
        page.select_option(f"#pf-{name}", choice)
    body = page.evaluate("PortfolioForm.body()")
    assert {k: body.get(k) for k in (*typed, *chosen)} == typed | chosen
    assert "spread_bps" not in body and "price_impact" not in body

    server_refuses(page, "#pf-volume_limit", "2", "0.025", "#pf-volume_limit", "at most 1")
    page.locator("#pf-volume_limit").scroll_into_view_if_needed()
    shoot(page.locator("#pf-form"), shots / "portfolio-form-liquidity.png")

    page.reload()  # a preset's request fills the fields back
    page.evaluate("(request) => PortfolioForm.fill(request)", body)
    again = page.evaluate("PortfolioForm.body()")
    names = ("volume_limit", "max_adv_participation", "impact_k", "slippage_model", "spread_model")
    assert {k: again.get(k) for k in names} == {k: body.get(k) for k in names}
    page.select_option("#pf-method", "rules")
    expect(page.locator("#pf-volume_limit")).to_be_hidden()
    assert "volume_limit" not in page.evaluate("PortfolioForm.body()")
    page.context.close()
    assert page.errors == []
