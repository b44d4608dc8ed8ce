"""The client against the real web app on loopback (SQLite, real Redis, no consumer, so runs
stay PENDING until a test moves them): a FAILED run raises its error_message, a wait gives
up after its timeout, polls ask for the status without the result, a taken run_id is a 409
naming the field; a stored run's Monte Carlo and PSR; a limit-entry run's orders as a
DataFrame."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from adapters.capacity import COLUMNS as ADAPTER_COLUMNS
from adapters.orders import ORDER_FIELDS
from backtest_client import BacktestRequestError, Client, RunCancelled, RunFailed, WaitTimeout
from backtest_client.frames import CAPACITY_COLUMNS, ORDER_COLUMNS
from kinds.runs.kind import RUN
from kinds.runs.store import get_run, mark_failed
from tests import loopback
from tests.web.support import TICKER, app_with_data, jobs_here, serve, valid_request
from tests.web.support_dashboard import add_succeeded
from web.db import get_database
from work.lifecycle import run_item

pytestmark = pytest.mark.redis


@pytest.fixture
def app(sqlite_url, redis_url, tmp_path: Path):
    yield from serve(app_with_data(sqlite_url, redis_url, tmp_path))


@pytest.fixture
def api_url(app) -> Iterator[str]:
    with loopback.wsgi(app) as url:
        yield url


def recording_session(seen: list[str]) -> requests.Session:
    """A session that notes the URL of every answer it gets."""
    session = requests.Session()
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response.url))
    return session


def test_a_failed_run_raises_its_error_message(app, api_url):
    run = Client(api_url).submit(valid_request())
    with get_database(app).sessionmaker.begin() as session:
        assert mark_failed(session, run.run_id, "data file changed")
    with pytest.raises(RunFailed) as failed:
        run.wait(timeout=10)
    assert (failed.value.run_id, failed.value.message) == (run.run_id, "data file changed")
    assert "FAILED: data file changed" in str(failed.value)


def test_a_run_cancelled_in_the_queue_ends_the_wait_with_run_cancelled(api_url):
    client = Client(api_url)
    run = client.submit(valid_request())
    answer = requests.post(f"{api_url}/api/runs/{run.run_id}/cancel", timeout=10)
    assert answer.status_code == 200, answer.text
    with pytest.raises(RunCancelled) as cancelled:
        run.wait(timeout=10, poll=0.1)
    assert cancelled.value.run_id == run.run_id
    assert run.status() == "CANCELLED"


def test_a_wait_gives_up_after_its_timeout_and_the_run_goes_on(api_url):
    run = Client(api_url).submit(valid_request())
    with pytest.raises(WaitTimeout, match=r"not finished after 0\.5 s"):
        run.wait(timeout=0.5, poll=0.1)
    assert run.status() == "PENDING"


def test_polls_ask_for_the_status_without_the_result(api_url):
    seen: list[str] = []
    run = Client(api_url, session=recording_session(seen)).submit(valid_request())
    with pytest.raises(WaitTimeout):
        run.wait(timeout=0.3, poll=0.1)
    polls = [url for url in seen if "/status/" in url]
    assert len(polls) >= 2
    assert all(url.endswith(f"/status/{run.run_id}?result=false") for url in polls)


def test_the_run_id_is_chosen_by_the_client_and_a_taken_one_is_a_409(api_url):
    client = Client(api_url)
    run = client.run(**valid_request())
    assert uuid.UUID(run.run_id).version == 4
    with pytest.raises(BacktestRequestError) as taken:
        client.run(**valid_request(run_id=run.run_id))
    assert (taken.value.status, taken.value.field) == (409, "run_id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"rule_type": "RSX"}, "rule_type"),
        ({"params": {"fast": 30, "slow": 26}}, "params.fast"),
        ({"end_date": None}, "end_date"),
        ({"size_type": "shares"}, "size_type"),
    ],
)
def test_every_refusal_names_the_servers_field(api_url, fields, field):
    body = {**valid_request(), **fields}
    with pytest.raises(BacktestRequestError) as refused:
        Client(api_url).run(**body)
    assert (refused.value.status, refused.value.field) == (400, field)


def test_the_catalog_is_the_rule_registry_and_a_frame_of_tickers(api_url):
    client = Client(api_url)
    assert "SMA_CROSS" in [rule["rule_type"] for rule in client.rules()]
    tickers = client.tickers()
    assert tickers.index.tolist() == [TICKER] and "last_date" in tickers.columns


def test_existing_runs_are_read_by_id(app, api_url):
    client = Client(api_url)
    run_id = client.submit(valid_request()).run_id
    assert client.get_run(run_id).status() == "PENDING"


def test_a_runs_monte_carlo_and_psr_are_the_platforms(app, api_url):
    """run.monte_carlo asks GET /api/runs/<id>/montecarlo with only the arguments given (the
    same seed, the same figures; a bad one raises with its field); result.probabilistic_sharpe
    and the psr metric are the stored ones."""
    request, stored = add_succeeded(app, direction="longshort")
    run = Client(api_url).get_run(request.run_id)
    answer = run.monte_carlo(seed=3)
    assert (answer["paths"], answer["seed"], answer["mean_block"]) == (1000, 3, 10)
    assert run.monte_carlo(seed=3) == answer != run.monte_carlo(seed=4)
    assert run.monte_carlo(paths=50, block=2)["paths"] == 50
    with pytest.raises(BacktestRequestError) as refused:
        run.monte_carlo(block=0)
    assert refused.value.field == "block"
    result = run.wait(timeout=10)
    assert result.probabilistic_sharpe == stored["probabilistic_sharpe"]
    assert result.stats["psr"] == stored["probabilistic_sharpe"]["psr"]


def test_a_runs_capacity_curve_is_a_frame_by_capital(app, api_url):
    """run.capacity() reads GET /api/runs/<id>/capacity: one row per capital (its index),
    the columns of adapters.capacity, the half-Sharpe capital in attrs; a run without a
    curve raises the 409."""
    capitals = [1e4, 1e5, 1e6]
    request, stored = add_succeeded(app, capacity=True, capacity_capitals=capitals)
    frame = Client(api_url).get_run(request.run_id).capacity()
    points = stored["capacity"]["points"]
    assert frame.index.tolist() == capitals and frame.index.name == "capital"
    assert (frame.index.name, *frame.columns) == CAPACITY_COLUMNS == ADAPTER_COLUMNS
    assert frame["sharpe_ratio"].tolist() == points["sharpe_ratio"]
    assert frame["num_trades"].tolist() == points["num_trades"]
    assert frame.attrs["half_sharpe_capital"] == stored["capacity"]["half_sharpe_capital"]
    plain, _ = add_succeeded(app)
    with pytest.raises(BacktestRequestError) as refused:
        Client(api_url).get_run(plain.run_id).capacity()
    assert refused.value.status == 409


@pytest.fixture
def jobs(sqlite_url, tmp_path: Path, monkeypatch) -> Iterator[None]:
    """Jobs run here on the app's database and data."""
    yield from jobs_here(monkeypatch, sqlite_url, tmp_path / "data")


