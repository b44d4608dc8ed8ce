"""Consistency tests for docs/architecture.md and docs/ops-guide.md against the manifests.

The operator documents name labels, Redis keys, tables and numbers that live in the manifests;
these tests fail when one side changes without the other.
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.support import KEDA_DIR, ROOT, load_doc
from tests.deploy.test_deploy_k8s import BASE_DIR, OVERLAY_DIRS, base_literals

ARCHITECTURE = ROOT / "docs" / "architecture.md"
OPS_GUIDE = ROOT / "docs" / "ops-guide.md"


@pytest.fixture(scope="module")
def scaledjob() -> dict:
    """keda/scaledjob.yaml."""
    return load_doc(KEDA_DIR / "scaledjob.yaml")


def test_architecture_has_its_four_diagrams() -> None:
    """Run flow (sequence), Kubernetes topology, CI/CD + GitOps and the broker's signal →
    order → book → fill → position → ledger (flowcharts), in mermaid."""
    blocks = re.findall(r"```mermaid\n(.*?)```", ARCHITECTURE.read_text(encoding="utf-8"), re.S)
    kinds = [block.split(maxsplit=1)[0] for block in blocks]
    assert kinds == ["sequenceDiagram", "flowchart", "flowchart", "flowchart"]
    broker = blocks[3]
    for step in ("signal", "order", "book", "fill", "position", "ledger"):
        assert f'["{step}' in broker, step


def test_ops_guide_triage_uses_the_real_names(scaledjob: dict) -> None:
    """The triage commands name the ScaledJob label, the queue keys and the results table."""
    from store.models import BacktestRun

    text = OPS_GUIDE.read_text(encoding="utf-8")
    queue = base_literals()["RQ_QUEUE"]
    assert f"scaledjob.keda.sh/name={scaledjob['metadata']['name']}" in text
    assert f"LRANGE rq:queue:{queue} 0 -1" in text
    assert "HGETALL rq:job:$RUN" in text
    assert f"ZRANGE rq:wip:{queue} 0 -1 WITHSCORES" in text
    assert f"FROM {BacktestRun.__tablename__} WHERE run_id" in text


def test_ops_guide_covers_secret_keda_and_rollback() -> None:
    """Deploy from scratch (KEDA, both Secrets, apply -k of the prod overlay, the Argo CD
    project), both rollback routes and the restore are documented with the real paths."""
    text = OPS_GUIDE.read_text(encoding="utf-8")
    for needle in (
        "helm install keda",
        "kubectl apply -f k8s/secret.yaml",
        "cp k8s/base/secret-template.yaml k8s/secret.yaml",
        "create secret docker-registry ghcr-pull",
        "read:packages",
        "kubectl apply -k k8s/overlays/prod",
        "k8s/argocd/appproject.yaml",
        "job/db-init",
        "git revert",
        "argocd app rollback",
        "k8s/base/mysql-restore-job-template.yaml",
        "create job --from=cronjob/mysql-backup",
        "Prune=false,Delete=false",
    ):
        assert needle in text, needle


def test_documented_paths_exist() -> None:
    """Every k8s/ path the operator documents names files or directories of the tree (the
    git-ignored k8s/secret.yaml aside; <env> stands for each overlay, * for a glob)."""
    text = OPS_GUIDE.read_text(encoding="utf-8") + ARCHITECTURE.read_text(encoding="utf-8")
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    paths = set(re.findall(r"\bk8s/(?:[\w./*-]|<env>)*[\w/*>]", text)) - {"k8s/secret.yaml"}
    assert len(paths) > 10
    for path in sorted(paths):
        for env in OVERLAY_DIRS:
            assert list(ROOT.glob(path.replace("<env>", env).rstrip("/"))), path


def test_documented_waves_match_the_manifests() -> None:
    """The ops guide's wave table names the wave each object carries in the base."""
    from tests.deploy.support import kustomize

    text = OPS_GUIDE.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (-?\d) \| ([^|]+) \|", text, re.M))
    waves = {
        (d["kind"], d["metadata"]["name"]): d["metadata"]["annotations"][
            "argocd.argoproj.io/sync-wave"
        ]
        for d in kustomize(BASE_DIR)
    }
    assert set(rows) == set(waves.values())
    assert "Namespace" in rows[waves[("Namespace", "stock-backtest")]]
    assert "db-init" in rows[waves[("Job", "db-init")]]
    assert "ScaledJob" in rows[waves[("ScaledJob", "backtest-consumer")]]
    assert "backup" in rows[waves[("CronJob", "mysql-backup")]]
    assert "MySQL" in rows[waves[("StatefulSet", "mysql")]]


def test_documented_numbers_match_the_manifests(scaledjob: dict) -> None:
    """The scaling knobs quoted in the docs are the values in the manifests."""
    text = OPS_GUIDE.read_text(encoding="utf-8") + ARCHITECTURE.read_text(encoding="utf-8")
    spec = scaledjob["spec"]
    expected = {
        "maxReplicaCount": spec["maxReplicaCount"],
        "pollingInterval": spec["pollingInterval"],
        "RQ_JOB_TIMEOUT": int(base_literals()["RQ_JOB_TIMEOUT"]),
    }
    for name, value in expected.items():
        quoted = {int(n) for n in re.findall(rf"`{name}` \((\d+)", text)}
        assert quoted == {value}, name
    job = spec["jobTargetRef"]
    grace = job["template"]["spec"]["terminationGracePeriodSeconds"]
    assert f"| `activeDeadlineSeconds` | {job['activeDeadlineSeconds']} |" in text
    assert f"| `terminationGracePeriodSeconds` | {grace} |" in text
    long_runs = OPS_GUIDE.read_text(encoding="utf-8")
    assert f"| consumer `activeDeadlineSeconds` | {job['activeDeadlineSeconds']} s |" in long_runs
    assert f"| consumer `terminationGracePeriodSeconds` | {grace} s |" in long_runs
    assert f"`successfulJobsHistoryLimit` ({spec['successfulJobsHistoryLimit']})" in text
