"""The strategy language in the run form, in a real browser (Debian's chromium driven by
Playwright, the ``stack`` fixture's web and consumers): the issue's example typed with a
syntax error shows the server's message with a caret under its column as it is typed; fixed,
it runs, and the run page draws its SMA over the candles and its RSI panel.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-expr-*.png``).
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.web import test_browser_dashboard as dashboard

shoot = dashboard.shoot
shots = dashboard.shots
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

ENTRY = "close > sma(close, 200) and rsi(close, $n) < $low"
EXIT = "rsi(close, $n) > $high or close < lag(lowest(low, 20), 1)"
BROKEN = "close > sma(close, 200) and rsi(close, $n) < < $low"
"""The entry with a second '<' at column 46."""


def test_an_expression_shows_its_error_at_its_column_then_runs_with_its_panels(
    watched, stack, shots
):
    page = watched.page
    dashboard.open_form(page, stack)
    dashboard.fill_run(page, rule="EXPR", params={}, start_date="2015-01-01")
    page.fill("[data-field='params.exit']", EXIT)
    page.fill("[data-field='params.entry']", BROKEN)
    for name, value in (("n", "2"), ("low", "10"), ("high", "90")):
        page.fill(f"[data-field='params.{name}']", value)
    page.fill("[data-field='params.bounds']", '{"n": [2, 50]}')
    feedback = page.locator("[data-field='params.entry'] ~ .invalid-feedback")
    expect(feedback).to_contain_text("params.entry at column 46: unexpected '<'")
    caret = page.locator("[data-field='params.entry'] ~ .bt-expr-caret")
    expect(caret).to_have_text(BROKEN + "\n" + " " * 45 + "^")
    shoot(page.locator("#run-form"), shots / "dashboard-expr-error.png")

    page.fill("[data-field='params.entry']", ENTRY)
    expect(feedback).to_have_text("")
    expect(caret).to_have_text("")
    page.click("#submit-run")
    page.wait_for_url("**/runs/*", timeout=dashboard.TIMEOUT_MS)
    page.wait_for_selector("body[data-result='loaded']", timeout=dashboard.TIMEOUT_MS)
    page.click("#tab-candles")
    page.wait_for_selector("#chart-candles[data-ready='1'] canvas")
    page.wait_for_selector("#candles-panels[data-ready='1']")
    keys = page.eval_on_selector_all(
        "#candles-panels [data-panel]", "els => els.map(e => e.dataset.panel)"
    )
    assert keys == ["rsi", "volume"]
    legend = page.locator("#chart-candles .u-legend").text_content()
    assert "sma(close, 200)" in legend and "lowest(low, 20)" in legend
    page.set_viewport_size({"width": 1280, "height": 1100})
    page.evaluate("document.getElementById('run-tabs').scrollIntoView()")
    shoot(page, shots / "dashboard-expr-panels.png")


def test_a_sweep_of_an_expression_grids_its_parameters_from_the_sweep_form(watched, stack):
    """The sweep form takes EXPR's texts and a JSON of $name values (a range is swept);
    the sweep it submits runs to 100%."""
    page = watched.page
    page.goto(f"{stack.base_url}/sweeps")
    page.select_option("#s-rule", "EXPR")
    page.fill("#s-p-entry", ENTRY.replace("200", "50"))
    page.fill("#s-p-exit", EXIT)
    page.fill("#s-p-bounds", '{"n": [2, 50]}')
    page.fill("#s-p-values", '{"n": "2:6:2", "low": [10, 20], "high": 90}')
    page.fill("#s-chunk", "50")
    expect(page.locator("#s-count")).to_contain_text("6 combinations")
    page.click("#submit-sweep")
    page.wait_for_url("**/sweeps/*-*", timeout=30_000)
    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=dashboard.TIMEOUT_MS
    )


def test_the_reference_panel_lists_the_servers_functions_and_inserts_an_example(
    watched, stack, shots
):
    """The run form's collapsible reference is the server's function table (one row per
    function of /api/rules' EXPR language); a click on an example fills the texts and the
    $names' values, a click on a signature inserts it at the cursor; the example runs as is
    (the live check finds nothing)."""
    page = watched.page
    dashboard.open_form(page, stack)
    page.select_option("#f-rule", "EXPR")
    language = _language(page, stack)
    panel = page.locator("#run-form details.bt-expr-help")
    panel.locator("summary").click()
    rows = panel.locator(".bt-expr-functions [data-function]")
    expect(rows).to_have_count(len(language["functions"]))
    expect(rows.first).to_contain_text(language["functions"][0]["signature"])
    expect(rows.first).to_contain_text(language["functions"][0]["summary"])
    example = language["examples"][0]
    panel.locator(".bt-expr-example").first.click()
    expect(page.locator("[data-field='params.entry']")).to_have_value(example["entry"])
    expect(page.locator("[data-field='params.exit']")).to_have_value(example["exit"])
    expect(page.locator("[data-field='params.n']")).to_have_value("2")
    expect(page.locator("[data-field='params.high']")).to_have_value("90")
    expect(page.locator("#run-form details.bt-expr-help")).to_have_attribute("open", "")

    exit_text = page.locator("[data-field='params.exit']")
    exit_text.click()
    page.keyboard.press("End")
    exit_text.press_sequentially(" or close < ")
    page.locator("#run-form [data-function='atr'] button").click()
    expect(exit_text).to_have_value(example["exit"] + " or close < atr(n)")
    page.set_viewport_size({"width": 1280, "height": 1400})
    shoot(page.locator("#run-form"), shots / "dashboard-expr-reference.png")


def _language(page, stack) -> dict:
    rules = page.request.get(f"{stack.base_url}/api/rules").json()
    return next(rule["language"] for rule in rules if rule["rule_type"] == "EXPR")


@pytest.mark.parametrize(
    ("path", "prefix"), [("/sweeps", "s"), ("/walkforward", "w")], ids=["sweep", "walkforward"]
)
def test_the_sweep_and_walkforward_forms_show_a_texts_error_at_its_column_as_it_is_typed(
    watched, stack, shots, path, prefix
):
    """The sweep and walk-forward forms ask the server as the text is typed (their own
    validation routes) and draw its message under the text with a caret at its column, as
    the run form does; an example from their reference panel clears it."""
    page = watched.page
    page.goto(f"{stack.base_url}{path}")
    page.select_option(f"#{prefix}-rule", "EXPR")
    page.fill(f"#{prefix}-p-exit", EXIT)
    page.fill(f"#{prefix}-p-values", '{"n": "2:6:2", "low": 10, "high": 90}')
    page.fill(f"#{prefix}-p-entry", BROKEN)
    entry = page.locator(f"#{prefix}-p-entry")
    feedback = entry.locator("xpath=following-sibling::div[contains(@class,'invalid-feedback')]")
    caret = entry.locator("xpath=following-sibling::pre[contains(@class,'bt-expr-caret')]")
    expect(feedback).to_contain_text("params.entry at column 46: unexpected '<'")
    expect(caret).to_have_text(BROKEN + "\n" + " " * 45 + "^")
    expect(entry).to_have_class(re.compile("is-invalid"))
    shoot(page.locator(f"#{prefix}-params"), shots / f"{prefix}-expr-error.png")

    page.locator(f"#{prefix}-params details.bt-expr-help summary").click()
    page.locator(f"#{prefix}-params .bt-expr-example").first.click()
    example = _language(page, stack)["examples"][0]
    expect(entry).to_have_value(example["entry"])
    values = page.locator(f"#{prefix}-p-values").input_value()
    assert json.loads(values) == {**example["params"], **example["grid"]}
    expect(caret).to_have_text("")
    expect(feedback).to_have_text("")
