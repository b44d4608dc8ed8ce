"""What the consumer pod gives the strategy sandbox, and the opt-in gVisor component.

The sandbox confines its child with rlimits, Landlock and seccomp from inside the consumer's
container: it needs no capability, a seccomp profile that lets ``prctl``, ``seccomp`` and the
``landlock_*`` calls through (RuntimeDefault does; Unconfined would too, but is refused by the
restricted Pod Security level), a writable /tmp emptyDir for its scratch directories on a
read-only root, and a memory limit above the child's address-space limit. Every consumer
ScaledJob's pod template is checked for each. k8s/components/gvisor, rendered on top of the
prod overlay, adds the RuntimeClass (handler runsc) and names it in both ScaledJobs' pods and
nowhere else; every object passes the schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from config import process
from consumer.pod_template import memory_bytes
from tests.deploy.support import (
    K8S_DIR,
    by_kind,
    crd_errors,
    is_crd_kind,
    kubernetes_errors,
    kustomize,
    one,
    prod_with_component,
)
from tests.deploy.test_deploy_k8s import OVERLAY_DIRS

COMPONENT = K8S_DIR / "components" / "gvisor"
CONSUMER_HEADROOM = 384 * 2**20
"""Memory the consumer itself needs beside its sandboxed child (numpy, numba, pandas, RQ)."""


def scaled_jobs(docs: list[dict]) -> list[dict]:
    return by_kind(docs, "ScaledJob")


def consumer_pod(scaled_job: dict) -> tuple[dict, dict]:
    """(pod spec, consumer container) of a ScaledJob's template."""
    pod = scaled_job["spec"]["jobTargetRef"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "consumer"]
    return pod, container


@pytest.fixture(scope="module")
def prod() -> list[dict]:
    return kustomize(OVERLAY_DIRS["prod"])


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The prod overlay with the gVisor component."""
    return prod_with_component(tmp_path_factory.mktemp("tree"), "gvisor")


def test_every_consumer_pod_lets_the_sandbox_confine_itself(prod: list[dict]) -> None:
    jobs = scaled_jobs(prod)
    assert len(jobs) == 2
    child_memory = process.SANDBOX_MEMORY_MB.default << 20
    for job in jobs:
        name = job["metadata"]["name"]
        pod, container = consumer_pod(job)
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        # seccomp: the runtime's default profile, which lets prctl, seccomp and landlock_* pass.
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, name
        # No capability is needed, none is added; no privilege escalation.
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["runAsNonRoot"] is True and context["runAsUser"] != 0, name
        # A read-only root, and /tmp (the sandbox's scratch directories) a writable emptyDir
        # larger than one strategy may write.
        assert context["readOnlyRootFilesystem"] is True, name
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        scratch = volumes[mounts["/tmp"]]
        assert not container["volumeMounts"][0].get("readOnly", False), name
        assert memory_bytes(scratch["emptyDir"]["sizeLimit"]) > process.SANDBOX_DISK_BYTES.default
        # The memory limit holds the consumer and its child at its address-space limit.
        limit = memory_bytes(container["resources"]["limits"]["memory"])
        assert limit >= child_memory + CONSUMER_HEADROOM, (name, limit)
        # Not a runtime without Landlock unless the gVisor component is asked for.
        assert "runtimeClassName" not in pod, name


def test_the_gvisor_component_adds_only_its_runtime_class(prod, sandboxed) -> None:
    def identity(doc: dict) -> tuple[str, str]:
        return doc["kind"], doc["metadata"]["name"]

    added = {identity(d) for d in sandboxed} - {identity(d) for d in prod}
    assert added == {("RuntimeClass", "gvisor")}
    runtime = one(sandboxed, "RuntimeClass", "gvisor")
    assert runtime["handler"] == "runsc"
    assert "namespace" not in runtime["metadata"]  # cluster-scoped


def test_the_gvisor_component_runs_every_consumer_job_and_nothing_else_under_runsc(
    sandboxed: list[dict],
) -> None:
    names = set()
    for doc in sandboxed:
        spec = doc.get("spec") or {}
        template = spec.get("jobTargetRef") or spec.get("jobTemplate", {}).get("spec") or spec
        pod = (template.get("template") or {}).get("spec") or {}
        if "runtimeClassName" in pod:
            assert pod["runtimeClassName"] == "gvisor"
            names.add((doc["kind"], doc["metadata"]["name"]))
    assert names == {(j["kind"], j["metadata"]["name"]) for j in scaled_jobs(sandboxed)}
    assert len(names) == 2


def test_the_rendered_kubernetes_objects_pass_the_schema(sandboxed: list[dict]) -> None:
    found = {
        f"{d['kind']}/{d['metadata']['name']}": kubernetes_errors(d)
        for d in sandboxed
        if not is_crd_kind(d)
    }
    assert "RuntimeClass/gvisor" in found
    assert {name: errors for name, errors in found.items() if errors} == {}


def test_the_patched_scaled_jobs_pass_the_keda_schema(sandboxed: list[dict]) -> None:
    found = {j["metadata"]["name"]: crd_errors(j) for j in scaled_jobs(sandboxed)}
    assert {name: errors for name, errors in found.items() if errors} == {}


def test_the_component_says_what_the_sandbox_loses_under_gvisor() -> None:
    """gVisor has no Landlock: the component's own text says the sandbox then refuses."""
    text = (COMPONENT / "kustomization.yaml").read_text(encoding="utf-8")
    assert "does not implement Landlock" in text
    assert "Landlock ABI 0 is below 6" in text
    assert Path(COMPONENT / "runtimeclass.yaml").is_file()
