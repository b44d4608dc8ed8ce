"""Every command and request the documentation shows is run, so the docs cannot drift from
the code: each fenced ``bash``/``sh``/``json`` block of README.md and docs/*.md.

* ``curl`` requests run against the platform's app (Flask's test client, a temporary
  SQLite database, the real test Redis, the shipped demo data in data/): each answers
  below 400, and a ``<run_id>`` placeholder takes the run the block submitted.
* ``python -m …`` commands say how they are checked in an HTML comment just above the block:
  ``<!-- doc-test: parse-only (why) -->`` parses them with the module's own argparse parser
  (its ``build_parser()``; the bulk commands' tickers must be in the catalog), for commands
  that wait for a platform; ``<!-- doc-test: run (…) -->`` runs them for real in a
  subprocess on a temporary database and user data directory; each must exit 0.
* ``<!-- doc-test: skip reason -->`` skips a block, and a block made only of the commands in
  ``SKIPPED_COMMANDS`` (a cluster's, a container engine's) is skipped for that reason.
  Anything else is an unchecked example, and a failure.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scripts.local_stack import DEFAULT_PORT
from tests.docs.test_docs import ROOT, markdown_files
from tests.servers import given_redis_url

_BLOCK = re.compile(
    r"(?:<!--\s*doc-test:\s*(?P<marker>[^>]*?)\s*-->\s*\n)?"
    r"^(?P<indent>[ \t]*)```(?P<lang>bash|sh|json)[ \t]*\n(?P<body>.*?)^[ \t]*```[ \t]*$",
    re.M | re.S,
)

SKIPPED_COMMANDS = {
    "kubectl": "needs a Kubernetes cluster",
    "argocd": "needs Argo CD on a cluster",
    "docker": "needs a container engine",
    "podman": "needs a container engine",
    "podman-compose": "needs a container engine",
    "redis-cli": "reads a running platform's Redis",
    "git": "reads the deployment repository's history",
    "cp": "copies deployment secrets",
    "eval": "sets up podman's environment",
}
"""Commands that cannot run here, with the reason."""

_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


@dataclass(frozen=True)
class Example:
    """One fenced block: where it is, its language, its doc-test marker and its text."""

    path: Path
    line: int
    lang: str
    marker: str
    body: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def examples() -> list[Example]:
    """Every bash/sh/json fenced block of README.md and docs/*.md."""
    found = []
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start("indent")) + 1
            body = "\n".join(
                row[len(match["indent"]) :] if row.startswith(match["indent"]) else row
                for row in match["body"].splitlines()
            )
            found.append(Example(path, line, match["lang"], match["marker"] or "", body))
    return found


def commands(body: str) -> list[list[str]]:
    """The shell commands of a block as words (comments dropped, continuation lines and
    quoted newlines joined), without leading ``NAME=value`` assignments; a line that only
    assigns is left out."""
    out, pending = [], ""
    for line in body.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line + "\n"
        try:
            words = shlex.split(pending, comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        pending = ""
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words:
            out.append(words)
    return out


def _program(words: list[str]) -> str:
    return Path(words[0]).name


def _module(words: list[str]) -> tuple[str, list[str]]:
    """(module, its arguments) of ``python -m module args…``."""
    index = words.index("-m")
    return words[index + 1], words[index + 2 :]


def skip_reason(example: Example) -> str | None:
    """Why a block is not run, or None."""
    if example.marker.startswith("skip"):
        return example.marker.removeprefix("skip").strip() or "marked skip"
    if example.lang == "json":
        return None
    programs = {_program(words) for words in commands(example.body)}
    if programs and programs <= set(SKIPPED_COMMANDS):
        return "; ".join(sorted({SKIPPED_COMMANDS[p] for p in programs}))
    return None


# -- parse-only: the module's own parser -----------------------------------------------------


def parse(module: str, argv: list[str]):
    """The namespace ``module``'s command line parser makes of ``argv``.

    :raise SystemExit: the parser refused it (argparse prints why).
    """
    if module == "scripts.bulk_submit":
        from scripts.bulk_submit import split_subcommand

        command, argv = split_subcommand(argv)
        module = f"scripts.bulk_{command}" if command else module
    import importlib

    return importlib.import_module(module).build_parser().parse_args(argv)


def check_parsed(example: Example, words: list[str]) -> None:
    module, argv = _module(words)
    args = parse(module, argv)
    tickers = getattr(args, "tickers", None)
    if isinstance(tickers, str):
        tickers = tickers.split(",")
    if tickers is not None and module.startswith("scripts."):
        from data.catalog import load_catalog
        from data.location import data_dir

        catalog = load_catalog(data_dir(), user_dir=None)  # the session's demo data
        unknown = [t for t in tickers if t not in catalog]
        assert unknown == [], f"{example}: tickers not in the catalog: {unknown}"


# -- run: a real subprocess ------------------------------------------------------------------


def run_for_real(example: Example, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'docs.sqlite3'}",
        "USER_DATA_DIR": str(tmp_path / "home"),
    }
    python = [sys.executable, "-m"]
    init = subprocess.run([*python, "web", "init-db"], cwd=ROOT, env=env, capture_output=True)
    assert init.returncode == 0, init.stderr
    for words in commands(example.body):
        module, argv = _module(words)
        done = subprocess.run(
            [*python, module, *argv], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{example}: {shlex.join(words)}: {done.stderr}"


# -- curl: the app's test client -------------------------------------------------------------

LOCAL_PLATFORM = {(host, DEFAULT_PORT) for host in ("localhost", "127.0.0.1")}
"""Where a doc's request goes: the platform started by the README's command."""


def curl_request(words: list[str]) -> tuple[str, str, dict[str, str], str | None]:
    """(method, path with query, headers, body) of a curl command line."""
    method, headers, body, url = None, {}, None, None
    words = words[1:]
    while words:
        word = words.pop(0)
        if word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, _, value = words.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw"):
            body = words.pop(0)
        elif not word.startswith("-"):
            url = word
    assert url is not None, f"no URL in {words}"
    parts = urlsplit(url if "://" in url else f"http://{url}")
    assert (parts.hostname, str(parts.port)) in LOCAL_PLATFORM, (
        f"{url} is not where the platform listens (localhost:{DEFAULT_PORT}, scripts.local_stack)"
    )
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return method or ("POST" if body is not None else "GET"), path, headers, body


def run_requests(example: Example, client) -> None:
    last_run_id = None
    for words in commands(example.body):
        assert _program(words) == "curl", f"{example}: not a request: {shlex.join(words)}"
        method, path, headers, body = curl_request(words)
        if "<run_id>" in path:
            assert last_run_id, f"{example}: <run_id> before any run was submitted"
            path = path.replace("<run_id>", last_run_id)
        response = client.open(path, method=method, headers=headers, data=body)
        assert response.status_code < 400, (
            f"{example}: {method} {path} answered {response.status_code}: "
            f"{response.get_data(as_text=True)[:300]}"
        )
        answer = response.get_json(silent=True)
        if isinstance(answer, dict) and answer.get("run_id"):
            last_run_id = answer["run_id"]


# -- the tests -------------------------------------------------------------------------------


EXAMPLES = examples()


@pytest.fixture(scope="module")
def docs_client(tmp_path_factory, request, demo_data_dir):
    """The platform's app on the shipped demo data, a fresh SQLite file and the test Redis."""
    from tests.web.support import app_with_schema, close_app

    redis_url = request.getfixturevalue("redis_url")
    folder = tmp_path_factory.mktemp("docs-app")
    app = app_with_schema(f"sqlite:///{folder / 'app.sqlite3'}", redis_url, demo_data_dir)
    yield app.test_client()
    close_app(app)


@pytest.fixture(scope="module")
def redis_url():
    """The test Redis (module-wide here: the examples share one app)."""
    from redis import Redis

    url = given_redis_url()
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()
    connection.close()


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_documented_example_runs(example: Example, docs_client, tmp_path: Path) -> None:
    """The block runs as its marker says (or is a request of ours, or is skipped with a
    reason): the docs show only commands and requests that work."""
    reason = skip_reason(example)
    if reason is not None:
        pytest.skip(f"{example}: {reason}")
    marker = example.marker.split(" ", 1)[0]
    found = commands(example.body) if example.lang != "json" else []
    assert found, f"{example}: an unmarked {example.lang} block that runs nothing"
    python = [w for w in found if "-m" in w and _program(w).startswith("python")]
    if python:
        assert marker in ("parse-only", "run"), (
            f"{example}: a python command needs <!-- doc-test: parse-only (why) --> or "
            "<!-- doc-test: run --> above its block"
        )
        assert len(python) == len(found), f"{example}: mixes python and other commands"
        if marker == "run":
            run_for_real(example, tmp_path)
        else:
            for words in python:
                check_parsed(example, words)
        return
    run_requests(example, docs_client)


def test_the_runner_finds_the_readme_quickstart_and_checks_most_blocks() -> None:
    """The examples are found (the README's quickstart among them) and most are checked,
    not skipped."""
    where = {str(e) for e in EXAMPLES}
    assert any(w.startswith("README.md:") for w in where)
    checked = [e for e in EXAMPLES if skip_reason(e) is None]
    assert len(checked) >= 8, [str(e) for e in checked]


def test_a_ticker_outside_the_catalog_or_a_bad_body_fails_the_runner(docs_client) -> None:
    """What the runner would catch: GOOG (not in the catalog) in a parse-only bulk command,
    and a run request without its dates."""
    bad = Example(ROOT / "docs" / "x.md", 1, "bash", "parse-only", "")
    words = "python -m scripts.bulk_sweep --rule RSI --tickers GOOG --start 2016-01-01 --end 2020"
    with pytest.raises(AssertionError, match="GOOG"):
        check_parsed(bad, shlex.split(words + "-12-31"))
    body = json.dumps({"ticker": "ACME", "rule_type": "RSI"})
    request = Example(
        ROOT / "docs" / "x.md",
        1,
        "bash",
        "",
        f"curl -X POST localhost:5000/run_backtest -H 'Content-Type: application/json' -d '{body}'",
    )
    with pytest.raises(AssertionError, match="answered 400"):
        run_requests(request, docs_client)
