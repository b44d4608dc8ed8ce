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