def test_an_identical_run_is_served_from_the_cache_and_says_which_run(app, api_url, jobs):
    """Once a Job computed a run, the same request through the client is SUCCEEDED at once
    with ``cached_from`` naming it; ``cache=False`` queues a Job (PENDING here)."""
    client = Client(api_url)
    request = valid_request()
    first = client.submit(request)
    with get_database(app).sessionmaker() as session:
        payload = json.loads(get_run(session, first.run_id).request_json)
    run_item(RUN, payload)
    assert first.cached_from is None
    second = client.submit(request)
    assert second.status() == "SUCCEEDED" and second.cached_from == first.run_id
    assert second.wait(timeout=5).raw["run_id"] == second.run_id
    assert client.submit({**request, "cache": False}).status() == "PENDING"


def test_a_limit_entry_runs_orders_are_a_frame_of_the_results_orders(app, api_url, jobs):
    """A run with a limit entry, a per-share fee and close_open_trades_at_end, computed by a
    Job: ``result.orders`` has one row per order of the result (statuses, prices, parsed
    times: a fill time exactly where the order filled), each filled order is the entry of
    a trade, and the trades say how they entered and left."""
    client = Client(api_url)
    # the zig-zag's next low is 0.5 below a rising close: a limit 0.25 below it fills
    order = {"type": "limit", "limit": "close - $d", "params": {"d": 0.25}, "valid_bars": 2}
    fields = {"fee_per_share": 0.01, "close_open_trades_at_end": True, "end_date": "2021-05-12"}
    request = valid_request(entry_order=order, **fields)  # a trade still open at the end
    run = client.submit(request)
    with get_database(app).sessionmaker() as session:
        payload = json.loads(get_run(session, run.run_id).request_json)
    run_item(RUN, payload)
    result = run.wait(timeout=10)
    orders = result.orders
    stored = result.raw["orders"]
    assert len(orders) == len(stored) > 0
    assert orders["status"].tolist() == [o["status"] for o in stored]
    assert set(orders["type"]) == {"limit"} and orders["stop"].isna().all()
    assert orders["limit"].tolist() == [o["limit"] for o in stored]
    assert {"filled"} <= set(orders["status"])
    filled = orders[orders["status"] == "filled"]
    assert orders["fill_timestamp"].notna().tolist() == (orders["status"] == "filled").tolist()
    assert str(orders["signal_timestamp"].dt.tz) == "UTC"
    trades = result.trades
    assert sorted(filled["fill_timestamp"]) == sorted(trades["entry_timestamp"])
    assert set(trades["entry_order"]) == {"limit"}
    assert not trades["is_open"].any()
    assert trades["exit_reason"].tolist() == ["signal", "closed_at_end"]
    assert (trades["entry_fee"] > 0).all()


def test_a_market_runs_orders_are_an_empty_frame_with_every_column(app, api_url):
    """A stored market run has no orders: an empty frame with the order columns."""
    request, _ = add_succeeded(app)
    orders = Client(api_url).get_run(request.run_id).wait(timeout=10).orders
    assert orders.empty and tuple(orders.columns) == ORDER_COLUMNS == ORDER_FIELDS
