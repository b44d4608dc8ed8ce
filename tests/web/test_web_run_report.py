"""GET /api/runs/<run_id>/report with Flask's test client on a temporary SQLite database
and the real test Redis: the report of a stored run against its own buy and hold and
against another catalog ticker (checked with pandas on the stored curve and the CSV), and
every refused input (400 naming ``window`` or ``benchmark``, 404, 409)."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import TickerInfo, load_catalog, save_catalog
from tests.web.support import weekdays
from tests.web.support_dashboard import add_pending, add_succeeded, replace_result

pytestmark = pytest.mark.redis

OTHER = "OTHERCO"
"""A second ticker: 60 weekdays from 2021-03-01, part of the run's window (Feb-May 2021)."""


def add_ticker(data_dir: Path, ticker: str, lines: list[str]) -> None:
    """Write ``ticker``'s CSV (``lines`` after the header) and add it to the catalog."""
    path = data_dir / f"{ticker}.csv"
    path.write_text("\n".join(["Date,Open,High,Low,Close,Volume", *lines]) + "\n")
    info = TickerInfo(ticker, ticker.title(), path.name, True, "report test prices")
    save_catalog(load_catalog(data_dir).with_entry(info))


def bar_lines(first: str, closes: list[float]) -> list[str]:
    days = weekdays(pd.Timestamp(first).date(), len(closes))
    return [
        f"{day},{c:.4f},{c * 1.01:.4f},{c * 0.99:.4f},{c:.4f},500"
        for day, c in zip(days, closes, strict=True)
    ]


@pytest.fixture
def data_dir(data_dir: Path) -> Path:
    """TESTCO plus OTHERCO (overlapping the run), LATECO (one common bar), OLDCO (bars in
    2019 only) and BADCO (a file with a bad row)."""
    closes = (50 * np.exp(np.cumsum(np.sin(np.arange(60) * 0.7) * 0.02))).tolist()
    add_ticker(data_dir, OTHER, bar_lines("2021-03-01", closes))
    add_ticker(data_dir, "LATECO", bar_lines("2021-05-31", [10.0, 11.0]))
    add_ticker(data_dir, "OLDCO", bar_lines("2019-01-07", [10.0, 11.0, 12.0]))
    add_ticker(data_dir, "BADCO", ["2021-02-01,1,1,1,oops,1"])
    return data_dir


def test_the_default_report_is_against_the_runs_own_buy_and_hold(app, client):
    """No query: window 63, benchmark "buy & hold" (the stored curve, unscaled since both
    start at the initial capital), every series one value per bar."""
    request, result = add_succeeded(app)
    response = client.get(f"/api/runs/{request.run_id}/report")
    assert response.status_code == 200
    body = response.get_json()
    bars = len(result["equity_curve"]["timestamps"])
    assert body["run_id"] == request.run_id
    assert body["timestamps"] == result["equity_curve"]["timestamps"]
    assert body["rolling"]["window"] == 63
    assert (body["benchmark"]["ticker"], body["benchmark"]["label"]) == (None, "buy & hold")
    assert body["benchmark"]["equity"] == pytest.approx(result["benchmark"]["equity"])
    assert body["benchmark"]["stats"]["bars"] == bars
    for series in (body["rolling"]["sharpe"], body["underwater_pct"], body["equity"]):
        assert len(series) == bars
    assert body["underwater_pct"] == pytest.approx(result["drawdown_curve"]["drawdown_pct"])
    assert [row["year"] for row in body["monthly"]] == [2021]
    depths = [d["depth_pct"] for d in body["drawdowns"]]
    assert depths == sorted(depths, reverse=True) and len(depths) <= 5
    assert depths[0] == pytest.approx(result["metrics"]["max_drawdown_pct"])


