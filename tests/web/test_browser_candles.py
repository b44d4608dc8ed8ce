"""The candles tab in a real browser (Debian's chromium driven by Playwright, the ``stack``
fixture's web and consumers): for RSI, MACD, TREND, RSI_MACD and BOLLINGER runs the rule's overlays
are on the price chart and its oscillator panels under it (values equal
``/api/runs/<id>/indicators``), zooming the price chart zooms every panel, the log-scale
switches change the price and equity scales, and no script error or console error occurs.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-candles-panels.png``).
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.web import test_browser_dashboard as dashboard

shoot = dashboard.shoot
shots = dashboard.shots  # the fixtures of the dashboard's browser tests, used here too
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

RUNS = {
    "RSI": ({"period": 14, "oversold": 30, "overbought": 70}, ["rsi", "volume"]),
    "MACD": ({"fast": 12, "slow": 26, "signal": 9}, ["macd", "volume"]),
    "TREND": ({"period": 14, "adx_threshold": 25}, ["adx", "volume"]),
    "RSI_MACD": (
        {"rsi_period": 14, "rsi_below": 50, "overbought": 70, "fast": 12, "slow": 26, "signal": 9},
        ["rsi", "macd", "volume"],
    ),
    "BOLLINGER": ({"period": 20, "std_dev": 2}, ["volume"]),
}
"""rule_type -> (params, the panel keys drawn, in order)."""


@pytest.fixture(scope="module")
def run_ids(stack) -> dict[str, str]:
    """One finished ACME run per rule of RUNS (2022–2024: enough bars to zoom into)."""
    ids = {}
    for rule_type, (params, _) in RUNS.items():
        response = stack.submit(
            {
                "ticker": "ACME",
                "rule_type": rule_type,
                "params": params,
                "start_date": "2022-01-01",
                "end_date": "2024-12-31",
            }
        )
        assert response.status_code == 202, response.text
        ids[rule_type] = response.json()["run_id"]
    finished = stack.wait_finished(list(ids.values()))
    assert {body["status"] for body in finished.values()} == {"SUCCEEDED"}
    return ids


def chart(page, selector: str, expression: str):
    """``expression`` evaluated on the uPlot chart ``u`` drawn in ``selector``."""
    return page.eval_on_selector(
        selector, f"el => {{ const u = el.btChart; return {expression}; }}"
    )


def x_range(page, selector: str) -> list[float]:
    return chart(page, selector, "[u.scales.x.min, u.scales.x.max]")


STATUSES = ("filled", "pending", "expired", "cancelled")
"""The order statuses, in the order the candles chart lists their marks."""


def check_order_marks(page, result: dict) -> list[str]:
    """The candles chart's order series against the result's orders: one series per status
    the orders ended in (after time, OHLC, buy and sell), each order's level at its limit
    from its signal bar to its fill (filled) or last good bar (expired), or to the last bar
    (pending), and a cancelled one on its signal bar only; where the next order of the
    status was placed, its level starts. Returns the statuses drawn."""
    orders, stamps = result["orders"], result["price_candles"]["timestamps"]
    statuses = [s for s in STATUSES if any(o["status"] == s for o in orders)]
    labels = chart(page, "#chart-candles", "u.series.map(s => s.label)")
    assert labels[7 : 7 + len(statuses)] == [f"order {status}" for status in statuses]
    for index, status in enumerate(statuses, start=7):
        values = chart(page, "#chart-candles", f"u.data[{index}]")
        mine = [o for o in orders if o["status"] == status]
        for order, after in zip(mine, [*mine[1:], None], strict=True):
            first = stamps.index(order["signal_timestamp"])
            end = {"filled": order["fill_timestamp"], "expired": order["last_timestamp"]}
            last = len(stamps) - 1 if status == "pending" else first
            last = stamps.index(end[status]) if end.get(status) in stamps else last
            if after is not None:  # the next order's level starts on the bar it was placed
                last = min(last, stamps.index(after["signal_timestamp"]) - 1)
            assert values[first] == values[last] == order["limit"], (status, order)
    return statuses


def open_candles(page, stack, run_id: str) -> None:
    page.goto(f"{stack.base_url}/runs/{run_id}")
    page.wait_for_selector("body[data-result='loaded']")
    page.click("#tab-candles")
    page.wait_for_selector("#chart-candles[data-ready='1'] canvas")
    page.wait_for_selector("#candles-panels[data-ready='1']")


def drag(page, selector: str, start: float, end: float) -> None:
    """Drag across the plot of ``selector`` from ``start`` to ``end`` (fractions of its width)."""
    plot = page.locator(f"{selector} .u-over")
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (start + end) / 2, y)
    page.mouse.move(box["x"] + box["width"] * end, y)
    page.mouse.up()


@pytest.mark.parametrize("rule_type", list(RUNS))
def test_candles_tab_draws_overlays_and_panels_that_share_the_zoom(
    watched, stack, shots, run_ids, rule_type
):
    """Overlays and panels as the endpoint answers them; a zoom on the price chart is the
    panels' zoom; the log switch makes the price scale logarithmic and keeps the zoom."""
    page = watched.page
    run_id = run_ids[rule_type]
    body = requests.get(f"{stack.base_url}/api/runs/{run_id}/indicators", timeout=30).json()
    open_candles(page, stack, run_id)

    keys = page.eval_on_selector_all(
        "#candles-panels [data-panel]", "els => els.map(e => e.dataset.panel)"
    )
    assert keys == RUNS[rule_type][1] == [panel["key"] for panel in body["panels"]]
    labels = chart(page, "#chart-candles", "u.series.map(s => s.label)")
    assert labels[7:] == list(body["overlays"])
    if rule_type == "BOLLINGER":
        assert len(body["overlays"]) == 3
    for index, panel in enumerate(body["panels"]):
        selector = f"#candles-panels [data-panel='{panel['key']}']"
        drawn = chart(page, selector, "u.data.slice(1)")
        assert drawn == list(panel["series"].values()), panel["name"]
        titles = page.eval_on_selector_all(
            "#candles-panels .bt-chart-title", "els => els.map(e => e.textContent)"
        )
        assert titles[index].startswith(panel["name"])
    legend = page.locator("#chart-candles .u-legend").text_content()
    assert all(label in legend for label in body["overlays"])

    plot = page.locator("#chart-candles .u-over").bounding_box()
    page.mouse.move(plot["x"] + plot["width"] * 0.9, plot["y"] + plot["height"] / 2)
    # the legends show the values under the shared cursor: the close, and the volume
    for selector, index in (("#chart-candles", 4), ("#candles-panels [data-panel='volume']", 1)):
        values = page.eval_on_selector_all(
            f"{selector} .u-legend .u-value", "els => els.map(e => e.textContent)"
        )
        assert re.fullmatch(r"[\d,.]+[kM]?", values[index]), (selector, values)

    full = x_range(page, "#chart-candles")
    drag(page, "#chart-candles", 0.55, 0.8)
    zoomed = x_range(page, "#chart-candles")
    assert full[0] < zoomed[0] < zoomed[1] < full[1]
    for key in RUNS[rule_type][1]:
        assert x_range(page, f"#candles-panels [data-panel='{key}']") == zoomed
    if rule_type == "RSI_MACD":  # the picture in docs/dashboard.md: every panel in view
        page.set_viewport_size({"width": 1280, "height": 1180})
        page.evaluate("document.getElementById('run-tabs').scrollIntoView()")
        page.mouse.move(900, 300)  # a cursor over the price chart: the legends show values
        shoot(page, shots / "dashboard-candles-panels.png")

    assert chart(page, "#chart-candles", "u.scales.y.distr") == 1
    page.click("label[for='log-price']")
    page.wait_for_selector("#chart-candles[data-scale='log']")
    assert chart(page, "#chart-candles", "u.scales.y.distr") == 3
    assert x_range(page, "#chart-candles") == zoomed, "the log switch keeps the zoom"
    drag(page, "#candles-panels [data-panel='volume']", 0.2, 0.6)
    narrower = x_range(page, "#candles-panels [data-panel='volume']")
    assert zoomed[0] < narrower[0] < narrower[1] < zoomed[1]
    assert x_range(page, "#chart-candles") == narrower, "a panel's zoom is the price chart's"
    page.click("label[for='log-price']")
    page.wait_for_selector("#chart-candles[data-scale='linear']")


