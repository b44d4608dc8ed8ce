"""Batch TPE from columns draws exactly what Optuna's own path drew: the log of the normal
CDF and the Parzen estimators' log-density are Optuna's bit for bit; a batch asked from the
finished trials' columns equals ``reference_batch`` (Optuna's split, estimators and
acquisition on a rebuilt study) for one and two objectives, minimised or maximised, with
pruned trials, tied values, continuous and log parameters; random asked of an empty study
equals random asked of the rebuilt one; and a batch asked through the database
(``asking.sample``: the columns read in one query) equals ``ask`` over every stored
trial."""

from __future__ import annotations

import numpy as np
import pytest
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator

from kinds.studies.asking import Reservation, sample
from kinds.studies.batch_tpe import BatchTPESampler, reference_batch
from kinds.studies.sampling import (
    COMPLETE,
    FAIL,
    PRUNED,
    Asked,
    TrialRow,
    _ask_rebuilt,
    _seed,
    ask,
    distributions,
    rebuild,
)
from kinds.studies.service import study_submission, validate_study
from kinds.studies.state import fail_trials, insert_asked, store_trial, trial_rows
from kinds.studies.tpe_density import log_ndtr, log_pdf
from store.db import create_schema, make_engine, make_sessionmaker
from store.dbapi import Database
from tests.studies.support import valid_study

GRID = {
    "period": {"type": "int", "low": 2, "high": 200, "step": None, "log": True},
    "oversold": {"type": "float", "low": 1.0, "high": 50.0, "step": 0.25, "log": False},
    "window": {"type": "int", "low": 5, "high": 60, "step": 5, "log": False},
}
"""Stepped parameters: a log int, a float on a 0.25 grid, an int on steps of 5."""

CONTINUOUS = {
    "fast": {"type": "float", "low": 0.5, "high": 20.0, "step": None, "log": False},
    "scale": {"type": "float", "low": 0.01, "high": 10.0, "step": None, "log": True},
    "period": {"type": "int", "low": 2, "high": 60, "step": None, "log": False},
}
"""Continuous parameters (one on a log scale) beside a stepped one."""

MAXIMISE = [{"metric": "sharpe_ratio", "direction": "maximize"}]
TWO = [
    {"metric": "sharpe_ratio", "direction": "maximize"},
    {"metric": "max_drawdown_pct", "direction": "minimize"},
]


def _stored(space: dict, objectives: list[dict], seed: int = 0) -> dict:
    return {"space": space, "objectives": objectives, "sampler": "tpe", "seed": seed,
            "batch_size": 50}  # fmt: skip


