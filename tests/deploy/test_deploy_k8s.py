"""Offline validation and policy tests for the Kubernetes manifests in k8s/ (kustomize base).

Every object is checked by kubernetes-validate in strict mode (unknown fields rejected) against
the newest Kubernetes it bundles, both file by file and as rendered by `kubectl kustomize k8s/`
(which also pulls in ../keda); KEDA objects go to the CRD schemas instead.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from tests.deploy.support import (
    APP_COMPONENTS,
    APP_IMAGE,
    K8S_DIR,
    KEDA_DIR,
    by_kind,
    configmap_literals,
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
NOT_IN_KUSTOMIZATION = {"kustomization.yaml", "kustomizeconfig.yaml", "secret-template.yaml"}
RESOURCE_FILES = sorted(
    path for path in K8S_DIR.glob("*.yaml") if path.name not in NOT_IN_KUSTOMIZATION
)
SHA_TAG = re.compile(r"^[0-9a-f]{7,40}$")


def component(doc: dict) -> str | None:
    """The app.kubernetes.io/component label of a workload's pods, None for other objects."""
    if pod_spec(doc) is None:
        return None
    return pod_labels(doc).get("app.kubernetes.io/component")


def app_workloads(docs: list[dict]) -> list[dict]:
    """The workloads that run the app image (web, consumer, reaper, db-init)."""
    return [doc for doc in docs if component(doc) in APP_COMPONENTS]


@pytest.fixture(scope="module")
def rendered() -> list[dict]:
    """Everything `kubectl apply -k k8s/` would send to the cluster."""
    return kustomize(K8S_DIR)


@pytest.fixture(scope="module")
def kustomization() -> dict:
    """k8s/kustomization.yaml."""
    return load_doc(K8S_DIR / "kustomization.yaml")


# --- schema validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [*RESOURCE_FILES, K8S_DIR / "secret-template.yaml"], ids=lambda p: p.name
)
def test_each_k8s_file_passes_strict_kubernetes_schema(path: Path) -> None:
    """Every k8s/ resource file (and the Secret template) is valid for the newest Kubernetes."""
    for doc in load_docs(path):
        assert kubernetes_errors(doc) == [], path.name


def test_kustomize_output_passes_strict_validation(rendered: list[dict]) -> None:
    """Every rendered object passes strict kubernetes-validate, or its KEDA CRD schema."""
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
    """`kubectl apply -k k8s/` also deploys keda/: the ScaledJob and its TriggerAuthentication."""
    keda = {(d["kind"], d["metadata"]["name"]) for d in rendered if is_crd_kind(d)}
    expected = {(d["kind"], d["metadata"]["name"]) for d in kustomize(KEDA_DIR)}
    assert expected == {("ScaledJob", "backtest-consumer"), ("TriggerAuthentication", "redis-auth")}
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


def test_kustomization_lists_every_resource_file_and_keda(kustomization: dict) -> None:
    """Every resource file is listed (so none is silently left out), plus ../keda."""
    listed = set(kustomization["resources"])
    assert {path.name for path in RESOURCE_FILES} | {"../keda"} == listed


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
    assert len(refs) == 4
    assert all(found == [name] for found in refs.values()), refs


def test_configmap_holds_the_non_secret_settings(rendered: list[dict]) -> None:
    """The generated ConfigMap carries the app's settings and no password or URL with one."""
    (configmap,) = by_kind(rendered, "ConfigMap")
    data = configmap["data"]
    assert data == configmap_literals()
    assert {"RQ_QUEUE", "DATA_DIR", "RQ_JOB_TIMEOUT", "CLAIM_FILE", "MPLCONFIGDIR"} <= set(data)
    assert not any("PASSWORD" in key or "_URL" in key for key in data)


# --- secrets and RBAC -------------------------------------------------------------------------


def test_no_secret_is_rendered_or_listed(rendered: list[dict], kustomization: dict) -> None:
    """The Secret is applied by hand: neither the template nor secret.yaml is kustomized."""
    assert by_kind(rendered, "Secret") == []
    assert not {"secret.yaml", "secret-template.yaml"} & set(kustomization["resources"])


def test_secret_template_holds_only_placeholders() -> None:
    """Every value of the Secret template is the placeholder change-me."""
    secret = load_doc(K8S_DIR / "secret-template.yaml")
    assert secret["kind"] == "Secret"
    assert "data" not in secret
    assert set(secret["stringData"].values()) == {"change-me"}


