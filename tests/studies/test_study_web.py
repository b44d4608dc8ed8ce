"""web/api/studies.py on SQLite and a real Redis: a study is accepted with its first batches
queued; batches executed as a Job does fill its trials up to the budget and end it; the
document, trials JSON and CSV, pause/resume/extend, running a trial, the walk-forward
prefill; a 400 naming each bad field by its dotted path, 404s."""

from __future__ import annotations

import csv
import io

import pytest
from redis import Redis

from kinds.studies.kind import BATCH
from tests.studies.support import execute_batch, valid_study
from tests.sweeps.support import SWEEP_QUEUE, sweep_app
from work.queue import backtest_queue

pytestmark = pytest.mark.redis


def queued(redis_url: str) -> list[dict]:
    """The batch messages waiting on the sweep queue, oldest first."""
    jobs = backtest_queue(Redis.from_url(redis_url), SWEEP_QUEUE).jobs
    return [job.args[0] for job in jobs if job.func_name == BATCH.function]


def drain(app, redis_url: str, most: int = 20) -> int:
    """Execute the queued batches here until none is queued (the finished hook's enqueue
    is RQ's; here the PENDING rows are taken from the queue the web filled, then from the
    rows); how many ran."""
    from kinds.studies.state import open_batch_messages
    from store.dbapi import Database

    ran = 0
    database = Database(app.config["DATABASE_URL"])
    try:
        for _ in range(most):
            with database.transaction() as tx:
                study_ids = [r[0] for r in tx.fetchall("SELECT study_id FROM studies")]
                pending = [m for s in study_ids for m in open_batch_messages(tx, s)]
            if not pending:
                return ran
            for message in pending:
                assert execute_batch(app.config["DATABASE_URL"], message)
                ran += 1
    finally:
        database.close()
    raise AssertionError("batches kept coming")


def test_a_study_is_accepted_with_its_first_batches_queued(client, redis_url):
    """202 with the study's URLs; `parallelism` batches on the sweep queue; PENDING."""
    response = client.post("/api/studies", json=valid_study(n_trials=50, batch_size=10))
    assert response.status_code == 202, response.json
    body = response.json
    study_id = body["study_id"]
    assert body["status_url"] == f"/api/studies/{study_id}"
    assert [m["batch_id"] for m in queued(redis_url)] == [f"{study_id}-b0", f"{study_id}-b1"]
    status = client.get(body["status_url"]).json
    assert (status["status"], status["counts"]["remaining"]) == ("PENDING", 50)
    assert status["best"] is None and status["history"] == []


