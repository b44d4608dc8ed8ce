"""A study's parameter importances from the trials' columns (``kinds.studies.importance``)
are Optuna's PED-ANOVA numbers exactly: one objective either way, two objectives (the
Pareto ranking's top), tied values, non-finite values, a parameter some trials lack, a
parameter of one value; too few trials give none."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kinds.studies.importance import columns_of, importances_of
from kinds.studies.sampling import (
    COMPLETE,
    PRUNED,
    TrialRow,
    distributions,
    importances,
    reference_importances,
)

SPACE = {
    "period": {"type": "int", "low": 2, "high": 200, "step": None, "log": True},
    "fast": {"type": "int", "low": 2, "high": 30, "step": None, "log": False},
    "oversold": {"type": "float", "low": 1.0, "high": 50.0, "step": 0.25, "log": False},
    "stop_loss_pct": {"type": "float", "low": 0.5, "high": 20.0, "step": None, "log": False},
    "scale": {"type": "float", "low": 0.01, "high": 10.0, "step": None, "log": True},
}
MAXIMIZE = [{"metric": "sharpe_ratio", "direction": "maximize"}]
MINIMIZE = [{"metric": "max_drawdown_pct", "direction": "minimize"}]


def _stored(objectives: list[dict], space: dict = SPACE) -> dict:
    return {"space": space, "objectives": objectives, "sampler": "tpe", "seed": 0,
            "batch_size": 10}  # fmt: skip


def _trials(count: int, objectives: int = 1, seed: int = 0) -> tuple[list[dict], list[list]]:
    """Random points of ``SPACE`` whose values depend on period and oversold (rounded to two
    decimals: many ties at the quantile's cut)."""
    rng = np.random.default_rng(seed)
    params, values = [], []
    for _ in range(count):
        point = {
            "period": round(math.exp(rng.uniform(math.log(2), math.log(200)))),
            "fast": int(rng.integers(2, 31)),
            "oversold": float(rng.integers(0, 197)) * 0.25 + 1.0,
            "stop_loss_pct": float(rng.uniform(0.5, 20.0)),
            "scale": float(math.exp(rng.uniform(math.log(0.01), math.log(10.0)))),
        }
        base = math.sin(point["period"] / 30) + point["oversold"] / 50
        values.append([round(base + float(rng.normal(0, 0.3)) * (k + 1), 2)
                       for k in range(objectives)])  # fmt: skip
        params.append(point)
    return params, values


def _ours(stored: dict, params: list[dict], values: list[list]) -> dict[str, float]:
    dists = distributions(stored["space"])
    directions = [o["direction"] for o in stored["objectives"]]
    return importances_of(dists, directions, columns_of(list(dists), params), values)


@pytest.mark.parametrize("count", [10, 37, 500, 3000])
@pytest.mark.parametrize("objectives", [MAXIMIZE, MINIMIZE])
def test_one_objectives_importances_from_columns_equal_optunas(count, objectives):
    stored = _stored(objectives)
    params, values = _trials(count, seed=count)
    assert _ours(stored, params, values) == reference_importances(stored, params, values)


@pytest.mark.parametrize("count", [10, 200, 1500])
def test_two_objectives_importances_from_columns_equal_optunas_pareto_ranking(count):
    stored = _stored(MAXIMIZE + MINIMIZE)
    params, values = _trials(count, objectives=2, seed=count)
    assert _ours(stored, params, values) == reference_importances(stored, params, values)


def test_trials_with_a_non_finite_value_are_left_out_as_optuna_leaves_them_out():
    stored = _stored(MAXIMIZE + MINIMIZE)
    params, values = _trials(300, objectives=2, seed=5)
    for at in range(0, 300, 7):
        values[at][at % 2] = math.inf if at % 3 else -math.inf
    assert _ours(stored, params, values) == reference_importances(stored, params, values)


def test_a_parameter_some_trials_lack_and_one_of_a_single_value_score_as_in_optuna():
    space = {**SPACE, "fixed": {"type": "int", "low": 3, "high": 3, "step": None, "log": False}}
    stored = _stored(MAXIMIZE, space)
    params, values = _trials(400, seed=9)
    for at, point in enumerate(params):
        point["fixed"] = 3
        if at % 4 == 0:
            del point["fast"]
    ours = _ours(stored, params, values)
    assert ours == reference_importances(stored, params, values)
    assert ours["fixed"] == 0.0 and ours["period"] > ours["fast"]


def test_a_study_whose_values_all_tie_gives_every_parameter_an_equal_share():
    stored = _stored(MAXIMIZE)
    params, _ = _trials(50, seed=2)
    values = [[1.0]] * 50
    ours = _ours(stored, params, values)
    assert ours == reference_importances(stored, params, values)
    assert set(ours.values()) == {1.0 / len(SPACE)}


def test_the_batchs_importances_count_only_complete_trials_and_need_ten():
    """``sampling.importances`` (what a batch stores): PRUNED trials and trials without values
    are not counted; nine complete trials give None."""
    stored = _stored(MAXIMIZE)
    params, values = _trials(60, seed=4)
    rows = [TrialRow(i, COMPLETE if i % 5 else PRUNED, p, v if i % 5 else None, {})
            for i, (p, v) in enumerate(zip(params, values, strict=True))]  # fmt: skip
    complete = [r for r in rows if r.state == COMPLETE]
    expected = reference_importances(stored, [r.params for r in complete],
                                     [r.values for r in complete])  # fmt: skip
    assert importances(stored, rows) == expected
    nine = [r for r in rows if r.state == PRUNED] + complete[:9]
    assert importances(stored, nine) is None
