"""Reused trials (kinds/studies/reuse.py): a trial whose backtest a study already evaluated
copies its metrics instead of running again — within a batch, across batches, and across
the owner's studies unless ``cache: false`` — and the copied values equal a fresh
evaluation's bit for bit."""

from __future__ import annotations

import pytest

from kinds.runs.contract import RequestError
from kinds.studies.contract import parse_study_request
from kinds.studies.evaluate import evaluate_trials
from kinds.studies.reuse import plan, source_of, trial_key
from kinds.studies.sampling import Asked
from tests.studies.support import valid_study
from tests.studies.test_study_web import drain

pytestmark = pytest.mark.redis

SMALL = {"period": {"low": 5, "high": 7}, "oversold": {"low": 20, "high": 30, "step": 5}}
"""Nine points: a 30-trial study asks most of them more than once."""


def _study(client, app, redis_url, **fields) -> tuple[dict, list[dict]]:
    body = valid_study(space=SMALL, n_trials=30, batch_size=10, parallelism=1, **fields)
    response = client.post("/api/studies", json=body)
    assert response.status_code == 202, response.json
    drain(app, redis_url)
    url = response.json["status_url"]
    return client.get(url).json, client.get(f"{url}/trials").json["trials"]


def _key(trial: dict) -> tuple:
    return tuple(sorted(trial["params"].items()))


def test_a_point_asked_again_copies_the_first_evaluation_and_counts_as_a_trial(
    app, client, redis_url
):
    """On nine points, 30 trials: every point is evaluated once, every repeat names the
    trial it copied (of its own study), carries the same metrics and values, and the budget
    counts it."""
    status, trials = _study(client, app, redis_url)
    assert status["status"] == "SUCCEEDED" and len(trials) == 30
    evaluated = [t for t in trials if t["reused_from"] is None]
    reused = [t for t in trials if t["reused_from"] is not None]
    assert len({_key(t) for t in evaluated}) == len(evaluated) <= 9
    assert len(reused) == status["trials_reused"] == 30 - len(evaluated) > 0
    by_number = {t["number"]: t for t in trials}
    for trial in reused:
        study_id, number = trial["reused_from"].split("#")
        assert study_id == status["study_id"]
        source = by_number[int(number)]
        assert source["reused_from"] is None and _key(source) == _key(trial)
        assert (trial["metrics"], trial["values"], trial["state"]) == (
            source["metrics"], source["values"], source["state"]
        )  # fmt: skip


def test_a_second_study_reuses_the_first_and_cache_false_evaluates_afresh_to_the_same_values(
    app, client, redis_url
):
    """The same study again copies every point from the first study; with ``cache:
    false`` it evaluates each point once itself — and all three agree bit for bit."""
    first, first_trials = _study(client, app, redis_url)
    _, again_trials = _study(client, app, redis_url)
    assert all(t["reused_from"].startswith(first["study_id"] + "#") for t in again_trials)
    fresh, fresh_trials = _study(client, app, redis_url, cache=False)
    assert not any(
        t["reused_from"].startswith(first["study_id"]) for t in fresh_trials if t["reused_from"]
    )
    assert any(t["reused_from"] is None for t in fresh_trials)
    known = {_key(t): (t["metrics"], t["values"]) for t in first_trials}
    for trial in again_trials + fresh_trials:
        assert (trial["metrics"], trial["values"]) == known[_key(trial)]
    assert fresh["request"]["cache"] is False and first["request"]["cache"] is True


def test_copied_metrics_equal_a_fresh_evaluation_of_the_same_params():
    """The key names one computation: the metrics a batch evaluates for a point equal
    those of the same point evaluated alone."""
    stored = parse_study_request(valid_study(space=SMALL)).stored
    points = [{"period": 5, "oversold": 20.0}, {"period": 7, "oversold": 30.0}]
    together, data_hash = evaluate_trials(
        stored, [Asked(i, p, {}, None) for i, p in enumerate(points)], "t"
    )
    alone, _ = evaluate_trials(stored, [Asked(0, points[1], {}, None)], "t")
    assert together[1].metrics == alone[0].metrics
    assert trial_key(stored, points[1], data_hash) == trial_key(
        stored, {"oversold": 30.0, "period": 7}, data_hash
    )
    assert trial_key(stored, points[0], data_hash) != trial_key(stored, points[1], data_hash)
    assert trial_key(stored, points[0], data_hash) != trial_key(stored, points[0], "other")


def test_a_trial_breaking_a_constraint_has_no_key_and_a_batch_evaluates_each_key_once():
    """A pruned-by-constraint trial is never looked up; within a batch the second trial
    with a key copies the first; a found key is copied from where it was found."""
    stored = parse_study_request(
        valid_study(
            space={"oversold": {"low": 10, "high": 80}, "overbought": {"low": 20, "high": 90}}
        )
    ).stored
    assert trial_key(stored, {"oversold": 70, "overbought": 30}, "h") is None
    asked = [Asked(n, {"p": n % 2}, {}, None) for n in range(4)]
    keys = {0: "a", 1: "b", 2: "a", 3: "c"}
    todo, copies = plan("s", asked, keys, {"c": type("E", (), {"source": "old#9"})()})
    assert [t.number for t in todo] == [0, 1]
    assert copies == {2: source_of("s", 0), 3: "old#9"}


@pytest.mark.parametrize("kind", ["limit", "market_if_touched"])
def test_a_study_searches_an_entry_order_s_name_and_each_trial_equals_its_own_run(kind):
    """``space`` may hold ``entry_order.k`` (a $name of the entry order's prices): each
    trial's metrics equal the backtest its run request gives (``trial_run_request``)."""
    from kinds.runs.contract import parse_request
    from kinds.runs.execute import execute
    from kinds.studies.contract import trial_run_request

    order = {"type": kind, "limit": "close * (1 - $k/100)", "params": {"k": 1}}
    space = {"period": {"low": 7, "high": 14}, "entry_order.k": {"low": 0.5, "high": 4.0}}
    stored = parse_study_request(valid_study(space=space, entry_order=order)).stored
    assert stored["space"]["entry_order.k"]["type"] == "float"
    points = [{"period": 7, "entry_order.k": 0.5}, {"period": 7, "entry_order.k": 4.0}]
    outcomes, _ = evaluate_trials(
        stored, [Asked(i, p, {}, None) for i, p in enumerate(points)], "t"
    )
    assert outcomes[0].metrics != outcomes[1].metrics
    for point, outcome in zip(points, outcomes, strict=True):
        body = trial_run_request(stored, point)
        assert body["entry_order"]["params"] == {"k": point["entry_order.k"]}
        metrics = execute(parse_request({**body, "charts": False})).metrics
        assert {key: metrics[key] for key in outcome.metrics} == outcome.metrics
    with pytest.raises(RequestError) as err:
        parse_study_request(valid_study(space={"entry_order.z": {"low": 1, "high": 2}}))
    assert err.value.field == "space.entry_order.z"
