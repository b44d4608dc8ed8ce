"""Tests for web/api/runs/submit.py: POST /run_backtest (validation, PENDING row, RQ job, failures)
and GET /status/<run_id>, on a temporary SQLite database and the real test Redis."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import event as event_api
from sqlalchemy import select

from kinds.runs.contract import REQUEST_FIELDS, RunRequest, parse_request
from kinds.runs.kind import enqueue_run
from kinds.runs.query import is_run_id
from kinds.runs.serialize import to_json
from kinds.runs.store import insert_pending, mark_failed, mark_running, mark_succeeded
from store.models import BacktestRun
from tests.web.support import (
    CLOSED_MYSQL,
    CLOSED_REDIS,
    TICKER,
    app_with_schema,
    build_app,
    close_app,
    job_payload,
    queue_key,
    valid_request,
)
from web.api.runs.submit import ALREADY_QUEUED, NOT_ACCEPTED, QUEUE_UNAVAILABLE
from web.db import get_database
from work.logs import current_run_id
from work.queue import backtest_queue
from work.status import RunStatus

pytestmark = pytest.mark.redis


def rows(app) -> list[BacktestRun]:
    with get_database(app).sessionmaker() as session:
        return list(session.scalars(select(BacktestRun)).all())


def one_row(app, run_id: str) -> BacktestRun:
    with get_database(app).sessionmaker() as session:
        return session.get(BacktestRun, run_id)


# --- the happy path ---------------------------------------------------------------------


def test_submit_answers_202_with_status_url_and_location(client):
    """A valid request is accepted: 202, PENDING, and a status URL in body and Location."""
    response = client.post("/run_backtest", json=valid_request())
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"run_id", "status", "status_url"}
    assert is_run_id(body["run_id"])
    assert body["status"] == "PENDING"
    assert body["status_url"] == f"/status/{body['run_id']}"
    assert response.headers["Location"] == body["status_url"]


def test_submit_records_a_pending_row(app, client):
    """The run is in the database as PENDING with its normalised request and image tag."""
    body = client.post("/run_backtest", json=valid_request(ticker="testco")).get_json()
    row = one_row(app, body["run_id"])
    assert row.status == RunStatus.PENDING
    assert row.ticker == TICKER
    assert row.rule_type == "SMA_CROSS"
    assert row.rule_id == "sma_cross-3-8"
    assert json.loads(row.params_json) == {"fast": 3, "slow": 8}
    assert json.loads(row.request_json)["run_id"] == body["run_id"]
    assert row.image_tag == "test-tag"
    assert row.attempts == 0


def test_partial_params_take_their_defaults_and_are_stored_filled(app, client):
    """``{"period": 10}`` for RSI is accepted: the missing params take the registry
    defaults, and the stored request names every value (a rerun reproduces it)."""
    sent = valid_request(rule_type="RSI", params={"period": 10})
    response = client.post("/run_backtest", json=sent)
    assert response.status_code == 202, response.get_json()
    row = one_row(app, response.get_json()["run_id"])
    filled = {"period": 10, "oversold": 30.0, "overbought": 70.0}
    assert json.loads(row.params_json) == filled
    assert json.loads(row.request_json)["params"] == filled
    assert row.rule_id == "rsi-10-30-70"


def test_submit_enqueues_a_json_job_named_by_the_run_id(app, client, redis):
    """The job id is the run_id, it waits in rq:queue:<RQ_QUEUE>, and its payload is JSON."""
    run_id = str(uuid.uuid4())
    response = client.post("/run_backtest", json=valid_request(run_id=run_id))
    assert response.status_code == 202
    assert response.get_json()["run_id"] == run_id
    assert redis.lrange(queue_key(app), 0, -1) == [run_id.encode()]
    job = redis.hgetall(f"rq:job:{run_id}")
    assert job[b"status"] == b"queued"
    function, _instance, args, kwargs = job_payload(job[b"data"])
    assert function == "consumer.jobs.run_backtest"
    assert kwargs == {}
    expected = parse_request(valid_request(run_id=run_id)).to_dict()
    assert args == [expected]


class RunIdCapture(logging.Handler):
    """Keeps (run id bound when logged, first word of the message) for every record."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((current_run_id(), record.getMessage().split()[0]))


