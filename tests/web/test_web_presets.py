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
    assert list(created) == ["id", "name", "payload", "created_at", "created_by"]
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