def test_equity_log_switch_changes_the_scale_and_is_remembered(watched, stack, run_ids):
    """The equity chart's switch turns its y scale logarithmic; a reload keeps the choice."""
    page = watched.page
    page.goto(f"{stack.base_url}/runs/{run_ids['RSI']}")
    page.wait_for_selector("body[data-result='loaded']")
    page.click("#tab-equity")
    page.wait_for_selector("#chart-equity[data-scale='linear'] canvas")
    assert chart(page, "#chart-equity", "u.scales.y.distr") == 1
    page.click("label[for='log-equity']")
    page.wait_for_selector("#chart-equity[data-scale='log']")
    assert chart(page, "#chart-equity", "u.scales.y.distr") == 3
    page.reload()
    page.wait_for_selector("body[data-result='loaded']")
    page.click("#tab-equity")
    page.wait_for_selector("#chart-equity[data-scale='log'] canvas")
    assert page.is_checked("#log-equity")


def test_without_indicators_the_candles_and_volume_are_drawn_and_the_reason_shown(
    watched, stack, run_ids
):
    """The endpoint answering 409 (the data file changed since the run; intercepted here,
    the stack's files are shared): no overlay, the volume panel from the result, the
    server's message above the chart, and no script error."""
    page = watched.page
    message = "the data file changed since this run (its SHA-256 is not the run's data_hash)"
    page.route("**/indicators", lambda route: route.fulfill(status=409, json={"error": message}))
    open_candles(page, stack, run_ids["MACD"])
    expect(page.locator("#indicators-state")).to_have_text(f"indicators unavailable: {message}")
    keys = page.eval_on_selector_all(
        "#candles-panels [data-panel]", "els => els.map(e => e.dataset.panel)"
    )
    assert keys == ["volume"]
    assert chart(page, "#chart-candles", "u.series.length") == 7  # time, OHLC, buy, sell
    result = requests.get(f"{stack.base_url}/runs/{run_ids['MACD']}/result.json", timeout=30)
    volume = chart(page, "#candles-panels [data-panel='volume']", "u.data[1]")
    assert volume == result.json()["price_candles"]["volume"]


