"""A PYTHON sweep from the dashboard in a real browser (Debian's chromium driven by
Playwright, the ``stack`` fixture's web and consumers): the sweep form's rule PYTHON shows the
run form's code editor (``BT.codeBox``) with the example strategy; a syntax error typed into
it is the server's message at its line and column before any submission; fixed, one class
attribute swept over three values runs, the sweep page reaches SUCCEEDED and its best row
(by the Sharpe ratio the top table sorts on, as the API's ``best`` ranks them) opens that
combination's run: its page loads with the combination's attributes, and its metrics are
the sweep's row's.

Screenshots go to a temporary directory, or to SWEEP_SCREENSHOTS_DIR when set
(``SWEEP_SCREENSHOTS_DIR=docs/images`` refreshes docs/sweeps.md's ``sweep-python.png``).
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from kinds.runs.python_request import EXAMPLE_CODE, code_hash
from metrics import SWEEP_METRIC_KEYS
from tests.sweeps.test_sweep_browser import TIMEOUT_MS, shots  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BROKEN_LINE = "        if crossover(self.sma1, self.sma2)"
"""The example's line 20 without its colon: a syntax error at line 20, column 43."""


def test_a_python_sweep_from_the_form_runs_and_its_best_row_opens_its_run(
    stack,
    browser,
    shots,  # noqa: F811 (the fixture)
):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    posts: list[str] = []
    submission = re.compile(r"/api/sweeps$")
    page.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and submission.search(r.url) else None,
    )
    page.goto(f"{stack.base_url}/sweeps")
    page.select_option("#s-rule", "PYTHON")
    code = page.locator("#s-p-strategy-code")
    expect(code).to_have_value(EXAMPLE_CODE)
    expect(page.locator("#s-params .bt-code-lines")).to_contain_text("20\n21")
    for box in page.locator("#s-tickers input:checked").all():
        box.uncheck()
    page.check("#s-t-ACME")
    page.fill("#s-start", "2016-01-01")
    page.fill("#s-end", "2017-12-31")
    page.fill("#s-p-values", '{"n1": [5, 10, 15], "n2": 40}')
    code.fill(EXAMPLE_CODE.replace(BROKEN_LINE + ":", BROKEN_LINE))
    page.wait_for_load_state("networkidle")
    page.click("#submit-sweep")
    expect(page.locator("#sweep-error")).to_contain_text("syntax error at line 20, column 43")
    caret = page.locator("#s-params .bt-code .bt-expr-caret")
    expect(caret).to_have_text(BROKEN_LINE + "\n" + " " * 42 + "^")
    page.locator("#sweep-form").screenshot(path=str(shots / "sweep-python-error.png"))
    assert posts == []

    code.fill(EXAMPLE_CODE)
    expect(page.locator("#s-count")).to_contain_text("3 combinations")
    page.click("#submit-sweep")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    rows = page.locator("#top-table tbody tr")
    expect(rows).to_have_count(3)
    page.screenshot(path=str(shots / "sweep-python.png"), full_page=True)
    sweep_id = page.url.rsplit("/", 1)[1]
    sweep = requests.get(
        f"{stack.base_url}/api/sweeps/{sweep_id}?metric=sharpe_ratio", timeout=30
    ).json()
    best = sweep["best"][0]
    ranked = sorted(sweep["best"], key=lambda row: row["metrics"]["sharpe_ratio"], reverse=True)
    assert len(sweep["best"]) == 3 and best == ranked[0]
    assert best["metrics"]["sharpe_ratio"] > ranked[-1]["metrics"]["sharpe_ratio"]
    expect(rows.first).to_have_attribute("data-combo", str(best["combo_no"]))
    rows.first.click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"), timeout=30_000)
    page.wait_for_selector("body[data-result='loaded']", timeout=TIMEOUT_MS)
    expect(page.locator("body")).to_contain_text(f"python-smacross-{code_hash(EXAMPLE_CODE)[:12]}")
    run_id = page.url.rsplit("/", 1)[1]
    status = requests.get(f"{stack.base_url}/status/{run_id}", timeout=30).json()
    assert status["status"] == "SUCCEEDED", status
    document = status.get("result") or status
    assert document["request"]["params"] == {"n2": 40, **best["params"]}
    assert {key: document["metrics"].get(key) for key in SWEEP_METRIC_KEYS} == {
        key: best["metrics"].get(key) for key in SWEEP_METRIC_KEYS
    }
    page.screenshot(path=str(shots / "sweep-python-best.png"), full_page=True)
    assert errors == []
