"""The client's portfolios against the real web app on loopback (SQLite, real Redis, the
shipped demo data; the item is executed in-process by the kind's own compute and stored as
a Job stores it): submit, wait, and the result as DataFrames; a bad input is a
BacktestRequestError naming the field; a FAILED portfolio raises its error."""

from __future__ import annotations

import pytest

from backtest_client import BacktestError, BacktestRequestError, Client, frames
from data.loader import BAR_HOUR_UTC
from kinds.portfolios.kind import PORTFOLIO
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from tests.portfolios.support import DEMO, execute_item, valid_portfolio
from tests.sweeps.support import compute_queued_chunks
from web.db import get_database

pytestmark = pytest.mark.redis


def submit_portfolio(client: Client):
    body = valid_portfolio()
    return client.portfolio(
        body["tickers"],
        body["start_date"],
        body["end_date"],
        allocation=body["allocation"],
        rebalance=body["rebalance"],
        params=body["params"],
        fee_rate=body["fee_rate"],
    )


def test_a_portfolio_is_submitted_waited_for_and_read_as_dataframes(
    demo_portfolio_app, demo_api_url
):
    """equity (with the benchmark) per bar, weights per sampled close summing with cash
    to 1, contributions per ticker summing to the P&L, orders with dates."""
    client = Client(demo_api_url)
    portfolio = submit_portfolio(client)
    assert portfolio.refresh()["status"] == "PENDING"
    execute_item(demo_portfolio_app, portfolio.portfolio_id)
    assert portfolio.wait(timeout=10, poll=0.1) is portfolio
    equity = portfolio.equity()
    assert list(equity.columns) == [
        "equity",
        "cash",
        "drawdown_pct",
        "benchmark",
        "benchmark_drawdown_pct",
    ]
    assert equity["equity"].iloc[0] == 100_000.0 and len(equity) > 900
    weights = portfolio.weights()
    assert set(weights.columns) <= {*DEMO, "cash"} and "cash" in weights.columns
    assert weights.sum(axis=1).round(9).eq(1.0).all()
    contribution = portfolio.contribution()
    assert list(contribution.index) == list(DEMO)
    pnl = equity["equity"].iloc[-1] - 100_000.0
    assert contribution["pnl"].sum() == pytest.approx(pnl, abs=1e-6)
    orders = portfolio.orders()
    assert len(orders) == portfolio.result["orders_total"]
    assert str(orders["date"].dtype).startswith("datetime64")
    assert portfolio.metrics["total_return_pct"] == pytest.approx(
        (equity["equity"].iloc[-1] / 100_000.0 - 1) * 100
    )
    again = client.get_portfolio(portfolio.portfolio_id)
    assert again.wait(timeout=5, poll=0.1).result == portfolio.result


def test_a_portfolios_daily_equity_joins_a_runs_on_the_same_days(demo_portfolio_app, demo_api_url):
    """One timestamp convention for daily bars across kinds: a portfolio's trading days
    (stored as dates) read as each day's close at 21:00 UTC, as a run's daily equity is
    stamped, so the two series align on every shared day; its orders' dates alike."""
    client = Client(demo_api_url)
    portfolio = submit_portfolio(client)
    execute_item(demo_portfolio_app, portfolio.portfolio_id)
    equity = portfolio.wait(timeout=10, poll=0.1).equity()
    body = valid_portfolio()
    run = execute(
        parse_request(
            {"ticker": "ACME", "rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 30},
             "start_date": body["start_date"], "end_date": body["end_date"], "charts": False}
        )
    )  # fmt: skip
    run_index = frames.timestamps(run.equity_curve["timestamps"])
    assert run.equity_curve["timestamps"][0].endswith("T21:00:00+00:00")
    assert equity.index.isin(run_index).all() and run_index.isin(equity.index).all()
    assert (equity.index.hour == frames.DAILY_BAR_HOUR_UTC).all()
    orders = portfolio.orders()
    assert orders["date"].isin(equity.index).all()


def test_the_clients_daily_bar_hour_is_the_platforms():
    assert frames.DAILY_BAR_HOUR_UTC == BAR_HOUR_UTC


def test_a_bad_portfolio_is_a_request_error_naming_the_field(demo_api_url):
    """The API's 400 comes back as BacktestRequestError with its field."""
    with pytest.raises(BacktestRequestError) as refused:
        Client(demo_api_url).portfolio(["ACME", "NOPE"], "2018-01-01", "2019-12-31")
    assert refused.value.field == "tickers[1]"


def test_a_failed_portfolio_raises_its_error(demo_portfolio_app, demo_api_url):
    """A portfolio stored FAILED ends the wait with its error message."""
    portfolio = submit_portfolio(Client(demo_api_url))
    with get_database(demo_portfolio_app).sessionmaker.begin() as session:
        assert PORTFOLIO.mark_failed(session, portfolio.portfolio_id, "ACME has no bar")
    with pytest.raises(BacktestError, match="ACME has no bar"):
        portfolio.wait(timeout=10, poll=0.1)


def test_a_portfolio_sweep_reads_as_the_same_dataframes_as_a_run_sweep(
    demo_portfolio_app, demo_api_url
):
    """results: one row per point indexed by combo_no, the ticker UNIVERSE, a column per
    searched name, the metrics; top and overfitting as for a run sweep."""
    client = Client(demo_api_url)
    sweep = client.sweep_portfolio(valid_portfolio(), {"n": [10, 30], "top_n": "1:3:1"})
    assert compute_queued_chunks(demo_portfolio_app) == 1
    sweep.wait(timeout=10, poll=0.1)
    frame = sweep.results
    assert list(frame.columns[:3]) == ["ticker", "n", "top_n"]
    assert "sharpe_ratio" in frame.columns and len(frame) == 6
    assert set(frame["ticker"]) == {"UNIVERSE"}
    assert sorted(zip(frame["n"], frame["top_n"], strict=True)) == [
        (n, k) for n in (10, 30) for k in (1, 2, 3)
    ]
    best = sweep.top(1)[0]
    assert best["combo_no"] == frame["sharpe_ratio"].idxmax()


def test_top_leaves_out_combos_with_fewer_trades_than_min_trades(demo_portfolio_app, demo_api_url):
    """``top(min_trades=k)``: only combos that traded at least k times, best first."""
    client = Client(demo_api_url)
    sweep = client.sweep_portfolio(valid_portfolio(), {"n": [10, 30], "top_n": "1:3:1"})
    compute_queued_chunks(demo_portfolio_app)
    frame = sweep.wait(timeout=10, poll=0.1).results
    k = int(frame["num_trades"].median())
    kept = frame[frame["num_trades"] >= k]
    assert 0 < len(kept) < len(frame), frame["num_trades"].tolist()
    top = sweep.top(6, min_trades=k)
    assert sorted(row["combo_no"] for row in top) == sorted(kept.index)
    assert all(row["metrics"]["num_trades"] >= k for row in top)
    assert [row["combo_no"] for row in sweep.top(6)] != [] and len(sweep.top(6)) == len(frame)


def test_a_bad_portfolio_sweep_is_a_request_error_naming_the_grid_entry(demo_api_url):
    with pytest.raises(BacktestRequestError) as caught:
        Client(demo_api_url).sweep_portfolio(valid_portfolio(), {"lookback": [5]})
    assert caught.value.field == "grid.lookback"
