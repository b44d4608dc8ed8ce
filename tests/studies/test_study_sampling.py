"""The samplers' side of a study without the queue: batch TPE draws its points where the
good trials are, on the space's grid, deterministic per seed, nothing before its start-up
trials; ``ask`` re-asks FAIL trials' params first and
numbers trials after the stored ones; best trials and the Pareto front."""

from __future__ import annotations

import numpy as np
import optuna

from kinds.studies.batch_tpe import EXPLOIT_CENTRES, BatchTPESampler, local_points
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


LOCAL_SPACE = {
    **SPACE,
    "stop": {"type": "float", "low": 0.5, "high": 20.0, "step": 0.5, "log": False},
    "window": {"type": "int", "low": 1, "high": 1000, "step": None, "log": True},
    "scale": {"type": "float", "low": 0.01, "high": 10.0, "step": None, "log": True},
}


def test_local_points_stay_on_the_space_near_their_centres_and_repeat_per_seed():
    """Points around the centres: inside the bounds, on the steps, ints as ints, never the
    centre itself, near it (a narrow width), and the same for the same seed."""
    dists = distributions(LOCAL_SPACE)
    centres = [
        {"period": 2, "oversold": 45.0, "stop": 0.5, "window": 1000, "scale": 0.01},
        {"period": 30, "oversold": 20.5, "stop": 7.0, "window": 40, "scale": 1.5},
    ]
    points = local_points(np.random.RandomState(4), dists, centres, 200, 0.03)
    assert points == local_points(np.random.RandomState(4), dists, centres, 200, 0.03)
    assert points != local_points(np.random.RandomState(5), dists, centres, 200, 0.03)
    for i, p in enumerate(points):
        centre = centres[i % 2]
        assert p != centre
        assert isinstance(p["period"], int) and 2 <= p["period"] <= 60
        assert isinstance(p["window"], int) and 1 <= p["window"] <= 1000
        assert 10 <= p["oversold"] <= 45 and (p["oversold"] * 2).is_integer()
        assert 0.5 <= p["stop"] <= 20 and (p["stop"] * 2).is_integer()
        assert 0.01 <= p["scale"] <= 10
        assert abs(p["period"] - centre["period"]) <= 0.2 * 58
        assert abs(np.log(p["scale"] / centre["scale"])) <= 0.2 * np.log(1000)


def _stored_with_budget(n_trials: int) -> dict:
    return {**STORED, "n_trials": n_trials}


def test_late_in_the_budget_half_a_batch_is_drawn_around_the_best_trials():
    """Past EXPLOIT_AFTER of n_trials, half the batch lies within a few steps of the five
    best trials; before it, the batch is plain batch TPE's (the same points)."""
    rows = _rows(60)
    dists = distributions(SPACE)
    best = sorted(rows, key=lambda r: -r.values[0])[:EXPLOIT_CENTRES]
    late = BatchTPESampler(seed=2, multivariate=True, n_trials=100)
    points = late.sample_batch(_study(late, rows), dists, 40)
    assert len(points) == 40
    near = [
        p
        for p in points
        if any(
            abs(p["period"] - b.params["period"]) <= 4
            and abs(p["oversold"] - b.params["oversold"]) <= 2
            for b in best
        )
    ]
    assert len(near) >= 20
    early = BatchTPESampler(seed=2, multivariate=True, n_trials=1000)
    plain = BatchTPESampler(seed=2, multivariate=True)
    assert early.sample_batch(_study(early, rows), dists, 40) == plain.sample_batch(
        _study(plain, rows), dists, 40
    )


def test_a_late_batch_is_asked_again_identically_from_the_stored_trials():
    """A Job killed after asking: asking again from the same stored trials (the default
    sampler, a budget late enough to exploit) gives the same trials."""
    stored = _stored_with_budget(80)
    first = ask(stored, _rows(60), 10, [])
    assert first == ask(stored, _rows(60), 10, [])
    assert [a.number for a in first] == list(range(60, 70))
    assert len({tuple(a.params.values()) for a in first}) == 10
