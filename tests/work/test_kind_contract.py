"""A kind's whole contract is its ``WorkKind``: a kind that is only its package
(``tests.work.cubes``), its registry line (``register``) and its migration (run here on the
test database) gets, with nothing else in the platform edited, its submission, status,
sharing, list, schema and checks, tenancy (another user's 404), rate limit, page and
navigation entry, discovery, the bulk command and the notebook client — as two users in
AUTH_MODE=token, on real Redis."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import Flask

from backtest_client import BacktestRequestError, Client
from kinds.registry import register, unregister
from scripts.bulk_submit import main as bulk_main
from tests import loopback
from tests.studies.test_study_web import drain
from tests.sweeps.support import compute_queued_chunks
from tests.web.support import jobs_here, serve
from tests.web.support_auth import bearer, new_token, token_app
from tests.work.cubes import migration
from tests.work.cubes.kind import CUBE
from tests.work.cubes.search import SEARCH
from web.db import get_engine
from web.queue import get_run_queue
from web.ratelimit import limited_endpoints
from work.lifecycle import run_item

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(sqlite_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The platform in AUTH_MODE=token with the cube kind registered and migrated."""
    register(CUBE)
    try:
        built = token_app(sqlite_url, redis_url, tmp_path / "data")
        with (
            get_engine(built).begin() as connection,
            Operations.context(MigrationContext.configure(connection)),
        ):
            migration.upgrade()
        yield from serve(built)
    finally:
        unregister(CUBE)


@pytest.fixture
def jobs(monkeypatch, sqlite_url: str, tmp_path: Path) -> Iterator[None]:
    """Cube items executed in this process read the app's database."""
    yield from jobs_here(monkeypatch, sqlite_url, tmp_path / "data")


@pytest.fixture
def users(app: Flask) -> dict[str, str]:
    return {"alice": new_token(app, "alice"), "bob": new_token(app, "bob")}


def _as(app: Flask, token: str):
    client = app.test_client()

    def send(method: str, url: str, body=None, accept: str = "application/json"):
        headers = {**bearer(token), "Accept": accept}
        return client.open(url, method=method, headers=headers, json=body)

    return send


def _execute(app: Flask, cube_id: str) -> None:
    """What a consumer does with the queued item (its stored message)."""
    answer = app.test_client().get(f"/api/cubes/{cube_id}")  # no token: 401, nothing read
    assert answer.status_code == 401
    run_item(CUBE, {"cube_id": cube_id})


