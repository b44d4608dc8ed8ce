"""web/api/walkforward.py on SQLite and a real Redis: 202 with every fold's training chunks
queued (each naming its fold as the follow-up), the rows PENDING, a 400 naming each bad
field, 404s; the reaper lists a fold only once its training sweep has finished."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import select, update

from kinds.sweeps.kind import ON_COMPLETE
from kinds.walkforward.kind import FOLD
from metrics import register, unregister
from store.db import make_engine, make_sessionmaker
from store.models import Sweep, SweepChunk, WalkForwardFold, utcnow
from tests.sweeps.support import SWEEP_QUEUE, queued_chunks, store_chunk, sweep_app
from tests.walkforward.test_walkforward_plan import WALK_METRIC
from tests.web.support import CLOSED_REDIS

pytestmark = pytest.mark.redis

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": [5, 10], "slow": [30, 40]},
    "start_date": "2019-01-01",
    "end_date": "2020-12-31",
    "train_bars": 200,
    "test_bars": 100,
    "chunk_size": 50,
}


@pytest.fixture
def app(sqlite_url, redis_url):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    return sweep_app(sqlite_url, redis_url)


@pytest.fixture
def client(app):
    return app.test_client()


def test_a_walkforward_is_accepted_with_one_training_sweep_per_fold_queued(client, redis_url):
    """505 bars, train 200, test 100: 3 folds of 4 combos; one chunk per fold on the sweep
    queue, each naming its fold's job; the folds and the answer PENDING."""
    response = client.post("/api/walkforward", json=BODY)
    assert response.status_code == 202, response.json
    body = response.json
    assert (body["folds"], body["combos_per_fold"], body["status"]) == (3, 4, "PENDING")
    queued = queued_chunks(redis_url)
    assert len(queued) == 3
    wf_id = body["walkforward_id"]
    assert [m[ON_COMPLETE]["job_id"] for m in queued] == [f"{wf_id}-f{k}" for k in range(3)]
    assert {m[ON_COMPLETE]["function"] for m in queued} == {FOLD.function}
    status = client.get(body["status_url"]).json
    assert status["status"] == "PENDING" and status["oos"] is None
    assert status["progress"] == {"folds": 3, "folds_done": 0, "combos_total": 12, "combos_done": 0}
    folds = status["folds"]
    assert [(f["train"]["bars"], f["test"]["bars"]) for f in folds] == [(200, 100)] * 3
    assert folds[0]["test"]["start"] > folds[0]["train"]["end"]
    assert folds[1]["train"]["end"] == folds[0]["test"]["end"]  # rolling by the test window
    assert status["request"]["step_bars"] == 100 and status["request"]["anchored"] is False
    # each fold's sweep covers exactly its training window's dates
    sweep = client.get(f"/api/sweeps/{folds[2]['sweep_id']}").json
    assert sweep["request"]["start_date"] == folds[2]["train"]["start"][:10]
    assert sweep["request"]["end_date"] == folds[2]["train"]["end"][:10]
    listed = client.get("/api/walkforward").json["walkforwards"]
    assert [w["walkforward_id"] for w in listed] == [wf_id]
    assert listed[0]["url"] == f"/walkforward/{wf_id}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"train_bars": None}, "train_bars"),
        ({"train_bars": 19}, "train_bars"),
        ({"train_bars": 2.5}, "train_bars"),
        ({"test_bars": 0}, "test_bars"),
        ({"step_bars": "10"}, "step_bars"),
        ({"anchored": "yes"}, "anchored"),
        ({"metric": "win_rate_pct"}, "metric"),
        ({"min_trades": -1}, "min_trades"),
        ({"train_bars": 420}, "train_bars"),  # 520 bars do not fit the window's 505
        ({"tickers": ["ACME", "GLOBEX"], "ticker": None}, "tickers"),
        ({"grid": {"fast": [0]}}, "grid.fast"),
        ({"start_date": "2030-01-01", "end_date": "2030-12-31"}, "start_date"),
        ({"fold_size": 3}, "fold_size"),
    ],
)
def test_a_bad_field_is_a_400_naming_it_and_nothing_is_queued(client, redis_url, change, field):
    body = {k: v for k, v in {**BODY, **change}.items() if v is not None}
    response = client.post("/api/walkforward", json=body)
    assert response.status_code == 400, response.json
    assert response.json["field"] == field
    assert queued_chunks(redis_url) == []


ISSUE_23 = {
    "ticker": "ACME",
    "rule_type": "BOLLINGER",
    "grid": {"period": "2:400:1", "std_dev": "0.1:5:0.02"},
    "start_date": "2014-01-01",
    "end_date": "2024-12-31",
    "train_bars": 350,
    "test_bars": 50,
}
"""Issue 23's walk-forward: 399 periods × 246 widths (98,154 combinations) in 48 folds over
ACME's 2,768 bars, 4,711,392 combinations in all (once accepted: 396 chunks, 50 MB)."""


