"""A study searches the $names of a position-aware exit and of a size expression
(docs/execution.md, "Position-aware exits", "Position size as an expression"): both are
space entries, and a trial's run request carries its values where a run takes them."""

from __future__ import annotations

from kinds.runs.contract import parse_request
from kinds.runs.execute import execute
from kinds.studies.contract import parse_study_request, trial_run_request


def test_a_study_searches_a_time_exit_and_a_risk_per_trade():
    study = parse_study_request(
        {
            "ticker": "ACME",
            "rule_type": "EXPR",
            "params": {"entry": "crossover(close, sma(close, 20))", "exit": "bars_held >= $n"},
            "start_date": "2016-01-01",
            "end_date": "2019-06-30",
            "n_trials": 10,
            "size_expr": {"expr": "$risk * equity / (2 * atr(14))", "unit": "shares"},
            "space": {"n": {"low": 2, "high": 30}, "size_expr.risk": {"low": 0.005, "high": 0.05}},
        }
    )
    stored = study.to_dict()
    assert set(stored["space"]) == {"n", "size_expr.risk"}
    outcomes = set()
    for n, risk in ((3, 0.01), (12, 0.01), (3, 0.04)):
        body = trial_run_request(stored, {"n": n, "size_expr.risk": risk})
        assert body["params"]["n"] == n and body["size_expr"]["params"] == {"risk": risk}
        metrics = execute(parse_request({**body, "charts": False})).metrics
        outcomes.add(metrics["total_return_pct"])
    assert len(outcomes) == 3


def test_a_study_over_a_hold_compared_with_bars_held_tries_whole_numbers_only():
    """``$hold`` compared with ``bars_held`` is a count of bars: its space entry is an int
    range, and every sampler asks whole numbers of it, which a trial's run keeps as ints
    (``$lo``, a plain number, stays a float range)."""
    from kinds.studies.sampling import ask

    request = {
        "ticker": "ACME",
        "rule_type": "EXPR",
        "params": {"entry": "rsi(close, 14) < $lo", "exit": "bars_held >= $hold"},
        "start_date": "2016-01-01",
        "end_date": "2019-06-30",
        "n_trials": 40,
        "space": {"hold": {"low": 2, "high": 12}, "lo": {"low": 25, "high": 45}},
    }
    stored = parse_study_request(request).to_dict()
    assert stored["space"]["hold"]["type"] == "int"
    assert stored["space"]["lo"]["type"] == "float"
    for sampler in ("tpe", "random", "cmaes", "nsga2"):
        asked = ask({**stored, "sampler": sampler}, [], 40, [])
        holds = [trial.params["hold"] for trial in asked]
        assert all(type(hold) is int and 2 <= hold <= 12 for hold in holds), sampler
        assert len(set(holds)) > 3, sampler
    body = trial_run_request(stored, asked[0].params)
    assert parse_request({**body, "charts": False}).params["hold"] == asked[0].params["hold"]
    assert type(parse_request({**body, "charts": False}).params["hold"]) is int
