"""The web during a database outage (MariaDB behind a TCP proxy the test cuts): a submit is
answered 503 with a Retry-After and no run_id — nothing was recorded, so there is no run to
ask about — nothing is queued, and once the database is back the same request is
accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.tcp_proxy import TcpProxy
from tests.web.support import app_with_data, queue_key, serve, valid_request

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture
def proxy(mysql_url):
    server = make_url(mysql_url)
    proxy = TcpProxy(server.port or 3306, server.host or "127.0.0.1")
    yield proxy
    proxy.close()


@pytest.fixture
def app(mysql_url, redis_url, proxy, tmp_path: Path):
    through_proxy = proxy.url_for(mysql_url)
    yield from serve(app_with_data(through_proxy, redis_url, tmp_path))


def test_a_submit_during_an_outage_is_503_without_a_run_id_and_queues_nothing(
    app, client, redis, proxy
):
    proxy.cut()
    response = client.post("/run_backtest", json=valid_request())

    assert response.status_code == 503
    body = response.get_json()
    assert "run_id" not in body
    assert "database unavailable" in body["error"] and "not accepted" in body["error"]
    assert int(response.headers["Retry-After"]) > 0
    assert redis.llen(queue_key(app)) == 0

    proxy.restore()
    accepted = client.post("/run_backtest", json=valid_request())
    assert accepted.status_code == 202, accepted.get_json()
    run_id = accepted.get_json()["run_id"]
    assert client.get(f"/status/{run_id}").status_code == 200


def test_a_client_chosen_run_id_refused_during_an_outage_can_be_submitted_again(app, client, proxy):
    """The id was never recorded: the retry with the same run_id is accepted, not a 409."""
    request = valid_request(run_id="0b6f3a52-3f9c-4c43-9b3c-0d7c1f0e4a11")
    proxy.cut()
    assert client.post("/run_backtest", json=request).status_code == 503
    proxy.restore()
    assert client.post("/run_backtest", json=request).status_code == 202


def test_a_status_read_during_an_outage_is_503_not_404(app, client, proxy):
    accepted = client.post("/run_backtest", json=valid_request())
    run_id = accepted.get_json()["run_id"]
    proxy.cut()
    response = client.get(f"/status/{run_id}")
    assert response.status_code == 503
    assert response.get_json()["error"] == "database unavailable"