def _refused_nothing_recorded(client, redis_url, body: dict) -> dict:
    response = client.post("/api/walkforward", json=body)
    assert response.status_code == 400, response.json
    assert queued_chunks(redis_url) == []
    assert client.get("/api/walkforward").json["walkforwards"] == []
    return response.json


def test_the_issues_walkforward_of_4_7_million_combinations_is_refused_at_once(client, redis_url):
    """Its grid fits a sweep, its 48 folds take it 47× past REQUEST_MAX_COMBINATIONS: a 400
    naming step_bars (fewer folds) with the total, the cap and the variable, answered in
    well under 200 ms because the combinations are counted, never built; nothing recorded."""
    warm = client.post("/api/walkforward", json={**ISSUE_23, "grid": {"period": [1]}})
    assert warm.json["field"] == "grid.period"  # the request models are loaded
    times = []
    for _ in range(3):  # the best of three: a shared machine's noise is not the code's
        started = time.perf_counter()
        client.post("/api/walkforward", json=ISSUE_23)
        times.append(time.perf_counter() - started)
    refused = _refused_nothing_recorded(client, redis_url, ISSUE_23)
    assert refused["field"] == "step_bars"
    assert "98,154 combinations to run in each of 48 folds, 4,711,392 in all" in refused["error"]
    assert "at most 100,000 (REQUEST_MAX_COMBINATIONS)" in refused["error"]
    assert min(times) < 0.2, f"{min(times):.3f} s to refuse it"


RSI_10K = {
    "ticker": "ACME",
    "rule_type": "RSI",
    "grid": {"period": "5:54:1", "oversold": "10:29:1", "overbought": "50:59:1"},
    "start_date": "2014-01-01",
    "end_date": "2024-12-31",
    "train_bars": 1000,
    "test_bars": 170,
}
"""10,000 combinations in 10 folds over ACME's 2,768 bars: 100,000, the default cap (the
shape of bench.walkforward_bench)."""


def test_a_walkforward_at_the_default_cap_is_accepted_and_one_fold_more_refused(client, redis_url):
    """10 folds × 10,000 = 100,000 combinations are accepted; stepping by 155 bars instead
    of 170 makes 11 folds, 110,000: refused naming step_bars, as is 10 × 21,000; a grid
    past the cap on its own names the grid."""
    accepted = client.post("/api/walkforward", json=RSI_10K)
    assert accepted.status_code == 202, accepted.json
    assert (accepted.json["folds"], accepted.json["combos_per_fold"]) == (10, 10_000)
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    refused = client.post("/api/walkforward", json={**RSI_10K, "step_bars": 155})
    assert refused.status_code == 400, refused.json
    assert refused.json["field"] == "step_bars"
    assert "in each of 11 folds, 110,000 in all" in refused.json["error"]
    assert queued_chunks(redis_url) == []
    grid = {**RSI_10K["grid"], "overbought": "50:70:1"}  # 21,000 a fold: 210,000 in 10
    too_big = client.post("/api/walkforward", json={**RSI_10K, "grid": grid})
    assert too_big.json["field"] == "step_bars"
    grid = {**ISSUE_23["grid"], "std_dev": "0.1:5:0.01"}  # 195,909: past a sweep's limit
    huge = client.post("/api/walkforward", json={**ISSUE_23, "grid": grid})
    assert huge.status_code == 400 and huge.json["field"] == "grid"


@pytest.mark.parametrize(
    ("variable", "cap", "field"),
    [
        ("REQUEST_MAX_COMBINATIONS", 11, "step_bars"),  # 3 folds × 4 combos = 12
        ("REQUEST_MAX_CHUNKS", 2, "chunk_size"),  # 3 folds × 1 chunk = 3
    ],
)
def test_the_caps_configured_lower_refuse_a_walkforward_they_held_at_their_value(
    sqlite_url, redis_url, monkeypatch, variable, cap, field
):
    """Read from the environment like every kind's setting: one under the walk-forward's
    total it is refused naming the field that drives it; at the total it is accepted."""
    monkeypatch.setenv(variable, str(cap))
    refused = _refused_nothing_recorded(
        sweep_app(sqlite_url, redis_url).test_client(), redis_url, BODY
    )
    assert refused["field"] == field and f"({variable})" in refused["error"]
    monkeypatch.setenv(variable, str(cap + 1))
    accepted = sweep_app(sqlite_url, redis_url).test_client().post("/api/walkforward", json=BODY)
    assert accepted.status_code == 202, accepted.json


