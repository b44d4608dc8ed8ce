"""The sweep pages in a real browser (Debian's chromium driven by Playwright) against the
whole platform (the ``stack`` fixture): start a sweep from the form, watch its progress reach
100%, open the heatmap, click the best cell and land on that combo's run page.

Screenshots go to a temporary directory, or to SWEEP_SCREENSHOTS_DIR when set
(``SWEEP_SCREENSHOTS_DIR=docs/images`` refreshes the README's ``sweep.png``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

TIMEOUT_MS = 120_000
HEATMAP = {"width": 800, "height": 420, "left": 60, "right": 84, "top": 10, "bottom": 40}
"""The heatmap canvas's drawing size and plot margins (web/static/sweeps.js)."""


@pytest.fixture
def shots(tmp_path) -> Path:
    wanted = os.environ.get("SWEEP_SCREENSHOTS_DIR")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_sweep_from_the_dashboard_reaches_100_percent_and_its_best_cell_opens_a_run(
    stack, browser, shots
):
    """Form → sweep page at 100% → heatmap drawn → best cell clicked → /runs/<id> page."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.base_url}/sweeps")
    page.select_option("#s-rule", "SMA_CROSS")
    page.fill("#s-p-fast", "2:30:2")
    page.fill("#s-p-slow", "10:80:5")
    page.check("#s-t-GLOBEX")
    page.uncheck("#s-t-ACME")
    page.fill("#s-chunk", "50")
    expect(page.locator("#s-count")).to_contain_text("225 combinations")
    page.click("#submit-sweep")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)

    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#sweep-bar")).to_have_text("100%")
    expect(page.locator("#top-table tbody tr")).to_have_count(25)
    canvas = page.locator("#heatmap")
    expect(canvas).to_have_attribute("data-best-cell", re.compile(r"\{"))
    best = json.loads(canvas.get_attribute("data-best-cell"))
    page.locator("#heatmap").scroll_into_view_if_needed()
    card = page.locator("#heatmap").locator("xpath=ancestor::div[contains(@class,'card')][1]")
    card.screenshot(path=str(shots / "sweep.png"))
    assert (shots / "sweep.png").stat().st_size < 150_000

    values_x = json.loads(page.locator("#sweep-data").text_content())["dimensions"]["fast"]
    values_y = json.loads(page.locator("#sweep-data").text_content())["dimensions"]["slow"]
    box = canvas.bounding_box()
    cw = (HEATMAP["width"] - HEATMAP["left"] - HEATMAP["right"]) / len(values_x)
    ch = (HEATMAP["height"] - HEATMAP["top"] - HEATMAP["bottom"]) / len(values_y)
    x = HEATMAP["left"] + (best["i"] + 0.5) * cw
    y = HEATMAP["top"] + (len(values_y) - 1 - best["j"] + 0.5) * ch
    scale = box["width"] / HEATMAP["width"]
    canvas.hover(position={"x": x * scale, "y": y * scale})
    expect(page.locator("#hm-hover")).to_contain_text(f"fast={values_x[best['i']]}")
    page.screenshot(path=str(shots / "sweep-page.png"), full_page=True)
    canvas.click(position={"x": x * scale, "y": y * scale})
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"), timeout=30_000)
    slug = f"sma_cross-{values_x[best['i']]}-{values_y[best['j']]}"
    expect(page.locator("body")).to_contain_text(slug)
    page.screenshot(path=str(shots / "sweep-run.png"))
    assert errors == []
