"""Offline validation and policy tests for the Kubernetes manifests: the kustomize base in
k8s/base and what each overlay (k8s/overlays/dev, k8s/overlays/prod) renders.

Every object is checked by kubernetes-validate in strict mode (unknown fields rejected) against
the newest Kubernetes it bundles, both file by file and as rendered by `kubectl kustomize` of the
base and of both overlays (which also pull in keda/); KEDA objects go to the CRD schemas instead.
The workload policies run on both overlays. Overlay-specific tests are in
test_deploy_k8s_overlays.py, Argo CD's waves and projects in test_deploy_k8s_argocd.py, Pod
Security and NetworkPolicies in test_deploy_k8s_security.py; this module also holds the helpers
those share.
"""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import pytest

from tests.deploy.support import (
    APP_COMPONENTS,
    APP_IMAGE,
    APP_WORKLOADS,
    K8S_DIR,
    KEDA_DIR,
    by_kind,
    containers,
    image_tag,
    is_crd_kind,
    kubernetes_errors,
    kustomize,
    load_doc,
    load_docs,
    object_errors,
    one,
    pod_labels,
    pod_spec,
    workloads,
)

NAMESPACE = "stock-backtest"
BASE_DIR = K8S_DIR / "base"
OVERLAY_DIRS = {"dev": K8S_DIR / "overlays" / "dev", "prod": K8S_DIR / "overlays" / "prod"}
SSO_DIR = K8S_DIR / "overlays" / "sso"
"""The single sign-on variant of prod (oauth2-proxy in front of the ingress): built on
``../prod``, so it has no image pin of its own (tests/deploy/test_deploy_k8s_overlays.py)."""
TEMPLATE_FILES = {
    "secret-template.yaml",
    "ghcr-pull-secret-template.yaml",
    "mysql-restore-job-template.yaml",
}
"""Base files applied by hand, never kustomized."""
RESOURCE_FILES = sorted(
    path
    for path in BASE_DIR.glob("*.yaml")
    if path.name not in {"kustomization.yaml", "kustomizeconfig.yaml", *TEMPLATE_FILES}
)
PULL_SECRET = "ghcr-pull"
MYSQL_IMAGE = re.compile(r"^mysql:8\.4\.\d+$")
"""MySQL's LTS series, pinned to a patch release."""


def base_literals() -> dict[str, str]:
    """The backtest-config literals of k8s/base/kustomization.yaml's configMapGenerator."""
    kustomization = load_doc(BASE_DIR / "kustomization.yaml")
    (generator,) = [
        g for g in kustomization["configMapGenerator"] if g["name"] == "backtest-config"
    ]
    return dict(literal.split("=", 1) for literal in generator["literals"])


def component(doc: dict) -> str | None:
    """The app.kubernetes.io/component label of a workload's pods, None for other objects."""
    if pod_spec(doc) is None:
        return None
    return pod_labels(doc).get("app.kubernetes.io/component")


def app_workloads(docs: list[dict]) -> list[dict]:
    """The workloads that run the app image (web, consumer, reaper, db-init)."""
    return [doc for doc in docs if component(doc) in APP_COMPONENTS]


def env_of(container: dict) -> dict[str, dict]:
    """A container's env entries by name."""
    return {entry["name"]: entry for entry in container.get("env", [])}


@pytest.fixture(scope="module", params=sorted(OVERLAY_DIRS))
def rendered(request: pytest.FixtureRequest) -> list[dict]:
    """Everything `kubectl apply -k k8s/overlays/<env>` would send to the cluster."""
    return kustomize(OVERLAY_DIRS[request.param])


@pytest.fixture(scope="module")
def base_rendered() -> list[dict]:
    """The base rendered alone (placeholder image, base sizes)."""
    return kustomize(BASE_DIR)


@pytest.fixture(scope="module")
def kustomization() -> dict:
    """k8s/base/kustomization.yaml."""
    return load_doc(BASE_DIR / "kustomization.yaml")


# --- schema validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [*RESOURCE_FILES, *(BASE_DIR / name for name in sorted(TEMPLATE_FILES))],
    ids=lambda p: p.name,
)
def test_each_base_file_passes_strict_kubernetes_schema(path: Path) -> None:
    """Every base resource file (and each template) is valid for the newest Kubernetes."""
    for doc in load_docs(path):
        assert kubernetes_errors(doc) == [], path.name