def _sweep_ids(answer) -> list[str]:
    return [s["sweep_id"] for s in answer.json["sweeps"]]


def test_the_sweeps_list_marks_the_sweeps_that_train_a_fold(client):
    """/api/sweeps?folds=true and /api/sweeps/<id> name the fold a sweep trains; the
    /sweeps?folds=true page says "walk-forward <id8> fold k" under it; an ordinary sweep
    names none."""
    wf_id = client.post("/api/walkforward", json=BODY).json["walkforward_id"]
    plain = client.post("/api/sweeps", json={**BODY, "train_bars": None, "test_bars": None})
    assert plain.status_code == 400  # a sweep refuses walk-forward fields
    body = {k: v for k, v in BODY.items() if k not in ("train_bars", "test_bars")}
    plain_id = client.post("/api/sweeps", json=body).json["sweep_id"]
    answer = client.get("/api/sweeps?folds=true").json
    listed = {s["sweep_id"]: s["walkforward"] for s in answer["sweeps"]}
    assert listed.pop(plain_id) is None
    assert sorted(mark["fold"] for mark in listed.values()) == [0, 1, 2]
    assert {mark["url"] for mark in listed.values()} == {f"/walkforward/{wf_id}"}
    fold_sweep = next(k for k, mark in listed.items() if mark["fold"] == 1)
    assert client.get(f"/api/sweeps/{fold_sweep}").json["walkforward"]["fold"] == 1
    page = client.get("/sweeps?folds=true").get_data(as_text=True)
    assert f"walk-forward {wf_id[:8]} fold 2" in page


def test_the_sweeps_list_leaves_out_the_sweeps_of_walkforward_folds_unless_asked(client):
    """A fold's training sweep belongs to its walk-forward: /api/sweeps and the /sweeps page
    list the user's own sweeps only (their ``total`` too); ``folds=true`` adds the folds'
    (``1`` too; ``false`` is the default); a value that is no yes/no is a 400 naming
    ``folds`` (the page then shows the default list)."""
    body = {k: v for k, v in BODY.items() if k not in ("train_bars", "test_bars")}
    plain_id = client.post("/api/sweeps", json=body).json["sweep_id"]
    wf_id = client.post("/api/walkforward", json=BODY).json["walkforward_id"]
    folds = [f["sweep_id"] for f in client.get(f"/api/walkforward/{wf_id}").json["folds"]]
    own = client.get("/api/sweeps")
    assert _sweep_ids(own) == [plain_id] and own.json["total"] == 1
    assert _sweep_ids(client.get("/api/sweeps?folds=false")) == [plain_id]
    for value in ("true", "1"):
        every = client.get(f"/api/sweeps?folds={value}")
        assert sorted(_sweep_ids(every)) == sorted([plain_id, *folds])
        assert every.json["total"] == 4
    bad = client.get("/api/sweeps?folds=yes")
    assert bad.status_code == 400 and bad.json["field"] == "folds"
    page = client.get("/sweeps").get_data(as_text=True)
    assert f'data-sweep-id="{plain_id}"' in page and "1 total" in page
    assert not any(f'data-sweep-id="{sweep_id}"' in page for sweep_id in folds)
    assert "show walk-forward folds' sweeps" in page and "/sweeps?folds=true" in page
    shown = client.get("/sweeps?folds=true").get_data(as_text=True)
    assert all(f'data-sweep-id="{sweep_id}"' in shown for sweep_id in folds)
    assert "hide walk-forward folds' sweeps" in shown and "4 total" in shown
    assert f'data-sweep-id="{folds[0]}"' not in client.get("/sweeps?folds=yes").get_data(
        as_text=True
    )


def test_redis_down_fails_the_chunks_and_the_folds_and_answers_503(sqlite_url):
    """No Redis: 503 "queue unavailable" naming the walk-forward, which exists FAILED with
    every fold FAILED "queue unavailable"."""
    client = sweep_app(sqlite_url, CLOSED_REDIS).test_client()
    response = client.post("/api/walkforward", json=BODY)
    assert response.status_code == 503 and response.json["error"] == "queue unavailable"
    status = client.get(f"/api/walkforward/{response.json['walkforward_id']}").json
    assert status["status"] == "FAILED"
    assert {(f["status"], f["error_message"]) for f in status["folds"]} == {
        ("FAILED", "queue unavailable")
    }


