"""Tenancy (``web.ownership``; docs/security.md "Tenancy: who sees what"): in AUTH_MODE=token
runs, sweeps, walk-forwards, studies and presets belong to the token that created them.

The main test walks every rule of the app's URL map that takes an argument (so a route added
later without the check fails here) as bob against alice's real items: a run with a result,
a sweep with stored combos, a walk-forward, a study with a stored trial and a preset. Not
shared: 404, with the very body of a missing id; shared: bob reads what alice reads and any
change is 403 read-only; an
admin token reads and manages them all. Lists and the query-string lookups show bob only his
own and the shared items. Real SQLite and Redis; no worker (items are built in-process)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.store import insert_portfolio
from kinds.registry import all_kinds
from store.models import StudyBatch, SweepChunk
from store.tokens import ADMIN, set_scope
from tests.portfolios.support import execute_item
from tests.studies.support import execute_batch, valid_study
from tests.sweeps.support import store_chunk
from tests.web.support import TICKER, close_app, valid_sweep, valid_walkforward
from tests.web.support_auth import TOKEN_MODE, bearer, new_token, sign_in, token_app
from tests.web.support_dashboard import add_succeeded, registered_worker
from web.auth import OPEN_ENDPOINTS
from web.db import get_database
from web.queue import get_run_queue

pytestmark = pytest.mark.redis

ALICE, BOB, ROOT = "alice", "bob", "root"
"""Two users and an admin."""

MARKER = "alice-private-7f3a"
"""The name of alice's run and preset: no answer to bob may contain it while unshared."""

CAPITAL = 31337
"""Alice's run's initial capital: the run form prefilled from her run would show it."""

