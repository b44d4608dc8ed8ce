"""A study of a PYTHON strategy: its space names class attributes (an int range when its
bounds are whole numbers), its batches run their trials in one sandbox
(``kinds.strategies.replayed``) and each trial's metrics equal the same run submitted
alone; bad input is a 400 naming its field."""

from __future__ import annotations

import pytest

from kinds.runs.contract import parse_request
from kinds.runs.kind import execute_request
from kinds.studies.contract import parse_study_request
from metrics import SWEEP_METRIC_KEYS
from tests.runs.python_strategies import ACME_SMA_CROSS
from tests.studies.test_study_web import drain

pytestmark = pytest.mark.redis

BODY = {
    **ACME_SMA_CROSS,
    "space": {"n1": {"low": 3, "high": 15}, "n2": {"low": 20, "high": 60, "step": 5}},
    "n_trials": 6,
    "batch_size": 3,
    "sampler": "random",
}


def test_a_python_studys_space_is_its_class_attributes():
    stored = parse_study_request(BODY).to_dict()
    assert stored["rule_type"] == "PYTHON" and stored["strategy_class"] == "SmaCross"
    assert stored["space"]["n1"] == {"type": "int", "low": 3, "high": 15, "step": None,
                                     "log": False}  # fmt: skip
    floats = parse_study_request({**BODY, "space": {"n1": {"low": 2.5, "high": 9}}})
    assert floats.to_dict()["space"]["n1"]["type"] == "float"


def evaluated_trials(app, client, redis_url, body: dict) -> list[dict]:
    """The trials of the study of ``body`` that were evaluated (not reused), once it
    SUCCEEDED; each trial's metrics are checked equal to the same run alone's."""
    answer = client.post("/api/studies", json=body)
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    assert drain(app, redis_url) >= 1
    status = client.get(f"/api/studies/{study_id}").json
    assert status["status"] == "SUCCEEDED", status
    trials = client.get(f"/api/studies/{study_id}/trials").json["trials"]
    evaluated = [t for t in trials if not t["reused_from"]]
    assert len(trials) == body["n_trials"] and {t["state"] for t in evaluated} == {"COMPLETE"}
    fields = ["ticker", "rule_type", "start_date", "end_date", "strategy_code", "strategy_class"]
    for trial in evaluated:
        run = {**{k: body[k] for k in fields}, "refs": body.get("refs")}
        alone = execute_request(parse_request({**run, "params": trial["params"]}))
        assert trial["metrics"] == {key: alone.metrics.get(key) for key in SWEEP_METRIC_KEYS}
    return evaluated


def test_each_trial_of_a_python_study_equals_its_run_alone(app, client, redis_url):
    assert len(evaluated_trials(app, client, redis_url, BODY)) >= 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"space": {"n3": {"low": 1, "high": 5}}}, "space.n3"),
        ({"space": {"_n1": {"low": 1, "high": 5}}}, "space"),
        ({"params": {"zz": 1}}, "params.zz"),
        ({"strategy_code": "class S(:\n"}, "strategy_code"),
        ({"strategy_class": None}, "strategy_class"),
        ({"stop_loss_pct": 5}, "stop_loss_pct"),
        ({"margin": 0}, "margin"),
        ({"hedging": "yes"}, "hedging"),
    ],
)
def test_a_bad_python_study_is_a_400_naming_its_field(client, change, field):
    answer = client.post("/api/studies", json={**BODY, **change})
    assert answer.status_code == 400, answer.json
    assert answer.json["field"] == field, answer.json


def test_a_python_studys_trials_read_its_refs_as_their_runs_alone(app, client, redis_url):
    from tests.strategy.test_strategy_refs import RATIO

    body = {
        **BODY,
        "end_date": "2018-12-31",
        "strategy_code": RATIO,
        "strategy_class": "Ratio",
        "refs": ["demoix"],
        "space": {"n": {"low": 4, "high": 30}},
        "n_trials": 3,
    }
    for trial in evaluated_trials(app, client, redis_url, body):
        assert trial["metrics"]["num_trades"] > 3