def test_batches_fill_the_budget_once_and_end_the_study(app, client, redis_url):
    """Every trial ends COMPLETE or PRUNED, numbered 0..n-1, exactly n_trials of them; the
    study SUCCEEDED with its best trial the best COMPLETE value and a running best history."""
    study_id = client.post("/api/studies", json=valid_study(n_trials=25, batch_size=10)).json[
        "study_id"
    ]
    assert drain(app, redis_url) >= 3
    body = client.get(f"/api/studies/{study_id}").json
    assert body["status"] == "SUCCEEDED" and body["completed_at"]
    trials = client.get(f"/api/studies/{study_id}/trials").json["trials"]
    assert [t["number"] for t in trials] == list(range(25))
    assert {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    best = max(complete, key=lambda t: t["values"][0])
    assert body["best"]["number"] == best["number"]
    assert body["best"]["values"][0] == best["metrics"]["sharpe_ratio"]
    bests = [h["best_so_far"][0] for h in body["history"]]
    assert bests == sorted(bests) and bests[-1] == best["values"][0]
    assert body["counts"]["remaining"] == 0 and body["counts"]["n_trials"] == 25
    rows = list(csv.DictReader(io.StringIO(client.get(body["trials_csv_url"]).text)))
    assert [int(r["number"]) for r in rows] == list(range(25))
    assert set(rows[0]) >= {"period", "oversold", "overbought", "value_sharpe_ratio"}


def test_pause_stops_new_batches_resume_and_extend_queue_them(app, client, redis_url):
    """Paused: a batch that starts asks no trial and queues no next one; resume tops up;
    extend adds trials; an ended study refuses extend with 409."""
    study_id = client.post(
        "/api/studies", json=valid_study(n_trials=30, batch_size=10, parallelism=1)
    ).json["study_id"]
    url = f"/api/studies/{study_id}"
    assert client.post(f"{url}/pause").json["paused"] is True
    assert drain(app, redis_url) == 1  # the batch queued at submission, then nothing
    paused = client.get(url).json
    assert (paused["status"], paused["paused"], paused["counts"]["remaining"]) == (
        "RUNNING", True, 30
    )  # fmt: skip
    assert client.post(f"{url}/resume").json["paused"] is False
    assert client.post(f"{url}/extend", json={"n_trials": 5}).json["counts"]["n_trials"] == 35
    drain(app, redis_url)
    done = client.get(url).json
    assert done["status"] == "SUCCEEDED" and len(done["history"]) + done["counts"]["pruned"] == 35
    assert client.post(f"{url}/extend", json={"n_trials": 5}).status_code == 409
    bad = client.post(f"{url}/extend", json={"n_trials": 0})
    assert (bad.status_code, bad.json["field"]) == (400, "n_trials")


def test_a_trial_runs_as_a_backtest_and_a_walkforward_is_prefilled(app, client, redis_url):
    """POST …/trials/<n>/run answers 202 with a run whose params are the trial's; the
    walk-forward prefill grids every space parameter."""
    study_id = client.post("/api/studies", json=valid_study(n_trials=10)).json["study_id"]
    drain(app, redis_url)
    trial = client.get(f"/api/studies/{study_id}/trials").json["trials"][3]
    answer = client.post(f"/api/studies/{study_id}/trials/3/run")
    assert answer.status_code == 202, answer.json
    run = client.get(f"/api/runs/{answer.json['run_id']}?result=false").json
    assert run["request"]["params"] == trial["params"] | {}
    assert client.post(f"/api/studies/{study_id}/trials/99/run").status_code == 404
    prefill = client.get(f"/api/studies/{study_id}/walkforward").json["request"]
    assert set(prefill["grid"]) == {"period", "oversold", "overbought"}
    assert prefill["metric"] == "sharpe_ratio"
    walkforward = client.post(
        "/api/walkforward", json={**prefill, "train_bars": 500, "test_bars": 250}
    )
    assert walkforward.status_code == 202, walkforward.json


def test_two_objectives_give_a_pareto_front_and_no_single_best(app, client, redis_url):
    """Maximise Sharpe, minimise max drawdown (NSGA-II by default): `best` is null, the
    front holds non-dominated COMPLETE trials."""
    objectives = [
        {"metric": "sharpe_ratio", "direction": "maximize"},
        {"metric": "max_drawdown_pct", "direction": "minimize"},
    ]
    body = valid_study(n_trials=20, batch_size=10, objectives=objectives)
    study_id = client.post("/api/studies", json=body).json["study_id"]
    drain(app, redis_url)
    done = client.get(f"/api/studies/{study_id}").json
    assert (done["status"], done["sampler"], done["best"]) == ("SUCCEEDED", "nsga2", None)
    front = done["pareto_front"]
    assert front and front == done["best_trials"]
    for trial in front:
        sharpe, drawdown = trial["values"]
        assert (sharpe, drawdown) == (
            trial["metrics"]["sharpe_ratio"], trial["metrics"]["max_drawdown_pct"]
        )  # fmt: skip
    assert all(len(h["best_so_far"]) == 2 for h in done["history"])


def test_a_spent_time_budget_ends_the_study_before_its_trial_budget(app, client, redis_url):
    """A deadline already past: the queued batches ask nothing and the study SUCCEEDS with
    no trial (status forward only; remaining trials left)."""
    from sqlalchemy import update

    from store.models import Study, utcnow
    from web.db import get_database

    study_id = client.post("/api/studies", json=valid_study(timeout_s=3600)).json["study_id"]
    with get_database(app).sessionmaker.begin() as session:
        session.execute(
            update(Study).where(Study.study_id == study_id).values(deadline_at=utcnow())
        )
    drain(app, redis_url)
    done = client.get(f"/api/studies/{study_id}").json
    assert done["status"] == "SUCCEEDED" and done["deadline_at"]
    assert done["counts"]["remaining"] == 20 and done["history"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"space": {}}, "space"),
        ({"space": {"period": {"low": 30, "high": 2}}}, "space.period"),
        ({"space": {"nope": {"low": 1, "high": 2}}}, "space.nope"),
        ({"space": {"period": {"low": 1, "high": 20}}}, "space.period.low"),
        ({"space": {"period": {"low": 2, "high": 20, "step": 0.5}}}, "space.period.step"),
        ({"space": {"stop_loss_pct": {"low": 1, "high": 150}}}, "space.stop_loss_pct.high"),
        ({"objectives": [{"metric": "nope", "direction": "maximize"}]}, "objectives.0.metric"),
        ({"sampler": "grid"}, "sampler"),
        ({"n_trials": 0}, "n_trials"),
        ({"parallelism": 9}, "parallelism"),
        ({"ticker": "NOPE"}, "ticker"),
        ({"start_date": "x"}, "start_date"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_study_is_a_400_naming_the_field(client, redis_url, change, field):
    """Nothing recorded or queued; the field named by its dotted path."""
    response = client.post("/api/studies", json=valid_study(**change))
    assert response.status_code == 400, response.json
    assert response.json["field"] == field
    assert queued(redis_url) == []


def test_an_unknown_study_is_a_404(client):
    """A well-formed id of no study, and a malformed id, are both 404."""
    for url in ("/api/studies/6f1c0b7e-0000-4000-8000-000000000000", "/api/studies/x"):
        assert client.get(url).status_code == 404


def test_a_study_whose_batches_cannot_be_queued_is_failed(sqlite_url):
    """Redis away at the enqueue: 503 "queue unavailable" naming the study, which is FAILED
    with its batches (nothing waits for a queue that never got them)."""
    from tests.web.support import CLOSED_REDIS

    client = sweep_app(sqlite_url, CLOSED_REDIS).test_client()
    response = client.post("/api/studies", json=valid_study())
    assert response.status_code == 503 and response.json["error"] == "queue unavailable"
    status = client.get(f"/api/studies/{response.json['study_id']}").json
    assert (status["status"], status["error_message"]) == ("FAILED", "queue unavailable")
    assert status["batches"] == {"FAILED": 2}


def test_a_walkforward_prefilled_from_a_scaling_space_grids_the_scaling_fields(
    app, client, redis_url
):
    """A space over max_entries and exit_fraction prefills a walk-forward grid over them
    (max_entries as whole numbers) that the walk-forward accepts; no trial need run."""
    space = {
        "period": {"low": 5, "high": 20},
        "max_entries": {"low": 1, "high": 4},
        "exit_fraction": {"low": 0.5, "high": 1},
    }
    answer = client.post("/api/studies", json=valid_study(n_trials=10, space=space))
    assert answer.status_code == 202, answer.json
    prefill = client.get(f"/api/studies/{answer.json['study_id']}/walkforward").json["request"]
    assert prefill["grid"]["max_entries"] == "1:4:1"
    assert "max_entries" not in prefill and "exit_fraction" not in prefill
    walkforward = client.post(
        "/api/walkforward", json={**prefill, "train_bars": 500, "test_bars": 250}
    )
    assert walkforward.status_code == 202, walkforward.json