def test_a_run_with_entry_orders_marks_them_on_the_candles_and_its_trades_say_how_they_entered(
    watched, stack
):
    """A limit-entry run: the candles chart has an "order <status>" series per status its
    orders ended in (filled, pending, expired, cancelled), each order a level at its limit
    over the bars it lived on (``check_order_marks``); the trades table has an "Entry
    order" column reading "limit" (a market run has neither)."""
    response = stack.submit(
        {
            "ticker": "ACME",
            "rule_type": "SMA_CROSS",
            "params": {"fast": 10, "slow": 30},
            "start_date": "2022-01-01",
            "end_date": "2024-12-31",
            "entry_order": {"type": "limit", "limit": "close * 0.99", "valid_bars": 3},
        }
    )
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    (body,) = stack.wait_finished([run_id]).values()
    assert body["status"] == "SUCCEEDED"
    result = stack.status(run_id)["result"]
    page = watched.page
    open_candles(page, stack, run_id)
    assert {"filled", "expired"} <= set(check_order_marks(page, result))
    page.click("#tab-trades")
    headers = page.eval_on_selector_all(
        "#trades-table thead th", "els => els.map(e => e.textContent)"
    )
    assert headers[-1] == "Entry order"
    cells = page.eval_on_selector_all(
        "#trades-table tbody tr td:last-child", "els => els.map(e => e.textContent)"
    )
    assert cells and set(cells) == {"limit"}