PAYLOAD = {"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}}

BODIES = {"PATCH": {"shared": True}, "PUT": {"name": MARKER, "payload": PAYLOAD, "shared": True}}
"""What a changing method sends: each is valid, so only ownership can refuse it."""

STUDY_WINDOW = {"start_date": "2021-01-04", "end_date": "2021-06-18", "n_trials": 5}
"""Alice's study: on the test data's window."""

RULE_BODIES = {"/api/studies/<study_id>/extend": {"n_trials": 1}}
"""What a changing rule sends where its method's body is not its body."""


def _body(rule: Rule, method: str) -> Any:
    """The valid body of ``method`` on ``rule``."""
    return RULE_BODIES.get(rule.rule, BODIES.get(method))


ADMIN_ONLY = "/rq"
"""rq-dashboard shows every user's jobs: only admins reach it (404 for anyone else)."""

RQ_ARGUMENTS = {
    "instance_number": 0,
    "registry_name": "queued",
    "per_page": 10,
    "order": "asc",
    "page": 1,
    "filename": "js/nothing.js",
}
"""Values of rq-dashboard's own URL arguments (its ``job_id`` and ``queue_name`` are set per
test)."""


@dataclass(frozen=True)
class Items:
    """Alice's items, by the URL argument that names each."""

    run_id: str
    sweep_id: str
    walkforward_id: str
    fold_sweep_id: str
    preset_id: int
    portfolio_id: str
    study_id: str

    def arguments(self, queue: str) -> dict[str, Any]:
        """A value for every URL argument of the app's rules (``combo_no`` 0 is stored)."""
        return {
            "run_id": self.run_id,
            "sweep_id": self.sweep_id,
            "walkforward_id": self.walkforward_id,
            "preset_id": self.preset_id,
            "portfolio_id": self.portfolio_id,
            "study_id": self.study_id,
            "number": 0,  # a study's trial
            "combo_no": 0,
            "name": "equity",  # a chart of the run (/api/runs/<run_id>/charts/<name>.png)
            **RQ_ARGUMENTS,
            "job_id": self.run_id,
            "queue_name": queue,
        }

    def ids(self) -> list[str]:
        """Every id of alice's items as text."""
        ids = [self.run_id, self.sweep_id, self.walkforward_id, self.fold_sweep_id]
        return [*ids, self.portfolio_id, self.study_id]


MISSING = {
    "run_id": str(uuid.uuid4()),
    "sweep_id": str(uuid.uuid4()),
    "walkforward_id": str(uuid.uuid4()),
    "preset_id": 2**31 - 2,
    "portfolio_id": str(uuid.uuid4()),
    "job_id": str(uuid.uuid4()),
    "study_id": str(uuid.uuid4()),
}
"""Ids of no item: a refusal must be indistinguishable from their answer."""


@pytest.fixture(scope="module")
def app_settings() -> dict[str, str]:
    """The module's app (``app``) in AUTH_MODE=token with rq-dashboard mounted."""
    return {**TOKEN_MODE, "RQ_DASHBOARD_ENABLED": "1"}


@pytest.fixture
def tokens(app: Flask) -> dict[str, str]:
    """Bearer tokens of alice and bob (users) and root (admin)."""
    return {
        ALICE: new_token(app, ALICE),
        BOB: new_token(app, BOB),
        ROOT: new_token(app, ROOT, ADMIN),
    }


def _as(client: FlaskClient, tokens: dict[str, str], who: str):
    """A function sending one request with ``who``'s bearer token (JSON preferred; a
    redirect, such as werkzeug's to a rule's trailing slash, followed)."""

    def send(method: str, url: str, body: Any = None):
        headers = {**bearer(tokens[who]), "Accept": "application/json"}
        return client.open(url, method=method, headers=headers, json=body, follow_redirects=True)

    return send


@pytest.fixture
def items(
    app: Flask, client: FlaskClient, tokens: dict[str, str], monkeypatch, demo_data_dir
) -> Items:
    """Alice's run (SUCCEEDED with a real result and its capacity curve), sweep (every combo
    stored, as a consumer of the app's DATA_DIR would), walk-forward (and its first fold's
    sweep), preset, portfolio (SUCCEEDED on two demo tickers with a capacity curve, computed
    as its Job would) and study, none shared."""
    monkeypatch.setenv("DATA_DIR", app.config["DATA_DIR"])
    alice = _as(client, tokens, ALICE)
    run, _ = add_succeeded(app, created_by=ALICE, initial_capital=CAPITAL, capacity=True)
    assert alice("PATCH", f"/api/runs/{run.run_id}", {"name": MARKER}).status_code == 200
    sweep = alice("POST", "/api/sweeps", valid_sweep())
    assert sweep.status_code == 202, sweep.get_json()
    sweep_id = sweep.get_json()["sweep_id"]
    sessions = get_database(app).sessionmaker
    with sessions() as session:
        chunks = session.scalars(select(SweepChunk).where(SweepChunk.sweep_id == sweep_id)).all()
        payloads = [json.loads(chunk.payload_json) for chunk in chunks]
    for payload in payloads:
        store_chunk(sessions, payload)
    walkforward = alice("POST", "/api/walkforward", valid_walkforward())
    assert walkforward.status_code == 202, walkforward.get_json()
    walkforward_id = walkforward.get_json()["walkforward_id"]
    folds = alice("GET", f"/api/walkforward/{walkforward_id}").get_json()["folds"]
    preset = alice("POST", "/api/strategies", {"name": MARKER, "payload": PAYLOAD})
    assert preset.status_code == 201
    portfolio = parse_portfolio(  # with a capacity curve: its capacity routes answer 200
        {"tickers": ["ACME", "GLOBEX"], "start_date": "2021-01-04", "end_date": "2021-06-30"}
        | {"capacity": True, "capacity_capitals": [1e4, 1e6]}
    )
    portfolio["portfolio_id"] = str(uuid.uuid4())
    with sessions.begin() as session:
        insert_portfolio(session, portfolio, "test", created_by=ALICE, image_tag=None)
    with monkeypatch.context() as demo:  # a result, on the demo data: its report routes read it
        demo.setenv("DATA_DIR", str(demo_data_dir))
        execute_item(app, portfolio["portfolio_id"])
    study = alice("POST", "/api/studies", valid_study(TICKER, **STUDY_WINDOW))
    assert study.status_code == 202, study.get_json()
    study_id = study.get_json()["study_id"]
    with sessions() as session:
        batch = session.scalars(select(StudyBatch).where(StudyBatch.study_id == study_id)).first()
        message = json.loads(batch.payload_json)
    assert execute_batch(app.config["DATABASE_URL"], message)
    return Items(
        run.run_id,
        sweep_id,
        walkforward_id,
        folds[0]["sweep_id"],
        preset.get_json()["id"],
        portfolio["portfolio_id"],
        study_id,
    )


def _url(rule: Rule, values: dict[str, Any]) -> str:
    """``rule``'s own URL with ``values`` (not the endpoint's first rule: a view may have
    several, e.g. ``/status/<id>`` and ``/api/runs/<id>``)."""
    built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def id_routes(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) of every rule that takes an argument, but the open ones (static)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_ENDPOINTS or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return found


def list_routes(app: Flask) -> list[str]:
    """Every GET rule without arguments but the open ones: the lists, pages and panels."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if not rule.arguments
        and "GET" in rule.methods
        and rule.endpoint not in OPEN_ENDPOINTS
        and rule.rule not in ("/health", "/ready", "/metrics")
    )


def _text(response, ids: dict[str, Any]) -> str:
    """A response's body with the requested ids replaced by their argument names (a 404
    page names the id asked for)."""
    text = response.get_data(as_text=True)
    for name, value in ids.items():
        text = text.replace(str(value), f"<{name}>")
    return text


def kind_urls(items: Items) -> dict[str, str]:
    """``/api/<resource>`` of every registered kind users submit → the status URL of
    alice's item of it (a kind the fixture has no item of fails here: add it)."""
    arguments = items.arguments("")
    urls = {}
    for kind in all_kinds():
        if kind.resource:
            assert kind.submitted_id in arguments, f"add an item of {kind.name} to this test"
            urls[f"/api/{kind.resource}"] = f"/api/{kind.resource}/{arguments[kind.submitted_id]}"
    return urls


