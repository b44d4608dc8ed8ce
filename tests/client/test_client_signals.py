"""Client.analyze_signals against the real web app on loopback (SQLite, real Redis, the
TESTCO data): the server's answer as a dict, and a refusal raised naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backtest_client import BacktestRequestError, Client
from tests.web.support import app_with_data, on_loopback, valid_request

pytestmark = pytest.mark.redis


@pytest.fixture
def client(sqlite_url, redis_url, tmp_path: Path) -> Iterator[Client]:
    """A Client of the app served on loopback."""
    with on_loopback(app_with_data(sqlite_url, redis_url, tmp_path)) as url:
        yield Client(url)


def _fields(**changes) -> dict:
    """The analyzer's fields of the web tests' valid run request."""
    body = valid_request(**changes)
    return {
        name: body[name] for name in ("ticker", "rule_type", "params", "start_date", "end_date")
    }


def test_the_answer_is_the_servers_analysis(client):
    """The same counts as the endpoint, with the horizons asked for."""
    answer = client.analyze_signals(**_fields(), horizons=[3, 1])
    direct = client.http.call("POST", "/api/analyze_signals", json=_fields()).json()
    assert [row["horizon"] for row in answer["forward_returns"]] == [1, 3]
    assert answer["entries"] == direct["entries"]
    assert answer["request"]["rule_id"] == "sma_cross-3-8"


def test_a_refusal_names_the_field(client):
    """A bad horizon and a trading parameter are BacktestRequestErrors naming them."""
    with pytest.raises(BacktestRequestError) as refused:
        client.analyze_signals(**_fields(), horizons=[0])
    assert refused.value.field == "horizons"
    with pytest.raises(BacktestRequestError) as refused:
        client.analyze_signals(**_fields(), direction="longshort")
    assert refused.value.field == "direction"
