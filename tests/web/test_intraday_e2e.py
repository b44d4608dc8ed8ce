"""Intraday end to end on the real platform (the ``stack`` fixture: web + consumers on
MariaDB and Redis) with the shipped hourly demo ticker VANDELAY: the form picks 1h and
offers date-times, the run page, history, trades CSV, result JSON and a sweep all work, and
a timeframe other than the ticker's is a 400 naming ``timeframe``."""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests

from data.trading_days import trading_days
from tests.stack import ended, wait_until
from tests.web import test_browser_dashboard as dashboard
from tests.web.test_browser_dashboard import TIMEOUT_MS, open_form, shoot

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

watched, shots = dashboard.watched, dashboard.shots
"""The dashboard browser tests' fixtures: a watched page (no script errors) and where
screenshots go."""

HOURLY = {
    "ticker": "VANDELAY",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 5, "slow": 20},
    "start_date": "2024-06-03T14:30",
    "end_date": "2024-07-31",
    "timeframe": "1h",
}


def test_an_hourly_run_over_http_keeps_bar_times_in_result_trades_csv_and_history(stack):
    response = stack.submit(HOURLY)
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    status = stack.wait_finished([run_id], timeout=120)[run_id]
    assert status["status"] == "SUCCEEDED", status["error_message"]
    result = status["result"]
    assert result["request"]["start_date"] == "2024-06-03T14:30:00"
    assert result["request"]["timeframe"] == "1h"
    stamps = result["equity_curve"]["timestamps"]
    assert stamps[0].startswith("2024-06-03T14:30:00") and stamps[1].startswith("2024-06-03T15:30")
    assert stamps[-1].startswith("2024-07-31T20:30:00")
    sessions = trading_days("2024-06-03", "2024-07-31")  # Juneteenth and 4 July are closed
    assert len(stamps) == 7 * len(sessions) == 7 * 41
    assert result["metrics"]["sharpe_ratio"] is not None

    trades_csv = requests.get(f"{stack.base_url}/runs/{run_id}/trades.csv", timeout=30)
    rows = list(csv.DictReader(io.StringIO(trades_csv.text)))
    assert rows and all(row["entry_timestamp"][11:16].endswith(":30") for row in rows)
    exported = requests.get(f"{stack.base_url}/runs/{run_id}/result.json", timeout=30).json()
    assert exported["equity_curve"]["timestamps"] == stamps
    history = requests.get(f"{stack.base_url}/runs", params={"ticker": "VANDELAY"}, timeout=30)
    assert history.status_code == 200 and run_id in history.text
    page = requests.get(f"{stack.base_url}/runs/{run_id}", timeout=30)
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timeframe": "1d", "start_date": "2024-06-03"}, "timeframe"),
        ({"timeframe": "5m"}, "timeframe"),
        ({"ticker": "ACME", "timeframe": "1d"}, "start_date"),
        ({"ticker": "ACME"}, "timeframe"),
    ],
)
def test_a_timeframe_not_the_tickers_or_a_time_on_a_daily_run_is_a_400_naming_the_field(
    stack, change, field
):
    response = stack.submit({**HOURLY, **change})
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field


def test_an_hourly_sweep_reaches_100_percent_and_its_best_combo_reruns_to_equal_metrics(stack):
    """A sweep annualises with the ticker's bars per year as a single run does: the best
    combination, run on its own, gives the same Sharpe and volatility."""
    body = {
        "tickers": ["VANDELAY"],
        "rule_type": "SMA_CROSS",
        "grid": {"fast": "5:15:5", "slow": "20:40:10"},
        "start_date": "2024-01-02",
        "end_date": "2024-12-31T20:30",
        "timeframe": "1h",
    }
    response = requests.post(f"{stack.base_url}/api/sweeps", json=body, timeout=30)
    assert response.status_code == 202, response.text
    url = stack.base_url + response.json()["status_url"]

    state = wait_until(lambda: ended(url), 180, 0.5, what="the hourly sweep")
    assert state["status"] == "SUCCEEDED"
    results = requests.get(f"{url}/results", params={"per_page": 50}, timeout=10).json()
    assert len(results["results"]) == 9
    assert all(row["metrics"]["sharpe_ratio"] is not None for row in results["results"])
    best = state["best"][0]
    combo = requests.get(f"{url}/combos/{best['combo_no']}", timeout=10).json()
    run = stack.submit(combo["run_request"]).json()
    done = stack.wait_finished([run["run_id"]], timeout=120)[run["run_id"]]
    assert done["metrics"]["sharpe_ratio"] == best["metrics"]["sharpe_ratio"]
    assert done["metrics"]["volatility_pct"] == best["metrics"]["volatility_pct"]


