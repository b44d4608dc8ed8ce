"""The client's walk-forwards against the real web app on loopback (SQLite, real Redis, the
shipped demo data; chunks and folds executed in-process as their Jobs do): a run's and a
portfolio's read alike — the fold table and the stitched out-of-sample equity as DataFrames
equal to the status document's, which stays readable as it is; a refusal names its field."""

from __future__ import annotations

import os

import pytest

from backtest_client import BacktestError, BacktestRequestError, Client
from store import dbapi
from tests.walkforward.support import execute_walkforward_jobs, portfolio_walkforward

pytestmark = pytest.mark.redis

BODY = portfolio_walkforward()
BASE, GRID = BODY["base"], BODY["grid"]


@pytest.fixture
def jobs_here(demo_portfolio_app, sqlite_url, monkeypatch):
    """The folds' ``finished`` hook reads the app's database as a Job's process would."""
    monkeypatch.setitem(dbapi._PROCESS_DATABASES, os.getpid(), dbapi.Database(sqlite_url))
    return demo_portfolio_app


def _frames_match_the_document(walkforward, grid_names: list[str]) -> None:
    assert walkforward.wait(timeout=10) is walkforward
    document = walkforward.last
    assert document["status"] == walkforward["status"] == "SUCCEEDED", document
    folds = walkforward.folds
    assert list(folds.index) == [fold["fold"] for fold in document["folds"]]
    for fold in document["folds"]:
        row = folds.loc[fold["fold"]]
        assert row["status"] == "SUCCEEDED"
        assert {name: row[name] for name in grid_names} == fold["params"]
        assert row["test_total_return_pct"] == pytest.approx(
            fold["test_metrics"]["total_return_pct"]
        )
    equity = walkforward.equity
    oos = document["oos"]
    assert list(equity.columns) == ["equity", "benchmark"]
    assert equity["equity"].tolist() == oos["equity_curve"]["equity"]
    assert equity["benchmark"].tolist() == oos["benchmark"]["equity"]
    assert str(equity.index.tz) == "UTC" and equity.index.is_monotonic_increasing


def test_a_portfolio_walkforward_reads_as_fold_and_equity_frames(jobs_here, demo_api_url):
    client = Client(demo_api_url)
    walkforward = client.portfolio_walkforward(BASE, GRID, 200, 100, min_trades=0)
    assert (walkforward.accepted["folds"], walkforward.accepted["combos_per_fold"]) == (3, 4)
    with pytest.raises(BacktestError, match="no out-of-sample curve"):
        walkforward.equity  # noqa: B018 (a property that asks)
    execute_walkforward_jobs(jobs_here)
    _frames_match_the_document(walkforward, ["n", "top_n"])
    assert walkforward.last["request"]["kind"] == "portfolio"  # the raw document, as it was


def test_a_run_walkforward_reads_as_the_same_frames(jobs_here, demo_api_url):
    client = Client(demo_api_url)
    walkforward = client.walkforward(
        "SMA_CROSS",
        {"fast": [5, 10], "slow": [30, 60]},
        "ACME",
        train_bars=250,
        test_bars=125,
        start_date="2018-01-01",
        end_date="2020-12-31",
        min_trades=0,
    )
    execute_walkforward_jobs(jobs_here)
    _frames_match_the_document(walkforward, ["fast", "slow"])


def test_a_refused_portfolio_walkforward_names_its_field(demo_api_url):
    client = Client(demo_api_url)
    with pytest.raises(BacktestRequestError) as refused:
        client.portfolio_walkforward(BASE, GRID, 5000, 100)
    assert refused.value.field == "train_bars"
