"""The samplers' side of a study without the queue: batch TPE draws its points where the
good trials are, on the space's grid, deterministic per seed, nothing before its start-up
trials; ``ask`` re-asks FAIL trials' params first and
numbers trials after the stored ones; best trials and the Pareto front."""

from __future__ import annotations

import numpy as np
import optuna

from kinds.studies.batch_tpe import BatchTPESampler
from kinds.studies.sampling import TrialRow, ask, best_trials, distributions

SPACE = {
    "period": {"type": "int", "low": 2, "high": 60, "step": None, "log": False},
    "oversold": {"type": "float", "low": 10.0, "high": 45.0, "step": 0.5, "log": False},
}
STORED = {
    "space": SPACE,
    "objectives": [{"metric": "sharpe_ratio", "direction": "maximize"}],
    "sampler": "tpe",
    "seed": 3,
    "batch_size": 10,
}


def _rows(count: int) -> list[TrialRow]:
    rng = np.random.default_rng(0)
    return [
        TrialRow(
            i, "COMPLETE",
            {"period": int(rng.integers(2, 61)), "oversold": float(rng.integers(20, 91)) / 2},
            [float(rng.normal())], {},
        )
        for i in range(count)
    ]  # fmt: skip


def _study(sampler, rows: list[TrialRow]):
    dists = distributions(SPACE)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.add_trials(
        [
            optuna.trial.create_trial(params=r.params, distributions=dists, values=r.values)
            for r in rows
        ]
    )
    return study


def test_a_batch_concentrates_where_the_good_trials_are():
    """Trials scored -|period - 20|: the batch's periods lie much nearer 20 than the space's
    uniform spread (a median distance of about 15 over 2..60)."""
    rows = [
        TrialRow(r.number, "COMPLETE", r.params, [-abs(r.params["period"] - 20.0)], {})
        for r in _rows(40)
    ]
    batch = BatchTPESampler(seed=5, multivariate=True)
    points = batch.sample_batch(_study(batch, rows), distributions(SPACE), 50)
    assert np.median([abs(p["period"] - 20) for p in points]) <= 6


def _two_regions(params: dict) -> float:
    """Two good regions: period 10 / oversold 15, and (slightly better) 50 / 40."""
    first = -abs(params["period"] - 10) - abs(params["oversold"] - 15) / 2
    second = -abs(params["period"] - 50) - abs(params["oversold"] - 40) / 2 + 0.3
    return max(first, second)


def test_a_batch_keeps_every_good_region_and_spreads_its_points():
    """Good trials in two regions: a 50-point batch from one model puts points near both
    and few on the same grid point (drawn from 24 candidates each it piled 26-29 points
    onto repeats of the better region and none near the other)."""
    rows = [
        TrialRow(r.number, "COMPLETE", r.params, [_two_regions(r.params)], {}) for r in _rows(200)
    ]
    for seed in range(3):
        batch = BatchTPESampler(seed=seed, multivariate=True)
        points = batch.sample_batch(_study(batch, rows), distributions(SPACE), 50)
        assert sum(abs(p["period"] - 10) <= 6 for p in points) >= 5
        assert len({(p["period"], p["oversold"]) for p in points}) >= 30


def test_a_batch_is_on_the_grid_deterministic_and_waits_for_startup():
    """k points inside the space on its steps; the same seed draws the same batch; fewer
    finished trials than n_startup_trials: None (asked one by one)."""
    dists = distributions(SPACE)
    first = BatchTPESampler(seed=1, multivariate=True)
    points = first.sample_batch(_study(first, _rows(30)), dists, 25)
    again = BatchTPESampler(seed=1, multivariate=True)
    assert points == again.sample_batch(_study(again, _rows(30)), dists, 25)
    assert len(points) == 25
    for p in points:
        assert isinstance(p["period"], int) and 2 <= p["period"] <= 60
        assert 10 <= p["oversold"] <= 45 and (p["oversold"] * 2).is_integer()
    early = BatchTPESampler(seed=1, multivariate=True)
    assert early.sample_batch(_study(early, _rows(5)), dists, 3) is None


def test_a_study_asked_one_batch_at_a_time_asks_the_same_points_again():
    """Same stored trials, same seed: the same batch (start-up and model alike)."""
    for rows in ([], _rows(30)):
        assert ask(STORED, rows, 10, []) == ask(STORED, rows, 10, [])
    assert ask(STORED, _rows(30), 10, []) != ask({**STORED, "seed": 4}, _rows(30), 10, [])


def test_ask_reasks_failed_params_first_and_numbers_after_the_stored_trials():
    """The FAIL trial's params come back first, marked retry_of; numbers continue."""
    rows = _rows(12)
    failed = TrialRow(12, "FAIL", {"period": 9, "oversold": 31.5}, None, {})
    asked = ask(STORED, [*rows, failed], 4, [failed])
    assert [a.number for a in asked] == [13, 14, 15, 16]
    assert (asked[0].params, asked[0].retry_of) == (failed.params, 12)
    assert all(a.retry_of is None for a in asked[1:])
    for sampler in ("random", "nsga2", "cmaes"):
        again = ask({**STORED, "sampler": sampler}, [*rows, failed], 3, [failed])
        assert [a.number for a in again] == [13, 14, 15], sampler
        assert (again[0].params, again[0].retry_of) == (failed.params, 12), sampler


def test_best_trials_are_the_best_complete_one_or_the_pareto_front():
    """One objective: the maximum (earliest on ties); two: the non-dominated ones."""
    rows = [
        TrialRow(0, "COMPLETE", {}, [1.0, 5.0], {}),
        TrialRow(1, "COMPLETE", {}, [2.0, 6.0], {}),
        TrialRow(2, "COMPLETE", {}, [0.5, 1.0], {}),
        TrialRow(3, "PRUNED", {}, None, {}),
        TrialRow(4, "COMPLETE", {}, [2.0, 7.0], {}),
    ]
    single = [TrialRow(r.number, r.state, {}, r.values and r.values[:1], {}) for r in rows]
    assert best_trials(STORED, single) == [1]
    two = {
        **STORED,
        "objectives": [
            {"metric": "sharpe_ratio", "direction": "maximize"},
            {"metric": "max_drawdown_pct", "direction": "minimize"},
        ],
    }
    assert best_trials(two, rows) == [0, 1, 2]  # 4 is dominated by 1
