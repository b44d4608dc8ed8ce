"""Sweeps over a portfolio base (``kinds.sweeps.search_sweep``) through the API: every point's
stored metrics equal those of the same portfolio computed alone (its combo's request,
submitted on its own, gives the result byte for byte), the table, heatmap, CSV and
overfitting statistics read them like a run sweep's, bad requests are 400s naming the field,
and random sampling picks the asked number of the grid's points."""

from __future__ import annotations

import csv
import io
import json

import pytest

from kinds.portfolios import search
from kinds.portfolios.kind import run_locally
from kinds.portfolios.search import evaluate_one, metrics_of
from kinds.sweeps.overfitting import overfitting
from store.db import make_engine, make_sessionmaker
from store.dbapi import as_tx
from store.models import Portfolio
from tests.portfolios.support import execute_item, valid_portfolio
from tests.sweeps.support import compute_queued_chunks, sweep_app
from work.search import Outcome

pytestmark = pytest.mark.redis

BODY = {
    "kind": "portfolio",
    "base": valid_portfolio(),
    "grid": {"n": "10:40:10", "top_n": [1, 2, 3]},
    "chunk_size": 5,
}


@pytest.fixture
def app(sqlite_url, redis_url):
    return sweep_app(sqlite_url, redis_url)


@pytest.fixture
def client(app):
    return app.test_client()


def _submit(client, body=BODY) -> str:
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == 202, response.json
    return response.json["sweep_id"]


def test_every_point_of_a_portfolio_sweep_equals_the_same_portfolio_alone(app, client, redis_url):
    sweep_id = _submit(client)
    assert compute_queued_chunks(app) == 3  # 12 points in chunks of 5
    status = client.get(f"/api/sweeps/{sweep_id}").json
    assert (status["status"], status["combos"], status["rule_type"]) == (
        "SUCCEEDED",
        12,
        "portfolio",
    )
    rows = client.get(f"/api/sweeps/{sweep_id}/results?per_page=100&sort=combo_no").json["results"]
    assert sorted(row["combo_no"] for row in rows) == list(range(12))
    texts = set()
    for row in rows:
        combo = client.get(f"/api/sweeps/{sweep_id}/combos/{row['combo_no']}").json
        request = combo["request"]
        assert (request["params"]["n"], request["allocation"]["top_n"]) == (
            row["params"]["n"],
            row["params"]["top_n"],
        )
        alone = run_locally(request)
        assert json.loads(alone)["metrics"] | row["metrics"] == json.loads(alone)["metrics"]
        assert run_locally(request) == alone  # the point's request names its result's bytes
        texts.add(alone)
    assert len(texts) == 12


def test_a_portfolio_sweep_reads_like_a_run_sweep(app, client, redis_url):
    sweep_id = _submit(client)
    compute_queued_chunks(app)
    heatmap = client.get(f"/api/sweeps/{sweep_id}/heatmap?x=n&y=top_n&metric=sharpe_ratio")
    assert heatmap.status_code == 200, heatmap.json
    assert heatmap.json["x"]["values"] == [10, 20, 30, 40]
    assert heatmap.json["y"]["values"] == [1, 2, 3]
    table = list(csv.reader(io.StringIO(client.get(f"/api/sweeps/{sweep_id}/results.csv").text)))
    assert table[0][:4] == ["combo_no", "ticker", "n", "top_n"]
    assert len(table) == 13 and table[1][1] == "UNIVERSE"
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    with sessions.begin() as session:
        stats = overfitting(as_tx(session), sweep_id)
    assert stats["tickers"][0]["ticker"] == "UNIVERSE"
    assert "pbo" in stats["tickers"][0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "nope"}, "kind"),
        ({"grid": {"nope": [1]}}, "grid.nope"),
        ({"grid": {"top_n": [0]}}, "grid.top_n[0]"),
        ({"grid": {"n": "1:x:1"}}, "grid.n"),
        ({"base": {**valid_portfolio(), "tickers": ["ACME", "NOPE"]}}, "base.tickers"),
        ({"base": {**valid_portfolio(), "fee_rate": -1}}, "base.fee_rate"),
        ({"random": {"points": 0}}, "random.points"),
        ({"ticker": "ACME"}, "ticker"),
    ],
)
def test_bad_portfolio_sweeps_are_400_naming_the_field(client, change, field):
    response = client.post("/api/sweeps", json={**BODY, **change})
    assert response.status_code == 400, response.json
    assert response.json["field"].startswith(field), response.json


