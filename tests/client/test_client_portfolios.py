"""The client's portfolios against the real web app on loopback (SQLite, real Redis, the
shipped demo data; the item is executed in-process by the kind's own compute and stored as
a Job stores it): submit, wait, and the result as DataFrames; a bad input is a
BacktestRequestError naming the field; a FAILED portfolio raises its error."""

from __future__ import annotations

import pytest

from backtest_client import BacktestError, BacktestRequestError, Client
from kinds.portfolios.kind import PORTFOLIO
from tests.portfolios.support import DEMO, execute_item, valid_portfolio
from web.db import get_database

pytestmark = pytest.mark.redis


def _submit(client: Client):
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
    portfolio = _submit(client)
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


def test_a_bad_portfolio_is_a_request_error_naming_the_field(demo_api_url):
    """The API's 400 comes back as BacktestRequestError with its field."""
    with pytest.raises(BacktestRequestError) as refused:
        Client(demo_api_url).portfolio(["ACME", "NOPE"], "2018-01-01", "2019-12-31")
    assert refused.value.field == "tickers[1]"


def test_a_failed_portfolio_raises_its_error(demo_portfolio_app, demo_api_url):
    """A portfolio stored FAILED ends the wait with its error message."""
    portfolio = _submit(Client(demo_api_url))
    with get_database(demo_portfolio_app).sessionmaker.begin() as session:
        assert PORTFOLIO.mark_failed(session, portfolio.portfolio_id, "ACME has no bar")
    with pytest.raises(BacktestError, match="ACME has no bar"):
        portfolio.wait(timeout=10, poll=0.1)