def test_every_secret_reference_exists_in_the_template(rendered: list[dict]) -> None:
    """Each secretKeyRef and TriggerAuthentication key is a key of the Secret template."""
    secret = load_doc(K8S_DIR / "secret-template.yaml")
    keys = {(secret["metadata"]["name"], key) for key in secret["stringData"]}
    used = {
        (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for _, c in containers(rendered)
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
    """Rendered and raw manifests name images with an explicit, non-latest tag."""
    raw = [doc for path in RESOURCE_FILES for doc in load_docs(path)]
    raw += [doc for path in KEDA_DIR.glob("*.yaml") for doc in load_docs(path)]
    for where, container in [*containers(rendered), *containers(raw)]:
        _, tag = image_tag(container["image"])
        assert tag is not None and tag != "latest", f"{where}: {container['image']}"


def test_app_image_is_pinned_to_a_git_sha(kustomization: dict, rendered: list[dict]) -> None:
    """Both kustomizations pin the app image to the same short-SHA tag, and it reaches every pod."""
    keda_kustomization = load_doc(KEDA_DIR / "kustomization.yaml")
    (pin,) = kustomization["images"]
    assert keda_kustomization["images"] == [pin]
    assert pin["name"] == APP_IMAGE
    assert SHA_TAG.match(str(pin["newTag"]))
    app_images = {c["image"] for _, c in containers(app_workloads(rendered))}
    assert app_images == {f"{pin['newName']}:{pin['newTag']}"}


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
    """Readiness checks /ready (DB + Redis); liveness only /health (process up)."""
    (container,) = pod_spec(one(rendered, "Deployment", "web"))["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]
    assert configmap_literals()["PORT"] == "5000"


def test_pods_run_as_non_root_with_locked_down_containers(rendered: list[dict]) -> None:
    """runAsNonRoot, no privilege escalation, read-only root filesystem, no capabilities."""
    for where, spec in workloads(rendered):
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["runAsUser"] > 0, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where


def test_app_pods_get_a_writable_tmp(rendered: list[dict]) -> None:
    """With a read-only root filesystem, app containers mount an emptyDir at /tmp."""
    app = app_workloads(rendered)
    assert len(app) == 4
    for where, spec in workloads(app):
        empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in empty_dirs, where


def test_app_containers_build_urls_from_the_secret(rendered: list[dict]) -> None:
    """DATABASE_URL / REDIS_URL expand password variables defined earlier in the same env list."""
    app = app_workloads(rendered)
    for where, container in containers(app):
        names = [e["name"] for e in container["env"]]
        env = {e["name"]: e for e in container["env"]}
        for url, password in (("DATABASE_URL", "MYSQL_PASSWORD"), ("REDIS_URL", "REDIS_PASSWORD")):
            assert f"$({password})" in env[url]["value"], where
            assert names.index(password) < names.index(url), where
            assert env[password]["valueFrom"]["secretKeyRef"]["key"] == password, where
        assert env["DATABASE_URL"]["value"].startswith("mysql+pymysql://backtest:"), where


def test_web_runs_two_replicas_behind_service_and_ingress(rendered: list[dict]) -> None:
    """Two web replicas; the Service selects them and the Ingress routes to the Service."""
    deployment = one(rendered, "Deployment", "web")
    service = one(rendered, "Service", "web")
    ingress = one(rendered, "Ingress", "web")
    assert deployment["spec"]["replicas"] == 2
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "web", "port": {"name": "http"}}


def test_mysql_statefulset_claims_5gi_behind_headless_service(rendered: list[dict]) -> None:
    """MySQL: one replica, a 5Gi volumeClaimTemplate mounted at the data dir, headless Service."""
    statefulset = one(rendered, "StatefulSet", "mysql")
    service = one(rendered, "Service", "mysql")
    (claim,) = statefulset["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "5Gi"
    (container,) = pod_spec(statefulset)["containers"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts["/var/lib/mysql"] == claim["metadata"]["name"]
    assert container["image"] == "mysql:8.0"
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
    env = {e["name"]: e for e in container["env"]}
    assert env["REDIS_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "REDIS_PASSWORD"
    (volume,) = pod_spec(redis)["volumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == "redis-data"
    assert redis["spec"]["strategy"]["type"] == "Recreate"


def test_db_init_job_runs_the_schema_init(rendered: list[dict]) -> None:
    """The db-init Job runs `python -m web init-db` and never restarts in place."""
    job = one(rendered, "Job", "db-init")
    (container,) = pod_spec(job)["containers"]
    assert container["command"] == ["python", "-m", "web", "init-db"]
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_reaper_cronjob_runs_every_two_minutes_without_overlap(rendered: list[dict]) -> None:
    """The reaper CronJob: */2 schedule, concurrencyPolicy Forbid, `python -m consumer.reaper`."""
    cronjob = one(rendered, "CronJob", "reaper")
    assert cronjob["spec"]["schedule"] == "*/2 * * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = pod_spec(cronjob)["containers"]
    assert container["command"] == ["python", "-m", "consumer.reaper"]
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] < 120


# --- network policies -------------------------------------------------------------------------


def _selects(selector: dict, labels: dict) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, operator, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def _admits(policies: list[dict], source: tuple[str, dict], target: dict, port: int) -> bool:
    """Whether ingress from (namespace, pod labels) to a stock-backtest pod on a port is allowed."""
    namespace, labels = source
    namespace_labels = {"kubernetes.io/metadata.name": namespace}
    selecting = [p for p in policies if _selects(p["spec"]["podSelector"], target)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress", []):
            if rule.get("ports") and port not in [p["port"] for p in rule["ports"]]:
                continue
            if not rule.get("from"):
                return True
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    ns_ok = _selects(peer["namespaceSelector"], namespace_labels)
                else:
                    ns_ok = namespace == NAMESPACE
                if ns_ok and _selects(peer.get("podSelector", {}), labels):
                    return True
    return False


def test_network_policies_admit_only_app_pods_to_the_datastores(rendered: list[dict]) -> None:
    """MySQL and Redis take connections from web, consumer, reaper and db-init pods only."""
    policies = by_kind(rendered, "NetworkPolicy")
    pods = {component(d): pod_labels(d) for d in rendered if pod_spec(d) is not None}
    assert set(APP_COMPONENTS) | {"mysql", "redis"} == set(pods)
    for target, port in (("mysql", 3306), ("redis", 6379)):
        for source, labels in pods.items():
            allowed = _admits(policies, (NAMESPACE, labels), pods[target], port)
            assert allowed == (source in APP_COMPONENTS), (source, target)
        assert not _admits(policies, (NAMESPACE, {"app": "debug"}), pods[target], port)
        assert not _admits(policies, ("default", pods["web"]), pods[target], port)


def test_keda_operator_reaches_redis_but_not_mysql(rendered: list[dict]) -> None:
    """The KEDA operator (namespace keda) may read the queue length from Redis, nothing else."""
    policies = by_kind(rendered, "NetworkPolicy")
    redis = pod_labels(one(rendered, "Deployment", "redis"))
    mysql = pod_labels(one(rendered, "StatefulSet", "mysql"))
    operator = ("keda", {"app": "keda-operator"})
    assert _admits(policies, operator, redis, 6379)
    assert not _admits(policies, operator, mysql, 3306)
    assert not _admits(policies, ("other", {"app": "keda-operator"}), redis, 6379)


def test_web_is_reachable_on_5000_only_and_the_rest_denied(rendered: list[dict]) -> None:
    """Ingress to web on 5000 from anywhere; other ports and other pods are denied by default."""
    policies = by_kind(rendered, "NetworkPolicy")
    web = pod_labels(one(rendered, "Deployment", "web"))
    consumer = pod_labels(one(rendered, "ScaledJob", "backtest-consumer"))
    controller = ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    assert _admits(policies, controller, web, 5000)
    assert not _admits(policies, controller, web, 22)
    assert not _admits(policies, (NAMESPACE, web), consumer, 5000)


# --- GitOps -----------------------------------------------------------------------------------


def test_argocd_application_auto_syncs_the_k8s_path() -> None:
    """Argo CD watches k8s/ with automated sync, prune and selfHeal; it is not in the base."""
    app = load_doc(K8S_DIR / "argocd" / "application.yaml")
    assert (app["apiVersion"], app["kind"]) == ("argoproj.io/v1alpha1", "Application")
    assert app["spec"]["source"]["path"] == "k8s"
    assert app["spec"]["destination"]["namespace"] == NAMESPACE
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    resources = load_doc(K8S_DIR / "kustomization.yaml")["resources"]
    assert not any("argocd" in entry for entry in resources)
