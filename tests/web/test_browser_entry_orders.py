"""A strategy with an entry order, written in the run form and run in a real browser
(Debian's chromium driven by Playwright, the ``stack`` fixture's web and consumers): an EXPR
rule with a market filter on the demo index (``ref("DEMOIX", …)``), a limit entry good for
three bars, a time exit (``bars_held >= $hold``) beside the signal exit, a size of 1 % of
equity per two ATRs in shares capped at 1,000, a commission per share and
``close_open_trades_at_end``, every value typed into the form's fields. A limit order
without its price is refused by the server next to the limit input; the run's request is
the one typed; the candles mark its orders by status (filled, pending, expired, cancelled:
each a level at its limit over the bars it lived on); the trades table says how each trade
entered and left; some trades were held the time exit's bars from their fill, and their
sizes vary with the ATR up to the cap. "Edit & run" brings the whole strategy back into
the form, and the same strategy to a later end closes the trade still open there
(``closed_at_end``).

The strategy is a list of (field, value) typed in order (``STRATEGY``), so a new setting of
the form is one more line.

Screenshots go where tests/web/test_browser_dashboard.py puts them
(DASHBOARD_SCREENSHOTS_DIR=docs/images refreshes ``dashboard-form-entry-order.png``,
``dashboard-candles-orders.png`` and ``dashboard-trades-orders.png``).
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.web import test_browser_dashboard as dashboard
from tests.web.test_browser_candles import STATUSES, chart, check_order_marks

shoot = dashboard.shoot
shots = dashboard.shots  # the fixtures of the dashboard's browser tests, used here too
watched = dashboard.watched

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

MARKET_FILTER = 'ref("DEMOIX", close) > sma(ref("DEMOIX", close), 50)'
"""The demo index above its 50-day average."""

SIZE = "0.01 * equity / (2 * atr(14))"
"""Risk per trade: 1 % of the equity per two ATRs, in shares."""
HOLD = 5
"""The time exit's ``$hold``: out at the open after the fill bar's close + 5."""

STRATEGY = (
    ("ticker", "ACME"),
    ("start_date", "2023-01-01"),
    ("end_date", "2024-07-15"),
    ("rule_type", "EXPR"),
    ("params.entry", f"close > sma(close, $fast) and {MARKET_FILTER}"),
    ("params.exit", "close < sma(close, $fast) or bars_held >= $hold"),
    ("params.fast", "20"),
    ("params.hold", "5"),
    ("entry_order.type", "limit"),
    ("entry_order.limit", "close * (1 - $k/100)"),
    ("entry_order.params.k", "1.5"),
    ("entry_order.valid_bars", "3"),
    ("size_expr.expr", SIZE),
    ("size_expr.unit", "shares"),
    ("size_expr.max_size", "1000"),
    ("fee_rate", "0"),
    ("fee_per_share", "0.005"),
    ("fee_min", "1"),
    ("close_open_trades_at_end", True),
)
"""The form's fields (``data-field``) and what is typed into each, in order (a field the
form draws as an earlier value is typed, such as a ``$name``'s input, comes after it). On
ACME from 2023 to mid-July 2024 its orders end in every status: filled, expired, one
cancelled by an exit signal while it waited, one still pending at the last bar; three
trades leave by the time exit and two buy the cap."""

REQUEST = {
    "ticker": "ACME",
    "start_date": "2023-01-01",
    "end_date": "2024-07-15",
    "rule_type": "EXPR",
    "entry_order": {
        "type": "limit",
        "limit": "close * (1 - $k/100)",
        "params": {"k": 1.5},
        "valid_bars": 3,
    },
    "size_expr": {"expr": SIZE, "unit": "shares", "max_size": 1000.0, "params": {}},
    "fee_per_share": 0.005,
    "fee_min": 1.0,
    "close_open_trades_at_end": True,
}
"""What the stored request holds of STRATEGY."""

LATER_END = "2024-10-15"
"""An end where the strategy holds a position: closed at the end (``closed_at_end``)."""

ZOOM = ("2023-06-01", "2023-08-10")
"""The candles' window in the screenshot: expired orders, the cancelled one and fills."""


def type_into(page, field: str, value: str | bool) -> None:
    """Set the form's input named ``field`` (its ``data-field``): choose an option, tick a
    box, or type the text."""
    selector = f"#run-form [data-field='{field}']"
    kind = page.eval_on_selector(selector, "node => node.type || node.tagName")
    if kind.startswith("select"):
        page.select_option(selector, value)
    elif kind == "checkbox":
        page.set_checked(selector, bool(value))
    else:
        page.fill(selector, value)