@pytest.mark.parametrize(
    "directory", [BASE_DIR, *OVERLAY_DIRS.values(), SSO_DIR], ids=lambda p: p.name
)
def test_kustomize_output_passes_strict_validation(directory: Path) -> None:
    """Every object the base and each overlay render passes strict kubernetes-validate, or its
    KEDA CRD schema."""
    rendered = kustomize(directory)
    errors = {f"{d['kind']}/{d['metadata']['name']}": object_errors(d) for d in rendered}
    assert {where: errs for where, errs in errors.items() if errs} == {}


def test_strict_validation_rejects_unknown_and_mistyped_fields(rendered: list[dict]) -> None:
    """The validator bites: a typo'd field and a string replica count are both reported."""
    deployment = one(rendered, "Deployment", "web")
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["imagee"] = "x"
    mistyped = copy.deepcopy(deployment)
    mistyped["spec"]["replicas"] = "two"
    assert any("imagee" in error for error in kubernetes_errors(typo))
    assert kubernetes_errors(mistyped) != []


def test_kustomize_output_contains_the_keda_objects(rendered: list[dict]) -> None:
    """Each overlay also deploys keda/: the ScaledJob and its TriggerAuthentication."""
    keda = {(d["kind"], d["metadata"]["name"]) for d in rendered if is_crd_kind(d)}
    expected = {(d["kind"], d["metadata"]["name"]) for d in kustomize(KEDA_DIR)}
    assert expected == {
        ("ScaledJob", "backtest-consumer"),
        ("ScaledJob", "backtest-sweep-consumer"),
        ("TriggerAuthentication", "redis-auth"),
    }
    assert keda == expected


def test_every_object_lands_in_the_namespace(rendered: list[dict]) -> None:
    """Namespaced objects go to stock-backtest; the Namespace object is the only other one."""
    outside = [
        f"{d['kind']}/{d['metadata']['name']}"
        for d in rendered
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != NAMESPACE
    ]
    assert outside == []
    assert [d["metadata"]["name"] for d in by_kind(rendered, "Namespace")] == [NAMESPACE]


# --- kustomization layout ---------------------------------------------------------------------


def test_each_resource_file_holds_one_object() -> None:
    """One resource per file, as the kustomize base convention asks."""
    counts = {path.name: len(load_docs(path)) for path in RESOURCE_FILES}
    assert {name: n for name, n in counts.items() if n != 1} == {}


def test_manifests_live_in_the_base_and_the_overlays_only() -> None:
    """k8s/ itself holds no manifest: the base, the overlays, argocd/ and the opt-in
    components are its only parts."""
    assert sorted(p.name for p in K8S_DIR.iterdir()) == ["argocd", "base", "components", "overlays"]
    assert sorted(p.name for p in (K8S_DIR / "overlays").iterdir()) == sorted(
        [*OVERLAY_DIRS, SSO_DIR.name]
    )


def test_base_lists_every_resource_file_and_keda(kustomization: dict) -> None:
    """Every resource file is listed (so none is silently left out), plus ../../keda; the
    templates are not."""
    listed = set(kustomization["resources"])
    assert {path.name for path in RESOURCE_FILES} | {"../../keda"} == listed
    assert not TEMPLATE_FILES & listed


def test_kustomization_uses_labels_not_common_labels(kustomization: dict) -> None:
    """`labels:` (commonLabels is deprecated) and selectors are left untouched."""
    assert "commonLabels" not in kustomization
    assert kustomization["labels"][0]["pairs"] == {"app.kubernetes.io/part-of": NAMESPACE}
    assert kustomization["labels"][0]["includeSelectors"] is False


def test_generated_configmap_name_reaches_every_consumer(rendered: list[dict]) -> None:
    """The hash-suffixed ConfigMap name is substituted in every envFrom, the ScaledJob included."""
    (configmap,) = by_kind(rendered, "ConfigMap")
    name = configmap["metadata"]["name"]
    assert name.startswith("backtest-config-")
    refs = {
        where: [e["configMapRef"]["name"] for e in c.get("envFrom", []) if "configMapRef" in e]
        for where, c in containers(app_workloads(rendered))
    }
    assert len(refs) == APP_WORKLOADS
    assert all(found == [name] for found in refs.values()), refs


def test_configmap_holds_the_non_secret_settings(rendered: list[dict]) -> None:
    """The generated ConfigMap carries the base's settings and no password or URL with one."""
    (configmap,) = by_kind(rendered, "ConfigMap")
    data = configmap["data"]
    assert data == base_literals()
    assert {"RQ_QUEUE", "DATA_DIR", "RQ_JOB_TIMEOUT", "CLAIM_FILE", "MPLCONFIGDIR"} <= set(data)
    assert not any("PASSWORD" in key or "_URL" in key for key in data)