def test_each_listed_walkforward_shows_its_own_finish_time_as_its_detail_does(sqlite_url):
    """Two walk-forwards FAILED "queue unavailable" (no Redis), the second's training sweeps
    finished an hour later: the list gives each its own ``finished_at``, the detail's."""
    client = sweep_app(sqlite_url, CLOSED_REDIS).test_client()
    first, later = (client.post("/api/walkforward", json=BODY).json["walkforward_id"] for _ in "ab")
    sessions = make_sessionmaker(make_engine(sqlite_url))
    with sessions.begin() as session:
        sweeps = select(WalkForwardFold.sweep_id).where(WalkForwardFold.walkforward_id == later)
        session.execute(
            update(SweepChunk)
            .where(SweepChunk.sweep_id.in_(sweeps))
            .values(completed_at=utcnow() + timedelta(hours=1))
        )
    listed = {w["walkforward_id"]: w for w in client.get("/api/walkforward").json["walkforwards"]}
    for wf_id in (first, later):
        detail = client.get(f"/api/walkforward/{wf_id}").json
        assert detail["status"] == listed[wf_id]["status"] == "FAILED"
        assert listed[wf_id]["finished_at"] == detail["finished_at"] is not None
    assert listed[first]["finished_at"] < listed[later]["finished_at"]


def test_an_unknown_walkforward_is_a_404(client):
    assert client.get("/api/walkforward/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/walkforward/nope/folds.csv").status_code == 404


def test_the_reaper_lists_a_pending_fold_only_once_its_sweep_has_finished(app, client, redis_url):
    """Chunks stored in-process (no RQ job: no follow-up queued): the folds whose sweep is
    done are what the reaper enqueues; a fold whose sweep still has a PENDING chunk is not."""
    client.post("/api/walkforward", json=BODY)
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    for payload in queued_chunks(redis_url)[:2]:
        store_chunk(sessions, payload)
    later = utcnow() + timedelta(minutes=5)
    with sessions.begin() as session:
        listed = FOLD.stuck(session, "PENDING", queue=SWEEP_QUEUE, older_than=later)
        fold_ids = [row.item_id for row in listed]
        sweeps = session.scalars(select(WalkForwardFold.sweep_id)).all()
        assert len(sweeps) == 3 and session.scalars(select(Sweep)).all()
    assert [fold_id.rsplit("-f", 1)[1] for fold_id in fold_ids] == ["0", "1"]


def test_a_walkforward_grid_may_sweep_the_scaling_fields(app, client, redis_url):
    """max_entries × exit_fraction beside the rule's parameters: each fold's training sweep
    carries them, and every stored combination holds its own values."""
    grid = {**BODY["grid"], "max_entries": [1, 3], "exit_fraction": [0.5, 1]}
    response = client.post("/api/walkforward", json={**BODY, "grid": grid})
    assert response.status_code == 202, response.json
    assert response.json["combos_per_fold"] == 16
    payloads = queued_chunks(redis_url)
    assert payloads[0]["grid_params"] == ["fast", "slow", "max_entries", "exit_fraction"]
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    store_chunk(sessions, payloads[0])
    sweep = client.get(f"/api/sweeps/{payloads[0]['sweep_id']}/results?limit=100").json
    swept = {(r["params"]["max_entries"], r["params"]["exit_fraction"]) for r in sweep["results"]}
    assert swept == {(1, 0.5), (1, 1.0), (3, 0.5), (3, 1.0)}


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ({"max_entries": [0]}, "grid.max_entries"),
        ({"max_entries": [101]}, "grid.max_entries"),
        ({"max_entries": [1.5]}, "grid.max_entries"),
        ({"exit_fraction": [0]}, "grid.exit_fraction"),
        ({"exit_fraction": [1.5]}, "grid.exit_fraction"),
        ({"take_profit_fraction": [0.5]}, "grid.take_profit_fraction"),
    ],
)
def test_a_walkforward_grid_with_a_bad_scaling_value_is_a_400_naming_it(
    client, redis_url, grid, field
):
    response = client.post("/api/walkforward", json={**BODY, "grid": {**BODY["grid"], **grid}})
    assert response.status_code == 400, response.json
    assert response.json["field"] == field
    assert queued_chunks(redis_url) == []


def test_the_detail_page_labels_a_registered_metric_and_the_form_does_not_offer_it(client):
    """The stitched curve holds every registered metric, so the detail page's metrics (its
    OOS cards) list it; the form selects by a stored sweep column only, so it is no choice."""
    wf_id = client.post("/api/walkforward", json=BODY).json["walkforward_id"]
    register(WALK_METRIC)
    try:
        detail = client.get(f"/walkforward/{wf_id}").text
        form = client.get("/walkforward").text
    finally:
        unregister(WALK_METRIC.key)
    assert WALK_METRIC.key in detail and WALK_METRIC.label in detail
    assert WALK_METRIC.key not in form
    assert WALK_METRIC.key not in client.get(f"/walkforward/{wf_id}").text
