"""``GET /metrics`` on a real Redis: the Prometheus text format parses, submissions and HTTP
requests move the counters (labelled by URL rule, never the raw path), the queue depth is
the list's LLEN at scrape time, and a Redis that is away leaves the endpoint answering."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from kinds.registry import all_kinds
from tests.sweeps.test_sweep_web import BODY as SWEEP
from tests.web.support import CLOSED_REDIS, build_app, queue_key, serve, valid_request
from web import create_app
from work.telemetry import METRICS_KEY

pytestmark = pytest.mark.redis


def sent(response):
    """``response`` once a server would have sent it: closing it runs what the app deferred
    to then (counting the request)."""
    response.close()
    return response


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of ``GET /metrics`` by (name, sorted labels)."""
    response = sent(client.get("/metrics"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_a_submitted_run_is_counted_and_its_request_labelled_by_the_url_rule(client):
    before = scrape(client)
    assert before.get(("backtest_runs_submitted_total", ()), 0) == 0
    run_id = sent(client.post("/run_backtest", json=valid_request())).json["run_id"]
    sent(client.get(f"/status/{run_id}"))
    samples = scrape(client)
    assert samples[("backtest_runs_submitted_total", ())] == 1
    posted = (("endpoint", "/run_backtest"), ("method", "POST"), ("status", "202"))
    assert samples[("backtest_http_requests_total", posted)] == 1
    rule = (("endpoint", "/status/<path:run_id>"), ("method", "GET"), ("status", "200"))
    assert samples[("backtest_http_requests_total", rule)] == 1
    assert not any(run_id in str(labels) for _, labels in samples), "no raw path as a label"
    duration = (("endpoint", "/run_backtest"), ("le", "+Inf"), ("method", "POST"))
    assert samples[("backtest_http_request_duration_seconds_bucket", duration)] == 1


def test_a_cancelled_run_is_counted_finished_cancelled_once(client):
    """Cancelling a queued run (or deleting one, which cancels it first) finishes it: one
    CANCELLED count for each run, however often the cancel is asked again."""
    cancelled = (("status", "CANCELLED"),)
    first = sent(client.post("/run_backtest", json=valid_request())).json["run_id"]
    second = sent(client.post("/run_backtest", json=valid_request())).json["run_id"]
    for _ in range(2):
        assert sent(client.post(f"/api/runs/{first}/cancel")).status_code == 200
    assert scrape(client)[("backtest_runs_finished_total", cancelled)] == 1
    assert sent(client.delete(f"/api/runs/{second}")).status_code == 204
    assert scrape(client)[("backtest_runs_finished_total", cancelled)] == 2


def test_a_fresh_app_exports_every_known_counter_at_zero(client):
    """Before anything happened, every counter whose series are known in advance is
    exported at 0 (Prometheus: avoid missing metrics), so ``rate()`` sees the first
    submission and an alert tells "none yet" from "not exported": each kind's own counters,
    its finished counter by every status a Job records (runs also CANCELLED, by the web),
    and the reaper's recoveries by kind and action."""
    samples = scrape(client)
    assert samples[("backtest_runs_submitted_total", ())] == 0
    assert samples[("backtest_runs_finished_total", (("status", "CANCELLED"),))] == 0
    for kind in all_kinds():
        for name in kind.telemetry:
            if not name.endswith("_total") or name == f"{kind.stem}s_finished_total":
                continue
            labels = kind.telemetry_labels.get(name, {})
            series = [((key, value),) for key, values in labels.items() for value in values]
            for label in series or [()]:
                assert samples[(name, label)] == 0, (name, label)
        for status in ("SUCCEEDED", "FAILED", "SKIPPED"):
            assert samples[(f"{kind.stem}s_finished_total", (("status", status),))] == 0
        for action in ("requeued", "failed"):
            labels = (("action", action), ("kind", kind.name.replace(" ", "_")))
            assert samples[("backtest_reaper_recoveries_total", labels)] == 0


def test_a_refused_run_is_not_counted_as_submitted(client):
    assert sent(client.post("/run_backtest", json=valid_request(ticker="NOPE"))).status_code == 400
    samples = scrape(client)
    assert samples.get(("backtest_runs_submitted_total", ()), 0) == 0
    refused = (("endpoint", "/run_backtest"), ("method", "POST"), ("status", "400"))
    assert samples[("backtest_http_requests_total", refused)] == 1


def test_an_unmatched_path_is_one_label_whatever_the_path(client):
    sent(client.get("/no/such/page/1"))
    sent(client.get("/no/such/page/2"))
    samples = scrape(client)
    unmatched = (("endpoint", "unmatched"), ("method", "GET"), ("status", "404"))
    assert samples[("backtest_http_requests_total", unmatched)] == 2


def test_the_queue_depth_is_the_queue_lists_length_at_scrape_time(app: Flask, client, redis):
    for _ in range(3):
        assert sent(client.post("/run_backtest", json=valid_request())).status_code == 202
    redis.rpush("rq:queue:other-queue", "x")
    redis.sadd("rq:queues", "rq:queue:other-queue")
    samples = scrape(client)
    name = app.config["RQ_QUEUE"]
    assert samples[("backtest_queue_depth", (("queue", name),))] == redis.llen(queue_key(app)) == 3
    assert samples[("backtest_queue_depth", (("queue", "other-queue"),))] == 1
    assert samples[("backtest_metrics_redis_up", ())] == 1


def test_a_sweep_counts_itself_and_its_chunks(sqlite_url, redis_url):
    from store.db import create_schema, make_engine

    create_schema(make_engine(sqlite_url))
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url})
    client = app.test_client()
    chunks = sent(client.post("/api/sweeps", json=SWEEP)).json["chunks"]
    samples = scrape(client)
    assert samples[("backtest_sweeps_submitted_total", ())] == 1
    assert samples[("backtest_sweep_chunks_submitted_total", ())] == chunks == 2


def test_metrics_answer_200_while_redis_is_away(sqlite_url: str, data_dir: Path):
    app = next(serve(build_app(sqlite_url, CLOSED_REDIS, data_dir)))
    samples = scrape(app.test_client())
    assert samples == {("backtest_metrics_redis_up", ()): 0}


def test_histogram_buckets_are_cumulative_and_complete(client, redis):
    redis.hset(
        METRICS_KEY,
        mapping={
            "backtest_run_duration_seconds_bucket|le=0.5,phase=execution": 2,
            "backtest_run_duration_seconds_bucket|le=+Inf,phase=execution": 1,
            "backtest_run_duration_seconds_sum|phase=execution": 1000.5,
            "backtest_run_duration_seconds_count|phase=execution": 3,
        },
    )
    samples = scrape(client)
    bucket = "backtest_run_duration_seconds_bucket"
    assert samples[(bucket, (("le", "0.25"), ("phase", "execution")))] == 0
    assert samples[(bucket, (("le", "0.5"), ("phase", "execution")))] == 2
    assert samples[(bucket, (("le", "900.0"), ("phase", "execution")))] == 2
    assert samples[(bucket, (("le", "+Inf"), ("phase", "execution")))] == 3
    assert samples[("backtest_run_duration_seconds_count", (("phase", "execution"),))] == 3
    assert samples[("backtest_run_duration_seconds_sum", (("phase", "execution"),))] == 1000.5
