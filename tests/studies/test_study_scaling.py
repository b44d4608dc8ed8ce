"""A study searches how many units a long holds and how much each exit takes off
(docs/execution.md, "Scaling in and out"): ``max_entries`` is an int space entry, the
fractions float ones, their bounds checked by the engine's domain, and each trial equals
the same run alone."""

from __future__ import annotations

import pytest

from engine.param_specs import TAKE_PROFIT_FRACTION_ALONE
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.studies.contract import parse_study_request, trial_run_request
from kinds.studies.evaluate import evaluate_trials
from kinds.studies.sampling import COMPLETE, Asked
from metrics import SWEEP_METRIC_KEYS

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"slow": 40},
    "start_date": "2016-01-01",
    "end_date": "2019-06-30",
    "n_trials": 10,
}

SPACE = {
    "fast": {"low": 5, "high": 20},
    "max_entries": {"low": 1, "high": 4},
    "exit_fraction": {"low": 0.25, "high": 1},
}


def test_a_space_over_max_entries_and_exit_fraction_has_its_trials_equal_their_runs():
    stored = parse_study_request({**BODY, "space": SPACE}).stored
    assert stored["space"]["max_entries"]["type"] == "int"
    assert stored["space"]["exit_fraction"]["type"] == "float"
    points = [
        {"fast": 5, "max_entries": 1, "exit_fraction": 1.0},
        {"fast": 5, "max_entries": 3, "exit_fraction": 0.5},
        {"fast": 10, "max_entries": 4, "exit_fraction": 0.25},
        {"fast": 10, "max_entries": 2, "exit_fraction": 0.75},
    ]
    outcomes, _ = evaluate_trials(
        stored, [Asked(i, p, {}, None) for i, p in enumerate(points)], "t"
    )
    assert len({o.metrics["total_return_pct"] for o in outcomes}) == len(points)
    for point, outcome in zip(points, outcomes, strict=True):
        assert outcome.state == COMPLETE
        body = trial_run_request(stored, point)
        assert (body["max_entries"], body["exit_fraction"]) == (
            point["max_entries"],
            point["exit_fraction"],
        )
        alone = execute(parse_request({**body, "charts": False})).metrics
        assert {key: outcome.metrics[key] for key in SWEEP_METRIC_KEYS} == {
            key: alone[key] for key in SWEEP_METRIC_KEYS
        }


def test_a_space_over_take_profit_fraction_with_a_take_profit_is_searched():
    space = {"fast": {"low": 5, "high": 20}, "take_profit_fraction": {"low": 0.25, "high": 1}}
    stored = parse_study_request({**BODY, "take_profit_pct": 6, "space": space}).stored
    points = [{"fast": 5, "take_profit_fraction": f} for f in (0.25, 0.5)]
    outcomes, _ = evaluate_trials(
        stored, [Asked(i, p, {}, None) for i, p in enumerate(points)], "t"
    )
    for point, outcome in zip(points, outcomes, strict=True):
        body = trial_run_request(stored, point)
        alone = execute(parse_request({**body, "charts": False})).metrics
        assert outcome.metrics["total_return_pct"] == alone["total_return_pct"]


@pytest.mark.parametrize(
    "entry, path",
    [
        ({"max_entries": {"low": 0, "high": 3}}, "space.max_entries.low"),
        ({"max_entries": {"low": 1, "high": 101}}, "space.max_entries.high"),
        ({"max_entries": {"low": 1.5, "high": 3}}, "space.max_entries.low"),
        ({"exit_fraction": {"low": 0, "high": 1}}, "space.exit_fraction.low"),
        ({"exit_fraction": {"low": 0.5, "high": 1.5}}, "space.exit_fraction.high"),
    ],
)
def test_a_scaling_space_entry_outside_the_engines_domain_is_refused_naming_it(entry, path):
    with pytest.raises(RequestError) as caught:
        parse_study_request({**BODY, "space": {"fast": {"low": 5, "high": 20}, **entry}})
    assert caught.value.field == path


def test_a_searched_take_profit_fraction_without_a_take_profit_is_refused():
    space = {"take_profit_fraction": {"low": 0.5, "high": 1}}
    with pytest.raises(RequestError) as caught:
        parse_study_request({**BODY, "space": space})
    assert caught.value.field == "space.take_profit_fraction"
    assert caught.value.message.endswith(TAKE_PROFIT_FRACTION_ALONE)
