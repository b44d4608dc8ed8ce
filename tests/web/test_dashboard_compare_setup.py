"""The compare page's setup rows (``web.pages.compare_setup``): one row per setting, values as
the page writes them, and which settings the compared runs differ on."""

from __future__ import annotations

import re

from tests.web.support_dashboard import add_succeeded
from web.pages.compare_setup import setup_rows

BASE = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 5, "slow": 20},
    "start_date": "2016-01-01",
    "end_date": "2020-12-31",
    "timeframe": "1d",
    "initial_capital": 100_000.0,
    "position_size": 10_000.0,
    "size_type": "value",
    "direction": "longonly",
    "fee_rate": 0.001,
    "slippage_bps": 0.0,
    "stop_loss_pct": None,
    "take_profit_pct": None,
    "trailing_stop_pct": None,
}


def rows_by_label(requests):
    return {row.label: row for row in setup_rows(requests)}


def test_setup_rows_write_each_setting_once_per_run_in_the_page_order():
    rows = setup_rows([BASE])
    assert [row.label for row in rows] == [
        "Ticker",
        "Window",
        "Timeframe",
        "Rule",
        "fast",
        "slow",
        "Initial capital",
        "Position size",
        "Size type",
        "Direction",
        "Fee rate",
        "Slippage",
        "Stop-loss",
        "Take-profit",
        "Trailing stop",
    ]
    values = {row.label: row.values[0] for row in rows}
    assert values["Window"] == "2016-01-01 → 2020-12-31"
    assert values["Initial capital"] == "100,000"
    assert values["Position size"] == "10,000"
    assert values["Fee rate"] == "0.1%"
    assert values["Slippage"] == "0.0 bps"
    assert values["Stop-loss"] == "off"
    assert not any(row.differs for row in rows)


def test_runs_that_differ_in_params_sizing_fees_and_stops_are_marked_on_those_rows_only():
    other = {
        **BASE,
        "params": {"fast": 10, "slow": 20},
        "size_type": "percent",
        "position_size": 50,
        "fee_rate": 0.0025,
        "stop_loss_pct": 5,
    }
    rows = rows_by_label([BASE, other])
    assert {label for label, row in rows.items() if row.differs} == {
        "fast",
        "Position size",
        "Size type",
        "Fee rate",
        "Stop-loss",
    }
    assert rows["Position size"].values == ("10,000", "50.00%")
    assert rows["Fee rate"].values == ("0.1%", "0.25%")
    assert rows["Stop-loss"].values == ("off", "5.00%")


def test_runs_that_differ_only_in_how_they_scale_are_marked_on_the_scaling_rows():
    """Settings stored as no field at their default get a row when a compared run sets one,
    the others written as that default: two runs differing in units and fractions only."""
    scaled = {**BASE, "max_entries": 3, "exit_fraction": 0.5, "take_profit_pct": 8.0}
    scaled["take_profit_fraction"] = 0.5
    rows = rows_by_label([BASE, scaled])
    assert rows["Max entries"].values == ("1", "3")
    assert rows["Exit fraction"].values == ("1", "0.5")
    assert rows["Take-profit fraction"].values == ("1", "0.5")
    assert {label for label, row in rows.items() if row.differs} == {
        "Take-profit",
        "Max entries",
        "Exit fraction",
        "Take-profit fraction",
    }
    assert "Entry order" not in rows and "Fixed fee" not in rows  # neither run sets them


def test_an_entry_order_a_size_expression_and_costs_are_written_in_words():
    ordered = {
        **BASE,
        "entry_order": {
            "type": "limit",
            "limit": "close * (1 - $k/100)",
            "params": {"k": 1.5},
            "valid_bars": 3,
        },
        "size_expr": {"expr": "0.01 * equity / atr(14)", "unit": "shares", "max_size": 1000.0},
        "fee_per_share": 0.005,
        "borrow_rate": 0.03,
        "close_open_trades_at_end": True,
        "price_adjustment": "split",
    }
    rows = rows_by_label([BASE, ordered])
    assert rows["Entry order"].values == ("market", "limit close * (1 - $k/100) (k=1.5), 3 bars")
    assert rows["Size expression"].values == (
        "none",
        "0.01 * equity / atr(14) shares, at most 1000",
    )
    assert rows["Fee per share"].values == ("none", "0.0050")
    assert rows["Borrow rate"].values == ("none", "3%")
    assert rows["Close at end"].values == ("no", "yes")
    assert rows["Price adjustment"].values == ("raw", "split")
    assert all(rows[label].differs for label in ("Entry order", "Size expression", "Close at end"))


def test_runs_that_differ_only_in_exit_priority_are_marked_on_its_row():
    rows = rows_by_label([BASE, {**BASE, "exit_priority": True}])
    assert rows["Exit priority"].values == ("no", "yes")
    assert {label for label, row in rows.items() if row.differs} == {"Exit priority"}


def test_a_parameter_one_rule_lacks_is_a_dash_and_counts_as_a_difference():
    rsi = {**BASE, "rule_type": "RSI", "params": {"period": 14, "oversold": 30.5}}
    rows = rows_by_label([BASE, rsi])
    assert rows["fast"].values == ("5", "—")
    assert rows["period"].values == ("—", "14")
    assert rows["oversold"].values == ("—", "30.5")
    assert rows["Rule"].differs
    assert all(rows[name].differs for name in ("fast", "slow", "period", "oversold"))


def test_nested_parameters_and_requests_missing_fields_still_give_text():
    composite = {"rule_type": "COMPOSITE", "params": {"operator": "AND", "rules": [{"a": 1}]}}
    rows = rows_by_label([composite])
    assert rows["rules"].values == ('[{"a": 1}]',)
    assert rows["Ticker"].values == ("—",)
    assert rows["Window"].values == ("— → —",)
    assert rows["Position size"].values == ("—",)


def test_compare_page_shows_the_setup_rows_with_differences_marked(app, client):
    first, _ = add_succeeded(app, params={"fast": 3, "slow": 8})
    second, _ = add_succeeded(app, params={"fast": 5, "slow": 8})
    page = client.get(f"/compare?ids={first.run_id},{second.run_id}").get_data(as_text=True)
    marked = re.findall(
        r'<tr data-setup="(\w+)" class="bt-diff">\s*<th scope="row">(.*?)</th>', page
    )
    assert marked == [("params", '<span class="text-body-secondary">param</span> fast')]
    assert "(1 of " in page
