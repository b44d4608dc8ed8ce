"""A ticker's corporate actions on the candles, in a real browser (Debian's chromium driven
by Playwright, the ``stack`` fixture's web and consumers): a run on the demo dividend payer
VRDN across its 4:1 split marks the split and every dividend of the window as dots above
their ex-bars' highs, one legend entry per kind showing the event under the cursor, as
``GET /api/tickers/events?ticker=VRDN`` lists them; the run's ``events_applied`` holds those that
met its position; a run on a ticker without events draws no such series.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-candles-events.png``).
"""

from __future__ import annotations

import pytest
import requests

from data.demo_universe import PAYER, SPLIT_ON
from tests.web import test_browser_dashboard as dashboard
from tests.web.test_browser_candles import chart, open_candles

shoot = dashboard.shoot
shots = dashboard.shots  # the fixtures of the dashboard's browser tests, used here too
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

WINDOW = ("2020-03-01", "2021-02-26")
"""About a year around VRDN's split: the split and four dividends."""


def _run(stack, ticker: str) -> tuple[str, dict]:
    """A finished SMA_CROSS run on ``ticker`` over ``WINDOW``: its id and stored result."""
    response = stack.submit(
        {
            "ticker": ticker,
            "rule_type": "SMA_CROSS",
            "params": {"fast": 5, "slow": 20},
            "start_date": WINDOW[0],
            "end_date": WINDOW[1],
            "price_adjustment": "split",
        }
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    assert stack.wait_finished([run_id])[run_id]["status"] == "SUCCEEDED"
    result = requests.get(f"{stack.base_url}/api/runs/{run_id}/result.json", timeout=30).json()
    return run_id, result


def test_the_candles_mark_a_tickers_split_and_dividends(watched, stack, shots):
    page = watched.page
    run_id, result = _run(stack, PAYER.ticker)
    url = f"{stack.base_url}/api/tickers/events?ticker={PAYER.ticker}"
    events = requests.get(url, timeout=30).json()["events"]
    stamps = [t[:10] for t in result["price_candles"]["timestamps"]]
    shown = [e for e in events if stamps[0] <= e["date"] <= stamps[-1]]
    assert {e["type"] for e in shown} == {"split", "dividend"}
    assert [e["date"] for e in shown if e["type"] == "split"] == [SPLIT_ON]
    assert result["events_applied"], "the run held VRDN over some of its events"

    open_candles(page, stack, run_id)
    labels = chart(page, "#chart-candles", "u.series.map(s => s.label)")
    assert labels[7:9] == ["split", "dividend"]
    high = result["price_candles"]["high"]
    for index, kind in ((7, "split"), (8, "dividend")):
        values = chart(page, "#chart-candles", f"u.data[{index}]")
        marked = [stamps[i] for i, v in enumerate(values) if v is not None]
        assert marked == [e["date"] for e in shown if e["type"] == kind]
        assert all(values[stamps.index(day)] == high[stamps.index(day)] for day in marked)

    fills = result["signals"]["buys"] + result["signals"]["sells"]
    closes = dict(zip(stamps, result["price_candles"]["close"], strict=True))
    for fill in fills:  # every fill near its bar's price, across the split too
        assert 0.8 < fill["price"] / closes[fill["timestamp"][:10]] < 1.25, fill

    page.evaluate("document.getElementById('run-tabs').scrollIntoView()")
    split_bar = stamps.index(SPLIT_ON)
    box = page.locator("#chart-candles .u-over").bounding_box()
    x = chart(page, "#chart-candles", f"u.valToPos(u.data[0][{split_bar}], 'x')")
    page.mouse.move(box["x"] + x, box["y"] + box["height"] / 2)
    values = page.eval_on_selector_all(
        "#chart-candles .u-legend .u-value", "els => els.map(e => e.textContent)"
    )
    assert values[labels.index("split")] == "4:1"
    shoot(page, shots / "dashboard-candles-events.png")


def test_a_ticker_without_events_has_no_event_marks(watched, stack):
    run_id, result = _run(stack, "ACME")
    assert "events_applied" not in result
    open_candles(watched.page, stack, run_id)
    labels = chart(watched.page, "#chart-candles", "u.series.map(s => s.label)")
    assert not {"split", "dividend", "delisting"} & set(labels)
