"""Is the best trial luck? (kinds.studies.deflated) on MariaDB and a real Redis, batches
executed here as a Job does: the stored deflated Sharpe ratio equals the adapter's, computed
independently from the best trial run alone and the COMPLETE trials' Sharpe ratios; more
trials with the same best deflate it more; two objectives, too few trials and a best with
no trade are unavailable with the reason; a failure stores nothing and leaves the batch
SUCCEEDED; an unchanged best is not computed again."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import numpy as np
import pytest
from redis import Redis

from adapters.deflated import deflated_sharpe_of_best, dsr_verdict
from engine import bar_returns
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute, load_market_data
from kinds.studies import deflated as luck
from kinds.studies.contract import trial_run_request
from kinds.studies.state import open_batch_messages, trial_rows
from store.db import create_schema, make_engine
from store.dbapi import Database
from tests.studies.support import execute_batch, valid_study
from tests.sweeps.support import SWEEP_QUEUE
from tests.web.support import serve
from web import create_app

pytestmark = [pytest.mark.mysql, pytest.mark.redis]

TWO_OBJECTIVES = [
    {"metric": "sharpe_ratio", "direction": "maximize"},
    {"metric": "max_drawdown_pct", "direction": "minimize"},
]


@pytest.fixture
def app(mysql_url, redis_url) -> Iterator:
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}", "rq:queue:sweep-test")
    create_schema(make_engine(mysql_url))
    config = {"TESTING": True, "DATABASE_URL": mysql_url, "REDIS_URL": redis_url}
    yield from serve(create_app({**config, "RQ_QUEUE": "sweep-test"}))


@pytest.fixture
def client(app):
    return app.test_client()


def drain(app, study_id: str) -> int:
    """Execute the study's PENDING batches here until there is none; how many ran."""
    url = app.config["DATABASE_URL"]
    database = Database(url)
    ran = 0
    try:
        for _ in range(20):
            with database.transaction() as tx:
                pending = open_batch_messages(tx, study_id)
            if not pending:
                return ran
            for message in pending:
                assert execute_batch(url, message)
                ran += 1
    finally:
        database.close()
    raise AssertionError("batches kept coming")


def finished(app, client, **fields) -> tuple[str, dict]:
    """A study of ``valid_study(**fields)`` submitted and run to its end: (id, document)."""
    answer = client.post("/api/studies", json=valid_study(**fields))
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    drain(app, study_id)
    body = client.get(f"/api/studies/{study_id}").json
    assert body["status"] == "SUCCEEDED", body["error_message"]
    return study_id, body


def alone(body: dict, params: dict) -> tuple[np.ndarray, float]:
    """The trial ``params`` of the study run on its own as ``POST /api/runs`` would (no
    charts): its bar returns and the ticker's bars per year."""
    request = parse_request({**trial_run_request(body["request"], params), "charts": False})
    equity = np.asarray(execute(request).equity_curve["equity"], dtype=float)
    return bar_returns(equity[None, :])[0], load_market_data(request).bars_per_year


def complete_sharpes(client, study_id: str) -> list[float]:
    trials = client.get(f"/api/studies/{study_id}/trials").json["trials"]
    return [
        np.nan if t["metrics"]["sharpe_ratio"] is None else t["metrics"]["sharpe_ratio"]
        for t in trials
        if t["state"] == "COMPLETE"
    ]


@pytest.mark.parametrize("objective", ["sharpe_ratio", "total_return_pct"])
def test_the_stored_dsr_is_the_best_trial_alone_deflated_by_every_complete_trial(
    app, client, objective
):
    """The document's ``deflated`` equals deflated_sharpe_of_best of the best trial's bar
    returns (run alone) and every COMPLETE trial's Sharpe, with its verdict — the best by
    the objective, whether it is the Sharpe ratio (read from the values) or not (from the
    metrics)."""
    study_id, body = finished(
        app, client, n_trials=40, batch_size=10, parallelism=1,
        objectives=[{"metric": objective, "direction": "maximize"}],
    )  # fmt: skip
    best, found = body["best"], body["deflated"]
    sharpes = complete_sharpes(client, study_id)
    returns, per_year = alone(body, best["params"])
    expected = deflated_sharpe_of_best(returns, np.asarray(sharpes), per_year)
    assert (found["best_trial"], found["complete"]) == (best["number"], len(sharpes))
    counted = int(np.isfinite(sharpes).sum())  # a COMPLETE trial without trades has none
    assert found["n_trials"] == expected["n_trials"] == counted >= 2
    for key, value in expected.items():
        assert found[key] == pytest.approx(value, rel=1e-12), key
    assert found["verdict"] == dsr_verdict(expected["dsr"], expected["n_trials"], len(sharpes))
    assert 0.0 <= found["dsr"] <= found["psr"] <= 1.0


