"""End to end on MariaDB + Redis: web and local scaler as processes, runs over HTTP.

The scaler reads the project's keda/scaledjob.yaml (a copy with its own queue name and a
1 s pollingInterval for speed) and starts one ``python -m consumer`` per queued run.
"""

from __future__ import annotations

import re

import pytest
import redis

from tests.servers import CAPPED_STACK_REDIS_URL
from tests.stack import LocalStack, wait_until

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

REQUESTS = [
    {"ticker": "ACME", "rule_type": "RSI"},
    {"ticker": "GLOBEX", "rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 30}},
    {"ticker": "HOOLI", "rule_type": "MACD", "direction": "longshort"},
    {"ticker": "INITECH", "rule_type": "BOLLINGER", "size_type": "percent", "position_size": 50},
    {"ticker": "UMBRELLA", "rule_type": "BREAKOUT", "slippage_bps": 5},
    {
        "ticker": "ACME",
        "rule_type": "COMPOSITE",
        "params": {
            "operator": "OR",
            "rules": [{"rule_type": "RSI"}, {"rule_type": "MOMENTUM"}],
        },
    },
]


def _payload(fields: dict) -> dict:
    """A run request that always goes through a Job (``cache: false``): these tests follow
    the queue's lifecycle, and the session's database may hold an identical run already,
    which the result cache would answer without one."""
    return {
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
        "charts": False,
        "cache": False,
        **fields,
    }


def test_runs_submitted_over_http_all_succeed_with_results_readable_from_status(stack):
    """Six runs of different rules, tickers and settings: 202, then SUCCEEDED with a result
    that records data_hash, engine_version, image_tag and the normalised request."""
    run_ids = []
    for fields in REQUESTS:
        response = stack.submit(_payload(fields))
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "PENDING" and body["status_url"] == f"/status/{body['run_id']}"
        run_ids.append(body["run_id"])

    finished = stack.wait_finished(run_ids, timeout=180)
    for run_id, fields in zip(run_ids, REQUESTS, strict=True):
        status = finished[run_id]
        assert status["status"] == "SUCCEEDED", status["error_message"]
        result = status["result"]
        assert result["run_id"] == run_id
        assert re.fullmatch(r"[0-9a-f]{64}", result["data_hash"])
        assert result["engine_version"] == status["engine_version"]
        assert status["image_tag"] == "e2e-test"
        assert result["request"]["ticker"] == fields["ticker"]
        assert len(result["equity_curve"]["equity"]) == len(result["price_candles"]["close"])
        assert status["started_at"] <= status["completed_at"]
    logs = stack.log("scaler")
    assert any(run_id in logs for run_id in run_ids), "consumer logs carry the run_id"
    assert re.search(r"queue=\d+ running=\d+ pending=\d+ started=\d+", logs)


def test_the_same_request_gives_byte_identical_results(stack):
    """Reproducible: two runs of one request store identical results (but for the run_id)."""
    payload = _payload({"ticker": "GLOBEX", "rule_type": "RSI", "charts": True})
    first, second = (stack.submit(payload).json()["run_id"] for _ in range(2))
    done = stack.wait_finished([first, second], timeout=120)
    a, b = done[first]["result"], done[second]["result"]
    a.pop("run_id"), b.pop("run_id")
    a["request"].pop("run_id"), b["request"].pop("run_id")
    assert a == b and a["charts"]["candles_base64"].startswith("data:image/png;base64,")


def test_n_queued_runs_never_run_more_than_max_replicas_at_once_and_all_finish(mysql_url, tmp_path):
    """12 runs, maxReplicaCount 3: every poll's running + started stays <= 3; all finish."""
    url = CAPPED_STACK_REDIS_URL
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unavailable: {exc}")
    stack = LocalStack(mysql_url, url, tmp_path / "capped", max_replicas=3).start()
    try:
        run_ids = [
            stack.submit(_payload({"ticker": "ACME", "rule_type": "RSI"})).json()["run_id"]
            for _ in range(12)
        ]
        finished = stack.wait_finished(run_ids, timeout=240)
        assert {body["status"] for body in finished.values()} == {"SUCCEEDED"}
        polls = [
            tuple(map(int, m))
            for m in re.findall(
                r"queue=(\d+) running=(\d+) pending=(\d+) started=(\d+)", stack.log("scaler")
            )
        ]
        assert polls, "the scaler logs every poll"
        assert max(running + started for _, running, _, started in polls) <= 3
        assert max(running + started for _, running, _, started in polls) == 3
        # A consumer the scaler started for each run: its poll lines cannot count them (a poll
        # whose counts equal the last one's is not logged, and under load two polls in a row
        # can each start one with the same counts), so each consumer's own last line does; it
        # follows the run's recorded end, so it may land just after the statuses are read.
        wait_until(
            lambda: stack.log("scaler").count("consumer done in") >= 12,
            30,
            what="every consumer's last line",
        )
    finally:
        stack.stop()
        redis.Redis.from_url(url).flushdb()


def test_redis_down_at_submit_answers_503_and_records_failed(mysql_url, tmp_path):
    """With Redis unreachable the web answers 503 with the run_id, and the row is FAILED."""
    stack = LocalStack(mysql_url, "redis://127.0.0.1:1/0", tmp_path / "noredis")
    stack.workdir.mkdir(parents=True)
    stack.write_manifest()
    import subprocess
    import sys

    from store.db import create_schema, make_engine
    from tests.stack import PROJECT_ROOT, answers_200, wait_until

    engine = make_engine(mysql_url)
    create_schema(engine)
    engine.dispose()
    web = subprocess.Popen(
        [sys.executable, "-m", "web"],
        env=stack.env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: answers_200(f"{stack.base_url}/health", 1), 30, what="web")
        response = stack.submit(_payload({"ticker": "ACME", "rule_type": "RSI"}))
        assert response.status_code == 503
        body = response.json()
        assert body["error"] == "queue unavailable" and body["status"] == "FAILED"
        status = stack.status(body["run_id"])
        assert status["status"] == "FAILED" and status["error_message"] == "queue unavailable"
    finally:
        web.terminate()
        web.wait(timeout=30)