def _share_everything(send, items: Items) -> None:
    """Alice shares her item of every kind (run, sweep, walk-forward, portfolio, study…) and
    her preset."""
    for url in kind_urls(items).values():
        shared = send("PATCH", url, {"shared": True})
        assert shared.status_code == 200 and shared.get_json()["shared"] is True, url
    preset = send("PUT", f"/api/strategies/{items.preset_id}", {**BODIES["PUT"]})
    assert preset.status_code == 200 and preset.get_json()["shared"] is True


def test_every_id_route_answers_another_user_404_unless_shared_and_an_admin_all(
    app, client, tokens, items
):
    """Walking the URL map: bob gets the 404 of a missing id for each of alice's items and
    methods (rq-dashboard: 404, admins only); once alice shares them bob reads what alice
    reads and every change is 403 read-only naming created_by; root (admin) reads all and
    manages all, deleting last."""
    alice, bob, root = (_as(client, tokens, who) for who in (ALICE, BOB, ROOT))
    queue = app.config["RQ_QUEUE"]
    arguments = items.arguments(queue)
    routes = id_routes(app)
    unknown = {name for rule, _ in routes for name in rule.arguments} - set(arguments)
    assert not unknown, f"a route takes {unknown}: add the item it names to this test"
    assert {rule.rule for rule, _ in routes} >= {
        "/api/runs/<run_id>",
        "/api/sweeps/<sweep_id>/combos/<int(max=999999999):combo_no>",
        "/api/walkforwards/<walkforward_id>/folds.csv",
        "/api/strategies/<int:preset_id>",
        "/runs/<run_id>",
    }

    owner_reads = {}
    for rule, method in routes:
        url = _url(rule, arguments)
        if method == "GET" and not rule.rule.startswith(ADMIN_ONLY):
            owner_reads[rule.rule] = alice("GET", url).status_code
            assert owner_reads[rule.rule] == 200, (url, owner_reads[rule.rule])
        refused = bob(method, url, _body(rule, method))
        assert refused.status_code == 404, (method, url, refused.status_code)
        missing_values = {**arguments, **{k: v for k, v in MISSING.items() if k in rule.arguments}}
        missing = bob(method, _url(rule, missing_values), _body(rule, method))
        requested = {name: arguments[name] for name in rule.arguments}
        asked = {name: missing_values[name] for name in rule.arguments}
        assert _text(refused, requested) == _text(missing, asked), (method, url)
    status = alice("GET", f"/api/runs/{items.run_id}?result=false").get_json()
    assert (status["name"], status["shared"]) == (MARKER, False)  # bob changed nothing

    _share_everything(alice, items)
    for rule, method in routes:
        url = _url(rule, arguments)
        answer = bob(method, url, _body(rule, method))
        if rule.rule.startswith(ADMIN_ONLY):
            assert answer.status_code == 404, (method, url)
        elif method == "GET":
            assert answer.status_code == owner_reads[rule.rule], (url, answer.status_code)
        else:
            assert answer.status_code == 403, (method, url, answer.status_code)
            assert answer.get_json() == {
                "error": f"read-only: shared by {ALICE}",
                "field": "created_by",
            }

    deletes = []
    for rule, method in routes:
        url = _url(rule, arguments)
        if rule.rule.startswith(ADMIN_ONLY):
            continue
        if method == "DELETE":
            deletes.append(url)
            continue
        answer = root(method, url, _body(rule, method))
        if method == "GET":
            assert answer.status_code == 200, (url, answer.status_code)
        else:  # passed the ownership check: done, or refused for the item's state (409)
            assert answer.status_code in (200, 202, 409), (method, url, answer.status_code)
    for url in deletes:
        assert root("DELETE", url).status_code == 204, url
    assert root("GET", "/rq/").status_code == 200


