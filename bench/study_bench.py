"""Optimisation studies against random search, with the peers measured in the same run
(backtesting.py's GOOG.csv, RSI with a stop-loss).

    .venv/bin/python -m bench.study_bench [--trials 2000] [--random 100000] [--skip-queue]
        [--skip-samplers] [--skip-ask] [--ask-trials 2000,10000] [--skip-importances]
        [--importance-trials 2000,10000,20000]

The space: RSI period 2..200 (a lookback: on a log scale) × oversold 1..50 step 0.25 ×
overbought 50..99 step 0.25 × stop_loss_pct 0.5..20 step 0.5 = 308,919,640 grid points
(long-only, all-in, fee 0.001, 2004-2013).

(a) Quality and the samplers' cost, in one process. Both sides are random: the best of
    100,000 uniformly random grid points (evaluated on the sweeps' batch path,
    ``kinds.sweeps.evaluate``) ranges 0.89-1.07 over seeds on this space, and so does a
    study's best. So each is run with several seeds (``--random-seeds``, ``--study-seeds``):
    random search's best per seed and their median; for each sampler (TPE, CMA-ES, random,
    NSGA-II) studies of ``--trials`` trials run the way the batches run them
    (``kinds.studies.sampling.ask`` on a study rebuilt from the stored trials, 250 trials a
    batch, ``kinds.studies.evaluate``): the best Sharpe per seed, their median, the share of
    (study seed, random seed) pairs where the study is at least as good, and the time per
    trial spent asking.
(b) Wall time through the queue (``tests.stack.LocalStack``: web + local scaler with the
    committed manifest, MariaDB, Redis ``--redis-url``, default db 11): a 100,000-point
    sweep of the same space (a grid of 25 periods × 10 × 10 levels × 40 stops) from POST to
    the last chunk stored, and a study of ``--trials`` trials with the default sampler from
    POST to SUCCEEDED, with its best Sharpe; then the same study one batch at a time
    (``parallelism`` 1, ``cache`` false so it reuses none of the first one's trials): each
    batch is asked after the one before was told, so it asks the points of part (a)'s seed 0.
(c) Asking at the end of a study (``--ask-trials``, default 2,000 and 10,000): a TPE study
    of the largest size (seed 0) is run in process as in (a), with the share of its time
    spent asking; then its next 250-trial batch is asked from its first 2,000 and 10,000
    trials, ours (the finished
    trials as columns, ``kinds.studies.sampling.ask``) next to the reference (the Optuna
    study rebuilt from every trial, Optuna's split, estimators and acquisition:
    ``kinds.studies.batch_tpe.reference_batch``), alternately, the median of
    ``--ask-repeats``; both must draw the same points. Then the same through MariaDB
    (a scratch database): the batch Job's step 2 (``kinds.studies.asking.sample``: one
    query for the columns) next to reading every trial and the reference.
(d) A batch's importances (``kinds.studies.sampling.importances``, stored with every batch
    under the study's lock) at 2,000, 10,000 and 20,000 trials (``--importance-trials``):
    synthetic trials at random grid points of the space (importances need no backtest),
    ours (the complete trials' columns, ``kinds.studies.importance``) next to the
    reference (the trials rebuilt as an Optuna study and its PED-ANOVA evaluator),
    alternately, the median of ``--ask-repeats``; both must give the same importances.
    Then the same after reading every trial from MariaDB, as the batch does.
Goal: the default sampler's median best Sharpe >= random search's median best of
100,000, the study at least as good as a random search in most (study seed, random seed)
pairs (aim: 75 %), in no more wall time than the 100,000-point sweep; (c) at most 1 ms of
asking per trial at 10,000 trials.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from bench.sweep_bench import goog_data_dir, post_and_wait, through_the_queue  # noqa: E402

SAMPLERS = ("tpe", "cmaes", "random", "nsga2")
BATCH = 250

SPACE = {
    "period": {"low": 2, "high": 200, "log": True},
    "oversold": {"low": 1, "high": 50, "step": 0.25},
    "overbought": {"low": 50, "high": 99, "step": 0.25},
    "stop_loss_pct": {"low": 0.5, "high": 20, "step": 0.5},
}

RUN_FIELDS = {
    "ticker": "GOOG",
    "rule_type": "RSI",
    "start_date": "2004-01-01",
    "end_date": "2014-01-01",
    "size_type": "percent",
    "position_size": 100,
    "fee_rate": 0.001,
}


def study_body(trials: int, sampler: str | None = None) -> dict:
    body = {**RUN_FIELDS, "space": SPACE, "n_trials": trials, "batch_size": BATCH}
    return body if sampler is None else {**body, "sampler": sampler}


def grid_values(entry: dict) -> np.ndarray:
    step = entry.get("step") or 1
    count = round((entry["high"] - entry["low"]) / step) + 1
    return entry["low"] + step * np.arange(count)


def grid_points() -> int:
    return int(np.prod([len(grid_values(entry)) for entry in SPACE.values()]))


def random_search(folder: Path, count: int, seed: int = 0) -> tuple[float, float]:
    """The best Sharpe of ``count`` uniformly random grid points, and the seconds taken."""
    from kinds.runs.contract import RunRequest
    from kinds.runs.execute import load_market_data, market_window
    from kinds.studies.contract import breaks_constraint, parse_study_request, trial_params
    from kinds.sweeps.evaluate import evaluate

    stored = parse_study_request(study_body(10)).stored
    rng = np.random.default_rng(seed)
    columns = {name: rng.choice(grid_values(entry), count) for name, entry in SPACE.items()}
    started = time.perf_counter()
    request = RunRequest.from_stored({"run_id": "random", **stored})
    frame = market_window(load_market_data(request, folder))
    params_list, trading = [], []
    for i in range(count):
        swept = {name: columns[name][i].item() for name in SPACE}
        params, stops = trial_params(stored, swept)
        if breaks_constraint(stored["constraints"], params) is None:
            params_list.append(params)
            trading.append(stops)
    sharpe = evaluate(frame, request, params_list, trading=trading)["sharpe_ratio"]
    return float(np.nanmax(sharpe)), time.perf_counter() - started


def run_study(folder: Path, sampler: str, trials: int, seed: int) -> tuple[list, float, float]:
    """A study run batch by batch as the Jobs run it, without the queue and the database:
    its trials, the seconds spent asking and in all."""
    from kinds.studies.contract import parse_study_request
    from kinds.studies.evaluate import evaluate_trials
    from kinds.studies.sampling import TrialRow, ask

    os.environ["DATA_DIR"] = str(folder)
    stored = parse_study_request({**study_body(trials, sampler), "seed": seed}).stored
    rows: list[TrialRow] = []
    asking = 0.0
    started = time.perf_counter()
    while len(rows) < trials:
        began = time.perf_counter()
        asked = ask(stored, rows, min(BATCH, trials - len(rows)), [])
        asking += time.perf_counter() - began
        outcomes, _ = evaluate_trials(stored, asked, "bench")
        for trial, outcome in zip(asked, outcomes, strict=True):
            rows.append(
                TrialRow(trial.number, outcome.state, trial.params, outcome.values,
                         trial.system_attrs)
            )  # fmt: skip
    return rows, asking, time.perf_counter() - started


def study_in_process(folder: Path, sampler: str, trials: int, target: float, seed: int) -> dict:
    """A study run as the Jobs run it (``run_study``): its best, when it beat ``target``,
    its ask cost per trial and its wall time."""
    rows, asking, wall = run_study(folder, sampler, trials, seed)
    values = [r.values[0] if r.values else -np.inf for r in rows]
    beat = next((i for i, v in enumerate(values) if v >= target), None)
    return {"best": max(values), "beat_at": beat, "ask_ms": asking / trials * 1000, "wall_s": wall}


def at_least_as_good(study: list[float], random: list[float]) -> float:
    """The share of (study seed, random seed) pairs where the study's best >= random's."""
    return float(np.mean([[s >= r for r in random] for s in study]))


def part_a(folder: Path, trials: int, random_count: int, random_seeds: int, study_seeds: int):
    print(
        f"(a) {grid_points():,} grid points; {trials:,}-trial studies ({study_seeds} seeds) "
        f"vs {random_count:,} random points ({random_seeds} seeds)"
    )
    randoms = []
    for seed in range(random_seeds):
        best, seconds = random_search(folder, random_count, seed)
        randoms.append(best)
        print(f"  random search, seed {seed}: best Sharpe {best:.4f} ({seconds:.2f} s)")
    target = float(np.median(randoms))
    print(f"  random search, {random_count:,} points: median best Sharpe {target:.4f}")
    medians = {}
    for sampler in SAMPLERS:
        found = [study_in_process(folder, sampler, trials, target, s) for s in range(study_seeds)]
        bests = [f["best"] for f in found]
        medians[sampler] = float(np.median(bests))
        ask_ms = np.mean([f["ask_ms"] for f in found])
        wall = np.mean([f["wall_s"] for f in found])
        print(
            f"  {sampler:6s}: median best {medians[sampler]:.4f} "
            f"({'>=' if medians[sampler] >= target else '<'} random's), "
            f"min {min(bests):.4f}, per seed "
            f"{' / '.join(f'{b:.4f}' for b in bests)}; as good as a random run in "
            f"{at_least_as_good(bests, randoms):.0%} of pairs; ask {ask_ms:.2f} ms/trial, "
            f"in-process {wall:.1f} s a study"
        )
    return target, medians


def grid_sweep_body() -> dict:
    """A 100,000-point sweep of the same space: 25 periods × 10 × 10 levels × 40 stops."""
    return {
        **RUN_FIELDS,
        "grid": {
            "period": [int(v) for v in np.linspace(2, 200, 25).round()],
            "oversold": [float(v) for v in np.linspace(5, 50, 10)],
            "overbought": [float(v) for v in np.linspace(50.25, 95, 10)],
            "stop_loss_pct": [float(v) for v in grid_values(SPACE["stop_loss_pct"])],
        },
    }


def study_through(base_url: str, label: str, body: dict) -> float | None:
    through = post_and_wait(
        base_url, "/api/studies", label, body, ("SUCCEEDED", "FAILED"), 900, "completed_at"
    )
    if through is None:
        return None
    status = through.status
    best = status["best"]["values"][0] if status["best"] else None
    print(
        f"  {label}: {status['status']}, POST → SUCCEEDED {through.wall:5.2f} s, "
        f"{status['counts']['complete']:,} complete + {status['counts']['pruned']:,} pruned, "
        f"best Sharpe {best}"
    )
    return through.wall


def part_b(trials: int, redis_url: str) -> None:
    from kinds.studies.fields import DEFAULT_SAMPLER

    walls = through_the_queue(
        "(b) through the queue: web + local scaler (manifest polling) + MariaDB + Redis",
        [
            ("100,000-point sweep", grid_sweep_body()),
            (f"{trials:,}-trial study ({DEFAULT_SAMPLER})", study_body(trials), study_through),
            (
                f"{trials:,}-trial study ({DEFAULT_SAMPLER}), one batch at a time",
                {**study_body(trials), "parallelism": 1, "cache": False},
                study_through,
            ),
        ],
        redis_url,
    )
    for wall, what in zip(walls[1:], ("", ", one batch at a time"), strict=True):
        if wall is not None and walls[0] is not None:
            print(f"  study{what} / sweep wall: {wall / walls[0]:.2f}")


def reference_ask(stored: dict, rows: list, count: int) -> list[dict]:
    """The batch the rebuilt Optuna study draws (part (c)'s reference)."""
    from kinds.studies.batch_tpe import reference_batch
    from kinds.studies.sampling import _seed, distributions, rebuild

    study = rebuild(stored, rows, seed=_seed(stored, len(rows)))
    return reference_batch(study.sampler, study, distributions(stored["space"]), count)


def alternately(ours, reference, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) median seconds per trial of ``ours()`` (asked trials) and of
    ``reference()`` (their params), run alternately so both see the machine's same minutes;
    they must agree. The process's CPU time is the steadier figure on a loaded machine (it
    leaves out a MariaDB server's time)."""
    mine: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(repeats):
        for function, into in ((ours, mine), (reference, theirs)):
            wall, cpu = time.perf_counter(), time.process_time()
            result = function()
            into.append((time.perf_counter() - wall, time.process_time() - cpu))
            if function is ours:
                asked = [a.params for a in result]
            else:
                assert asked == result, "columns and reference differ"
    return (
        tuple(float(np.median(column)) / BATCH for column in zip(*mine, strict=True)),
        tuple(float(np.median(column)) / BATCH for column in zip(*theirs, strict=True)),
    )


def per_trial(figures: tuple[float, float]) -> str:
    """Wall and CPU milliseconds a trial."""
    return f"{figures[0] * 1000:.2f} ms/trial (CPU {figures[1] * 1000:.2f})"


def stored_study(database_url: str, trials: int, rows: list) -> tuple[str, dict]:
    """A TPE study of the bench's space holding ``rows`` in a fresh schema (part (c))."""
    from kinds.studies.sampling import COMPLETE, PRUNED, Asked
    from kinds.studies.service import study_submission, validate_study
    from kinds.studies.state import insert_asked, store_trial
    from store.db import create_schema, make_engine, make_sessionmaker
    from store.dbapi import Database

    engine = make_engine(database_url)
    create_schema(engine)
    body = {**study_body(trials, "tpe"), "n_trials": 20_000}
    planned = validate_study(body)
    study_id = planned.request.study_id
    with make_sessionmaker(engine).begin() as session:
        study_submission(planned, image_tag="bench").insert(session, "bench")
    engine.dispose()
    database = Database(database_url)
    try:
        with database.transaction() as tx:
            asked = [Asked(r.number, r.params, {}, None) for r in rows]
            insert_asked(tx, study_id, f"{study_id}-b0", asked)
            for r in rows:
                if r.state in (COMPLETE, PRUNED):
                    store_trial(tx, study_id, f"{study_id}-b0", r.number, r.state, r.values, {})
    finally:
        database.close()
    return study_id, planned.request.stored


@contextmanager
def study_in_mariadb(count: int, rows: list) -> Iterator[tuple[Any, str, dict]]:
    """A scratch MariaDB database holding ``rows`` as a stored TPE study (parts (c) and
    (d)): (the database, the study's id, its stored request); dropped afterwards."""
    from store.dbapi import Database
    from tests.databases import scratch_database

    server = os.environ.get("TEST_DATABASE_URL") or "mysql+pymysql://root@127.0.0.1:3306/test"
    with scratch_database(server, "bench") as url:
        study_id, stored = stored_study(url, count, rows)
        database = Database(url)
        try:
            yield database, study_id, stored
        finally:
            database.close()


def part_c(folder: Path, sizes: list[int], repeats: int) -> None:
    from functools import partial

    from kinds.studies.asking import Reservation, sample
    from kinds.studies.contract import parse_study_request
    from kinds.studies.sampling import ask

    print(f"(c) TPE asking a {BATCH}-trial batch at the end of a study (median of {repeats})")
    trials, asking, wall = run_study(folder, "tpe", max(sizes), 0)
    print(f"  a {len(trials):,}-trial study in process: {wall:.1f} s, asking "
          f"{asking / wall:.0%} of it ({asking / len(trials) * 1000:.2f} ms/trial)")  # fmt: skip
    for count in sizes:
        stored = parse_study_request({**study_body(count, "tpe"), "seed": 0}).stored
        rows = trials[:count]
        ours, reference = alternately(
            partial(ask, stored, rows, BATCH, []), partial(reference_ask, stored, rows, BATCH),
            repeats,
        )  # fmt: skip
        print(f"  {count:6,} trials, in process: ask {per_trial(ours)}, "
              f"rebuild reference {per_trial(reference)} (same points)")  # fmt: skip
    for count in sizes:
        with study_in_mariadb(count, trials[:count]) as (database, study_id, stored):
            reservation = Reservation(stored, "", BATCH, count)
            ours, reference = alternately(
                partial(sample, database, study_id, reservation),
                partial(read_and_rebuild, database, study_id, stored),
                repeats,
            )
        print(f"  {count:6,} trials, read from MariaDB: ask {per_trial(ours)}, "
              f"every trial read + rebuild {per_trial(reference)}")  # fmt: skip


def read_and_rebuild(database, study_id: str, stored: dict) -> list[dict]:
    """The reference batch of the study's stored trials, read as every trial (part (c))."""
    from kinds.studies.state import trial_rows

    with database.transaction() as tx:
        rows = trial_rows(tx, study_id)
    return reference_ask(stored, rows, BATCH)


def synthetic_trials(count: int, seed: int = 0) -> list:
    """``count`` trials at uniformly random points of the space's grid with a smooth value
    plus noise (every 20th PRUNED): importances depend on the points and values only, not on
    how they were found, so part (d) needs no backtest."""
    from kinds.studies.sampling import COMPLETE, PRUNED, TrialRow

    rng = np.random.default_rng(seed)
    columns = {name: rng.choice(grid_values(entry), count) for name, entry in SPACE.items()}
    rows = []
    for i in range(count):
        params = {name: column[i].item() for name, column in columns.items()}
        params["period"] = int(params["period"])
        value = np.sin(params["period"] / 30) + params["oversold"] / 50 + rng.normal(0, 0.3)
        complete = i % 20 != 19
        rows.append(TrialRow(i, COMPLETE if complete else PRUNED, params,
                             [round(float(value), 4)] if complete else None, {}))  # fmt: skip
    return rows


def timed(ours, reference, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) median seconds of ``ours()`` and of ``reference()``, run alternately;
    they must return the same."""
    mine: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(repeats):
        results = []
        for function, into in ((ours, mine), (reference, theirs)):
            wall, cpu = time.perf_counter(), time.process_time()
            results.append(function())
            into.append((time.perf_counter() - wall, time.process_time() - cpu))
        assert results[0] == results[1], "columns and reference differ"
    return (
        tuple(float(np.median(column)) for column in zip(*mine, strict=True)),
        tuple(float(np.median(column)) for column in zip(*theirs, strict=True)),
    )


def per_batch(figures: tuple[float, float]) -> str:
    """Wall and CPU milliseconds a batch."""
    return f"{figures[0] * 1000:.1f} ms (CPU {figures[1] * 1000:.1f})"


def part_d(folder: Path, sizes: list[int], repeats: int) -> None:
    from functools import partial

    from kinds.studies.contract import parse_study_request
    from kinds.studies.sampling import importances

    print(f"(d) a batch's importances over every complete trial (median of {repeats})")
    os.environ["DATA_DIR"] = str(folder)  # a study's submission checks its ticker
    stored = parse_study_request({**study_body(max(sizes), "tpe"), "seed": 0}).stored
    trials = synthetic_trials(max(sizes))
    for count in sizes:
        rows = trials[:count]
        ours, reference = timed(partial(importances, stored, rows),
                                partial(reference_of_rows, stored, rows), repeats)  # fmt: skip
        print(f"  {count:6,} trials, in process: columns {per_batch(ours)}, "
              f"rebuilt Optuna study {per_batch(reference)} (same importances)")  # fmt: skip
    for count in sizes:
        with study_in_mariadb(count, trials[:count]) as (database, study_id, stored):
            ours, reference = timed(
                partial(read_importances, database, study_id, stored, importances),
                partial(read_importances, database, study_id, stored, reference_of_rows),
                repeats,
            )
        print(f"  {count:6,} trials, read from MariaDB (every trial, as the batch reads them): "
              f"columns {per_batch(ours)}, rebuilt study {per_batch(reference)}")  # fmt: skip


def reference_of_rows(stored: dict, rows: list) -> dict[str, float] | None:
    """``sampling.importances`` as it was: the complete trials as a rebuilt Optuna study."""
    from kinds.studies.sampling import COMPLETE, MIN_TRIALS_FOR_IMPORTANCE, reference_importances

    complete = [t for t in rows if t.state == COMPLETE and t.values is not None]
    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE or len(stored["space"]) < 2:
        return None
    return reference_importances(stored, [t.params for t in complete],
                                 [t.values for t in complete])  # fmt: skip


def read_importances(database, study_id: str, stored: dict, compute) -> dict | None:
    """The batch's step (``kinds.studies.kind``): every trial read, then ``compute``."""
    from kinds.studies.state import trial_rows

    with database.transaction() as tx:
        rows = trial_rows(tx, study_id)
    return compute(stored, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.study_bench", description=__doc__)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--random", type=int, default=100_000)
    parser.add_argument("--random-seeds", type=int, default=5, help="random searches to run")
    parser.add_argument("--study-seeds", type=int, default=10, help="studies per sampler")
    parser.add_argument("--skip-queue", action="store_true", help="skip (b)")
    parser.add_argument("--skip-samplers", action="store_true", help="skip (a)")
    parser.add_argument("--skip-ask", action="store_true", help="skip (c)")
    parser.add_argument("--ask-trials", default="2000,10000", help="(c)'s study sizes")
    parser.add_argument("--ask-repeats", type=int, default=3, help="(c)'s runs of each")
    parser.add_argument("--skip-importances", action="store_true", help="skip (d)")
    parser.add_argument("--importance-trials", default="2000,10000,20000", help="(d)'s sizes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11", help="(b)'s Redis")
    args = parser.parse_args(argv)
    folder = goog_data_dir()
    if not args.skip_samplers:
        part_a(folder, args.trials, args.random, args.random_seeds, args.study_seeds)
    if not args.skip_ask:
        part_c(folder, [int(n) for n in args.ask_trials.split(",")], args.ask_repeats)
    if not args.skip_importances:
        part_d(folder, [int(n) for n in args.importance_trials.split(",")], args.ask_repeats)
    if not args.skip_queue:
        part_b(args.trials, args.redis_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
