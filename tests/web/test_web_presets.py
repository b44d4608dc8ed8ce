"""Tests for web/api/presets.py: strategy presets create, list, delete, validation and 409."""

from __future__ import annotations

import unicodedata

import pytest

pytestmark = pytest.mark.redis


PAYLOAD = {"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}, "fee_rate": 0.001}


def test_create_then_list_returns_the_preset(client):
    """A created preset is answered 201 and then listed with its id and timestamp."""
    response = client.post("/api/strategies", json={"name": "  fast cross  ", "payload": PAYLOAD})
    assert response.status_code == 201
    created = response.get_json()
    assert list(created) == ["id", "name", "payload", "created_at", "created_by", "shared", "kind"]
    assert created["name"] == "fast cross"
    assert created["payload"] == PAYLOAD
    assert created["created_at"].endswith("+00:00")
    assert client.get("/api/strategies").get_json() == [created]


def test_list_is_sorted_by_name(client):
    """Presets are listed by name."""
    for name in ("zeta", "alpha", "mid"):
        client.post("/api/strategies", json={"name": name, "payload": {}})
    names = [item["name"] for item in client.get("/api/strategies").get_json()]
    assert names == ["alpha", "mid", "zeta"]


def test_duplicate_name_is_409(client):
    """A second preset with the same name is refused with 409 on "name"."""
    client.post("/api/strategies", json={"name": "mine", "payload": {}})
    response = client.post("/api/strategies", json={"name": "mine ", "payload": {"x": 1}})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": 'a preset named "mine" already exists',
        "field": "name",
    }
    assert len(client.get("/api/strategies").get_json()) == 1


def test_markup_in_a_name_is_stored_and_returned_verbatim(client):
    """Names are data: <script> comes back exactly as sent (escaping is the dashboard's)."""
    name = "<script>alert(1)</script>"
    created = client.post("/api/strategies", json={"name": name, "payload": {}}).get_json()
    assert created["name"] == name
    assert client.get("/api/strategies").get_json()[0]["name"] == name