def test_a_random_portfolio_sweep_samples_that_many_grid_points(app, client, redis_url):
    sweep_id = _submit(client, {**BODY, "random": {"points": 5, "seed": 3}})
    status = client.get(f"/api/sweeps/{sweep_id}").json
    assert status["combos"] == 5
    grid = status["request"]["grid"]
    compute_queued_chunks(app)
    rows = client.get(f"/api/sweeps/{sweep_id}/results?per_page=100").json["results"]
    points = {(row["params"]["n"], row["params"]["top_n"]) for row in rows}
    assert len(points) == 5 and all(n in grid["n"] and k in grid["top_n"] for n, k in points)


def test_the_sweep_page_of_a_portfolio_sweep_names_its_universe_and_runs_points_as_portfolios(
    app, client, redis_url
):
    sweep_id = _submit(client)
    compute_queued_chunks(app)
    page = client.get(f"/sweeps/{sweep_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ACME, GLOBEX, HOOLI, INITECH" in text and "roc(close, $n)" in text
    assert '"submit_url": "/api/portfolios"' in text or "/api/portfolios" in text
    assert '"run_url": "/portfolios/RUN_ID"' in text  # a point opens on the portfolio's page
    assert '"id_field": "portfolio_id"' in text


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ({"drift_threshold": [0.1, 0]}, "grid.drift_threshold"),
        ({"every_n_bars": [5]}, "grid.every_n_bars"),
        ({"n": [float("nan")]}, "grid.n[0]"),
    ],
)
def test_a_point_the_portfolio_refuses_is_a_400_at_submission_not_a_failed_chunk(
    client, redis_url, grid, field
):
    response = client.post("/api/sweeps", json={**BODY, "grid": grid})
    assert response.status_code == 400, response.json
    assert response.json["field"] == field, response.json
    assert compute_queued_chunks(client.application) == 0


def test_every_point_of_a_200_point_lookback_by_top_n_sweep_is_that_portfolio_submitted_alone(
    app, client, monkeypatch
):
    """lookback 2..200 × top_n 1, 2: all 200 points in 8 chunks. Each point's request
    (``combos/<n>``), submitted alone through ``POST /api/portfolios`` and executed as its
    Job does, stores byte for byte the result the sweep's chunk computed for that point
    (recorded as the chunk evaluates it), and the sweep's stored row holds its metrics."""
    swept: dict[str, str] = {}

    def recording(request: dict) -> Outcome:
        outcome = evaluate_one(request)
        swept[request["portfolio_id"]] = outcome.text
        return outcome

    monkeypatch.setattr(search.SEARCH, "evaluate_one", recording)
    body = {**BODY, "grid": {"n": "2:200:2", "top_n": [1, 2]}, "chunk_size": 25}
    sweep_id = _submit(client, body)
    assert compute_queued_chunks(app) == 8
    rows = client.get(f"/api/sweeps/{sweep_id}/results?per_page=500").json["results"]
    assert sorted(row["combo_no"] for row in rows) == list(range(200)) and len(swept) == 200
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    for row in rows:
        request = client.get(f"/api/sweeps/{sweep_id}/combos/{row['combo_no']}").json["request"]
        answer = client.post("/api/portfolios", json=request)
        assert answer.status_code == 202, answer.json
        assert answer.json["portfolio_id"] == request["portfolio_id"]
        execute_item(app, request["portfolio_id"])
        with sessions() as session:
            alone = session.get(Portfolio, request["portfolio_id"]).result_json
        assert alone == swept[request["portfolio_id"]]
        metrics = metrics_of(json.loads(alone))
        assert metrics | row["metrics"] == metrics
    assert len(set(swept.values())) == 200
