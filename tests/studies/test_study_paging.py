"""A study with many trials through web/api/studies.py (SQLite, real Redis; the trials
stored as batches would): its status document keeps one size whatever its trial count (the
history sampled, a long Pareto front shown in part, counted whole), the trials are read a
page at a time in a chosen order (400 naming a bad ``page``, ``per_page``, ``sort`` or
``order``), the CSV is streamed; the Pareto front is the one every pair compared gives."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest

from kinds.studies.sampling import pareto_front
from kinds.studies.view import BEST_TRIALS_SHOWN, HISTORY_POINTS
from metrics import sweep_metric_keys
from store.clock import utcnow
from store.models import StudyTrial
from tests.studies.support import valid_study
from web.db import get_database

pytestmark = pytest.mark.redis

OBJECTIVES = [
    {"metric": "sharpe_ratio", "direction": "maximize"},
    {"metric": "max_drawdown_pct", "direction": "minimize"},
]


def _study(app, client, n_trials: int, *, two: bool = False, seed: int = 0) -> str:
    """A paused study of ``n_trials`` trials stored as its batches would (every fifth
    PRUNED, the others COMPLETE with every sweep metric); its id. With ``two`` objectives
    every COMPLETE trial is on the Pareto front (Sharpe and drawdown rise together)."""
    fields = {"objectives": OBJECTIVES} if two else {}
    answer = client.post("/api/studies", json=valid_study(n_trials=n_trials, **fields))
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    assert client.post(f"/api/studies/{study_id}/pause").status_code == 200
    draw = random.Random(seed)
    keys = sweep_metric_keys()
    with get_database(app).sessionmaker.begin() as session:
        for number in range(n_trials):
            pruned = number % 5 == 4
            sharpe = draw.uniform(-1, 2)
            metrics = {key: draw.uniform(-100, 100) for key in keys}
            metrics.update(sharpe_ratio=sharpe, max_drawdown_pct=10 + 5 * sharpe)
            values = [sharpe, metrics["max_drawdown_pct"]] if two else [sharpe]
            params = {
                "period": draw.randint(2, 30),
                "oversold": draw.randint(20, 90) / 2,
                "overbought": draw.randint(110, 180) / 2,
            }
            session.add(
                StudyTrial(
                    study_id=study_id, number=number, batch_id=f"{study_id}-b0",
                    state="PRUNED" if pruned else "COMPLETE", params_json=json.dumps(params),
                    values_json=None if pruned else json.dumps(values),
                    metrics_json=json.dumps(metrics), started_at=utcnow(),
                    completed_at=utcnow(),
                )
            )  # fmt: skip
    return study_id


def test_the_status_document_keeps_its_size_whatever_the_trial_count(app, client):
    """700 and 2,800 trials: the documents are the same size within 2%; the history holds
    HISTORY_POINTS trials with the best trial and the exact best so far; counts are whole."""
    sizes = {}
    for n_trials in (700, 2800):
        study_id = _study(app, client, n_trials)
        answer = client.get(f"/api/studies/{study_id}")
        assert answer.status_code == 200
        sizes[n_trials] = len(answer.data)
        body = answer.json
        complete = n_trials - n_trials // 5
        assert body["counts"]["complete"] == complete and body["counts"]["pruned"] == n_trials // 5
        trials = client.get(f"/api/studies/{study_id}/trials?sort=values.0&order=desc").json
        best = trials["trials"][0]
        assert body["best"]["number"] == best["number"] and body["best_trials_total"] == 1
        history = body["history"]
        assert len(history) == HISTORY_POINTS == body["history_limit"]
        assert best["number"] in [point["number"] for point in history]
        assert history[-1]["best_so_far"] == best["values"]
        assert [p["number"] for p in history] == sorted(p["number"] for p in history)
    assert sizes[2800] <= sizes[700] * 1.02, sizes
    assert sizes[2800] < 64_000, sizes


def test_a_long_pareto_front_is_shown_in_part_and_counted_whole(app, client):
    """Every COMPLETE trial on the front: BEST_TRIALS_SHOWN of it shown, both ends of the
    first objective among them, each in the history; best_trials_total counts the front."""
    study_id = _study(app, client, 700, two=True)
    body = client.get(f"/api/studies/{study_id}").json
    front = body["pareto_front"]
    assert body["best"] is None and front == body["best_trials"]
    assert len(front) == BEST_TRIALS_SHOWN and body["best_trials_total"] == 560
    sharpes = [t["values"][0] for t in front]
    everything = client.get(f"/api/studies/{study_id}/trials?sort=values.0").json["trials"]
    ranked = [t["values"][0] for t in everything if t["values"]]
    assert (min(sharpes), max(sharpes)) == (ranked[0], ranked[-1])
    assert {t["number"] for t in front} <= {p["number"] for p in body["history"]}


def test_the_pareto_front_is_the_one_every_pair_compared_gives():
    """Random points with ties on either value and repeated points: the same numbers as
    keeping the points no other dominates, found by comparing every pair."""
    draw = random.Random(3)
    for size in (1, 2, 7, 60, 300):
        points = [(n, draw.randint(0, 12) / 4, draw.randint(0, 12) / 4) for n in range(size)]
        points += [(size + k, a, b) for k, (_, a, b) in enumerate(points[:3])]
        dominated = {
            n
            for n, a, b in points
            if any(c >= a and d >= b and (c, d) != (a, b) for _, c, d in points)
        }
        assert pareto_front(points) == sorted(n for n, _, _ in points if n not in dominated)


def test_trials_are_read_a_page_at_a_time_in_the_order_asked(app, client):
    """Default: the first 1,000 in number order with the total; page/per_page; sorted by an
    objective (trials without a value last), a parameter, a metric, the state."""
    study_id = _study(app, client, 1200)
    url = f"/api/studies/{study_id}/trials"
    first = client.get(url).json
    assert (first["page"], first["per_page"], first["total"], first["pages"]) == (1, 1000, 1200, 2)
    assert [t["number"] for t in first["trials"]] == list(range(1000))
    assert (first["sort"], first["order"]) == ("number", "asc")
    last = client.get(f"{url}?page=2").json["trials"]
    assert [t["number"] for t in last] == list(range(1000, 1200))
    assert client.get(f"{url}?page=3").json["trials"] == []
    page = client.get(f"{url}?page=3&per_page=7&order=desc").json["trials"]
    assert [t["number"] for t in page] == list(range(1185, 1178, -1))

    by_value = client.get(f"{url}?sort=values.0&order=desc&per_page=1000&page=1").json["trials"]
    values = [t["values"][0] for t in by_value if t["values"]]
    assert values == sorted(values, reverse=True) and len(values) == 960
    tail = client.get(f"{url}?sort=values.0&order=desc&page=2").json["trials"]
    assert [t["state"] for t in tail] == ["PRUNED"] * 200  # no value: last, in number order
    assert [t["number"] for t in tail] == sorted(t["number"] for t in tail)
    by_period = client.get(f"{url}?sort=params.period&per_page=50").json["trials"]
    periods = [t["params"]["period"] for t in by_period]
    assert periods == sorted(periods) and periods[0] == 2
    by_metric = client.get(f"{url}?sort=metrics.num_trades&order=desc&per_page=5").json["trials"]
    trades = [t["metrics"]["num_trades"] for t in by_metric]
    assert trades == sorted(trades, reverse=True)
    by_state = client.get(f"{url}?sort=state&order=desc&per_page=3").json["trials"]
    assert [(t["state"], t["number"]) for t in by_state] == [("PRUNED", n) for n in (4, 9, 14)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=1001", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("sort=values.1", "sort"),
        ("sort=params.nope", "sort"),
        ("sort=__class__", "sort"),
        ("order=up", "order"),
        ("format=xml", "format"),
    ],
)
def test_a_bad_page_or_order_is_a_400_naming_it(app, client, query, field):
    study_id = _study(app, client, 3)
    answer = client.get(f"/api/studies/{study_id}/trials?{query}")
    assert (answer.status_code, answer.json["field"]) == (400, field)


def test_the_csv_of_every_trial_is_streamed(app, client):
    """trials.csv is a streamed body holding every trial past the first thousand rows."""
    study_id = _study(app, client, 1500)
    answer = client.get(f"/api/studies/{study_id}/trials.csv")
    assert answer.status_code == 200 and answer.is_streamed
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert [int(row["number"]) for row in rows] == list(range(1500))
