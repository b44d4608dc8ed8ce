"""The suite touches only what it is given: the Redis database index and MySQL server named
by TEST_REDIS_URL / TEST_DATABASE_URL (``tests.servers``), servers it starts itself on free
ports, and the demo data git tracks, copied (``tests.demo_data``), never the checkout's
``data/`` folder where a user's own files may lie."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.demo_data import tracked_data_files
from tests.servers import given_redis_url, sibling_redis_url

TESTS = Path(__file__).resolve().parent

SERVER_URL = re.compile(r"\b(?:rediss?|mysql(?:\+\w+)?|mariadb(?:\+\w+)?)://[^\s\"'`]*")
"""A Redis or MySQL URL written in a test's source."""

CLOSED_PORT = re.compile(r":1(?:/|$)")
"""``host:1``: a port nothing listens on, to see a server down."""

MAY_NAME_SERVERS = {
    "deploy": "checks the manifests' and compose files' own settings",
    "config": "parses configuration values; connects to none",
    "servers.py": "the defaults of TEST_REDIS_URL, the one place that names them",
    "conftest.py": "documents those defaults",
    "store/test_dbapi.py": "parses URLs into connection arguments; connects to none",
    "web/test_web_factory.py": "checks the app's configured values and documented defaults",
}
"""Test sources that may write a server's URL, and why (paths relative to tests/)."""

REPO_DATA = re.compile(
    r"parents\[\d\]\s*/\s*[\"']data[\"']|ROOT\s*/\s*[\"']data[\"']|\bPACKAGE_DIR\b"
)
"""A test naming the checkout's ``data/`` folder instead of the session's copy."""

MAY_NAME_REPO_DATA = {
    "demo_data.py": "makes the session's copy of the tracked files",
    "deploy/test_deploy_container.py": "checks what the image build copies from the checkout",
    "data/test_data_location.py": "checks where DATA_DIR points when it is unset",
    "data/test_data_import_csv.py": "checks an import leaves the checkout's catalog untouched",
    "data/test_data_generate.py": "checks the generator remakes the committed files exactly",
    "data/test_data_generate_intraday.py": "the same for the committed hourly file",
}
"""Test sources that may name the checkout's data folder, and why."""


def _sources(allowed: dict[str, str]) -> list[tuple[str, str]]:
    """(path relative to tests/, text) of every test source not in ``allowed`` (a folder
    name there covers the folder)."""
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(TESTS).as_posix()
        if relative in allowed or relative.split("/")[0] in allowed:
            continue
        if path.resolve() != Path(__file__).resolve():
            found.append((relative, path.read_text()))
    return found


def test_no_test_module_names_a_redis_or_mysql_server_of_its_own():
    named = [
        f"{relative}: {url}"
        for relative, text in _sources(MAY_NAME_SERVERS)
        for url in SERVER_URL.findall(text)
        if not CLOSED_PORT.search(url) and "{" not in url
    ]
    assert named == [], "use redis_url / mysql_url / tests.servers, or a closed port (:1)"


def test_the_scan_sees_a_hard_coded_url_and_lets_a_closed_port_or_a_free_one_pass():
    """The patterns above catch what the quant found (the lifecycle test's own Redis
    database) and let through what is fine."""
    caught = SERVER_URL.findall('url = "redis://127.0.0.1:6379/13"  # mysql+pymysql://r@h/x')
    assert caught == ["redis://127.0.0.1:6379/13", "mysql+pymysql://r@h/x"]
    assert CLOSED_PORT.search("redis://127.0.0.1:1/0")
    assert not CLOSED_PORT.search("redis://127.0.0.1:16379/0")
    assert "{" in SERVER_URL.findall('f"redis://127.0.0.1:{port}/0"')[0]


def test_the_stacks_use_the_databases_below_the_given_one_on_its_server():
    given = given_redis_url()
    base, _, index = given.rpartition("/")
    assert sibling_redis_url(1) == f"{base}/{(int(index) - 1) % 16}"
    assert sibling_redis_url(2) == f"{base}/{(int(index) - 2) % 16}"
    assert sibling_redis_url(1, "redis://:pw@h:7000/0") == "redis://:pw@h:7000/15"
    assert sibling_redis_url(2, "redis://h:7000") == "redis://h:7000/14"


def test_no_test_module_reads_the_checkouts_data_folder():
    naming = [relative for relative, text in _sources(MAY_NAME_REPO_DATA) if REPO_DATA.search(text)]
    assert naming == [], "take the demo_data_dir fixture (a copy of the tracked demo data)"


def test_the_session_data_folder_holds_only_the_tracked_demo_files(demo_data_dir: Path):
    held = sorted(p.relative_to(demo_data_dir) for p in demo_data_dir.rglob("*") if p.is_file())
    assert held == tracked_data_files()
    assert Path("catalog.json") in held and any(p.suffix == ".csv" for p in held)
    assert os.environ["DATA_DIR"] == str(demo_data_dir)
