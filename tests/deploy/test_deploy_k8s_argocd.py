"""Tests for what Argo CD does with the manifests: the sync waves (namespace and config first,
the datastores, the schema migration, then the new code, the backups last), the migration hook,
the objects it must never delete, and the AppProject and Application in k8s/argocd/.

There is no Argo CD here to sync; the tests read the annotations and the two Argo CD objects
as Argo CD would (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/,
.../user-guide/sync-options/).
"""

from __future__ import annotations

import pytest

from tests.deploy.support import K8S_DIR, by_kind, kustomize, load_doc, one
from tests.deploy.test_deploy_k8s import NAMESPACE, OVERLAY_DIRS, component

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
ARGOCD_DIR = K8S_DIR / "argocd"

DATASTORES = {"mysql", "redis"}
NEW_CODE = {"web", "consumer", "reaper", "retention"}


def annotations(doc: dict) -> dict[str, str]:
    """An object's annotations (empty when it has none)."""
    return doc["metadata"].get("annotations") or {}


def wave(doc: dict) -> int:
    """The object's sync wave (Argo CD's default is 0; every object here sets one)."""
    return int(annotations(doc)[WAVE])


def options(doc: dict) -> set[str]:
    """The object's sync options, as Argo CD splits the annotation (comma, spaces trimmed)."""
    return {part.strip() for part in annotations(doc).get(SYNC_OPTIONS, "").split(",") if part}


def role(doc: dict) -> str | None:
    """The component label of an object (workloads: of their pods)."""
    return component(doc) or doc["metadata"].get("labels", {}).get("app.kubernetes.io/component")


def api_group(doc: dict) -> str:
    """The API group of an object ("" for the core group)."""
    version = doc["apiVersion"]
    return version.split("/")[0] if "/" in version else ""


@pytest.fixture(scope="module", params=sorted(OVERLAY_DIRS))
def rendered(request: pytest.FixtureRequest) -> list[dict]:
    """Everything an overlay renders."""
    return kustomize(OVERLAY_DIRS[request.param])


@pytest.fixture(scope="module")
def application() -> dict:
    """k8s/argocd/application.yaml."""
    return load_doc(ARGOCD_DIR / "application.yaml")


@pytest.fixture(scope="module")
def project() -> dict:
    """k8s/argocd/appproject.yaml."""
    return load_doc(ARGOCD_DIR / "appproject.yaml")


# --- sync waves -------------------------------------------------------------------------------


def test_every_object_names_its_wave(rendered: list[dict]) -> None:
    """Each rendered object carries an explicit integer sync wave."""
    missing = [
        f"{d['kind']}/{d['metadata']['name']}" for d in rendered if WAVE not in annotations(d)
    ]
    assert missing == []
    assert all(isinstance(wave(d), int) for d in rendered)


def test_waves_run_config_then_datastores_then_migration_then_code(rendered: list[dict]) -> None:
    """Namespace < ServiceAccounts, ConfigMap, NetworkPolicies < MySQL and Redis < the db-init
    migration < web, reaper and the KEDA objects < backups."""
    namespace = wave(one(rendered, "Namespace", NAMESPACE))
    config = {wave(d) for d in rendered if d["kind"] in {"ServiceAccount", "ConfigMap"}}
    policies = {wave(d) for d in by_kind(rendered, "NetworkPolicy")}
    datastores = {wave(d) for d in rendered if role(d) in DATASTORES}
    migration = wave(one(rendered, "Job", "db-init"))
    code = {wave(d) for d in rendered if role(d) in NEW_CODE}
    backups = {wave(d) for d in rendered if role(d) == "backup"}
    assert len(config | policies) == 1 and len(datastores) == 1 and len(code) == 1
    assert namespace < min(config | policies) < min(datastores) < migration < min(code)
    assert min(backups) > migration
    assert max(wave(d) for d in rendered) == max(backups)


def test_the_app_waits_for_the_migration(rendered: list[dict]) -> None:
    """Every object of the new code (web, consumer, reaper: Deployments, Services, Ingress,
    PDB, CronJob, ScaledJob, TriggerAuthentication) comes after the db-init wave."""
    migration = wave(one(rendered, "Job", "db-init"))
    early = [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in rendered
        if role(d) in NEW_CODE and wave(d) <= migration
    ]
    assert early == []
    assert wave(one(rendered, "ScaledJob", "backtest-consumer")) > migration


def test_claims_never_wait_for_a_consumer_of_a_later_wave(rendered: list[dict]) -> None:
    """A WaitForFirstConsumer claim stays Pending (Argo CD: Progressing) until a pod mounts it,
    so each claim shares its wave with the workload that mounts it, or is in the last wave."""
    last = max(wave(d) for d in rendered)
    users: dict[str, set[int]] = {}
    for doc in rendered:
        spec = None
        if doc["kind"] in {"Deployment", "StatefulSet"}:
            spec = doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            spec = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for volume in (spec or {}).get("volumes", []):
            if "persistentVolumeClaim" in volume:
                users.setdefault(volume["persistentVolumeClaim"]["claimName"], set()).add(wave(doc))
    for claim in by_kind(rendered, "PersistentVolumeClaim"):
        name = claim["metadata"]["name"]
        assert name in users, name
        assert wave(claim) in users[name] or wave(claim) == last, name


