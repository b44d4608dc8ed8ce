"""GET /api/runs/<run_id>/montecarlo and the PSR of GET /api/runs/<run_id>/report, with
Flask's test client on a temporary SQLite database and the real test Redis: the answer is
the adapter's on the stored result, byte-identical for the same query and different for
another seed; every bounded input refused with a 400 naming it; 404 and 409 as the other
result routes, and for another user's run (every route is also walked by
tests/web/test_web_tenancy.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from adapters.run_robustness import monte_carlo, monte_carlo_csv, sharpe_probability
from tests.web.support import app_with_schema, serve
from tests.web.support_auth import bearer, new_token, token_app
from tests.web.support_dashboard import add_pending, add_succeeded, replace_result
from web.api.runs.montecarlo import PATHS_MAX

pytestmark = pytest.mark.redis


def returns_of(result: dict) -> int:
    return len(result["equity_curve"]["equity"]) - 1


def test_the_answer_is_the_adapters_on_the_stored_result_with_the_defaults(app, client):
    """No query: 1,000 paths, seed 0, mean block 10 bars, both methods summarised."""
    request, result = add_succeeded(app)
    response = client.get(f"/api/runs/{request.run_id}/montecarlo")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"run_id": request.run_id, **monte_carlo(result, 1000, 0, 10)}
    assert body["trades"]["n_trades"] == len(result["trades"]) > 0
    assert body["bootstrap"]["n_returns"] == returns_of(result)
    assert set(body["trades"]["total_return_pct"]) == {"p5", "p25", "p50", "p75", "p95"}
    assert body["run"]["total_return_pct"] == result["metrics"]["total_return_pct"]


def test_the_same_query_answers_the_same_bytes_and_another_seed_others(app, client):
    """Seeded: asked twice, byte for byte the same; seed 8 moves the percentiles (a
    long-short run: five trades, one of them a loss, so the drawdowns depend on the order)."""
    request, _ = add_succeeded(app, direction="longshort")
    url = f"/api/runs/{request.run_id}/montecarlo?paths=300&seed=7&block=5"
    first, again = client.get(url), client.get(url)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    other = client.get(url.replace("seed=7", "seed=8")).get_json()
    body = first.get_json()
    assert (body["paths"], body["seed"], body["mean_block"]) == (300, 7, 5)
    assert other["bootstrap"]["total_return_pct"] != body["bootstrap"]["total_return_pct"]
    assert other["trades"]["max_drawdown_pct"] != body["trades"]["max_drawdown_pct"]


def test_the_csv_is_the_same_figures_as_an_attachment(app, client):
    """…/montecarlo.csv: monte_carlo_csv of the JSON answer to the same query, as a
    download; a bad parameter is the same 400."""
    request, _ = add_succeeded(app, direction="longshort")
    query = "paths=200&seed=3&block=4"
    answer = client.get(f"/api/runs/{request.run_id}/montecarlo?{query}").get_json()
    response = client.get(f"/api/runs/{request.run_id}/montecarlo.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True) == monte_carlo_csv(answer)
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="montecarlo-{request.run_id}.csv"'
    refused = client.get(f"/api/runs/{request.run_id}/montecarlo.csv?seed=x")
    assert refused.status_code == 400 and refused.get_json()["field"] == "seed"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("paths=0", "paths"),
        (f"paths={PATHS_MAX + 1}", "paths"),
        ("paths=many", "paths"),
        ("paths=-5", "paths"),
        ("paths=1e3", "paths"),
        ("seed=-1", "seed"),
        ("seed=1000000000", "seed"),
        ("seed=0x10", "seed"),
        ("block=0", "block"),
        ("block=RETURNS_PLUS_ONE", "block"),
        ("block=2.5", "block"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(app, client, query, field):
    """Out of range or not a whole number: 400 with the field, nothing computed."""
    request, result = add_succeeded(app)
    query = query.replace("RETURNS_PLUS_ONE", str(returns_of(result) + 1))
    response = client.get(f"/api/runs/{request.run_id}/montecarlo?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


@pytest.fixture
def small_app(sqlite_url: str, redis_url: str, data_dir: Path) -> Iterator[Flask]:
    """The app with MONTECARLO_MAX_VALUES 2,000."""
    yield from serve(app_with_schema(sqlite_url, redis_url, data_dir, MONTECARLO_MAX_VALUES=2000))


def test_paths_are_bounded_by_the_values_one_request_may_simulate(small_app):
    """MONTECARLO_MAX_VALUES / the run's bar returns is the most paths: the default shrinks
    to it and one path more is a 400 naming paths with the bound."""
    request, result = add_succeeded(small_app)
    most = 2000 // returns_of(result)
    client = small_app.test_client()
    url = f"/api/runs/{request.run_id}/montecarlo"
    assert client.get(url).get_json()["paths"] == most
    refused = client.get(f"{url}?paths={most + 1}")
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "paths"
    assert f"between 1 and {most}" in refused.get_json()["error"]


def test_a_missing_run_is_404_and_one_without_a_result_409(app, client):
    """As the other result routes: no such run (or no run id) 404, a PENDING run 409."""
    for run_id in (str(uuid.uuid4()), "not-a-run"):
        assert client.get(f"/api/runs/{run_id}/montecarlo").status_code == 404
    pending = add_pending(app)
    assert client.get(f"/api/runs/{pending.run_id}/montecarlo").status_code == 409


@pytest.fixture
def token_mode(sqlite_url: str, redis_url: str, data_dir: Path) -> Iterator[Flask]:
    """The app in AUTH_MODE=token."""
    yield from serve(token_app(sqlite_url, redis_url, data_dir))


def test_another_users_run_is_answered_as_a_missing_one(token_mode):
    """Bob asking for Alice's unshared run gets the very 404 of an unknown id, JSON and CSV
    alike; Alice gets her figures."""
    alice, bob = new_token(token_mode, "alice"), new_token(token_mode, "bob")
    request, _ = add_succeeded(token_mode, created_by="alice")
    client = token_mode.test_client()
    missing = client.get(f"/api/runs/{uuid.uuid4()}/montecarlo", headers=bearer(bob))
    for suffix in ("montecarlo", "montecarlo.csv"):
        url = f"/api/runs/{request.run_id}/{suffix}?paths=10"
        refused = client.get(url, headers=bearer(bob))
        assert (refused.status_code, refused.get_json()) == (404, missing.get_json())
        assert client.get(url, headers=bearer(alice)).status_code == 200


def test_the_report_carries_the_stored_psr_and_computes_it_for_an_older_result(app, client):
    """The report's probabilistic_sharpe is the stored one; a result stored before schema
    1.3.0 (without it) gets the same figures from its equity curve."""
    request, result = add_succeeded(app)
    url = f"/api/runs/{request.run_id}/report"
    stored = result["probabilistic_sharpe"]
    assert stored["psr"] is not None
    assert client.get(url).get_json()["probabilistic_sharpe"] == stored
    older = {key: value for key, value in result.items() if key != "probabilistic_sharpe"}
    replace_result(app, request.run_id, older)
    body = client.get(url).get_json()
    assert body["probabilistic_sharpe"] == sharpe_probability(result["equity_curve"]["equity"])
    assert body["probabilistic_sharpe"] == stored
