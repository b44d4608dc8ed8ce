"""One URL scheme for every kind of work: ``POST /api/<kind>s`` submits and
``GET /api/<kind>s/<id>`` answers its status, for each registered kind with a resource;
the older routes (``/run_backtest``, ``/status/<id>``, ``/api/walkforward``) keep answering."""

from __future__ import annotations

import pytest

from kinds.registry import all_kinds
from web import create_app

RESOURCES = sorted({kind.resource for kind in all_kinds() if kind.resource})


@pytest.fixture(scope="module")
def urls():
    return create_app({"TESTING": True}).url_map.bind("localhost")


def test_every_resource_of_the_registry_is_described_by_the_discovery_route():
    """The scheme below is checked for every kind the registry has, and ``GET /api/kinds``
    (what the client and the bulk command read) lists exactly those, with those URLs."""
    assert RESOURCES
    described = create_app({"TESTING": True}).test_client().get("/api/kinds").get_json()
    assert sorted(kind["resource"] for kind in described["kinds"]) == RESOURCES
    for kind in described["kinds"]:
        assert kind["submit_url"] == f"/api/{kind['resource']}"
        assert kind["status_url"] == f"/api/{kind['resource']}/{{id}}"


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_kind_is_submitted_at_api_kinds_and_read_at_api_kinds_id(urls, resource):
    """POST /api/<kind>s is the kind's submit view; GET /api/<kind>s/<id> its status."""
    submit, _ = urls.match(f"/api/{resource}", "POST")
    status, values = urls.match(f"/api/{resource}/some-id", "GET")
    assert submit.endswith(".submit")
    assert status.endswith(".status") and list(values.values()) == ["some-id"]


@pytest.mark.parametrize(
    ("old", "new", "method"),
    [
        ("/run_backtest", "/api/runs", "POST"),
        ("/status/r1", "/api/runs/r1", "GET"),
        ("/api/walkforward", "/api/walkforwards", "POST"),
        ("/api/walkforward", "/api/walkforwards", "GET"),
        ("/api/walkforward/w1", "/api/walkforwards/w1", "GET"),
        ("/api/walkforward/w1/folds.csv", "/api/walkforwards/w1/folds.csv", "GET"),
    ],
)
def test_the_older_routes_answer_as_the_scheme_does(urls, old, new, method):
    """Contracts are additive: the old route and the new one are the same view."""
    assert urls.match(old, method) == urls.match(new, method)


def test_links_the_api_hands_out_keep_their_documented_form():
    """``status_url`` and ``Location`` keep naming the routes clients already follow."""
    app = create_app({"TESTING": True})
    with app.test_request_context():
        from flask import url_for

        assert url_for("runs.status", run_id="r1") == "/status/r1"
        assert url_for("walkforward.status", walkforward_id="w1") == "/api/walkforward/w1"