def test_lists_and_lookups_show_another_user_only_their_own_and_shared_items(
    app, client, tokens, items
):
    """Every list, page and panel without an id (the URL map's) shows bob nothing of
    alice's — not even the run a busy consumer works on — and the lookups by query string
    treat her run as missing; once shared, the lists and lookups show them to bob; an
    admin sees everything all along."""
    alice, bob, root = (_as(client, tokens, who) for who in (ALICE, BOB, ROOT))
    secrets = [*items.ids(), MARKER, ALICE]
    with registered_worker(get_run_queue(app).queue, "busy-1", "busy") as worker:
        worker.set_current_job_id(items.run_id)
        assert items.run_id in alice("GET", "/api/queue").get_data(as_text=True)
        for url in list_routes(app):
            body = bob("GET", url).get_data(as_text=True)
            assert not [s for s in secrets if s in body], (url, [s for s in secrets if s in body])

    run = items.run_id
    assert str(CAPITAL) in alice("GET", f"/?from={run}").get_data(as_text=True)
    assert str(CAPITAL) not in bob("GET", f"/?from={run}").get_data(as_text=True)
    assert bob("GET", f"/signals?from={run}").status_code == 404
    assert MARKER not in bob("GET", f"/compare?ids={run}").get_data(as_text=True)
    assert bob("GET", f"/api/runs/lookup?ids={run}").get_json() == {"runs": [], "missing": [run]}
    assert bob("GET", f"/api/runs/compare/curves.json?ids={run}").get_json() == {"runs": []}

    listed = {
        **{base: url.rsplit("/", 1)[1] for base, url in kind_urls(items).items()},
        "/runs": run,
        "/sweeps": items.sweep_id,
        "/api/walkforward": items.walkforward_id,
        "/api/strategies": MARKER,
    }
    for url, key in listed.items():
        assert key in root("GET", url).get_data(as_text=True), url
    _share_everything(alice, items)
    for url, key in listed.items():
        assert key in bob("GET", url).get_data(as_text=True), url
    assert bob("GET", f"/api/runs/lookup?ids={run}").get_json()["missing"] == []
    assert len(bob("GET", f"/api/runs/compare/curves.json?ids={run}").get_json()["runs"]) == 1
    assert str(CAPITAL) in bob("GET", f"/?from={run}").get_data(as_text=True)


def test_sharing_a_walkforward_shares_its_fold_sweeps_and_unsharing_hides_them(
    client, tokens, items
):
    """A fold's training sweep follows its walk-forward: 404 to bob, readable once the
    walk-forward is shared, 404 again once it is not."""
    alice, bob = _as(client, tokens, ALICE), _as(client, tokens, BOB)
    url = f"/api/sweeps/{items.fold_sweep_id}"
    walkforward = f"/api/walkforwards/{items.walkforward_id}"
    assert bob("GET", url).status_code == 404
    assert alice("PATCH", walkforward, {"shared": True}).status_code == 200
    assert bob("GET", url).status_code == 200
    assert bob("GET", url).get_json()["shared"] is True
    assert alice("PATCH", walkforward, {"shared": False}).status_code == 200
    assert bob("GET", url).status_code == 404


def test_sharing_refuses_a_body_that_is_not_just_a_boolean(client, tokens, items):
    """PATCH of a sweep or walk-forward takes {"shared": bool} only: 400 naming the field."""
    alice = _as(client, tokens, ALICE)
    for url in (f"/api/sweeps/{items.sweep_id}", f"/api/walkforward/{items.walkforward_id}"):
        assert alice("PATCH", url, {"shared": "yes"}).get_json()["field"] == "shared"
        assert alice("PATCH", url, {}).get_json()["field"] == "shared"
        refused = alice("PATCH", url, {"shared": True, "status": "x"})
        assert refused.status_code == 400 and refused.get_json()["field"] == "status"
    run = alice("PATCH", f"/api/runs/{items.run_id}", {"shared": 1})
    assert run.status_code == 400 and run.get_json()["field"] == "shared"


def test_rows_without_an_owner_are_seen_by_admins_only(app, client, tokens):
    """A run made in AUTH_MODE=none (created_by NULL) is 404 to every user token and read
    by an admin, who may share it."""
    run, _ = add_succeeded(app)
    url = f"/api/runs/{run.run_id}"
    for who in (ALICE, BOB):
        assert _as(client, tokens, who)("GET", url).status_code == 404
    root = _as(client, tokens, ROOT)
    assert root("GET", url).status_code == 200
    assert root("PATCH", url, {"shared": True}).get_json()["shared"] is True
    assert _as(client, tokens, BOB)("GET", url).status_code == 200
    refused = _as(client, tokens, BOB)("DELETE", url)
    assert refused.get_json() == {"error": "read-only: shared by an admin", "field": "created_by"}