def test_a_limit_entry_strategy_typed_in_the_form_shows_its_orders_and_how_trades_went(
    watched, stack, shots
):
    page = watched.page
    dashboard.open_form(page, stack)
    expect(page.locator("[data-entry-part='limit']")).to_be_hidden()
    for field, value in STRATEGY:
        type_into(page, field, value)
        if field == "entry_order.type":  # the limit's input shows; empty, it is refused
            expect(page.locator("[data-entry-part='limit']")).to_be_visible()
            expect(page.locator("[data-entry-part='stop']")).to_be_hidden()
            feedback = page.locator("#f-entry-limit ~ .invalid-feedback")
            expect(feedback).to_contain_text("entry_order.limit is required by a limit order")
    expect(page.locator("#f-entry-limit")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    body = page.evaluate("RunForm.collect()")
    assert body["entry_order"] == {**REQUEST["entry_order"], "params": {"k": 1.5}}
    assert body["close_open_trades_at_end"] is True
    assert body["size_expr"]["expr"] == SIZE and body["size_expr"]["unit"] == "shares"
    assert body["params"]["hold"] == HOLD
    shoot(page.locator("#run-form"), shots / "dashboard-form-entry-order.png")

    run_id, status = dashboard.submit_form(page, stack)
    assert {name: status["request"].get(name) for name in REQUEST} == REQUEST
    result = status["result"]

    page.click("#tab-candles")
    page.wait_for_selector("#chart-candles[data-ready='1'] canvas")
    assert check_order_marks(page, result) == list(STATUSES)  # every status, in this window
    start, end = (f"Date.parse('{day}') / 1000" for day in ZOOM)
    chart(page, "#chart-candles", f"u.setScale('x', {{min: {start}, max: {end}}})")
    shoot(page, shots / "dashboard-candles-orders.png")

    check_trades_table(page, result["trades"])
    assert result["trades"][-1]["exit_reason"] == "signal"  # flat at the end: a pending order
    check_time_exit_and_size(result, status["request"]["params"]["hold"])

    # the same strategy, from its run's "Edit & run", to a later end: a trade open at the end
    page.click("#edit-run")
    page.wait_for_selector("#run-form[data-ready='1']")
    for field, value in STRATEGY:
        shown = page.eval_on_selector(
            f"#run-form [data-field='{field}']", "n => n.type === 'checkbox' ? n.checked : n.value"
        )
        assert shown == value, field
    type_into(page, "end_date", LATER_END)
    page.click("#submit-run")
    page.wait_for_url(re.compile(r"/runs/(?!" + run_id + ")"), timeout=dashboard.TIMEOUT_MS)
    page.wait_for_selector("body[data-result='loaded']")
    later = requests.get(f"{page.url.replace('/runs/', '/status/')}", timeout=30).json()
    trades = later["result"]["trades"]
    assert later["request"]["end_date"] == LATER_END
    assert trades[-1]["exit_reason"] == "closed_at_end" and not trades[-1]["is_open"]
    check_trades_table(page, trades)
    shoot(page, shots / "dashboard-trades-orders.png")


def check_time_exit_and_size(result: dict, hold: int) -> None:
    """Some trades were held ``hold`` + 1 bars from their fill (the time exit), none longer
    while the entry did not hold; sizes vary with the ATR and equity and never pass the
    cap, which some reach."""
    bar_of = {stamp: i for i, stamp in enumerate(result["price_candles"]["timestamps"])}
    trades = result["trades"]
    held = [bar_of[t["exit_timestamp"]] - bar_of[t["entry_timestamp"]] for t in trades]
    assert held.count(hold + 1) >= 2, held
    sizes = [t["size"] for t in trades]
    assert max(sizes) == 1000 and len(set(sizes)) > len(sizes) // 2, sizes


def check_trades_table(page, trades: list[dict]) -> None:
    """The trades tab lists ``trades``, each saying how it entered (its entry order's type)
    and left (its exit reason, in words), each paying at least ``fee_min``."""
    page.click("#tab-trades")
    headers = page.eval_on_selector_all(
        "#trades-table thead th", "els => els.map(e => e.textContent)"
    )
    entry, exit_ = headers.index("Entry order"), headers.index("Exit reason")
    rows = page.eval_on_selector_all(
        "#trades-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert len(rows) == len(trades) > 0
    assert [row[entry] for row in rows] == ["limit"] * len(trades)
    assert [row[exit_] for row in rows] == [t["exit_reason"].replace("_", " ") for t in trades]
    assert all(t["entry_fee"] >= 1 for t in trades)  # fee_min: at least 1 an order