def test_no_platform_file_names_the_toy_kind():
    """The kind below is its package, its registry line and its migration: nothing outside
    tests/ and docs/ names it."""
    listed = subprocess.run(
        ["git", "grep", "-il", "cube", "--", ".", ":!tests", ":!docs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.stdout == ""


def test_a_declared_kind_is_submitted_read_shared_listed_and_checked(app, users, jobs):
    """Submit (202, queued, owned by the submitter), status (PENDING, then SUCCEEDED with its
    result column), bad input (400 naming the field, nothing recorded), the schema and the
    checks without submitting, the list, sharing, and the rate limit's budget."""
    alice, bob = _as(app, users["alice"]), _as(app, users["bob"])
    accepted = alice("POST", "/api/cubes", {"n": 3})
    assert accepted.status_code == 202, accepted.get_json()
    cube_id = accepted.get_json()["cube_id"]
    assert accepted.headers["Location"] == f"/api/cubes/{cube_id}"
    assert get_run_queue(app).of(CUBE).job_ids == [cube_id]  # queued on the shared queue
    status = alice("GET", f"/api/cubes/{cube_id}").get_json()
    assert (status["status"], status["created_by"], status["request"]["n"]) == (
        "PENDING",
        "alice",
        3,
    )
    _execute(app, cube_id)
    status = alice("GET", f"/api/cubes/{cube_id}").get_json()
    assert (status["status"], status["cube"]) == ("SUCCEEDED", 27)

    refused = alice("POST", "/api/cubes", {"n": -1})
    assert refused.status_code == 400 and refused.get_json()["field"] == "n"
    assert alice("POST", "/api/cubes", {"n": 1, "m": 2}).get_json()["field"] == "m"
    assert alice("POST", "/api/cubes", {}).get_json() == {"error": "is required", "field": "n"}
    assert [c["cube_id"] for c in alice("GET", "/api/cubes").get_json()["cubes"]] == [cube_id]

    assert alice("GET", "/api/schema/cube").get_json()["properties"]["n"]["maximum"] == 1000
    assert alice("POST", "/api/schema/cube/validate", {"n": 2}).get_json() == {"valid": True}
    checked = alice("POST", "/api/schema/cube/validate", {"n": "x"})
    assert checked.status_code == 400 and checked.get_json()["field"] == "n"
    assert len(alice("GET", "/api/cubes").get_json()["cubes"]) == 1  # checks record nothing

    assert limited_endpoints()["cubes.submit"] == "submissions"
    shared = alice("PATCH", f"/api/cubes/{cube_id}", {"shared": "yes"})
    assert shared.status_code == 400 and shared.get_json()["field"] == "shared"
    assert alice("PATCH", f"/api/cubes/{cube_id}", {"shared": True}).get_json() == {
        "cube_id": cube_id,
        "shared": True,
    }
    assert bob("GET", f"/api/cubes/{cube_id}").get_json()["cube"] == 27


def test_another_users_cube_is_the_404_of_a_missing_one_until_shared(app, users):
    """Tenancy: bob's read, share and list of alice's cube answer as a missing id does;
    shared, he reads it and lists it, and a change is 403 read-only."""
    alice, bob = _as(app, users["alice"]), _as(app, users["bob"])
    cube_id = alice("POST", "/api/cubes", {"n": 2}).get_json()["cube_id"]
    missing = str(uuid.uuid4())
    for method, body in (("GET", None), ("PATCH", {"shared": True})):
        refused = bob(method, f"/api/cubes/{cube_id}", body)
        assert refused.status_code == 404, method
        assert refused.get_json() == bob(method, f"/api/cubes/{missing}", body).get_json()
    assert cube_id not in bob("GET", "/api/cubes").get_data(as_text=True)
    assert cube_id not in bob("GET", "/cubes", accept="text/html").get_data(as_text=True)

    assert alice("PATCH", f"/api/cubes/{cube_id}", {"shared": True}).status_code == 200
    assert bob("GET", f"/api/cubes/{cube_id}").get_json()["shared"] is True
    assert cube_id in bob("GET", "/api/cubes").get_data(as_text=True)
    read_only = bob("PATCH", f"/api/cubes/{cube_id}", {"shared": False})
    assert read_only.status_code == 403 and read_only.get_json()["field"] == "created_by"


def test_a_declared_kinds_page_renders_its_items_and_joins_every_pages_navigation(app, users):
    """``/cubes`` renders the kind's template with the viewer's items; the navigation bar of
    another page links it; ``GET /api/kinds`` lists the kind with its URLs."""
    alice = _as(app, users["alice"])
    cube_id = alice("POST", "/api/cubes", {"n": 4}).get_json()["cube_id"]
    page = alice("GET", "/cubes", accept="text/html")
    assert page.status_code == 200 and cube_id in page.get_data(as_text=True)
    assert 'href="/cubes"' in alice("GET", "/sweeps", accept="text/html").get_data(as_text=True)
    (listed,) = [k for k in alice("GET", "/api/kinds").get_json()["kinds"] if k["noun"] == "cube"]
    assert listed == {
        "name": "cube",
        "resource": "cubes",
        "noun": "cube",
        "id_field": "cube_id",
        "submit_url": "/api/cubes",
        "list_url": "/api/cubes",
        "status_url": "/api/cubes/{id}",
        "schema_url": "/api/schema/cube",
        "validate_url": "/api/schema/cube/validate",
        "page_url": "/cubes",
    }


def test_the_bulk_command_and_the_client_reach_a_declared_kind(
    app, users, jobs, tmp_path, monkeypatch, capsys
):
    """``bulk_submit kind cubes FILE`` submits each request of the file as the token's
    user; the client lists the kind, checks a request, submits one and waits for it."""
    monkeypatch.setenv("BACKTEST_TOKEN", users["alice"])
    requests_file = tmp_path / "cubes.json"
    requests_file.write_text(json.dumps([{"n": 5}, {"n": 6}]), encoding="utf-8")
    with loopback.wsgi(app) as url:
        assert bulk_main(["--url", url, "kind", "cubes", str(requests_file), "--no-wait"]) == 0
        client = Client(url)
        listed = {c["cube_id"]: c for c in client.http.get_json("/api/cubes")["cubes"]}
        assert sorted(c["request"]["n"] for c in listed.values()) == [5, 6]
        assert {c["created_by"] for c in listed.values()} == {"alice"}
        printed = capsys.readouterr().out
        assert all(f"cubes {cube_id}: submitted" in printed for cube_id in listed)

        assert "cubes" in [kind["resource"] for kind in client.kinds()]
        with pytest.raises(BacktestRequestError) as refused:
            client.check("cube", {"n": 1001})
        assert refused.value.field == "n"
        item = client.submit_item("cubes", {"n": 7})
        _execute(app, item.item_id)
        assert item.wait(timeout=10)["cube"] == 343
        assert client.get_item("cubes", item.item_id).refresh()["status"] == "SUCCEEDED"


def _alone(app: Flask, send, request: dict) -> dict:
    """The cube of ``request`` submitted on its own (its id left out) and executed: its
    status document."""
    body = {name: value for name, value in request.items() if name != CUBE.id_field}
    accepted = send("POST", "/api/cubes", body)
    assert accepted.status_code == 202, accepted.get_json()
    cube_id = accepted.get_json()["cube_id"]
    _execute(app, cube_id)
    return send("GET", f"/api/cubes/{cube_id}").get_json()


def test_a_declared_search_sweeps_the_kind_over_a_grid_each_point_its_cube_alone(app, users, jobs):
    """``POST /api/sweeps`` with ``kind: "cube"`` over the declared ``n`` and ``sign``: the
    chunks run on the consumer's path, every row's metrics are its point's cube and each
    combo's request, submitted alone, stores that cube; the table, CSV, sweep page and
    overfitting statistics read it; bob's read is the 404 of a missing sweep."""
    alice, bob = _as(app, users["alice"]), _as(app, users["bob"])
    body = {"kind": "cube", "base": {"n": 2}, "grid": {"sign": ["+", "-"], "n": "1:4:1"}}
    accepted = alice("POST", "/api/sweeps", {**body, "chunk_size": 3})
    assert accepted.status_code == 202, accepted.get_json()
    sweep_id = accepted.get_json()["sweep_id"]
    assert compute_queued_chunks(app) == 3  # 8 points in chunks of 3
    status = alice("GET", f"/api/sweeps/{sweep_id}").get_json()
    assert (status["status"], status["combos"], status["rule_type"]) == ("SUCCEEDED", 8, "cube")

    rows = alice("GET", f"/api/sweeps/{sweep_id}/results?per_page=100&sort=combo_no")
    rows = rows.get_json()["results"]
    assert [row["params"] for row in rows[:3]] == [
        {"n": 1, "sign": "+"},
        {"n": 1, "sign": "-"},
        {"n": 2, "sign": "+"},
    ]
    for row in rows:
        combo = alice("GET", f"/api/sweeps/{sweep_id}/combos/{row['combo_no']}").get_json()
        assert combo["kind"] == "cube"
        assert {name: combo["request"][name] for name in row["params"]} == row["params"]
        alone = _alone(app, alice, combo["request"])
        assert row["metrics"]["total_return_pct"] == alone["cube"]
        assert row["metrics"]["num_trades"] == row["params"]["n"]
        assert SEARCH.evaluate_one(combo["request"]).text == json.dumps({"cube": alone["cube"]})
        assert row["metrics"]["max_drawdown_pct"] is None  # a figure the kind does not have
    assert sorted(row["metrics"]["total_return_pct"] for row in rows)[:2] == [-64, -27]

    table = alice("GET", f"/api/sweeps/{sweep_id}/results.csv", accept="text/csv")
    lines = list(csv.reader(io.StringIO(table.get_data(as_text=True))))
    assert lines[0][:4] == ["combo_no", "ticker", "n", "sign"] and len(lines) == 9
    page = alice("GET", f"/sweeps/{sweep_id}", accept="text/html")
    assert page.status_code == 200  # a point runs alone as a cube, shown by its status
    assert '"run_url": "/api/cubes/RUN_ID"' in page.get_data(as_text=True)
    assert '"id_field": "cube_id"' in page.get_data(as_text=True)
    assert sweep_id in alice("GET", "/sweeps", accept="text/html").get_data(as_text=True)
    stats = alice("GET", f"/api/sweeps/{sweep_id}/overfitting").get_json()
    assert stats["tickers"][0]["combinations"] == 8 and "pbo" in stats["tickers"][0], stats

    missing = bob("GET", f"/api/sweeps/{uuid.uuid4()}")
    refused = bob("GET", f"/api/sweeps/{sweep_id}")
    assert refused.status_code == 404 and refused.get_json() == missing.get_json()


def test_a_random_sweep_of_a_declared_kind_samples_that_many_of_its_points(app, users, jobs):
    alice = _as(app, users["alice"])
    body = {"kind": "cube", "base": {"n": 2}, "grid": {"n": "0:9:1", "sign": ["+", "-"]}}
    accepted = alice("POST", "/api/sweeps", {**body, "random": {"points": 5, "seed": 7}})
    assert accepted.status_code == 202, accepted.get_json()
    sweep_id = accepted.get_json()["sweep_id"]
    compute_queued_chunks(app)
    status = alice("GET", f"/api/sweeps/{sweep_id}").get_json()
    assert (status["status"], status["combos"]) == ("SUCCEEDED", 5)
    rows = alice("GET", f"/api/sweeps/{sweep_id}/results?per_page=100").get_json()["results"]
    assert len({(row["params"]["n"], row["params"]["sign"]) for row in rows}) == 5
    for row in rows:
        combo = alice("GET", f"/api/sweeps/{sweep_id}/combos/{row['combo_no']}").get_json()
        assert row["metrics"]["total_return_pct"] == _alone(app, alice, combo["request"])["cube"]


def test_a_declared_search_studies_the_kind_each_trial_its_cube_alone(app, users, jobs, redis_url):
    """``POST /api/studies`` with ``kind: "cube"`` over ``n``: the batches run to SUCCEEDED,
    each trial's metrics are its cube's, its request submitted alone stores that cube, the
    best trial is the highest Sharpe ratio and its deflated Sharpe ratio is computed."""
    alice, bob = _as(app, users["alice"]), _as(app, users["bob"])
    study = {
        "kind": "cube",
        "base": {"n": 2, "sign": "-"},
        "space": {"n": {"low": 1, "high": 60}},
        "n_trials": 6,
        "batch_size": 3,
        "sampler": "random",
    }
    accepted = alice("POST", "/api/studies", study)
    assert accepted.status_code == 202, accepted.get_json()
    study_id = accepted.get_json()["study_id"]
    assert drain(app, redis_url) >= 2
    status = alice("GET", f"/api/studies/{study_id}").get_json()
    assert status["status"] == "SUCCEEDED" and status["request"]["kind"] == "cube"
    trials = alice("GET", f"/api/studies/{study_id}/trials").get_json()["trials"]
    assert [trial["number"] for trial in trials] == list(range(6))
    evaluated = [trial for trial in trials if not trial["reused_from"]]
    assert {trial["state"] for trial in evaluated} == {"COMPLETE"}
    for trial in evaluated:
        request = SEARCH.apply(study["base"], trial["params"])
        assert trial["metrics"]["total_return_pct"] == _alone(app, alice, request)["cube"]
        assert trial["values"] == [trial["metrics"]["sharpe_ratio"]]
    best = max(evaluated, key=lambda trial: trial["values"][0])
    assert status["best"]["number"] == best["number"]
    assert 0 <= status["deflated"]["dsr"] <= 1, status["deflated"]
    assert alice("GET", f"/studies/{study_id}", accept="text/html").status_code == 200
    assert study_id in alice("GET", "/api/studies").get_data(as_text=True)
    assert bob("GET", f"/api/studies/{study_id}").status_code == 404


@pytest.mark.parametrize(
    ("url", "change", "field"),
    [
        ("/api/sweeps", {"grid": {"n": [1001]}}, "grid.n[0]"),
        ("/api/sweeps", {"grid": {"sign": ["*"]}}, "grid.sign[0]"),
        ("/api/sweeps", {"grid": {"side": [1]}}, "grid.side"),
        ("/api/sweeps", {"base": {"n": 2, "m": 1}}, "base.m"),
        ("/api/sweeps", {"kind": "cubes"}, "kind"),
        ("/api/studies", {"space": {"sign": {"low": 0, "high": 1}}}, "space.sign"),
        ("/api/studies", {"space": {"n": {"low": 0, "high": 2000}}}, "space.n.high"),
        ("/api/studies", {"base": {}}, "base.n"),
        ("/api/walkforward", {"train_bars": 20, "test_bars": 10}, "kind"),
    ],
)
def test_a_bad_search_of_a_declared_kind_is_a_400_naming_the_field(app, users, url, change, field):
    """A grid value outside the declared space, a base the kind refuses, a study over its
    choice, and a walk-forward (a cube has no dated bars to cut into folds) are 400s naming
    the field, with nothing queued."""
    body = {"kind": "cube", "base": {"n": 2}, "grid": {"n": [1, 2]}}
    if url == "/api/studies":
        body = {"kind": "cube", "base": {"n": 2}, "space": {"n": {"low": 1, "high": 9}}}
    refused = _as(app, users["alice"])("POST", url, {**body, **change})
    assert refused.status_code == 400, refused.get_json()
    assert refused.get_json()["field"] == field, refused.get_json()
    assert compute_queued_chunks(app) == 0