def test_more_trials_with_the_same_best_deflate_it_more(app, client):
    """Every COMPLETE trial asked again (copies, as reused trials are): the best stays, N
    grows, the expected maximum of luck rises and the stored DSR falls; PSR is unchanged."""
    study_id, body = finished(app, client, n_trials=30, batch_size=10, parallelism=1)
    before = body["deflated"]
    database = Database(app.config["DATABASE_URL"])
    try:
        with database.transaction() as tx:
            rows = tx.fetchall(
                "SELECT number, params_json, values_json, metrics_json FROM study_trials "
                "WHERE study_id = ? AND state = 'COMPLETE' ORDER BY number",
                (study_id,),
            )
            top = int(tx.fetchone(
                "SELECT MAX(number) AS top FROM study_trials WHERE study_id = ?", (study_id,)
            )["top"])  # fmt: skip
            copies = [
                (study_id, top + 1 + i, "copies", "COMPLETE", params, values, metrics,
                 f"{study_id}#{number}")
                for i, (number, params, values, metrics) in enumerate(rows * 2)
            ]  # fmt: skip
            tx.executemany(
                "INSERT INTO study_trials (study_id, number, batch_id, state, params_json, "
                "values_json, metrics_json, reused_from, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                copies,
            )
            luck.update_deflated(tx, study_id, "copies", body["request"], trial_rows(tx, study_id))
    finally:
        database.close()
    after = client.get(f"/api/studies/{study_id}").json["deflated"]
    assert after["best_trial"] == before["best_trial"]
    assert after["n_trials"] == 3 * before["n_trials"]
    assert after["expected_max_sharpe_annual"] > before["expected_max_sharpe_annual"]
    assert after["dsr"] < before["dsr"]
    assert after["psr"] == pytest.approx(before["psr"], rel=1e-12)
    returns, per_year = alone(body, body["best"]["params"])
    sharpes = complete_sharpes(client, study_id)
    expected = deflated_sharpe_of_best(returns, np.asarray(sharpes), per_year)
    assert after["dsr"] == pytest.approx(expected["dsr"], rel=1e-12)


def test_two_objectives_are_unavailable_saying_one_objective_only(app, client):
    """A Pareto front has no single best: ``{"unavailable": …}``, nothing run."""
    _, body = finished(app, client, n_trials=20, batch_size=10, objectives=TWO_OBJECTIVES)
    assert body["deflated"] == {"unavailable": luck.ONE_OBJECTIVE}
    assert "one objective only" in luck.ONE_OBJECTIVE


def test_a_study_with_fewer_than_two_complete_trials_is_unavailable(app, client):
    """One trial: the best is known, but one trial is no selection."""
    _, body = finished(app, client, n_trials=1, batch_size=1)
    if body["best"] is None:  # the one trial was PRUNED
        assert body["deflated"] == {"best_trial": None, "complete": 0, "unavailable": luck.TOO_FEW}
    else:
        assert body["deflated"] == {
            "best_trial": body["best"]["number"], "complete": 1, "unavailable": luck.TOO_FEW,
        }  # fmt: skip


def test_a_best_trial_without_a_trade_is_unavailable():
    """Maximising a metric a trial without trades has (its return, 0): no returns vary."""
    stored = {"objectives": [{"metric": "total_return_pct", "direction": "maximize"}]}
    without = {"num_trades": 0, "sharpe_ratio": None, "total_return_pct": 0.0}
    assert luck.deflated(stored, [np.nan, -0.2], 0, ({}, without), "label") == {
        "best_trial": 0, "complete": 2, "unavailable": luck.NO_TRADE,
    }  # fmt: skip


def test_a_failure_stores_nothing_and_the_batch_still_succeeds(app, client, monkeypatch, caplog):
    """The best trial's run raising: logged with the batch's and the study's ids, no
    ``deflated``, every batch SUCCEEDED and the study too."""

    def broken(request):
        raise RuntimeError("the run broke")

    monkeypatch.setattr("kinds.sweeps.overfitting.returns_alone", broken)
    with caplog.at_level(logging.ERROR, logger="kinds.studies.deflated"):
        study_id, body = finished(app, client, n_trials=20, batch_size=10, parallelism=1)
    assert body["deflated"] is None
    assert body["batches"] == {"SUCCEEDED": 2}
    logged = [r.getMessage() for r in caplog.records if r.name == "kinds.studies.deflated"]
    assert logged and all(study_id in line for line in logged)
    assert any(f"{study_id}-b" in line for line in logged)  # the batches' (then the read's)


def test_an_unchanged_best_and_count_is_not_computed_again(app, client, monkeypatch):
    """update_deflated with the same best trial and COMPLETE count runs nothing."""
    study_id, body = finished(app, client, n_trials=20, batch_size=10, parallelism=1)
    before = body["deflated"]
    assert before is not None
    runs = []
    monkeypatch.setattr("kinds.sweeps.overfitting.returns_alone", lambda r: runs.append(r))
    database = Database(app.config["DATABASE_URL"])
    try:
        with database.transaction() as tx:
            luck.update_deflated(tx, study_id, "again", body["request"], trial_rows(tx, study_id))
    finally:
        database.close()
    assert runs == []
    assert client.get(f"/api/studies/{study_id}").json["deflated"] == before
    assert json.dumps(before, allow_nan=False)


def test_a_study_that_ended_without_one_gets_it_on_its_first_read_stored_once(
    app, client, monkeypatch
):
    """A study that ended before its batches stored a DSR (older than migration 0016): the
    first GET computes the same document a batch stored and stores it; the next GET reads
    it without running anything."""
    study_id, body = finished(app, client, n_trials=20, batch_size=10, parallelism=1)
    computed = body["deflated"]
    assert computed is not None and "dsr" in computed
    database = Database(app.config["DATABASE_URL"])
    try:
        with database.transaction() as tx:
            tx.execute("UPDATE studies SET deflated_json = NULL WHERE study_id = ?", (study_id,))
        assert client.get(f"/api/studies/{study_id}").json["deflated"] == computed
        with database.transaction() as tx:
            assert luck.stored_deflated(tx, study_id) == computed
    finally:
        database.close()
    runs = []
    monkeypatch.setattr("kinds.sweeps.overfitting.returns_alone", lambda r: runs.append(r))
    assert client.get(f"/api/studies/{study_id}").json["deflated"] == computed
    assert runs == []
