"""Tests for web/api/catalog.py: GET /api/rules and GET /api/tickers."""

from __future__ import annotations

from pathlib import Path

import pytest

from data import TickerInfo, load_catalog, save_catalog
from rules import RULES
from tests.web.support import (
    CLOSED_REDIS,
    TICKER,
    build_app,
    close_app,
    write_data_dir,
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    root = write_data_dir(tmp_path / "data")
    extra = TickerInfo("^IDX", "An <index>", "IDX.csv", False, "real prices, imported")
    save_catalog(load_catalog(root).with_entry(extra))
    return root


@pytest.fixture(autouse=True)
def own_user_data(tmp_path: Path, monkeypatch) -> None:
    """An empty user catalog of this module's own: /api/tickers lists the shipped catalog
    overlaid with the user's, and these tests expect the data folder's alone."""
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "user"))


@pytest.fixture
def client(sqlite_url, data_dir):
    app = build_app(sqlite_url, CLOSED_REDIS, data_dir)
    yield app.test_client()
    close_app(app)


def test_rules_lists_every_registered_rule_with_its_params(client):
    """/api/rules serves the registry: every rule type, in order, with parameter specs."""
    body = client.get("/api/rules").get_json()
    assert [rule["rule_type"] for rule in body] == list(RULES)
    sma = next(rule for rule in body if rule["rule_type"] == "SMA_CROSS")
    assert [param["name"] for param in sma["params"]] == ["fast", "slow"]
    assert sma["constraints"] == ["fast < slow"]


def test_tickers_lists_the_catalog_of_data_dir(client):
    """/api/tickers lists DATA_DIR's catalog sorted by ticker ("T" < "^"), with name,
    synthetic, description, the dates its data covers (null for an entry whose file
    cannot be read), its timeframe, market and bars per year (daily equity by default) and
    its sector (null when the catalog names none), and whether it is an index."""
    daily = {
        "timeframe": "1d",
        "market": "equity",
        "bars_per_year": 252.0,
        "sector": None,
        "index": False,
    }
    assert client.get("/api/tickers").get_json() == [
        {
            "ticker": TICKER,
            "name": "Test Company",
            "synthetic": True,
            "description": "zig-zag test prices",
            "first_date": "2021-01-04",
            "last_date": "2021-06-18",
            **daily,
        },
        {
            "ticker": "^IDX",
            "name": "An <index>",
            "synthetic": False,
            "description": "real prices, imported",
            "first_date": None,
            "last_date": None,
            **daily,
        },
    ]


def test_tickers_of_an_empty_data_dir_is_an_empty_list(sqlite_url, tmp_path):
    """A DATA_DIR without a catalog has no tickers."""
    app = build_app(sqlite_url, CLOSED_REDIS, tmp_path)
    try:
        assert app.test_client().get("/api/tickers").get_json() == []
    finally:
        close_app(app)


BAD_ENTRIES = ("EVIL", "LINK")
"""A hand-edited entry naming ``../secret.csv`` and one whose file is a symbolic link to a
file outside the data folder."""


@pytest.fixture
def broken_data_dir(tmp_path: Path) -> Path:
    """The test data with two bad entries added to catalog.json by hand (``BAD_ENTRIES``)."""
    import json

    root = write_data_dir(tmp_path / "data")
    secret = tmp_path / "secret.csv"
    secret.write_text((root / f"{TICKER}.csv").read_text())
    (root / "LINK.csv").symlink_to(secret)
    catalog = json.loads((root / "catalog.json").read_text())
    catalog["EVIL"] = {"file": "../secret.csv", "name": "Evil"}
    catalog["LINK"] = {"file": "LINK.csv", "name": "Link"}
    (root / "catalog.json").write_text(json.dumps(catalog))
    return root


@pytest.fixture
def broken_app(sqlite_url, redis_url, broken_data_dir):
    from tests.web.support import app_with_schema, serve

    yield from serve(app_with_schema(sqlite_url, redis_url, broken_data_dir))


def test_a_bad_catalog_entry_is_skipped_and_logged_while_the_rest_works(broken_app, caplog):
    """/api/tickers and the pages that list tickers answer 200 with the good entries; the
    log names each bad entry; a run on a good ticker is accepted."""
    from tests.web.support import valid_request

    client = broken_app.test_client()
    tickers = client.get("/api/tickers")
    assert tickers.status_code == 200
    assert [entry["ticker"] for entry in tickers.get_json()] == [TICKER]
    for page in ("/", "/sweeps", "/walkforward", "/studies", "/portfolios"):
        assert client.get(page).status_code == 200, page
    assert client.post("/run_backtest", json=valid_request()).status_code == 202
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert all(ticker in logged for ticker in BAD_ENTRIES)


@pytest.mark.parametrize("ticker", BAD_ENTRIES)
def test_a_bad_catalog_entrys_routes_answer_400_naming_it(broken_app, ticker):
    """A run, a sweep and a portfolio naming the bad entry's ticker: a 400 naming the
    ticker field (never a 500, never the file outside read)."""
    from tests.web.support import valid_request, valid_sweep

    client = broken_app.test_client()
    run = client.post("/run_backtest", json=valid_request(ticker=ticker))
    assert (run.status_code, run.get_json()["field"]) == (400, "ticker"), run.get_json()
    assert ticker in run.get_json()["error"]
    sweep = client.post("/api/sweeps", json=valid_sweep(tickers=[ticker]))
    assert sweep.status_code == 400, sweep.get_json()
    assert sweep.get_json()["field"].startswith("ticker")
    portfolio = {
        "tickers": [TICKER, ticker],
        "start_date": "2021-02-01",
        "end_date": "2021-05-31",
    }
    answer = client.post("/api/portfolios", json=portfolio)
    assert (answer.status_code, answer.get_json()["field"]) == (400, "tickers[1]")
