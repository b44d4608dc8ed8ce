"""The child of the tearsheet parity test (tests/adapters/test_adapters_tearsheet_parity.py):
run by the peer venv's interpreter (``tests.peer_venv.peer_python``, .venv-bench, where
requirements-bench.txt installs quantstats and empyrical-reloaded), it reads cases as JSON
on stdin — ``{"timestamps": [ISO], "returns": [...], "pnl": [...]}``, bar t's return at
timestamps[t] — and prints each case's peer figures as JSON, NaN as null."""

from __future__ import annotations

import json
import math
import sys
import warnings

import empyrical
import pandas as pd
import quantstats as qs


def _figures(case: dict) -> dict:
    r = pd.Series(case["returns"], index=pd.DatetimeIndex(case["timestamps"]), dtype=float)
    drawdowns = qs.stats.drawdown_details(qs.stats.to_drawdown_series(r))
    figures = {
        "omega_ratio": qs.stats.omega(r),
        "empyrical_omega_ratio": empyrical.omega_ratio(r),
        "smart_sharpe": qs.stats.smart_sharpe(r, periods=case["bars_per_year"]),
        "gain_to_pain_ratio": qs.stats.gain_to_pain_ratio(r),
        "tail_ratio": qs.stats.tail_ratio(r),
        "empyrical_tail_ratio": empyrical.tail_ratio(r),
        "var_95": empyrical.value_at_risk(r),
        "cvar_95": empyrical.conditional_value_at_risk(r),
        "quantstats_var_95": qs.stats.value_at_risk(r),
        "quantstats_cvar_95": qs.stats.conditional_value_at_risk(r),
        "quantstats_cvar_95_historical": qs.stats.conditional_value_at_risk(r, method="historical"),
        "ulcer_index": qs.stats.ulcer_index(r),
        "avg_drawdown_pct": drawdowns["max drawdown"].mean(),
        "win_month": qs.stats.win_rate(r, aggregate="ME"),
        "win_year": qs.stats.win_rate(r, aggregate="YE"),
        "best_day": qs.stats.best(r),
        "worst_day": qs.stats.worst(r),
        "best_month": qs.stats.best(r, aggregate="ME"),
        "worst_month": qs.stats.worst(r, aggregate="ME"),
        "best_year": qs.stats.best(r, aggregate="YE"),
        "worst_year": qs.stats.worst(r, aggregate="YE"),
        "kelly": qs.stats.kelly_criterion(pd.Series(case["pnl"], dtype=float)),
    }
    return {k: None if v is None or math.isnan(float(v)) else float(v) for k, v in figures.items()}


def main() -> None:
    warnings.simplefilter("ignore")
    cases = json.load(sys.stdin)
    json.dump([_figures(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
