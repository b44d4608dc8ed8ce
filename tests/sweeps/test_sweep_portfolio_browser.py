"""The sweep page of a portfolio sweep in a real browser (Debian's chromium driven by
Playwright) against the whole platform (the ``stack`` fixture): a lookback × top_n sweep of a
momentum portfolio reaches 100%, its heatmap is drawn over the two searched names, hovering
the best cell names its point, and clicking it opens that point's portfolio page.

Screenshots go to a temporary directory, or to SWEEP_SCREENSHOTS_DIR when set
(``SWEEP_SCREENSHOTS_DIR=docs/images`` refreshes docs/images/sweep-portfolio.png).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.portfolios.support import valid_portfolio

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

TIMEOUT_MS = 180_000
HEATMAP = {"width": 800, "height": 420, "left": 60, "right": 84, "top": 24, "bottom": 40}
"""The heatmap canvas's drawing size and plot margins (web/static/sweeps.js)."""

BODY = {
    "kind": "portfolio",
    "base": valid_portfolio(),
    "grid": {"n": "10:60:10", "top_n": [1, 2, 3]},
    "chunk_size": 6,
}


@pytest.fixture
def shots(tmp_path) -> Path:
    wanted = os.environ.get("SWEEP_SCREENSHOTS_DIR")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_portfolio_sweeps_heatmap_is_drawn_and_its_best_cell_opens_that_portfolio(
    stack, browser, shots
):
    answer = requests.post(f"{stack.base_url}/api/sweeps", json=BODY, timeout=60)
    assert answer.status_code == 202, answer.text
    sweep_id = answer.json()["sweep_id"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.base_url}/sweeps/{sweep_id}")
    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#sweep-bar")).to_have_text("100%")
    expect(page.locator("#sweep-rule")).to_have_text("roc(close, $n)")
    canvas = page.locator("#heatmap")
    expect(canvas).to_have_attribute("data-best-cell", re.compile(r"\{"))
    best = json.loads(canvas.get_attribute("data-best-cell"))
    dims = json.loads(page.locator("#sweep-data").text_content())["dimensions"]
    values_x, values_y = dims["n"], dims["top_n"]
    assert (values_x, values_y) == ([10, 20, 30, 40, 50, 60], [1, 2, 3])
    canvas.scroll_into_view_if_needed()
    card = canvas.locator("xpath=ancestor::div[contains(@class,'card')][1]")
    card.screenshot(path=str(shots / "sweep-portfolio.png"))
    box = canvas.bounding_box()
    cw = (HEATMAP["width"] - HEATMAP["left"] - HEATMAP["right"]) / len(values_x)
    ch = (HEATMAP["height"] - HEATMAP["top"] - HEATMAP["bottom"]) / len(values_y)
    x = HEATMAP["left"] + (best["i"] + 0.5) * cw
    y = HEATMAP["top"] + (len(values_y) - 1 - best["j"] + 0.5) * ch
    scale = box["width"] / HEATMAP["width"]
    canvas.hover(position={"x": x * scale, "y": y * scale})
    expect(page.locator("#hm-hover")).to_contain_text(f"n={values_x[best['i']]}")
    canvas.click(position={"x": x * scale, "y": y * scale})
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    assert errors == []