@pytest.fixture
def run_logs():
    """What the run's view and the one submission path (``web.submit``) log, with run ids."""
    loggers = [logging.getLogger(name) for name in ("web.runs", "web.submit")]
    capture, levels = RunIdCapture(), [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
        logger.setLevel(logging.INFO)
    yield capture.seen
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(capture)
        logger.setLevel(level)


def test_submit_logs_accepted_and_enqueued_with_the_run_id(client, run_logs):
    """The "accepted" and "enqueued" log lines are written inside the run's log context."""
    run_id = str(uuid.uuid4())
    client.post("/run_backtest", json=valid_request(run_id=run_id))
    assert run_logs == [(run_id, "accepted"), (run_id, "enqueued")]


def test_enqueue_failure_is_logged_with_the_run_id(sqlite_url, data_dir, run_logs):
    """A failed enqueue is logged inside the run's log context."""
    app = app_with_schema(sqlite_url, CLOSED_REDIS, data_dir)
    try:
        run_id = str(uuid.uuid4())
        app.test_client().post("/run_backtest", json=valid_request(run_id=run_id))
    finally:
        close_app(app)
    assert run_logs == [(run_id, "accepted"), (run_id, "enqueue")]


# --- bad requests -----------------------------------------------------------------------

MISSING = object()
"""Marks a field to leave out of the request."""

BAD_REQUESTS = [
    ("missing ticker", {"ticker": MISSING}, "ticker"),
    ("null ticker", {"ticker": None}, "ticker"),
    ("empty ticker", {"ticker": ""}, "ticker"),
    ("missing rule_type", {"rule_type": MISSING}, "rule_type"),
    ("missing start_date", {"start_date": MISSING}, "start_date"),
    ("missing end_date", {"end_date": MISSING}, "end_date"),
    ("unknown ticker", {"ticker": "NOPE"}, "ticker"),
    ("traversal ticker", {"ticker": "../../etc/passwd"}, "ticker"),
    ("shell ticker", {"ticker": "AAPL;rm"}, "ticker"),
    ("ticker not a string", {"ticker": 42}, "ticker"),
    ("unknown rule", {"rule_type": "NO_SUCH_RULE"}, "rule_type"),
    ("rule_type not a string", {"rule_type": ["SMA_CROSS"]}, "rule_type"),
    ("param below range", {"params": {"fast": 1, "slow": 8}}, "params.fast"),
    ("param above range", {"params": {"fast": 3, "slow": 601}}, "params.slow"),
    ("param against a default", {"params": {"fast": 30}}, "params.fast"),
    ("unknown param", {"params": {"fast": 3, "slow": 8, "medium": 5}}, "params.medium"),
    ("fast equals slow", {"params": {"fast": 8, "slow": 8}}, "params.fast"),
    ("fast above slow", {"params": {"fast": 9, "slow": 8}}, "params.fast"),
    ("params not an object", {"params": [3, 8]}, "params"),
    (
        "VOLUME factor below 1",
        {
            "rule_type": "VOLUME",
            "params": {"volume_period": 20, "volume_factor": 0.5, "exit_period": 20},
        },
        "params.volume_factor",
    ),
    (
        "TREND threshold above 100",
        {"rule_type": "TREND", "params": {"period": 14, "adx_threshold": 101}},
        "params.adx_threshold",
    ),
    (
        "TREND period of 1",
        {"rule_type": "TREND", "params": {"period": 1, "adx_threshold": 25}},
        "params.period",
    ),
    (
        "ATR unknown parameter",
        {"rule_type": "ATR", "params": {"period": 14, "multiplyer": 2}},
        "params.multiplyer",
    ),
    (
        "ATR period of 0",
        {"rule_type": "ATR", "params": {"period": 0, "multiplier": 1}},
        "params.period",
    ),
    ("float for int param", {"params": {"fast": 3.5, "slow": 8}}, "params.fast"),
    ("bool for int param", {"params": {"fast": True, "slow": 8}}, "params.fast"),
    ("string for int param", {"params": {"fast": "3", "slow": 8}}, "params.fast"),
    ("reversed dates", {"start_date": "2021-05-31", "end_date": "2021-02-01"}, "end_date"),
    ("impossible month", {"start_date": "2021-13-01"}, "start_date"),
    ("impossible day", {"end_date": "2021-02-30"}, "end_date"),
    ("word for date", {"start_date": "yesterday"}, "start_date"),
    ("number for date", {"end_date": 20210531}, "end_date"),
    ("empty date range", {"start_date": "2019-01-01", "end_date": "2019-12-31"}, "start_date"),
    ("range after the data", {"start_date": "2030-01-01", "end_date": "2030-12-31"}, "start_date"),
    ("string capital", {"initial_capital": "100000"}, "initial_capital"),
    ("list fee", {"fee_rate": [0.001]}, "fee_rate"),
    ("object slippage", {"slippage_bps": {"bps": 1}}, "slippage_bps"),
    ("null position size", {"position_size": None}, "position_size"),
    ("bool capital", {"initial_capital": True}, "initial_capital"),
    ("bool fee", {"fee_rate": False}, "fee_rate"),
    ("NaN string fee", {"fee_rate": "NaN"}, "fee_rate"),
    ("Infinity string capital", {"initial_capital": "Infinity"}, "initial_capital"),
    ("inf string slippage", {"slippage_bps": "inf"}, "slippage_bps"),
    ("huge integer capital", {"initial_capital": 10**400}, "initial_capital"),
    ("negative capital", {"initial_capital": -1}, "initial_capital"),
    ("fee of 10%", {"fee_rate": 0.1}, "fee_rate"),
    ("slippage above 1000 bps", {"slippage_bps": 1001}, "slippage_bps"),
    ("zero position size", {"position_size": 0}, "position_size"),
    ("unknown size_type", {"size_type": "shares"}, "size_type"),
    ("unknown direction", {"direction": "shortonly"}, "direction"),
    ("intraday timeframe", {"timeframe": "4h"}, "timeframe"),
    ("percent above 100", {"size_type": "percent", "position_size": 150}, "position_size"),
    ("unknown top-level field", {"strategy_code": "import os"}, "strategy_code"),
    ("malformed run_id", {"run_id": "not-a-uuid"}, "run_id"),
    ("upper-case run_id", {"run_id": str(uuid.uuid4()).upper()}, "run_id"),
    ("uuid1 run_id", {"run_id": str(uuid.uuid1())}, "run_id"),
    ("run_id not a string", {"run_id": 12345}, "run_id"),
    ("rule_id with a slash", {"rule_id": "../evil"}, "rule_id"),
    ("charts not a bool", {"charts": "yes"}, "charts"),
    ("zero stop loss", {"stop_loss_pct": 0}, "stop_loss_pct"),
    ("stop loss of 100%", {"stop_loss_pct": 100}, "stop_loss_pct"),
    ("string stop loss", {"stop_loss_pct": "5"}, "stop_loss_pct"),
    ("negative take profit", {"take_profit_pct": -1}, "take_profit_pct"),
    ("bool take profit", {"take_profit_pct": True}, "take_profit_pct"),
    ("trailing stop above 100%", {"trailing_stop_pct": 150}, "trailing_stop_pct"),
    ("NaN trailing stop", {"trailing_stop_pct": "NaN"}, "trailing_stop_pct"),
]


@pytest.mark.parametrize(
    ("changes", "field"),
    [pytest.param(changes, field, id=name) for name, changes, field in BAD_REQUESTS],
)
def test_bad_request_is_400_naming_the_field(app, client, redis, changes, field):
    """Each invalid request is refused with 400 and the exact field; nothing is stored."""
    body = {key: value for key, value in valid_request(**changes).items() if value is not MISSING}
    response = client.post("/run_backtest", json=body)
    assert response.status_code == 400, response.get_json()
    answer = response.get_json()
    assert answer["field"] == field
    assert isinstance(answer["error"], str) and answer["error"]
    assert rows(app) == []
    assert redis.llen(queue_key(app)) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b"ticker=TESTCO", "application/x-www-form-urlencoded", id="form"),
        pytest.param(json.dumps(valid_request()), "text/plain", id="json-as-text"),
        pytest.param(b"{not json", "application/json", id="invalid-json"),
        pytest.param(b"", "application/json", id="empty"),
        pytest.param(b"\xff\xfe\x00garbage", "application/json", id="not-utf8"),
        pytest.param(b"[1, 2, 3]", "application/json", id="array"),
        pytest.param(b'"a string"', "application/json", id="string"),
        pytest.param(b"null", "application/json", id="null"),
        pytest.param(b"42", "application/json", id="number"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "application/json", id="deep-nesting"),
    ],
)
def test_body_that_is_not_a_json_object_is_400_body(client, data, content_type):
    """Non-JSON, wrongly typed or non-object bodies are a 400 naming the field "body"."""
    response = client.post("/run_backtest", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["field"] == "body"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_json_number_is_400_naming_the_field(client, literal):
    """JSON number literals that are not finite are refused for the field they are in."""
    text = json.dumps(valid_request())[:-1] + f', "fee_rate": {literal}}}'
    response = client.post("/run_backtest", data=text, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["field"] == "fee_rate"


def test_body_over_one_mebibyte_is_413_json(client):
    """A body over MAX_CONTENT_LENGTH is answered 413 as JSON."""
    padding = "x" * (1024 * 1024)
    response = client.post("/run_backtest", json=valid_request(rule_id=padding))
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large (the limit is 1 MiB)"}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
request_like = st.dictionaries(
    st.sampled_from([*REQUEST_FIELDS, "params", "extra"]) | st.text(max_size=12),
    json_values,
    max_size=8,
)
nearly_valid = st.builds(
    lambda field, value: valid_request(**{field: value}),
    st.sampled_from([*REQUEST_FIELDS, "params"]),
    json_values,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=json_values | request_like | nearly_valid)
def test_no_request_body_produces_a_500(client, payload):
    """Whatever JSON is posted, the answer is 202, 400 or 409: never a 500."""
    data = json.dumps(payload)  # NaN and Infinity go out as JSON-ish literals on purpose
    response = client.post("/run_backtest", data=data, content_type="application/json")
    event(f"HTTP {response.status_code}")
    assert response.status_code in (202, 400, 409), response.get_json()


# --- conflicts and outages --------------------------------------------------------------


def test_existing_run_id_is_409_and_the_first_run_is_untouched(app, client, redis):
    """Re-posting a run_id that exists is a 409 on run_id; the original stays queued once."""
    run_id = str(uuid.uuid4())
    assert client.post("/run_backtest", json=valid_request(run_id=run_id)).status_code == 202
    response = client.post("/run_backtest", json=valid_request(run_id=run_id))
    assert response.status_code == 409
    assert response.get_json() == {"error": "run_id already exists", "field": "run_id"}
    assert one_row(app, run_id).status == RunStatus.PENDING
    assert redis.lrange(queue_key(app), 0, -1) == [run_id.encode()]


def test_run_id_already_in_the_queue_is_409_and_its_row_failed(app, client, redis):
    """A run_id the queue already holds (but the database does not) is refused with 409, and
    the new row is FAILED so the stale job cannot run under it."""
    run_id = str(uuid.uuid4())
    stale = parse_request(valid_request(run_id=run_id))
    enqueue_run(backtest_queue(redis, app.config["RQ_QUEUE"]), stale)
    response = client.post("/run_backtest", json=valid_request(run_id=run_id))
    assert response.status_code == 409
    assert response.get_json() == {"error": "run_id already exists", "field": "run_id"}
    row = one_row(app, run_id)
    assert row.status == RunStatus.FAILED
    assert row.error_message == ALREADY_QUEUED


def test_redis_down_is_503_and_the_row_failed(sqlite_url, data_dir):
    """With Redis unreachable the answer is 503 and the row is FAILED "queue unavailable"."""
    app = app_with_schema(sqlite_url, CLOSED_REDIS, data_dir)
    try:
        response = app.test_client().post("/run_backtest", json=valid_request())
        assert response.status_code == 503
        body = response.get_json()
        assert body == {"error": "queue unavailable", "run_id": body["run_id"], "status": "FAILED"}
        row = one_row(app, body["run_id"])
        assert row.status == RunStatus.FAILED
        assert row.error_message == QUEUE_UNAVAILABLE
        assert row.completed_at is not None
    finally:
        close_app(app)


def test_database_down_is_503_and_nothing_is_enqueued(redis_url, redis, data_dir):
    """With the database unreachable the answer is a 503 that hands out no run_id (none was
    recorded) and says to submit again; the queue stays empty."""
    app = build_app(CLOSED_MYSQL, redis_url, data_dir)
    try:
        request = valid_request()
        response = app.test_client().post("/run_backtest", json=request)
        assert response.status_code == 503
        assert response.get_json() == {"error": NOT_ACCEPTED}
        assert response.headers["Retry-After"] == "5"
        assert redis.llen(queue_key(app)) == 0
        assert redis.keys("rq:job:*") == []
    finally:
        close_app(app)


def test_status_with_database_down_is_503(redis_url, data_dir):
    """Reading a run while the database is unreachable is a JSON 503, not a 500."""
    app = build_app(CLOSED_MYSQL, redis_url, data_dir)
    try:
        response = app.test_client().get(f"/status/{uuid.uuid4()}")
        assert response.status_code == 503
        assert response.get_json() == {"error": "database unavailable"}
    finally:
        close_app(app)


# --- GET /status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "run_id",
    [
        str(uuid.uuid4()),
        "not-a-run",
        str(uuid.uuid4()).upper(),
        "x" * 300,
        "%00",
        "' OR 1=1 --",
        "a/b",
        "../../etc/passwd",
    ],
)
def test_status_of_unknown_or_malformed_id_is_404(client, run_id):
    """Unknown and malformed run ids are both 404 "run not found"."""
    response = client.get(f"/status/{run_id}")
    assert response.status_code == 404
    assert response.get_json() == {"error": "run not found"}


STATUS_KEYS = [
    "run_id",
    "status",
    "ticker",
    "rule_type",
    "rule_id",
    "attempts",
    "created_at",
    "started_at",
    "completed_at",
    "error_message",
    "data_hash",
    "engine_version",
    "image_tag",
    "request",
    "metrics",
    "created_by",
    "name",
    "tags",
    "notes",
    "pinned",
    "shared",
    "result_url",
    "warnings",
    "cached",
    "cached_from",
    "result",
]


def test_status_of_a_pending_run(client):
    """A just-submitted run reads back PENDING, with its request and no result yet."""
    submitted = client.post("/run_backtest", json=valid_request()).get_json()
    response = client.get(submitted["status_url"])
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == STATUS_KEYS
    assert body["run_id"] == submitted["run_id"]
    assert body["status"] == "PENDING"
    assert body["request"] == parse_request(valid_request(run_id=submitted["run_id"])).to_dict()
    assert body["created_at"].endswith("+00:00")
    assert body["started_at"] is None and body["completed_at"] is None
    assert body["metrics"] is None and body["result"] is None
    assert body["image_tag"] == "test-tag"


def _store_succeeded(app, result: dict) -> str:
    request = RunRequest(
        run_id=str(uuid.uuid4()),
        ticker=TICKER,
        rule_type="SMA_CROSS",
        start_date="2021-02-01",
        end_date="2021-05-31",
        params={"fast": 3, "slow": 8},
        rule_id="sma_cross-3-8",
    )
    with get_database(app).sessionmaker.begin() as session:
        insert_pending(session, request, "img")
        assert mark_running(session, request.run_id, "worker-1")
        assert mark_succeeded(
            session,
            request.run_id,
            result_json=to_json({**result, "run_id": request.run_id}),
            metrics=result["metrics"],
            data_hash="ab" * 32,
            engine_version="9.9.9",
        )
    return request.run_id


def test_status_of_a_succeeded_run_returns_the_stored_result(app, client):
    """A SUCCEEDED run serves its stored result object, metrics and timestamps."""
    result = {
        "status": "SUCCEEDED",
        "metrics": {"total_return_pct": 1.5, "sharpe_ratio": None, "num_trades": 2},
        "equity_curve": {"timestamps": ["2021-02-01T21:00:00+00:00"], "equity": [100000.0]},
        "trades": [{"entry_price": 101.25, "label": "<b>x</b> \u00e9\u2603"}],
    }
    run_id = _store_succeeded(app, result)
    response = client.get(f"/status/{run_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == STATUS_KEYS
    assert body["status"] == "SUCCEEDED"
    assert body["result"] == {**result, "run_id": run_id}
    assert body["metrics"] == result["metrics"]
    assert body["attempts"] == 1
    assert body["data_hash"] == "ab" * 32
    assert body["engine_version"] == "9.9.9"
    assert body["image_tag"] == "img"
    for key in ("created_at", "started_at", "completed_at"):
        assert body[key].endswith("+00:00")
    assert body["created_at"] <= body["started_at"] <= body["completed_at"]


def test_status_of_a_failed_run_has_the_error_and_no_result(app, client):
    """A FAILED run shows its error message and a null result."""
    submitted = client.post("/run_backtest", json=valid_request()).get_json()
    with get_database(app).sessionmaker.begin() as session:
        assert mark_failed(session, submitted["run_id"], "data file changed")
    body = client.get(submitted["status_url"]).get_json()
    assert body["status"] == "FAILED"
    assert body["error_message"] == "data file changed"
    assert body["result"] is None
    assert body["completed_at"].endswith("+00:00")


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method_on_run_backtest_is_405_json(client, method):
    """Only POST is allowed on /run_backtest; anything else is a JSON 405 with Allow."""
    response = getattr(client, method)("/run_backtest")
    assert response.status_code == 405
    assert response.get_json() == {"error": "method not allowed"}
    assert "POST" in response.headers["Allow"]


def test_is_run_id_accepts_only_canonical_lower_case_uuids():
    """Run ids are canonical, lower-case UUID strings."""
    run_id = str(uuid.uuid4())
    assert is_run_id(run_id)
    assert not is_run_id(run_id.upper())
    assert not is_run_id(run_id.replace("-", ""))
    assert not is_run_id("{" + run_id + "}")
    assert not is_run_id("")


# --- cheap polling: ETag, 304, the status-only form, result_url --------------------------


BIG_RESULT = {
    "status": "SUCCEEDED",
    "metrics": {"total_return_pct": 1.5, "num_trades": 2},
    "equity_curve": {
        "timestamps": ["2021-02-01T21:00:00+00:00"] * 20_000,
        "equity": [1.0] * 20_000,
    },
}
"""A result of about 700 KB, like an 11-year run with charts."""


def test_status_only_poll_of_a_succeeded_run_is_small_and_names_the_result_url(app, client):
    """?result=false leaves the result out (< 2 KB) and points at the full result's URL."""
    run_id = _store_succeeded(app, BIG_RESULT)
    response = client.get(f"/status/{run_id}?result=false")
    assert response.status_code == 200
    assert len(response.data) < 2048
    body = response.get_json()
    assert "result" not in body
    assert body["status"] == "SUCCEEDED"
    assert body["metrics"] == BIG_RESULT["metrics"]
    assert body["result_url"] == f"/runs/{run_id}/result.json"
    full = client.get(body["result_url"])
    assert full.status_code == 200
    assert full.get_json() == {**BIG_RESULT, "run_id": run_id}
    assert client.get(f"/status/{run_id}").get_json()["result_url"] == body["result_url"]


def test_status_only_poll_never_loads_the_result_column(app, client):
    """The status-only form and a 304 answer read no result_json from the database."""
    run_id = _store_succeeded(app, BIG_RESULT)
    statements: list[str] = []
    engine = get_database(app).engine
    tag = client.get(f"/status/{run_id}?result=false").headers["ETag"]

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event_api.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/status/{run_id}?result=false").status_code == 200
        assert client.get(f"/status/{run_id}", headers={"If-None-Match": tag}).status_code == 200
        assert (
            client.get(f"/status/{run_id}?result=false", headers={"If-None-Match": tag}).status_code
            == 304
        )
    finally:
        event_api.remove(engine, "before_cursor_execute", record)
    with_result = [s for s in statements if "result_json" in s]
    assert len(with_result) == 1  # only the full form, once


def test_matching_etag_answers_304_without_a_body(app, client):
    """A poll that sends back the ETag it got is a bodyless 304 with the same ETag."""
    run_id = _store_succeeded(app, BIG_RESULT)
    for query in ("", "?result=false"):
        first = client.get(f"/status/{run_id}{query}")
        tag = first.headers["ETag"]
        assert tag.startswith('W/"')
        assert first.headers["Cache-Control"] == "no-cache"
        again = client.get(f"/status/{run_id}{query}", headers={"If-None-Match": tag})
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["ETag"] == tag
    full_tag = client.get(f"/status/{run_id}").headers["ETag"]
    assert client.get(f"/status/{run_id}?result=false").headers["ETag"] != full_tag


def test_a_status_change_changes_the_etag(app, client):
    """PENDING → RUNNING → SUCCEEDED: each step gives a new ETag, so the old one gets a 200."""
    submitted = client.post("/run_backtest", json=valid_request()).get_json()
    url = f"{submitted['status_url']}?result=false"
    tags = [client.get(url).headers["ETag"]]
    with get_database(app).sessionmaker.begin() as session:
        assert mark_running(session, submitted["run_id"], "worker-1")
    tags.append(client.get(url).headers["ETag"])
    with get_database(app).sessionmaker.begin() as session:
        assert mark_succeeded(
            session,
            submitted["run_id"],
            result_json=to_json({"status": "SUCCEEDED", "metrics": {}}),
            metrics={},
            data_hash="ab" * 32,
            engine_version="9.9.9",
        )
    tags.append(client.get(url).headers["ETag"])
    assert len(set(tags)) == 3
    stale = client.get(url, headers={"If-None-Match": tags[1]})
    assert stale.status_code == 200
    assert stale.get_json()["status"] == "SUCCEEDED"


@pytest.mark.parametrize("value", ["no", "yes", "2", "full"])
def test_status_with_a_bad_result_flag_is_400_naming_it(client, value):
    """``result`` must be true/false/1/0; anything else is a 400 naming the field."""
    submitted = client.post("/run_backtest", json=valid_request()).get_json()
    response = client.get(f"{submitted['status_url']}?result={value}")
    assert response.status_code == 400
    assert response.get_json()["field"] == "result"


def test_editing_a_label_changes_the_etag(client):
    """A PATCH of the name, tags, notes or pinned changes the status document, so its ETag:
    a poller holding the old one gets the new labels, not a 304."""
    submitted = client.post("/run_backtest", json=valid_request()).get_json()
    url = f"{submitted['status_url']}?result=false"
    tags = [client.get(url).headers["ETag"]]
    edits = ({"name": "first"}, {"tags": ["a"]}, {"notes": "why"}, {"pinned": True})
    for edit in edits:
        patched = client.patch(f"/api/runs/{submitted['run_id']}", json=edit)
        assert patched.status_code == 200, patched.get_json()
        answer = client.get(url, headers={"If-None-Match": tags[-1]})
        assert answer.status_code == 200
        tags.append(answer.headers["ETag"])
    assert len(set(tags)) == len(edits) + 1
    assert client.get(url).get_json()["pinned"] is True
