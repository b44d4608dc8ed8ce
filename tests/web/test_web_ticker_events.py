"""GET /api/tickers/events?ticker=<ticker>: a ticker's corporate actions as its events file holds
them (what the run page's candles mark), an empty list for a ticker without one, a 404 for
an unknown ticker, a 400 naming the ticker when none is given and a 400 naming the line
of a file that fails its checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs.test_runs_corporate_actions import EVENTS_TICKER, _with_events
from tests.web.support import TICKER, write_data_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return _with_events(write_data_dir(tmp_path / "data"))


def test_a_tickers_events_are_listed_in_date_order(client):
    answer = client.get(f"/api/tickers/events?ticker={EVENTS_TICKER}")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "ticker": EVENTS_TICKER,
        "events": [
            {"date": "2021-02-15", "type": "dividend", "value": 0.5},
            {"date": "2021-03-29", "type": "split", "value": 2.0},
            {"date": "2021-05-10", "type": "dividend", "value": 0.25},
        ],
    }


def test_a_ticker_without_an_events_file_has_none(client):
    assert client.get(f"/api/tickers/events?ticker={TICKER}").get_json()["events"] == []


def test_an_unknown_ticker_is_a_404_naming_it(client):
    answer = client.get("/api/tickers/events?ticker=NOPE")
    assert answer.status_code == 404 and answer.get_json()["field"] == "ticker"


def test_a_broken_events_file_is_a_400_naming_its_line(client, data_dir):
    (data_dir / f"{EVENTS_TICKER}.events.csv").write_text(
        "date,type,value\n2021-03-29,split,-2\n", encoding="utf-8"
    )
    answer = client.get(f"/api/tickers/events?ticker={EVENTS_TICKER}")
    assert answer.status_code == 400
    assert "line 2" in answer.get_json()["error"]


def test_no_ticker_is_a_400_naming_it(client):
    answer = client.get("/api/tickers/events")
    assert answer.status_code == 400 and answer.get_json()["field"] == "ticker"