def test_the_migration_is_a_sync_hook_recreated_on_every_sync(rendered: list[dict]) -> None:
    """db-init is a Sync hook (ordered by its wave among the resources), replaced before each
    sync so a new image's migration always runs."""
    job = annotations(one(rendered, "Job", "db-init"))
    assert job[HOOK] == "Sync"
    assert job["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
    assert [d for d in rendered if HOOK in annotations(d)] == [one(rendered, "Job", "db-init")]


def test_init_db_is_the_alembic_upgrade() -> None:
    """What db-init runs, `python -m web init-db`, is store.migrate.upgrade: Alembic's
    `upgrade head` (after adopting a pre-migration database)."""
    import inspect

    from store import migrate
    from web import db

    assert "upgrade(engine)" in inspect.getsource(db.init_db)
    assert 'command.upgrade(config, "head")' in inspect.getsource(migrate.upgrade)


# --- never delete data ------------------------------------------------------------------------


def test_namespace_and_claims_are_never_pruned_or_deleted(rendered: list[dict]) -> None:
    """The Namespace and every PersistentVolumeClaim carry Prune=false and Delete=false."""
    keep = [one(rendered, "Namespace", NAMESPACE), *by_kind(rendered, "PersistentVolumeClaim")]
    assert len(keep) == 3
    for doc in keep:
        assert {"Prune=false", "Delete=false"} <= options(doc), doc["metadata"]["name"]


def test_mysql_claims_outlive_the_statefulset(rendered: list[dict]) -> None:
    """MySQL's claims come from its volumeClaimTemplates (not objects Argo CD manages) and are
    retained when the StatefulSet is deleted or scaled down."""
    policy = one(rendered, "StatefulSet", "mysql")["spec"]["persistentVolumeClaimRetentionPolicy"]
    assert policy == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_no_secret_is_in_argo_cds_hands(rendered: list[dict], project: dict) -> None:
    """Secrets are neither rendered nor allowed by the project: Argo CD can neither overwrite
    nor prune the ones applied by hand."""
    assert by_kind(rendered, "Secret") == []
    allowed = project["spec"]["namespaceResourceWhitelist"]
    assert not [entry for entry in allowed if entry["kind"] == "Secret"]


# --- the Application and its AppProject -------------------------------------------------------


def test_application_syncs_the_prod_overlay_within_its_project(
    application: dict, project: dict
) -> None:
    """Automated sync (prune, selfHeal, prune last) of k8s/overlays/prod, in the project."""
    assert (application["apiVersion"], application["kind"]) == (
        "argoproj.io/v1alpha1",
        "Application",
    )
    spec = application["spec"]
    assert spec["source"]["path"] == "k8s/overlays/prod"
    assert (K8S_DIR.parent / spec["source"]["path"]).is_dir()
    assert spec["project"] == project["metadata"]["name"] != "default"
    assert spec["destination"]["namespace"] == NAMESPACE
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "PruneLast=true" in spec["syncPolicy"]["syncOptions"]


def test_project_allows_only_this_repository_and_namespace(
    application: dict, project: dict
) -> None:
    """Sources: the Application's repository only; destinations: its cluster and namespace."""
    assert (project["apiVersion"], project["kind"]) == ("argoproj.io/v1alpha1", "AppProject")
    assert project["metadata"]["namespace"] == application["metadata"]["namespace"] == "argocd"
    assert project["spec"]["sourceRepos"] == [application["spec"]["source"]["repoURL"]]
    destination = application["spec"]["destination"]
    assert project["spec"]["destinations"] == [destination]


def test_project_allows_exactly_the_rendered_kinds(rendered: list[dict], project: dict) -> None:
    """Every rendered kind is whitelisted; the Namespace is the one cluster-scoped kind."""
    cluster = {(e["group"], e["kind"]) for e in project["spec"]["clusterResourceWhitelist"]}
    namespaced = {(e["group"], e["kind"]) for e in project["spec"]["namespaceResourceWhitelist"]}
    assert cluster == {("", "Namespace")}
    used = {(api_group(d), d["kind"]) for d in rendered if d["kind"] != "Namespace"}
    assert used <= namespaced
    every = set()
    for directory in OVERLAY_DIRS.values():
        every |= {(api_group(d), d["kind"]) for d in kustomize(directory)}
    assert namespaced == every - cluster


def test_argocd_objects_are_in_no_kustomization() -> None:
    """The Application and AppProject are applied by hand into Argo CD's namespace."""
    for path in K8S_DIR.rglob("kustomization.yaml"):
        resources = load_doc(path).get("resources", [])
        assert not [entry for entry in resources if "argocd" in entry], path