def test_a_scope_change_applies_at_once_to_a_signed_in_session(app, tokens, items):
    """Bob's session cannot see alice's run; made admin, his next request can; back to
    user, it cannot again, without signing in anew."""
    browser = app.test_client()
    sign_in(browser, tokens[BOB])
    url = f"/api/runs/{items.run_id}?result=false"
    assert browser.get(url).status_code == 404
    for scope, expected in ((ADMIN, 200), ("user", 404)):
        with get_database(app).sessionmaker.begin() as session:
            assert set_scope(session, BOB, scope)
        assert browser.get(url).status_code == expected, scope
    assert browser.get("/rq/", headers={"Accept": "application/json"}).status_code == 404


def test_preset_names_are_unique_per_owner(client, tokens, items):
    """Bob may save a preset under alice's name (a 409 would tell him hers exists), not
    twice under his own; alice's is untouched."""
    bob = _as(client, tokens, BOB)
    body = {"name": MARKER, "payload": PAYLOAD}
    first = bob("POST", "/api/strategies", body)
    assert first.status_code == 201 and first.get_json()["created_by"] == BOB
    assert bob("POST", "/api/strategies", body).status_code == 409
    assert [p["created_by"] for p in bob("GET", "/api/strategies").get_json()] == [BOB]
    alice = _as(client, tokens, ALICE)
    assert alice("GET", f"/api/strategies/{items.preset_id}").get_json()["created_by"] == ALICE


@pytest.mark.mysql
def test_preset_names_are_unique_per_owner_on_mariadb(mysql_url, redis_url, data_dir):
    """The same on MariaDB (migration 0007's index on owner and name, the names' binary
    collation): two owners may share a name, one owner may not hold it twice."""
    app = token_app(mysql_url, redis_url, data_dir)
    try:
        client = app.test_client()
        names = [f"{who}-{uuid.uuid4().hex[:8]}" for who in (ALICE, BOB)]
        senders = [_as(client, {name: new_token(app, name)}, name) for name in names]
        body = {"name": MARKER, "payload": PAYLOAD}
        assert [send("POST", "/api/strategies", body).status_code for send in senders] == [201] * 2
        assert senders[0]("POST", "/api/strategies", body).status_code == 409
        assert (
            senders[0]("POST", "/api/strategies", {**body, "name": MARKER.upper()}).status_code
            == 201
        )
    finally:
        close_app(app)


OWNED_TABLES = ("backtest_results", "sweeps", "walkforwards", "portfolios", "studies")
"""The tables of the items a route names (whose rows carry created_by and shared)."""


def _large_columns() -> set[str]:
    """``<table>.<column>`` of every text column of the owned tables but their labels: the
    requests, results and statistics a refused viewer must cost the server nothing to hide."""
    from sqlalchemy import Text

    from store.models import Base

    small = {"name", "tags", "notes", "error_message", "created_by"}
    return {
        f"{table}.{column.name}"
        for table in OWNED_TABLES
        for column in Base.metadata.tables[table].columns
        if isinstance(column.type, Text) and column.name not in small
    }


def _selected(statement: str, columns: set[str]) -> set[str]:
    """The ``columns`` a SELECT statement reads (named before its first FROM)."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return set()
    head = statement.split(" FROM ")[0]
    return {column for column in columns if column in head}


def test_another_users_item_is_refused_before_any_of_its_large_columns_is_read(
    app, client, tokens, items
):
    """Every id route bob may not use on alice's unshared item: the ownership check reads
    only the owner columns, so no statement of the refused request selects its request,
    result or statistics (a missing id and a refused one cost the same)."""
    from sqlalchemy import event

    bob = _as(client, tokens, BOB)
    arguments = items.arguments(app.config["RQ_QUEUE"])
    large = _large_columns()
    assert "portfolios.result_json" in large and "backtest_results.result_json" in large
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        read = {}
        for rule, method in id_routes(app):
            statements.clear()
            url = _url(rule, arguments)
            assert bob(method, url, _body(rule, method)).status_code == 404, (method, url)
            selected = {column for s in statements for column in _selected(s, large)}
            if selected:
                read[f"{method} {url}"] = sorted(selected)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert read == {}, "\n".join(f"{k} {v}" for k, v in read.items())
