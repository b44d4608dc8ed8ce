"""The walk-forward form filled from a request another page hands over (``#request=`` + its
JSON: the study page's "walk-forward this space"), in a real browser (Debian's chromium
driven by Playwright) against the ``stack`` fixture's web."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#wf-form[data-ready='1']")
    return page, errors


def test_a_handed_request_fills_the_walkforward_form(stack, browser):
    """Ticker, rule, dates, a grid range, a fixed parameter, a stop and the window fields
    land in their inputs."""
    request = {
        "ticker": "ACME",
        "rule_type": "RSI",
        "start_date": "2018-01-01",
        "end_date": "2020-12-31",
        "params": {"overbought": 72},
        "grid": {"period": "5:30:5", "oversold": [20, 25, 30]},
        "stop_loss_pct": 4,
        "train_bars": 300,
        "metric": "total_return_pct",
    }
    url = f"{stack.base_url}/walkforward#request={quote(json.dumps(request))}"
    page, errors = _open(browser, url)
    expect(page.locator("#w-ticker")).to_have_value("ACME")
    expect(page.locator("#w-rule")).to_have_value("RSI")
    expect(page.locator("#w-start")).to_have_value("2018-01-01")
    expect(page.locator("#w-end")).to_have_value("2020-12-31")
    expect(page.locator("#w-p-period")).to_have_value("5:30:5")
    expect(page.locator("#w-p-oversold")).to_have_value("20,25,30")
    expect(page.locator("#w-p-overbought")).to_have_value("72")
    expect(page.locator("#w-f-stop_loss_pct")).to_have_value("4")
    expect(page.locator("#w-train_bars")).to_have_value("300")
    expect(page.locator("#w-metric")).to_have_value("total_return_pct")
    page.context.close()
    assert errors == []


def test_expr_dollar_names_go_to_the_values_input(stack, browser):
    """An EXPR request's texts fill the texts and its $names (fixed and swept) the values."""
    request = {
        "ticker": "ACME",
        "rule_type": "EXPR",
        "params": {"entry": "rsi(close, $n) < $low", "exit": "rsi(close, $n) > 70", "low": 30},
        "grid": {"n": "2:10:2"},
    }
    url = f"{stack.base_url}/walkforward#request={quote(json.dumps(request))}"
    page, errors = _open(browser, url)
    expect(page.locator("#w-p-entry")).to_have_value("rsi(close, $n) < $low")
    values = json.loads(page.locator("#w-p-values").input_value())
    assert values == {"low": 30, "n": "2:10:2"}
    page.context.close()
    assert errors == []


def test_an_unreadable_request_is_said_above_the_form(stack, browser):
    """A hand-over that is no JSON leaves the form as it was and says so."""
    page, errors = _open(browser, f"{stack.base_url}/walkforward#request=%7Bnot-json")
    expect(page.locator("#wf-error")).to_contain_text("cannot be read")
    expect(page.locator("#w-rule")).to_have_value("SMA_CROSS")
    page.context.close()
    assert errors == []