# --- secrets, image pulls and RBAC ------------------------------------------------------------


def test_no_secret_is_rendered_or_listed(rendered: list[dict], kustomization: dict) -> None:
    """Secrets are applied by hand: no template and no secret.yaml is kustomized."""
    assert by_kind(rendered, "Secret") == []
    assert not {"secret.yaml", *TEMPLATE_FILES} & set(kustomization["resources"])


@pytest.mark.parametrize("name", ["secret-template.yaml", "ghcr-pull-secret-template.yaml"])
def test_secret_templates_hold_only_placeholders(name: str) -> None:
    """Every value of a Secret template is, or holds, the placeholder change-me."""
    secret = load_doc(BASE_DIR / name)
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["namespace"] == NAMESPACE
    assert "data" not in secret
    assert all("change-me" in value for value in secret["stringData"].values())


def test_pull_secret_template_is_a_ghcr_docker_config() -> None:
    """ghcr-pull is a kubernetes.io/dockerconfigjson Secret for ghcr.io."""
    import json

    secret = load_doc(BASE_DIR / "ghcr-pull-secret-template.yaml")
    assert secret["metadata"]["name"] == PULL_SECRET
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(secret["stringData"][".dockerconfigjson"])
    assert list(config["auths"]) == ["ghcr.io"]


def test_every_app_pod_pulls_with_the_ghcr_secret(rendered: list[dict]) -> None:
    """The ServiceAccount of every pod running the app image names ghcr-pull in
    imagePullSecrets (the kubelet pulls private GHCR packages with it)."""
    accounts = {d["metadata"]["name"]: d for d in by_kind(rendered, "ServiceAccount")}
    app = app_workloads(rendered)
    assert len(app) == APP_WORKLOADS
    for where, spec in workloads(app):
        account = accounts[spec["serviceAccountName"]]
        assert account.get("imagePullSecrets") == [{"name": PULL_SECRET}], where


