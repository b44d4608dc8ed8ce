"""A strategy that scales in and out, written in the run form and run in a real browser
(Debian's chromium driven by Playwright, the ``stack`` fixture's web and consumers): an EXPR
trend rule on ACME that adds a unit on every bar above its average while fewer than three
are held, sells half of each unit on the exit signal, and gives each unit a 5 % stop-loss
and an 8 % take-profit that sells half of it (``take_profit_fraction``), every value typed
into the form's fields. The run's request is the one typed; the trades table lists every
unit and every part of one sold on its own (a unit's parts share its entry); the long never
holds more than three units and reaches three; some take-profits sell half a unit whose
rest leaves later; the page's header says how the run scales; and the candles draw.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-trades-scaling.png``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.web import test_browser_dashboard as dashboard
from tests.web.test_browser_entry_orders import type_into

shoot = dashboard.shoot
shots = dashboard.shots  # the fixtures of the dashboard's browser tests, used here too
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

STRATEGY = (
    ("ticker", "ACME"),
    ("start_date", "2022-01-01"),
    ("end_date", "2024-06-30"),
    ("rule_type", "EXPR"),
    ("params.entry", "close > sma(close, $n)"),
    ("params.exit", "close < sma(close, $n)"),
    ("params.n", "20"),
    ("size_type", "percent"),
    ("position_size", "30"),
    ("stop_loss_pct", "5"),
    ("take_profit_pct", "8"),
    ("max_entries", "3"),
    ("exit_fraction", "0.5"),
    ("take_profit_fraction", "0.5"),
)
"""The form's fields (``data-field``) and what is typed into each, in order."""

REQUEST = {
    "ticker": "ACME",
    "rule_type": "EXPR",
    "size_type": "percent",
    "position_size": 30.0,
    "stop_loss_pct": 5.0,
    "take_profit_pct": 8.0,
    "max_entries": 3,
    "exit_fraction": 0.5,
    "take_profit_fraction": 0.5,
}
"""What the stored request holds of STRATEGY's trading fields."""


def test_a_strategy_that_scales_in_and_out_typed_in_the_form_lists_its_units(watched, stack, shots):
    page = watched.page
    dashboard.open_form(page, stack)
    for field, value in STRATEGY:
        type_into(page, field, value)
    body = page.evaluate("RunForm.collect()")
    assert {name: body.get(name) for name in REQUEST} == REQUEST

    _, status = dashboard.submit_form(page, stack)
    assert {name: status["request"].get(name) for name in REQUEST} == REQUEST
    trades = status["result"]["trades"]
    header = page.locator("main span.small").first.text_content()
    assert "up to 3 units · an exit sells 50% · a TP sells 50%" in header, header

    check_units(trades)
    check_trades_table(page, trades)
    shoot(page, shots / "dashboard-trades-scaling.png")
    page.click("#tab-candles")
    page.wait_for_selector("#chart-candles[data-ready='1'] canvas")


def check_units(trades: list[dict]) -> None:
    """At most three units at once, three reached; units closed in parts (trades sharing
    an entry); a take-profit that sold part of a unit whose rest left later."""
    entries = sorted({t["entry_timestamp"] for t in trades})
    most = max(
        len(
            {
                t["entry_timestamp"]
                for t in trades
                if t["entry_timestamp"] <= day < t["exit_timestamp"]
            }
        )
        for day in entries
    )
    assert most == 3
    parts = Counter(t["entry_timestamp"] for t in trades)
    assert max(parts.values()) >= 2  # a unit sold in parts
    halves = [
        t
        for t in trades
        if t["exit_reason"] == "take_profit"
        and any(
            o["entry_timestamp"] == t["entry_timestamp"]
            and o["exit_timestamp"] > t["exit_timestamp"]
            for o in trades
        )
    ]
    assert halves, "no take-profit sold part of a unit"


def check_trades_table(page, trades: list[dict]) -> None:
    """The trades tab's first page (``TradesTable.PAGE_SIZE`` rows) lists the first trades,
    each with its size and how it left."""
    page.click("#tab-trades")
    headers = page.eval_on_selector_all(
        "#trades-table thead th", "els => els.map(e => e.textContent)"
    )
    exit_ = headers.index("Exit reason")
    rows = page.eval_on_selector_all(
        "#trades-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    first = trades[: page.evaluate("TradesTable.PAGE_SIZE")]
    assert len(rows) == len(first) > 0
    assert [row[exit_] for row in rows] == [t["exit_reason"].replace("_", " ") for t in first]
    size = headers.index("Size")
    assert [int(row[size].replace(",", "")) for row in rows] == [t["size"] for t in first]