def _point(rng: np.random.Generator, space: dict) -> dict:
    point = {}
    for name, entry in space.items():
        low, high, step = entry["low"], entry["high"], entry["step"]
        if entry["type"] == "int":
            step = step or 1
            point[name] = int(low + step * rng.integers(0, (high - low) // step + 1))
        elif step:
            point[name] = float(low + step * rng.integers(0, round((high - low) / step) + 1))
        else:
            point[name] = float(rng.uniform(low, high))
    return point


def _trials(count: int, space: dict, objectives: int, seed: int = 0) -> list[TrialRow]:
    """COMPLETE trials with values on a coarse grid (so some tie), a tenth PRUNED, a few
    RUNNING and FAIL (the model ignores them)."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(count):
        draw = rng.random()
        state = COMPLETE
        if draw < 0.13:
            state = PRUNED if draw < 0.1 else FAIL if draw < 0.115 else "RUNNING"
        values = [float(np.round(rng.normal(), 1)) for _ in range(objectives)]
        rows.append(TrialRow(number, state, _point(rng, space),
                             values if state == COMPLETE else None, {}))  # fmt: skip
    return rows


def _reference(stored: dict, rows: list[TrialRow], count: int) -> list[dict] | None:
    study = rebuild(stored, rows, seed=_seed(stored, len(rows)))
    return reference_batch(study.sampler, study, distributions(stored["space"]), count)


def test_log_ndtr_is_optunas_bit_for_bit_on_every_branch_and_edge():
    """The far tail's series (a <= -20), the body (log of the CDF by erf/erfc, either side
    of ±1/sqrt 2), the right tail (a > 6), and the boundaries themselves."""
    rng = np.random.default_rng(7)
    edges = [-20.0, np.nextafter(-20.0, 0), np.nextafter(-20.0, -30), 6.0, np.nextafter(6, 7),
             -1.0, 1.0, 0.0, -0.0, 38.5, -1e150, -2 ** 0.5 / 2 * 2 ** 0.5]  # fmt: skip
    a = np.concatenate([rng.uniform(-1e4, 40, 20_000), rng.uniform(-25, 8, 20_000), edges])
    assert np.array_equal(log_ndtr(a), _truncnorm._log_ndtr(a))


@pytest.mark.parametrize("space", [GRID, CONTINUOUS], ids=["stepped", "continuous"])
def test_the_estimators_log_density_is_optunas_bit_for_bit(space):
    """Estimators of 3 to 3,000 observations (below's few, above's many), candidates drawn
    from another estimator, repeated candidates included."""
    dists = distributions(space)
    sampler = BatchTPESampler(seed=0, multivariate=True)
    rng = np.random.default_rng(1)
    for count in (3, 40, 3000):
        observed = [_point(rng, space) for _ in range(count)]
        observations = {name: np.array([float(p[name]) for p in observed]) for name in dists}
        mpe = _ParzenEstimator(observations, dists, sampler._parzen_estimator_parameters)
        samples = mpe.sample(np.random.RandomState(count), 400)
        samples = {name: np.concatenate([v, v[:50]]) for name, v in samples.items()}
        assert np.array_equal(log_pdf(mpe, samples), mpe.log_pdf(samples))


@pytest.mark.parametrize(
    ("space", "objectives", "count"),
    [
        (GRID, MAXIMISE, 12),
        (GRID, MAXIMISE, 400),
        (GRID, [{"metric": "max_drawdown_pct", "direction": "minimize"}], 400),
        (CONTINUOUS, MAXIMISE, 300),
        (GRID, TWO, 300),
        (CONTINUOUS, TWO, 120),
    ],
    ids=["few", "maximise", "minimise", "continuous", "two-objectives", "two-continuous"],
)
def test_a_batch_from_columns_is_the_batch_optunas_path_draws(space, objectives, count):
    """Several seeds each: the same points in the same order as Optuna's own path."""
    for seed in range(3):
        stored = _stored(space, objectives, seed)
        rows = _trials(count, space, len(objectives), seed)
        asked = ask(stored, rows, 40, [])
        assert [a.params for a in asked] == _reference(stored, rows, 40)
        assert [a.number for a in asked] == list(range(count, count + 40))


def test_a_batch_skips_trials_lacking_a_parameter_as_optuna_does():
    """A finished trial without every searched parameter is left out of the model."""
    stored = _stored(GRID, MAXIMISE, 2)
    rows = _trials(200, GRID, 1, 2)
    rows[5] = TrialRow(5, COMPLETE, {"period": 9, "oversold": 20.0}, [3.0], {})
    rows[9] = TrialRow(9, PRUNED, {"window": 10}, None, {})
    assert [a.params for a in ask(stored, rows, 30, [])] == _reference(stored, rows, 30)


def test_before_its_start_up_trials_a_batch_is_asked_point_by_point():
    """Fewer than ten finished trials: no model (Optuna's start-up asks)."""
    stored = _stored(GRID, MAXIMISE, 1)
    rows = _trials(8, GRID, 1, 1)
    assert _reference(stored, rows, 5) is None
    assert len(ask(stored, rows, 5, [])) == 5


def test_random_asked_of_no_trial_is_random_asked_of_every_trial():
    """The random sampler ignores the trials: the same retries, points and numbers."""
    stored = {**_stored(GRID, MAXIMISE, 4), "sampler": "random"}
    rows = _trials(300, GRID, 1, 4)
    retries = [r for r in rows if r.state == FAIL][:3]
    asked = ask(stored, rows, 20, retries, 310)
    assert asked == _ask_rebuilt(stored, rows, len(rows), 20, retries, 310)
    assert [a.retry_of for a in asked[:3]] == [r.number for r in retries]
    assert [a.number for a in asked] == list(range(300, 320))


def _store(database: Database, study_id: str, rows: list[TrialRow]) -> None:
    """``rows`` as a batch would leave them: asked, then told (FAIL: its batch died)."""
    batch = f"{study_id}-b0"
    with database.transaction() as tx:
        insert_asked(tx, study_id, batch, [Asked(r.number, r.params, {}, None) for r in rows])
        for row in rows:
            if row.state in (COMPLETE, PRUNED):
                store_trial(tx, study_id, batch, row.number, row.state, row.values, {})
        fail_trials(tx, study_id, [r.number for r in rows if r.state == FAIL])


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request) -> str:
    """A fresh database on SQLite and on MariaDB (the columns' query runs on both)."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_mysql_url")


@pytest.mark.parametrize("sampler", ["tpe", "random"])
def test_a_batch_asked_through_the_database_reads_columns_and_asks_the_same(database_url, sampler):
    """``asking.sample`` for a TPE study (the finished trials' params and values read as
    columns) or a random one (the count alone), the FAIL trials due re-asked first, asks
    what ``ask`` asks of every stored trial."""
    engine = make_engine(database_url)
    create_schema(engine)
    request = valid_study(n_trials=400, batch_size=30, seed=5, sampler=sampler)
    planned = validate_study(request)
    study_id, stored = planned.request.study_id, planned.request.stored
    with make_sessionmaker(engine).begin() as session:
        study_submission(planned, image_tag="test").insert(session, "sweep-test")
    database = Database(database_url)
    try:
        _store(database, study_id, _trials(150, stored["space"], 1, 3))
        with database.transaction() as tx:
            trials = trial_rows(tx, study_id)
        retries = [t for t in trials if t.state == FAIL]
        reservation = Reservation(stored, "hash", 30, 160)
        asked = sample(database, study_id, reservation)
        assert asked == ask(stored, trials, 30, retries, 160)
        assert [a.retry_of for a in asked[: len(retries)]] == [t.number for t in retries]
        assert asked[len(retries)].params != asked[len(retries) + 1].params
    finally:
        database.close()
        engine.dispose()
