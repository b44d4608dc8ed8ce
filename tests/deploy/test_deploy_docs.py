"""Consistency tests for docs/architecture.md and docs/ops-guide.md against the manifests.

The operator documents name labels, Redis keys, tables and numbers that live in the manifests;
these tests fail when one side changes without the other.
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.support import KEDA_DIR, ROOT, configmap_literals, load_doc

ARCHITECTURE = ROOT / "docs" / "architecture.md"
OPS_GUIDE = ROOT / "docs" / "ops-guide.md"


@pytest.fixture(scope="module")
def scaledjob() -> dict:
    """keda/scaledjob.yaml."""
    return load_doc(KEDA_DIR / "scaledjob.yaml")


def test_architecture_has_the_three_diagrams() -> None:
    """Run flow (sequence), Kubernetes topology and CI/CD + GitOps (flowcharts), in mermaid."""
    blocks = re.findall(r"```mermaid\n(.*?)```", ARCHITECTURE.read_text(encoding="utf-8"), re.S)
    kinds = [block.split(maxsplit=1)[0] for block in blocks]
    assert kinds == ["sequenceDiagram", "flowchart", "flowchart"]


def test_ops_guide_triage_uses_the_real_names(scaledjob: dict) -> None:
    """The triage commands name the ScaledJob label, the queue keys and the results table."""
    from store.models import BacktestRun

    text = OPS_GUIDE.read_text(encoding="utf-8")
    queue = configmap_literals()["RQ_QUEUE"]
    assert f"scaledjob.keda.sh/name={scaledjob['metadata']['name']}" in text
    assert f"LRANGE rq:queue:{queue} 0 -1" in text
    assert "HGETALL rq:job:$RUN" in text
    assert f"ZRANGE rq:wip:{queue} 0 -1 WITHSCORES" in text
    assert f"FROM {BacktestRun.__tablename__} WHERE run_id" in text


def test_ops_guide_covers_secret_keda_and_rollback() -> None:
    """Deploy from scratch (KEDA, the Secret, apply -k) and both rollback routes are documented."""
    text = OPS_GUIDE.read_text(encoding="utf-8")
    for needle in (
        "helm install keda",
        "kubectl apply -f k8s/secret.yaml",
        "kubectl apply -k k8s/",
        "job/db-init",
        "git revert",
        "argocd app rollback",
    ):
        assert needle in text, needle


def test_documented_numbers_match_the_manifests(scaledjob: dict) -> None:
    """The scaling knobs quoted in the docs are the values in the manifests."""
    text = OPS_GUIDE.read_text(encoding="utf-8") + ARCHITECTURE.read_text(encoding="utf-8")
    spec = scaledjob["spec"]
    expected = {
        "maxReplicaCount": spec["maxReplicaCount"],
        "pollingInterval": spec["pollingInterval"],
        "RQ_JOB_TIMEOUT": int(configmap_literals()["RQ_JOB_TIMEOUT"]),
    }
    for name, value in expected.items():
        quoted = {int(n) for n in re.findall(rf"`{name}` \((\d+)", text)}
        assert quoted == {value}, name
    job = spec["jobTargetRef"]
    assert f"| `activeDeadlineSeconds` | {job['activeDeadlineSeconds']} |" in text
    assert f"`successfulJobsHistoryLimit` ({spec['successfulJobsHistoryLimit']})" in text
