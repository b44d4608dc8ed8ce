"""What a consumer Job measures reaches ``GET /metrics``: a Job cannot be scraped, so it adds
its item's status, queue wait and execution time to the Redis telemetry hash, which any web pod
exports. With LOG_FORMAT=json its log lines about the run are JSON objects naming the run_id."""

from __future__ import annotations

import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kinds.runs.contract import parse_request
from kinds.runs.kind import enqueue_run
from kinds.runs.store import insert_pending
from tests.consumer.support import QUICK_RUN, consumer, finish
from web import create_app

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]  # consumer processes


def scrape(env: dict) -> dict[tuple[str, tuple], float]:
    """The samples of a web app's ``GET /metrics`` on the consumer's Redis."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": env["DATABASE_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "RQ_QUEUE": env["RQ_QUEUE"],
        }
    )
    text = app.test_client().get("/metrics").get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_a_finished_run_moves_the_counter_lands_in_both_histograms_and_logs_json_lines(
    env, sessions, queue
):
    request = parse_request({**QUICK_RUN, "rule_type": "SMA_CROSS"}, strict=False)
    with sessions.begin() as session:
        insert_pending(session, request, "test", queue=queue.name)
    enqueue_run(queue, request)
    before = scrape(env)
    assert before[("backtest_queue_depth", (("queue", queue.name),))] == 1
    assert before[("backtest_runs_finished_total", (("status", "SUCCEEDED"),))] == 0

    code, out = finish(consumer(env, LOG_FORMAT="json"), timeout=90)
    assert code == 0, out
    about_the_run = [json.loads(line) for line in out.splitlines() if request.run_id in line]
    assert about_the_run, out
    assert all(entry["run_id"] == request.run_id for entry in about_the_run if "level" in entry)
    assert any(entry.get("logger") == "work.lifecycle" for entry in about_the_run)
    samples = scrape(env)
    assert samples[("backtest_runs_finished_total", (("status", "SUCCEEDED"),))] == 1
    assert samples[("backtest_queue_depth", (("queue", queue.name),))] == 0
    for phase in ("queue", "execution"):
        labels = (("phase", phase),)
        assert samples[("backtest_run_duration_seconds_count", labels)] == 1
        assert samples[("backtest_run_duration_seconds_bucket", (("le", "+Inf"), *labels))] == 1
        assert 0 < samples[("backtest_run_duration_seconds_sum", labels)] < 90
