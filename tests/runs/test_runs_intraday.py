"""Intraday runs through the one execution path: backtesting.py's hourly EURUSD imported at
test time (never copied into the repo), parity bar by bar, annualisation, time bounds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest
from backtesting.test import EURUSD

import data
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute, load_market_data
from tests.runs.test_runs_execute import PEER_RULES

EURUSD_BARS_PER_YEAR = 24 * 260
"""Detected at import: 24 bars per date (median), FX calendar (24 h, 5 days a week)."""


@pytest.fixture(scope="module")
def eurusd_dir(tmp_path_factory) -> Path:
    """A DATA_DIR holding backtesting.py's hourly EURUSD, written as CSV and imported."""
    folder = tmp_path_factory.mktemp("eurusd")
    source = folder / "source.csv"
    EURUSD.to_csv(source)
    data.register_csv(source.read_bytes(), "EURUSD", name="EUR/USD hourly", data_dir=folder)
    return folder


def _request(**change) -> dict:
    return {
        "ticker": "EURUSD",
        "rule_type": "SMA_CROSS",
        "params": {"fast": 10, "slow": 20},
        "start_date": "2017-04-19",
        "end_date": "2018-02-07",
        "timeframe": "1h",
        "size_type": "percent",
        "position_size": 100,
        "fee_rate": 0.001,
        "charts": False,
        **change,
    }


def test_eurusd_is_recorded_as_hourly_fx_with_its_bars_per_year(eurusd_dir):
    """Import detects the spacing (1h, nights and weekends are gaps) and the 24 h, 5-day
    calendar, and records both in the catalog."""
    info = data.load_catalog(eurusd_dir).info("EURUSD")
    assert (info.timeframe, info.market, info.annual_bars) == ("1h", "fx", EURUSD_BARS_PER_YEAR)


@pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning")
@PEER_RULES
def test_hourly_run_matches_backtesting_py_on_every_bar_and_trade(
    eurusd_dir, rule_type, params, strategy
):
    """Loader + rule + engine on 5,000 hourly bars vs backtesting.py (its own indicators):
    long-only, all-in, fee 0.1% → equity within 1e-6 relative on every bar, same trades."""
    request = parse_request(_request(rule_type=rule_type, params=params))
    ours = execute(request, data_dir=eurusd_dir)
    stats = Backtest(EURUSD, strategy, cash=100_000, commission=0.001, trade_on_close=False).run()
    peer_equity = stats["_equity_curve"]["Equity"].to_numpy()
    assert len(ours.equity_curve["equity"]) == len(EURUSD) == 5000
    np.testing.assert_allclose(ours.equity_curve["equity"], peer_equity, rtol=1e-6, atol=0)
    peer = stats["_trades"]
    closed = [t for t in ours.trades if not t["is_open"]]
    assert len(closed) == len(peer) >= 5
    for ours_key, peer_key in (("entry_timestamp", "EntryTime"), ("exit_timestamp", "ExitTime")):
        stamps = [pd.Timestamp(t[ours_key]).tz_localize(None) for t in closed]
        assert stamps == peer[peer_key].tolist()
    assert [t["size"] for t in closed] == peer["Size"].tolist()
    np.testing.assert_allclose([t["pnl_abs"] for t in closed], peer["PnL"], rtol=1e-6)


def test_hourly_statistics_are_annualised_with_the_catalog_bars_per_year(eurusd_dir):
    """Sharpe, volatility and Sortino scale by √(24 × 260) over the hourly bar returns;
    CAGR stays calendar-based (365.25 days)."""
    result = execute(parse_request(_request()), data_dir=eurusd_dir)
    equity = np.array(result.equity_curve["equity"])
    returns = equity[1:] / equity[:-1] - 1
    root = math.sqrt(EURUSD_BARS_PER_YEAR)
    sharpe = returns.mean() / returns.std(ddof=1) * root
    assert result.metrics["sharpe_ratio"] == pytest.approx(sharpe, rel=1e-12)
    volatility = returns.std(ddof=1) * root * 100
    assert result.metrics["volatility_pct"] == pytest.approx(volatility, rel=1e-12)
    downside = math.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    assert result.metrics["sortino_ratio"] == pytest.approx(
        returns.mean() / downside * root, rel=1e-12
    )
    first, last = (np.datetime64(result.equity_curve["timestamps"][i][:19]) for i in (0, -1))
    days = (last - first) / np.timedelta64(1, "D")
    cagr = ((equity[-1] / equity[0]) ** (365.25 / days) - 1) * 100
    assert result.metrics["cagr_pct"] == pytest.approx(cagr, rel=1e-9)