def test_another_ticker_is_aligned_by_date_and_its_statistics_match_pandas(app, client, data_dir):
    """benchmark=otherco (any case): OTHERCO's closes joined to the stored equity on common
    dates give pandas' beta, correlation, tracking error and information ratio."""
    request, result = add_succeeded(app)
    body = client.get(f"/api/runs/{request.run_id}/report?benchmark=otherco&window=21").get_json()
    assert (body["benchmark"]["ticker"], body["benchmark"]["label"]) == (OTHER, OTHER)
    assert body["rolling"]["window"] == 21
    curve = result["equity_curve"]
    equity = pd.Series(curve["equity"], index=pd.to_datetime(curve["timestamps"]).date)
    csv = pd.read_csv(data_dir / f"{OTHER}.csv", index_col="Date", parse_dates=True)
    close = pd.Series(csv["Close"].to_numpy(), index=csv.index.date)
    joined = pd.concat([equity, close], axis=1, join="inner").pct_change().dropna()
    r, b = joined.iloc[:, 0], joined.iloc[:, 1]
    stats = body["benchmark"]["stats"]
    assert stats["return_pairs"] == len(joined)
    assert stats["beta"] == pytest.approx(r.cov(b) / b.var(), rel=1e-9)
    assert stats["correlation"] == pytest.approx(r.corr(b), rel=1e-9)
    assert stats["tracking_error_pct"] == pytest.approx((r - b).std() * np.sqrt(252) * 100)
    ir = (r - b).mean() / (r - b).std() * np.sqrt(252)
    assert stats["information_ratio"] == pytest.approx(ir, rel=1e-9)
    before = [
        v
        for t, v in zip(body["timestamps"], body["benchmark"]["equity"], strict=True)
        if t < "2021-03"
    ]
    assert before and set(before) == {None}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("window=1", "window", "between 2 and"),
        ("window=abc", "window", "must be an integer"),
        ("window=100000", "window", "between 2 and"),
        ("benchmark=NOPE", "benchmark", "unknown ticker NOPE"),
        ("benchmark=../etc", "benchmark", "invalid ticker"),
        ("benchmark=OLDCO", "benchmark", "no OLDCO bars"),
        ("benchmark=LATECO", "benchmark", "fewer than 2 bars in common"),
        ("benchmark=BADCO", "benchmark", "unreadable"),
    ],
)
def test_a_bad_window_or_benchmark_is_a_400_naming_it(app, client, query, field, message):
    """Out-of-range or non-integer windows; unknown, malformed, non-overlapping or broken
    benchmark tickers: 400 {"error", "field"}."""
    request, _ = add_succeeded(app)
    response = client.get(f"/api/runs/{request.run_id}/report?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert message in response.get_json()["error"]


def test_an_unknown_run_is_404_and_a_run_without_result_409(app, client):
    """A run id nobody stored, a non-UUID id: 404; a PENDING run: 409 with its status."""
    assert client.get(f"/api/runs/{uuid.uuid4()}/report").status_code == 404
    assert client.get("/api/runs/not-a-run/report").status_code == 404
    pending = add_pending(app)
    response = client.get(f"/api/runs/{pending.run_id}/report")
    assert response.status_code == 409
    assert response.get_json()["status"] == "PENDING"


def test_a_one_bar_run_has_a_report_with_nothing_undefined_computed(app, client):
    """A run of a single bar: 200, window 2 (the least), every rolling value and every
    benchmark statistic null, no drawdown, one month of 0%."""
    request, _ = add_succeeded(app, start_date="2021-03-01", end_date="2021-03-01")
    response = client.get(f"/api/runs/{request.run_id}/report")
    assert response.status_code == 200
    body = response.get_json()
    assert body["rolling"] == {"window": 2, "sharpe": [None], "volatility_pct": [None]}
    assert body["drawdowns"] == []
    assert body["monthly"][0]["months_pct"][2] == 0.0
    stats = body["benchmark"]["stats"]
    assert (stats["bars"], stats["return_pairs"], stats["beta"], stats["alpha_pct"]) == (
        1,
        0,
        None,
        None,
    )


def test_a_stored_result_without_a_benchmark_gets_its_tickers_buy_and_hold(app, client):
    """A result stored without ``benchmark``: the default is the run's ticker bought and
    held over its dates, equal to the curve a run stores."""
    request, result = add_succeeded(app)
    stored = {key: value for key, value in result.items() if key != "benchmark"}
    replace_result(app, request.run_id, stored)
    body = client.get(f"/api/runs/{request.run_id}/report").get_json()
    assert body["benchmark"]["label"] == "buy & hold"
    assert body["benchmark"]["equity"] == pytest.approx(result["benchmark"]["equity"], rel=1e-12)


def test_an_hourly_run_is_annualised_with_its_tickers_bars_per_year_and_takes_timed_dates(
    app, client, data_dir
):
    """An hourly ticker (7 session bars a day): the report annualises with the catalog's
    1,764 bars a year (as the run's own metrics), and a benchmark read over the run's
    date-time window (``2021-03-01T15:30`` ..) shares exactly the run's bars."""
    days = weekdays(pd.Timestamp("2021-03-01").date(), 30)
    closes = 40 * np.exp(np.cumsum(np.cos(np.arange(len(days) * 7) * 0.3) * 0.01))
    lines = [
        f"{day} {14 + hour}:30:00,{c:.4f},{c * 1.002:.4f},{c * 0.998:.4f},{c:.4f},900"
        for (day, hour), c in zip(
            ((day, hour) for day in days for hour in range(7)), closes, strict=True
        )
    ]
    path = data_dir / "HOURCO.csv"
    path.write_text("\n".join(["Date,Open,High,Low,Close,Volume", *lines]) + "\n")
    info = TickerInfo("HOURCO", "Hourco", path.name, True, "hourly", timeframe="1h")
    save_catalog(load_catalog(data_dir).with_entry(info))
    window = {"start_date": "2021-03-01T15:30:00", "end_date": "2021-04-09T20:30:00"}
    request, result = add_succeeded(
        app, ticker="HOURCO", timeframe="1h", rule_type="RSI", params=None, **window
    )
    body = client.get(f"/api/runs/{request.run_id}/report?benchmark=HOURCO&window=14").get_json()
    assert body["bars_per_year"] == 1764.0
    stored = result["equity_curve"]
    assert body["timestamps"] == stored["timestamps"]
    assert body["benchmark"]["stats"]["bars"] == len(stored["timestamps"])
    equity = pd.Series(stored["equity"])
    expected = equity.pct_change().rolling(14).std() * np.sqrt(1764.0) * 100
    got = pd.Series(body["rolling"]["volatility_pct"], dtype=float)
    np.testing.assert_allclose(got[15:], expected[15:], rtol=1e-9, atol=1e-12)
