"""The run kind's JSON API is one blueprint (``runs``) under ``/api/runs``; the older routes
outside that prefix are the same views under the same endpoints, and the links the API
hands out keep naming the older routes."""

from __future__ import annotations

import pytest

from web import create_app
from web.api.runs import LEGACY_RULES

LEGACY_TWINS = [
    ("/run_backtest", "/api/runs", "POST"),
    ("/status/r1", "/api/runs/r1", "GET"),
    ("/runs/r1/result.json", "/api/runs/r1/result.json", "GET"),
    ("/runs/r1/trades.csv", "/api/runs/r1/trades.csv", "GET"),
    ("/compare/curves.json", "/api/runs/compare/curves.json", "GET"),
]


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True})


def test_every_rule_of_the_runs_blueprint_is_under_api_runs_or_a_listed_legacy_rule(app):
    """One prefix: a rule of a ``runs.`` endpoint is /api/runs… unless it is a legacy rule."""
    rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("runs.")]
    outside = sorted(rule for rule in rules if not rule.startswith("/api/runs"))
    assert outside == sorted(LEGACY_RULES)
    assert sorted(LEGACY_RULES) == sorted(
        [
            "/run_backtest",
            "/status/<path:run_id>",
            "/runs/<run_id>/result.json",
            "/runs/<run_id>/trades.csv",
            "/compare/curves.json",
        ]
    )


@pytest.mark.parametrize(("old", "new", "method"), LEGACY_TWINS)
def test_a_legacy_route_and_its_api_runs_twin_are_one_view(app, old, new, method):
    """Same endpoint, same arguments: the old path answers exactly as the new one."""
    urls = app.url_map.bind("localhost")
    assert urls.match(old, method) == urls.match(new, method)


def test_links_built_for_the_run_views_keep_their_older_form(app):
    """``url_for`` builds the legacy rule (registered first): the links handed out so far."""
    from flask import url_for

    with app.test_request_context():
        assert url_for("runs.submit") == "/run_backtest"
        assert url_for("runs.status", run_id="r1") == "/status/r1"
        assert url_for("runs.result_json", run_id="r1") == "/runs/r1/result.json"
        assert url_for("runs.trades_csv", run_id="r1") == "/runs/r1/trades.csv"
        assert url_for("runs.compare_curves") == "/compare/curves.json"
        assert url_for("runs.list_history") == "/api/runs"


def test_the_queue_panel_is_no_view_of_the_runs_blueprint(app):
    """GET /api/queue covers every kind's queue: a generic blueprint serves it."""
    endpoint, _ = app.url_map.bind("localhost").match("/api/queue", "GET")
    assert endpoint == "queue.panel"