def test_the_form_picks_1h_and_date_times_and_the_run_page_shows_bar_times(watched, stack, shots):
    """Choosing VANDELAY sets timeframe 1h and turns the dates into date-time inputs; the
    run page's charts draw and the trades table shows entry times."""
    page = watched.page
    open_form(page, stack)
    page.select_option("#f-ticker", "VANDELAY")
    assert page.input_value("#f-timeframe") == "1h"
    assert page.get_attribute("#f-start", "type") == "datetime-local"
    assert page.text_content("label[for='f-start']") == "Start date (UTC)"
    assert page.input_value("#f-end") == "2024-12-31T23:59"
    page.fill("#f-start", "2024-10-01T14:30")
    page.select_option("#f-rule", "SMA_CROSS")
    page.fill("[data-field='params.fast']", "5")
    page.fill("[data-field='params.slow']", "20")
    shoot(page, shots / "intraday-form.png")
    page.click("#submit-run")
    page.wait_for_url("**/runs/*", timeout=TIMEOUT_MS)
    page.wait_for_selector("body[data-result='loaded']")
    page.click("#tab-candles")
    page.wait_for_selector("#chart-candles[data-ready='1'] canvas")
    page.wait_for_selector("#candles-panels[data-ready='1'] canvas")
    # intraday bars sit side by side (x = the bar's index, no night or weekend gaps), on the
    # price chart and its panels alike; the axis and the legend name each bar's UTC time
    for selector in ("#chart-candles", "#candles-panels .bt-panel"):
        x = page.eval_on_selector(
            selector, "el => [el.btChart.scales.x.time, Array.from(el.btChart.data[0].slice(0, 3))]"
        )
        assert x == [False, [0, 1, 2]], (selector, x)
    ticks = page.eval_on_selector(
        "#chart-candles", "el => el.btChart.axes[0].values(el.btChart, [0, 7], 0, 0, 0)"
    )
    assert ticks == ["10-01 14:30", "10-02 14:30"], ticks
    shoot(page, shots / "intraday-candles.png")
    page.click("#tab-equity")
    page.wait_for_selector("#chart-equity[data-ready='1'] canvas")
    shoot(page, shots / "intraday-equity.png")
    page.click("#tab-trades")
    page.wait_for_selector("#trades-table[data-ready='1']")
    entry = page.text_content("#trades-table tbody tr td:nth-child(4)")
    assert entry.startswith("2024-1") and entry.endswith(":30"), entry
    # intraday trades are held for hours: the Days column becomes Held, in hours and minutes
    assert page.text_content("#trades-table thead th:nth-child(12)") == "Held"
    held = page.text_content("#trades-table tbody tr td:nth-child(12)")
    assert re.fullmatch(r"(\d+d )?\d+h \d\dm", held), held
    shoot(page, shots / "intraday-trades.png")
    page.click("#edit-run")  # the form again, filled from the run: its times are kept
    page.wait_for_selector("#run-form[data-ready='1']")
    assert page.input_value("#f-ticker") == "VANDELAY"
    assert page.input_value("#f-timeframe") == "1h"
    assert page.input_value("#f-start") == "2024-10-01T14:30"
    assert page.input_value("#f-end") == "2024-12-31T23:59"


def test_the_sweep_form_takes_the_timeframe_of_the_checked_tickers(watched, stack):
    page = watched.page
    page.goto(f"{stack.base_url}/sweeps")
    page.wait_for_selector("#s-f-timeframe")
    assert page.input_value("#s-f-timeframe") == "1d"
    page.uncheck("#s-t-ACME")
    page.check("#s-t-VANDELAY")
    assert page.input_value("#s-f-timeframe") == "1h"