def test_name_of_100_characters_is_accepted(client):
    """The longest allowed name (100 characters after stripping) is stored."""
    response = client.post("/api/strategies", json={"name": "n" * 100, "payload": {}})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"payload": {}}, "name"),
        ({"name": "", "payload": {}}, "name"),
        ({"name": "   ", "payload": {}}, "name"),
        ({"name": 5, "payload": {}}, "name"),
        ({"name": None, "payload": {}}, "name"),
        ({"name": "n" * 101, "payload": {}}, "name"),
        ({"name": "ok"}, "payload"),
        ({"name": "ok", "payload": [1, 2]}, "payload"),
        ({"name": "ok", "payload": "fast=5"}, "payload"),
        ({"name": "ok", "payload": {"blob": "x" * 20_000}}, "payload"),
        ({"name": "ok", "payload": {}, "code": "import os"}, "code"),
    ],
)
def test_invalid_preset_is_400_naming_the_field(client, body, field):
    """Each invalid preset body is a 400 naming the field; nothing is stored."""
    response = client.post("/api/strategies", json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert client.get("/api/strategies").get_json() == []


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1" + "0" * 400])
def test_non_finite_number_in_payload_is_400(client, literal):
    """Payloads must stay valid JSON for browsers: NaN/Infinity are refused."""
    data = '{"name": "n", "payload": {"x": ' + literal + "}}"
    response = client.post("/api/strategies", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["field"] == "payload"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"name=x", "application/x-www-form-urlencoded"), (b"[]", "application/json")],
)
def test_preset_body_must_be_a_json_object(client, data, content_type):
    """A form post or a JSON array is a 400 on "body"."""
    response = client.post("/api/strategies", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["field"] == "body"


def test_delete_removes_the_preset_then_404s(client):
    """DELETE answers 204 once, then 404 for the same id."""
    created = client.post("/api/strategies", json={"name": "gone", "payload": {}}).get_json()
    response = client.delete(f"/api/strategies/{created['id']}")
    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/api/strategies").get_json() == []
    again = client.delete(f"/api/strategies/{created['id']}")
    assert again.status_code == 404
    assert again.get_json() == {"error": "preset not found"}


@pytest.mark.parametrize("preset_id", ["999", "-1", "abc", "1.5", "99999999999999999999"])
def test_delete_of_unknown_or_malformed_id_is_404(client, preset_id):
    """Unknown, negative, non-numeric and oversized ids are all 404 JSON."""
    response = client.delete(f"/api/strategies/{preset_id}")
    assert response.status_code == 404
    assert "error" in response.get_json()


DISTINCT_NAMES = ["DUP", "dup", "résumé", "resume", "😀", "😃", "ß", "ss"]
"""Names MariaDB's default collation (utf8mb4_general_ci) called equal in pairs."""


def _names_as_exact_text(client) -> None:
    for name in DISTINCT_NAMES:
        response = client.post("/api/strategies", json={"name": name, "payload": {}})
        assert response.status_code == 201, (name, response.get_json())
    decomposed = unicodedata.normalize("NFD", "résumé")  # e + combining accent
    response = client.post("/api/strategies", json={"name": decomposed, "payload": {}})
    assert response.status_code == 409, "the same text typed another way is the same name"
    listed = {item["name"] for item in client.get("/api/strategies").get_json()}
    assert listed == set(DISTINCT_NAMES)


def test_names_are_unique_as_exact_text_after_nfc_on_sqlite(client):
    """Case, accents and different emoji make different names; NFC makes é one name."""
    _names_as_exact_text(client)


@pytest.mark.mysql
def test_names_are_unique_as_exact_text_after_nfc_on_mariadb(empty_mysql_url, redis_url, tmp_path):
    """The schema as operators migrate it (``store.migrate.upgrade``): a binary collation,
    chosen on purpose, instead of the server's default."""
    from sqlalchemy import text

    from store.db import make_engine
    from store.migrate import upgrade
    from tests.web.support import build_app, serve, write_data_dir

    engine = make_engine(empty_mysql_url)
    upgrade(engine)
    with engine.connect() as connection:
        collation = connection.execute(
            text(
                "SELECT collation_name FROM information_schema.columns WHERE "
                "table_schema = DATABASE() AND table_name = 'strategy_presets' "
                "AND column_name = 'name'"
            )
        ).scalar_one()
    engine.dispose()
    assert collation == "utf8mb4_bin"
    for app in serve(build_app(empty_mysql_url, redis_url, write_data_dir(tmp_path / "d"))):
        _names_as_exact_text(app.test_client())


def _create(client, name: str, payload: dict | None = None) -> dict:
    response = client.post("/api/strategies", json={"name": name, "payload": payload or PAYLOAD})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_get_one_preset_by_id(client):
    created = _create(client, "one")
    response = client.get(f"/api/strategies/{created['id']}")
    assert response.status_code == 200
    assert response.get_json() == created
    assert client.get("/api/strategies/999999").status_code == 404


def test_put_replaces_name_and_payload(client):
    created = _create(client, "before")
    changed = {"rule_type": "RSI", "params": {"period": 9, "oversold": 25, "overbought": 75}}
    response = client.put(
        f"/api/strategies/{created['id']}", json={"name": "after", "payload": changed}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["name"], body["payload"]) == (created["id"], "after", changed)
    assert [p["name"] for p in client.get("/api/strategies").get_json()] == ["after"]
    same = client.put(f"/api/strategies/{created['id']}", json={"name": "after", "payload": {}})
    assert same.status_code == 200, "keeping its own name is no conflict"


def test_put_of_an_unknown_preset_is_404(client):
    response = client.put("/api/strategies/4242", json={"name": "x", "payload": PAYLOAD})
    assert response.status_code == 404


def test_put_to_another_presets_name_is_409(client):
    _create(client, "taken")
    mine = _create(client, "mine")
    response = client.put(f"/api/strategies/{mine['id']}", json={"name": "taken", "payload": {}})
    assert response.status_code == 409
    assert response.get_json()["field"] == "name"
    assert client.get(f"/api/strategies/{mine['id']}").get_json()["name"] == "mine"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"rule_type": "NO_SUCH_RULE"}, "payload.rule_type"),
        ({"rule_type": "RSI", "params": {"period": 1}}, "payload.params.period"),
        ({"rule_type": "RSI", "params": {"period": 14, "bogus": 1}}, "payload.params.bogus"),
        ({"params": {"period": 14}}, "payload.rule_type"),
        (
            {
                "rule_type": "COMPOSITE",
                "params": {"operator": "OR", "rules": [{"rule_type": "RSI"}, {"rule_type": "X"}]},
            },
            "payload.params.rules[1].rule_type",
        ),
    ],
)
def test_a_preset_with_an_invalid_rule_is_refused_naming_the_field(client, payload, field):
    """At create and at update: the rule registry's checks, as for a run request."""
    response = client.post("/api/strategies", json={"name": "bad", "payload": payload})
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    created = _create(client, "good")
    response = client.put(
        f"/api/strategies/{created['id']}", json={"name": "g", "payload": payload}
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert client.get(f"/api/strategies/{created['id']}").get_json()["payload"] == PAYLOAD


@pytest.mark.parametrize(
    "payload",
    [
        {"fee_rate": 0.002},
        {"rule_type": "rsi"},
        {"rule_type": "RSI", "params": {"period": 9}},
        {"rule_type": "SMA_CROSS", "params": None, "ticker": "ANY"},
    ],
)
def test_a_partial_preset_is_accepted_and_stored_as_sent(client, payload):
    """A preset need not be a whole request: the form fills missing values with defaults."""
    assert _create(client, "partial", payload)["payload"] == payload


@pytest.mark.parametrize("preset_id", ["999", "-1", "abc", "99999999999999999999"])
@pytest.mark.parametrize("method", ["get", "put"])
def test_get_and_put_of_unknown_or_malformed_id_are_404(client, method, preset_id):
    response = getattr(client, method)(
        f"/api/strategies/{preset_id}", json={"name": "n", "payload": {}}
    )
    assert response.status_code == 404
    assert "error" in response.get_json()
