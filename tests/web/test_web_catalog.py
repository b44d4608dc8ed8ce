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
    its sector (null when the catalog names none)."""
    daily = {"timeframe": "1d", "market": "equity", "bars_per_year": 252.0, "sector": None}
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