def test_every_secret_reference_exists_in_the_template(rendered: list[dict]) -> None:
    """Each secretKeyRef (the restore template's too) and TriggerAuthentication key is a key of
    the Secret template."""
    secret = load_doc(BASE_DIR / "secret-template.yaml")
    keys = {(secret["metadata"]["name"], key) for key in secret["stringData"]}
    restore = load_docs(BASE_DIR / "mysql-restore-job-template.yaml")
    used = {
        (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for _, c in containers([*rendered, *restore])
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    for auth in by_kind(rendered, "TriggerAuthentication"):
        used |= {(ref["name"], ref["key"]) for ref in auth["spec"]["secretTargetRef"]}
    assert used
    assert used <= keys


def test_no_rbac_objects(rendered: list[dict]) -> None:
    """No ClusterRole/ClusterRoleBinding ever, and no Role/RoleBinding: nothing needs the API."""
    rbac = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    assert [d["kind"] for d in rendered if d["kind"] in rbac] == []


def test_service_accounts_and_pods_never_mount_api_tokens(rendered: list[dict]) -> None:
    """Every ServiceAccount and every pod spec sets automountServiceAccountToken: false."""
    accounts = {d["metadata"]["name"] for d in by_kind(rendered, "ServiceAccount")}
    assert all(
        d["automountServiceAccountToken"] is False for d in by_kind(rendered, "ServiceAccount")
    )
    for where, spec in workloads(rendered):
        assert spec["automountServiceAccountToken"] is False, where
        assert spec["serviceAccountName"] in accounts, where


# --- images -----------------------------------------------------------------------------------


def test_every_image_is_tagged_and_never_latest(rendered: list[dict]) -> None:
    """Rendered and raw manifests name images with an explicit, non-latest tag (or digest)."""
    raw = [doc for path in RESOURCE_FILES for doc in load_docs(path)]
    raw += [doc for path in KEDA_DIR.glob("*.yaml") for doc in load_docs(path)]
    for where, container in [*containers(rendered), *containers(raw)]:
        _, tag = image_tag(container["image"])
        assert tag is not None and tag != "latest", f"{where}: {container['image']}"


def test_mysql_runs_one_pinned_lts_image_everywhere(rendered: list[dict]) -> None:
    """The server, the backup CronJob and the restore template run the same mysql:8.4.x, so
    mysqldump and mysql match the server."""
    restore = load_docs(BASE_DIR / "mysql-restore-job-template.yaml")
    images = {c["image"] for _, c in containers([*rendered, *restore]) if "mysql" in c["image"]}
    assert len(images) == 1, images
    assert MYSQL_IMAGE.match(images.pop())
    assert len([1 for _, c in containers([*rendered, *restore]) if "mysql" in c["image"]]) == 3


# --- workloads --------------------------------------------------------------------------------


def test_every_container_has_resource_requests_and_limits(rendered: list[dict]) -> None:
    """cpu and memory requests and limits on every container."""
    for where, container in containers(rendered):
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            assert set(resources.get(bound, {})) >= {"cpu", "memory"}, f"{where} {bound}"


def test_long_running_containers_have_readiness_and_liveness(rendered: list[dict]) -> None:
    """Deployment and StatefulSet containers have both probes."""
    long_running = [d for d in rendered if d["kind"] in {"Deployment", "StatefulSet"}]
    assert len(long_running) == 3
    for where, container in containers(long_running):
        assert "readinessProbe" in container, where
        assert "livenessProbe" in container, where


def test_web_probes_use_ready_and_health(rendered: list[dict]) -> None:
    """Readiness checks /ready (database and schema); liveness only /health (process up)."""
    (container,) = pod_spec(one(rendered, "Deployment", "web"))["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]
    assert base_literals()["PORT"] == "5000"


def test_web_probe_outlasts_the_ready_checks(rendered: list[dict]) -> None:
    """The readiness probe's timeout leaves room for /ready's bounded Redis check."""
    from web.api.health import REDIS_PROBE_SECONDS

    (container,) = pod_spec(one(rendered, "Deployment", "web"))["containers"]
    assert container["readinessProbe"]["timeoutSeconds"] >= REDIS_PROBE_SECONDS + 2


def test_web_drains_before_gunicorn_stops(rendered: list[dict]) -> None:
    """preStop sleeps while the endpoint is removed; the grace period covers that sleep plus
    gunicorn's graceful timeout plus a margin."""
    spec = pod_spec(one(rendered, "Deployment", "web"))
    (container,) = spec["containers"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    sleep = int(command[1])
    assert 5 <= sleep <= 10
    args = shlex.split(env_of(container)["GUNICORN_CMD_ARGS"]["value"])
    graceful = int(args[args.index("--graceful-timeout") + 1])
    assert spec["terminationGracePeriodSeconds"] >= sleep + graceful + 5


def test_app_pods_get_a_writable_tmp(rendered: list[dict]) -> None:
    """With a read-only root filesystem, app containers mount an emptyDir at /tmp."""
    app = app_workloads(rendered)
    assert len(app) == APP_WORKLOADS
    for where, spec in workloads(app):
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in empty_dirs, where


def test_app_containers_build_urls_from_the_secret(rendered: list[dict]) -> None:
    """DATABASE_URL (every app container) and REDIS_URL (all but retention's, which never
    uses Redis) expand password variables defined earlier in the same env list."""
    app = app_workloads(rendered)
    for where, container in containers(app):
        names = [e["name"] for e in container["env"]]
        env = env_of(container)
        assert ("REDIS_URL" in env) == ("retention" not in where), where
        for url, password in (("DATABASE_URL", "MYSQL_PASSWORD"), ("REDIS_URL", "REDIS_PASSWORD")):
            if url not in env:
                continue
            assert f"$({password})" in env[url]["value"], where
            assert names.index(password) < names.index(url), where
            assert env[password]["valueFrom"]["secretKeyRef"]["key"] == password, where
        assert env["DATABASE_URL"]["value"].startswith("mysql+pymysql://backtest:"), where


def test_web_service_and_ingress_route_to_the_web_pods(rendered: list[dict]) -> None:
    """The Service selects the web pods and the Ingress routes to the Service."""
    deployment = one(rendered, "Deployment", "web")
    service = one(rendered, "Service", "web")
    ingress = one(rendered, "Ingress", "web")
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "web", "port": {"name": "http"}}


def test_base_is_generic(base_rendered: list[dict]) -> None:
    """The base: two web replicas, an Ingress for any host, the placeholder app image."""
    assert one(base_rendered, "Deployment", "web")["spec"]["replicas"] == 2
    assert "host" not in one(base_rendered, "Ingress", "web")["spec"]["rules"][0]
    images = {image_tag(c["image"])[0] for _, c in containers(app_workloads(base_rendered))}
    assert images == {APP_IMAGE}


def test_mysql_keeps_its_data_in_a_subpath_of_a_retained_claim(rendered: list[dict]) -> None:
    """MySQL: one replica, the 5Gi claim mounted at the data dir through a subPath (not the
    volume root with its lost+found), claims retained, headless Service."""
    statefulset = one(rendered, "StatefulSet", "mysql")
    service = one(rendered, "Service", "mysql")
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    (container,) = pod_spec(statefulset)["containers"]
    (data,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/var/lib/mysql"]
    assert data["name"] == claim["metadata"]["name"]
    assert data["subPath"] == "mysql"
    assert MYSQL_IMAGE.match(container["image"])
    assert statefulset["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == "mysql"


def test_redis_runs_with_aof_noeviction_and_secret_password(rendered: list[dict]) -> None:
    """Redis: appendonly yes, maxmemory-policy noeviction, requirepass from the Secret, on a PVC."""
    redis = one(rendered, "Deployment", "redis")
    (container,) = pod_spec(redis)["containers"]
    args = container["args"]
    flags = dict(zip(args[1::2], args[2::2], strict=False))
    assert flags["--appendonly"] == "yes"
    assert flags["--maxmemory-policy"] == "noeviction"
    assert flags["--requirepass"] == "$(REDIS_PASSWORD)"
    env = env_of(container)
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "REDIS_PASSWORD"
    (volume,) = pod_spec(redis)["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == "redis-data"
    assert redis["spec"]["strategy"]["type"] == "Recreate"


def test_db_init_job_runs_the_migrations(rendered: list[dict]) -> None:
    """The db-init Job runs `python -m web init-db` (Alembic's upgrade head, through
    store.migrate), waiting in the pod for a MySQL that is not up yet, well inside the Job's
    deadline, and never restarts in place."""
    job = one(rendered, "Job", "db-init")
    (container,) = pod_spec(job)["containers"]
    assert container["command"][:4] == ["python", "-m", "web", "init-db"]
    assert container["command"][4] == "--wait"
    assert 0 < int(container["command"][5]) * 2 < job["spec"]["activeDeadlineSeconds"]
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_reaper_cronjob_runs_every_two_minutes_without_overlap(rendered: list[dict]) -> None:
    """The reaper CronJob: */2 schedule, concurrencyPolicy Forbid, `python -m consumer.reaper`."""
    cronjob = one(rendered, "CronJob", "reaper")
    assert cronjob["spec"]["schedule"] == "*/2 * * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = pod_spec(cronjob)["containers"]
    assert container["command"] == ["python", "-m", "consumer.reaper"]
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] < 120


def test_retention_cronjob_runs_daily_without_overlap(rendered: list[dict]) -> None:
    """The retention CronJob: once a day, never two at once, `python -m consumer.retention`,
    with RESULT_RETENTION_DAYS from the ConfigMap (0: keep every run) and no Redis."""
    cronjob = one(rendered, "CronJob", "retention")
    minute, hour, *rest = cronjob["spec"]["schedule"].split()
    assert minute.isdigit() and hour.isdigit() and rest == ["*", "*", "*"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = pod_spec(cronjob)["containers"]
    assert container["command"] == ["python", "-m", "consumer.retention"]
    assert "REDIS_URL" not in env_of(container)
    (config,) = by_kind(rendered, "ConfigMap")
    assert config["data"]["RESULT_RETENTION_DAYS"] == "0"


def test_backup_cronjob_dumps_daily_onto_its_own_claim(rendered: list[dict]) -> None:
    """mysql-backup: once a day, never two at once, onto the mysql-backup claim, keeping a
    positive number of days, with a consistent (single-transaction) dump."""
    cronjob = one(rendered, "CronJob", "mysql-backup")
    minute, hour, *rest = cronjob["spec"]["schedule"].split()
    assert minute.isdigit() and hour.isdigit() and rest == ["*", "*", "*"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    spec = pod_spec(cronjob)
    (container,) = spec["containers"]
    env = env_of(container)
    claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in spec["volumes"]
        if "persistentVolumeClaim" in v
    }
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert claims[mounts[env["BACKUP_DIR"]["value"]]] == "mysql-backup"
    assert one(rendered, "PersistentVolumeClaim", "mysql-backup")
    assert int(env["KEEP_DAYS"]["value"]) >= 7
    assert "--single-transaction" in env["DUMP_FLAGS"]["value"].split()
