"""The sweep page's overfitting statistics in a real browser (Debian's chromium driven by
Playwright) against the whole platform (the ``stack`` fixture: web and local scaler on
MariaDB and Redis): a 60-combination sweep runs through the queue, its last chunk stores the
statistics, and the page shows the verdict, the figures and a drawn logit histogram, with no
script error.

The screenshot goes to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/sweeps.md's
``sweep-overfitting.png``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.web.support_browser import recording_page, shoot

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "5:30:5", "slow": "40:130:10"},
    "start_date": "2015-01-01",
    "end_date": "2022-12-31",
}

HEATMAP_TOP = "document.getElementById('heatmap').getBoundingClientRect().top + window.scrollY"

FIRST_PAINT = f"""document.addEventListener("DOMContentLoaded", () => setTimeout(() => {{
  window.firstPaint = {{
    heatmap: {HEATMAP_TOP},
    verdict: document.getElementById("overfit-verdict").textContent,
    rows: document.querySelectorAll("#overfit-table tbody tr").length,
  }};
}}));"""
"""What the page shows once its scripts started, before any answer of the API: where the
heatmap is, and the statistics card's pending line and rows."""


def test_a_finished_sweep_shows_its_verdict_figures_and_logit_histogram(stack, browser, tmp_path):
    """POST a sweep → its page → SUCCEEDED → the statistics card: the verdict starts with
    the PBO the API answers, the table holds the DSR, the histogram canvas is drawn, and the
    card held its place from the first paint (its rows pending), so the heatmap below it
    did not move when the figures came. The
    same POST again is served from the result cache: its page shows the same verdict (from
    the copied block statistics) and links its source."""
    accepted = requests.post(f"{stack.base_url}/api/sweeps", json=BODY, timeout=30).json()
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(FIRST_PAINT)
    page.goto(f"{stack.base_url}/sweeps/{accepted['sweep_id']}")
    expect(page.locator("body")).to_have_attribute("data-overfitting", "shown", timeout=180_000)
    stats = requests.get(f"{stack.base_url}{accepted['status_url']}/overfitting", timeout=30).json()
    pbo = stats["tickers"][0]["pbo"]["pbo"]
    expect(page.locator("#overfit-verdict")).to_have_text(stats["verdict"])
    assert stats["verdict"].startswith(f"PBO {pbo:.2f}")
    expect(page.locator("#overfit-table")).to_contain_text("deflated Sharpe ratio (DSR)")
    drawn = page.evaluate(
        """() => {
          const c = document.getElementById("overfit-logits");
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          let coloured = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] > 150 || d[i + 1] > 150) coloured++;
          return coloured;
        }"""
    )
    assert drawn > 500, "the logit histogram has no bars"
    first = page.evaluate("window.firstPaint")
    assert first["verdict"] == "Computed once every combination has run."
    assert first["rows"] == page.locator("#overfit-table tbody tr").count() == 11
    assert page.evaluate(HEATMAP_TOP) == first["heatmap"], "the statistics moved the heatmap"
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    shoot(page, folder / "sweep-overfitting.png")

    again = requests.post(f"{stack.base_url}/api/sweeps", json=BODY, timeout=30).json()
    assert (again["status"], again["cached_from"]) == ("SUCCEEDED", accepted["sweep_id"])
    page.goto(f"{stack.base_url}/sweeps/{again['sweep_id']}")  # the copy: same card, its source
    expect(page.locator("body")).to_have_attribute("data-overfitting", "shown", timeout=60_000)
    expect(page.locator("#overfit-verdict")).to_have_text(stats["verdict"])
    expect(page.locator("[data-role='cached-from']")).to_have_attribute(
        "href", f"/sweeps/{accepted['sweep_id']}"
    )
    assert errors == []
    context.close()


def test_statistics_the_server_cannot_answer_replace_the_pending_line(stack, browser):
    """A finished sweep whose statistics answer 503 (the database unreachable): the card
    says so with the server's message instead of keeping "Computed once every combination
    has run." after every combination ran, and its rows keep their place."""
    accepted = requests.post(f"{stack.base_url}/api/sweeps", json=BODY, timeout=30).json()
    page = recording_page(
        browser,
        {"width": 1280, "height": 1000},
        expected="Failed to load resource: the server responded with a status of 503",
    )
    page.route(
        "**/overfitting",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error": "database unavailable"}'
        ),
    )
    page.goto(f"{stack.base_url}/sweeps/{accepted['sweep_id']}")
    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=180_000
    )
    expect(page.locator("#overfit-verdict")).to_have_text(
        "No statistics: database unavailable (HTTP 503). Reload the page to ask again."
    )
    expect(page.locator("#overfit-table tbody tr")).to_have_count(11)
    assert page.locator("body").get_attribute("data-overfitting") is None
    page.context.close()
    assert page.errors == []
