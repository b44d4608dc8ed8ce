"""A Python strategy in the run form, in a real browser (the ``stack`` fixture's web and
consumers): PYTHON shows a code editor with line numbers holding the example strategy; a
syntax error typed into it shows the server's message under it with a caret at its line and
column; fixed, the strategy runs in the consumer's sandbox and its run page loads with its
trades and the code's hash.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-python-*.png``).
"""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from kinds.runs.python_request import EXAMPLE_CODE, code_hash
from tests.web import test_browser_dashboard as dashboard

shoot = dashboard.shoot
shots = dashboard.shots
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BROKEN_LINE = "        if crossover(self.sma1, self.sma2)"
"""The example's line 20 without its colon: a syntax error at line 20, column 43."""


def test_a_python_strategy_shows_its_syntax_error_at_its_line_then_runs(watched, stack, shots):
    page = watched.page
    dashboard.open_form(page, stack)
    dashboard.fill_run(page, rule="PYTHON", params={}, start_date="2016-01-01")
    code = page.locator("[data-field='strategy_code']")
    expect(code).to_have_value(EXAMPLE_CODE)
    lines = page.locator(".bt-code-lines")
    expect(lines).to_have_text("\n".join(str(n) for n in range(1, EXAMPLE_CODE.count("\n") + 2)))
    assert (
        page.eval_on_selector("[data-field='strategy_code']", "n => getComputedStyle(n).fontFamily")
        .lower()
        .find("mono")
        >= 0
    )

    broken = EXAMPLE_CODE.replace(BROKEN_LINE + ":", BROKEN_LINE)
    code.fill(broken)
    feedback = page.locator("[data-field='strategy_code'] ~ .invalid-feedback")
    expect(feedback).to_contain_text("syntax error at line 20, column 43")
    caret = page.locator("[data-field='strategy_code'] ~ .bt-expr-caret")
    expect(caret).to_have_text(BROKEN_LINE + "\n" + " " * 42 + "^")
    shoot(page.locator("#run-form"), shots / "dashboard-python-error.png")

    code.fill(EXAMPLE_CODE)
    page.fill("#p-strategy-params", '{"n1": 5, "n2": 15}')
    expect(feedback).to_have_text("")
    run_id, status = dashboard.submit_form(page, stack)
    result = requests.get(f"{stack.base_url}/status/{run_id}", timeout=30).json()
    assert status["status"] == "SUCCEEDED"
    document = result.get("result") or result
    assert document["request"]["params"] == {"n1": 5, "n2": 15}
    assert document["strategy_hash"] == code_hash(EXAMPLE_CODE)
    assert document["metrics"]["num_trades"] > 0
    shoot(page, shots / "dashboard-python-run.png")


def test_a_python_strategy_reads_the_refs_picked_on_the_form(watched, stack, shots):
    """The editor's ``refs`` lists the catalog's tickers; a pairs strategy reading
    ``self.ref("DEMOIX")`` runs with DEMOIX picked there, its request naming it."""
    from tests.strategy.test_strategy_refs import RATIO

    page = watched.page
    dashboard.open_form(page, stack)
    dashboard.fill_run(page, rule="PYTHON", params={}, start_date="2016-01-01")
    refs = page.locator("[data-field='refs']")
    options = refs.locator("option")
    assert {"ACME", "DEMOIX"} <= set(options.evaluate_all("os => os.map(o => o.value)"))
    page.locator("[data-field='strategy_code']").fill(RATIO)
    page.fill("#p-strategy-class", "Ratio")
    refs.select_option(["DEMOIX"])
    shoot(page.locator("#run-form"), shots / "dashboard-python-refs.png")
    run_id, _ = dashboard.submit_form(page, stack)
    result = requests.get(f"{stack.base_url}/status/{run_id}", timeout=30).json()
    document = result.get("result") or result
    assert document["request"]["refs"] == ["DEMOIX"]
    assert document["metrics"]["num_trades"] > 3