def test_a_time_bounds_the_window_to_the_hour_and_a_date_means_the_whole_day(eurusd_dir):
    """start 2017-05-01T14:00 .. end 2017-05-02 holds 14:00 .. 23:00 of the 1st and all of the
    2nd; timestamps keep their hour."""
    request = parse_request(_request(start_date="2017-05-01T14:00", end_date="2017-05-02"))
    assert request.start_date == "2017-05-01T14:00:00"
    history = load_market_data(request, eurusd_dir)
    stamps = history.bars.timestamps[history.start : history.stop]
    assert str(stamps[0]) == "2017-05-01T14:00:00"
    assert str(stamps[-1]) == "2017-05-02T23:00:00"
    assert len(stamps) == 10 + 24


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"timeframe": "1d"}, "timeframe", "EURUSD has 1h bars; set timeframe to 1h"),
        ({"timeframe": "5m"}, "timeframe", "EURUSD has 1h bars"),
    ],
)
def test_a_timeframe_other_than_the_tickers_is_a_request_error_naming_it(
    eurusd_dir, change, field, fragment
):
    """A request whose timeframe is not the ticker's data is refused naming ``timeframe``."""
    with pytest.raises(RequestError) as err:
        load_market_data(
            parse_request(_request(**change, start_date="2017-05-01", end_date="2017-05-02")),
            eurusd_dir,
        )
    assert err.value.field == field
    assert fragment in err.value.message


def test_a_daily_request_with_a_time_is_refused_naming_the_date():
    """Daily bars stand for whole days: a time on a 1d request is a 400 naming the field."""
    with pytest.raises(RequestError) as err:
        parse_request(_request(timeframe="1d", end_date="2018-02-07T10:00", ticker="ACME"))
    assert err.value.field == "end_date"


def test_a_daily_request_stores_its_dates_unchanged():
    """Date-only dates stay date-only: stored daily requests keep their bytes."""
    request = parse_request(_request(timeframe="1d", ticker="ACME"))
    assert (request.start_date, request.end_date) == ("2017-04-19", "2018-02-07")
    assert request.to_dict()["timeframe"] == "1d"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2017-05-01T14:00", "2017-05-01T14:00:00"),
        ("2017-05-01 14:00:30", "2017-05-01T14:00:30"),
        ("2017-05-01T16:00+02:00", "2017-05-01T14:00:00"),
        ("2017-05-01T14:00:00Z", "2017-05-01T14:00:00"),
        ("2017-05-01", "2017-05-01"),
    ],
)
def test_intraday_dates_are_stored_as_utc_datetimes_and_dates_stay_dates(given, stored):
    assert parse_request(_request(start_date=given)).start_date == stored


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_date": "2017-05-01T25:00"}, "start_date"),
        ({"start_date": "2017-05-01T14"}, "start_date"),
        ({"end_date": "2017-05-01T13:00", "start_date": "2017-05-01T14:00"}, "end_date"),
    ],
)
def test_a_bad_or_reversed_datetime_is_a_request_error_naming_it(change, field):
    with pytest.raises(RequestError) as err:
        parse_request(_request(**change))
    assert err.value.field == field


def test_an_end_date_without_time_covers_a_start_time_on_the_same_day():
    request = parse_request(_request(start_date="2017-05-01T14:00", end_date="2017-05-01"))
    assert (request.start_date, request.end_date) == ("2017-05-01T14:00:00", "2017-05-01")
