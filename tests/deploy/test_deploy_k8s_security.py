"""Pod Security and network policy tests for what the overlays render.

The namespace enforces the Pod Security Standard "restricted"; ``restricted_violations``
checks a pod spec against that profile's controls as the admission plugin would
(https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Restricted"), for every
workload, the Jobs KEDA creates from the ScaledJob and the hand-run restore Job. The
NetworkPolicy tests evaluate the policies with Kubernetes' semantics (a pod selected by no
policy of a direction is open in that direction; otherwise only what some rule allows) for
both directions: who may connect to MySQL and Redis, and where each pod may connect to.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.deploy.support import by_kind, kustomize, load_docs, one, pod_labels, pod_spec
from tests.deploy.test_deploy_k8s import BASE_DIR, NAMESPACE, OVERLAY_DIRS, component

PSA = "pod-security.kubernetes.io"
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
"""The volume types the restricted profile allows."""

MYSQL_PORT, REDIS_PORT, DNS_PORT = 3306, 6379, 53
REACHES = {
    "web": {"mysql", "redis"},
    "consumer": {"mysql", "redis"},
    "reaper": {"mysql", "redis"},
    "retention": {"mysql"},
    "db-init": {"mysql"},
    "backup": {"mysql"},
    "mysql": set(),
    "redis": set(),
}
"""Which datastores each role's pods may connect to (and nothing else but DNS)."""
KUBE_DNS = ("kube-system", {"k8s-app": "kube-dns"})
KEDA_OPERATOR = ("keda", {"app": "keda-operator"})


@pytest.fixture(scope="module", params=sorted(OVERLAY_DIRS))
def rendered(request: pytest.FixtureRequest) -> list[dict]:
    """Everything an overlay renders."""
    return kustomize(OVERLAY_DIRS[request.param])


def pods(docs: list[dict]) -> dict[str, dict]:
    """Pod labels by component, for every workload (the restore Job shares "backup")."""
    return {component(doc): pod_labels(doc) for doc in docs if pod_spec(doc) is not None}


# --- Pod Security: restricted -----------------------------------------------------------------


def restricted_violations(spec: dict[str, Any]) -> list[str]:
    """What in a pod spec the Pod Security Standard "restricted" (latest) refuses."""
    problems = []
    pod = spec.get("securityContext", {})
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(host):
            problems.append(f"{host} is set")
    for volume in spec.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            problems.append(f"volume {volume['name']}: {sorted(kinds)} not allowed")
    if pod.get("sysctls"):
        problems.append("sysctls are set")
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        name = container["name"]
        context = container.get("securityContext", {})
        if context.get("privileged"):
            problems.append(f"{name}: privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation is not false")
        capabilities = context.get("capabilities", {})
        if "ALL" not in capabilities.get("drop", []):
            problems.append(f"{name}: capabilities do not drop ALL")
        if set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities {capabilities['add']}")
        if any(port.get("hostPort") for port in container.get("ports", [])):
            problems.append(f"{name}: hostPort")
        if context.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            problems.append(f"{name}: runAsNonRoot is not true")
        if context.get("runAsUser", pod.get("runAsUser")) == 0:
            problems.append(f"{name}: runAsUser 0")
        seccomp = context.get("seccompProfile", pod.get("seccompProfile", {}))
        if seccomp.get("type") not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{name}: seccompProfile is not RuntimeDefault or Localhost")
        if context.get("procMount", "Default") != "Default":
            problems.append(f"{name}: procMount")
    return problems


def test_namespace_enforces_restricted_and_audits_and_warns(rendered: list[dict]) -> None:
    """enforce, audit and warn are all "restricted", at the latest version of the profile."""
    labels = one(rendered, "Namespace", NAMESPACE)["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"{PSA}/{mode}"] == "restricted", mode
        assert labels[f"{PSA}/{mode}-version"] == "latest", mode


def test_every_pod_template_satisfies_restricted(rendered: list[dict]) -> None:
    """Every workload's pods (the KEDA Jobs' and the restore Job's included) pass the profile."""
    restore = load_docs(BASE_DIR / "mysql-restore-job-template.yaml")
    specs = {
        f"{doc['kind']}/{doc['metadata']['name']}": pod_spec(doc)
        for doc in [*rendered, *restore]
        if pod_spec(doc) is not None
    }
    assert set(specs) == {
        "Deployment/web",
        "Deployment/redis",
        "StatefulSet/mysql",
        "Job/db-init",
        "Job/mysql-restore",
        "CronJob/reaper",
        "CronJob/retention",
        "CronJob/mysql-backup",
        "ScaledJob/backtest-consumer",
        "ScaledJob/backtest-sweep-consumer",
    }, "a new pod template: check it against the profile here by name"
    assert {where: restricted_violations(spec) for where, spec in specs.items()} == {
        where: [] for where in specs
    }


def _host_network(spec: dict) -> None:
    spec["hostNetwork"] = True


def _root(spec: dict) -> None:
    spec["securityContext"]["runAsUser"] = 0


def _escalation(spec: dict) -> None:
    del spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"]


def _capability(spec: dict) -> None:
    spec["containers"][0]["securityContext"]["capabilities"]["add"] = ["NET_ADMIN"]


def _no_seccomp(spec: dict) -> None:
    del spec["securityContext"]["seccompProfile"]


def _host_path(spec: dict) -> None:
    spec["volumes"].append({"name": "host", "hostPath": {"path": "/"}})


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_host_network, "hostNetwork"),
        (_root, "runAsUser 0"),
        (_escalation, "allowPrivilegeEscalation"),
        (_capability, "adds capabilities"),
        (_no_seccomp, "seccompProfile"),
        (_host_path, "hostPath"),
    ],
    ids=["hostNetwork", "root", "escalation", "capability", "seccomp", "hostPath"],
)
def test_restricted_check_bites(rendered: list[dict], mutate, expected: str) -> None:
    """Each broken copy of the web pod spec is reported with the right control."""
    spec = copy.deepcopy(pod_spec(one(rendered, "Deployment", "web")))
    mutate(spec)
    problems = restricted_violations(spec)
    assert any(expected in problem for problem in problems), problems


# --- NetworkPolicy semantics ------------------------------------------------------------------


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


def _peer_matches(peer: dict, namespace: str | None, labels: dict) -> bool:
    """Whether a from/to peer names the pod (namespace, labels); namespace None = outside the
    cluster (only an ipBlock could match it)."""
    if namespace is None:
        return "ipBlock" in peer
    if "ipBlock" in peer:
        return False
    if "namespaceSelector" in peer:
        namespace_ok = _selects(
            peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace}
        )
    else:
        namespace_ok = namespace == NAMESPACE
    return namespace_ok and _selects(peer.get("podSelector", {}), labels)


def _port_matches(rule: dict, port: int, protocol: str) -> bool:
    allowed = rule.get("ports")
    if not allowed:
        return True
    return any(p["port"] == port and p.get("protocol", "TCP") == protocol for p in allowed)


def _admits(policies: list[dict], source: tuple[str, dict], target: dict, port: int) -> bool:
    """Whether ingress from (namespace, pod labels) to a stock-backtest pod on a TCP port is
    allowed by the target's ingress policies."""
    selecting = [
        p
        for p in policies
        if "Ingress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], target)
    ]
    if not selecting:
        return True
    return any(
        _port_matches(rule, port, "TCP")
        and (not rule.get("from") or any(_peer_matches(peer, *source) for peer in rule["from"]))
        for policy in selecting
        for rule in policy["spec"].get("ingress", [])
    )


def _egress(
    policies: list[dict],
    source: dict,
    destination: tuple[str | None, dict],
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether a stock-backtest pod with labels ``source`` may connect to (namespace, labels)
    (namespace None: an address outside the cluster) on a port."""
    selecting = [
        p
        for p in policies
        if "Egress" in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], source)
    ]
    if not selecting:
        return True
    return any(
        _port_matches(rule, port, protocol)
        and (not rule.get("to") or any(_peer_matches(peer, *destination) for peer in rule["to"]))
        for policy in selecting
        for rule in policy["spec"].get("egress", [])
    )


def _connects(policies: list[dict], source: dict, target: dict, port: int) -> bool:
    """A connection between two stock-backtest pods works when egress and ingress both allow."""
    return _egress(policies, source, (NAMESPACE, target), port) and _admits(
        policies, (NAMESPACE, source), target, port
    )


# --- ingress ----------------------------------------------------------------------------------


def test_datastores_admit_only_the_roles_that_use_them(rendered: list[dict]) -> None:
    """MySQL takes connections from web, consumer, reaper, db-init and backup; Redis from web,
    consumer and reaper; nobody else in the namespace, and nobody from another namespace."""
    policies = by_kind(rendered, "NetworkPolicy")
    labels = pods(rendered)
    assert set(labels) == set(REACHES)
    for target, port in (("mysql", MYSQL_PORT), ("redis", REDIS_PORT)):
        for source, source_labels in labels.items():
            allowed = _admits(policies, (NAMESPACE, source_labels), labels[target], port)
            assert allowed == (target in REACHES[source]), (source, target)
        assert not _admits(policies, (NAMESPACE, {"app": "debug"}), labels[target], port)
        assert not _admits(policies, ("default", labels["web"]), labels[target], port)


def test_keda_operator_reaches_redis_but_not_mysql(rendered: list[dict]) -> None:
    """The KEDA operator (namespace keda) may read the queue length from Redis, nothing else."""
    policies = by_kind(rendered, "NetworkPolicy")
    labels = pods(rendered)
    assert _admits(policies, KEDA_OPERATOR, labels["redis"], REDIS_PORT)
    assert not _admits(policies, KEDA_OPERATOR, labels["mysql"], MYSQL_PORT)
    assert not _admits(policies, ("other", {"app": "keda-operator"}), labels["redis"], REDIS_PORT)


def test_web_is_reachable_on_5000_only_and_the_rest_denied(rendered: list[dict]) -> None:
    """Ingress to web on 5000 from anywhere; other ports and other pods are denied by default."""
    policies = by_kind(rendered, "NetworkPolicy")
    labels = pods(rendered)
    controller = ("ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    assert _admits(policies, controller, labels["web"], 5000)
    assert not _admits(policies, controller, labels["web"], 22)
    assert not _admits(policies, (NAMESPACE, labels["web"]), labels["consumer"], 5000)


# --- egress -----------------------------------------------------------------------------------


def test_every_pod_is_under_default_deny_egress(rendered: list[dict]) -> None:
    """A policy with an empty selector and no egress rule denies egress to every pod."""
    (deny,) = [
        p
        for p in by_kind(rendered, "NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and p["spec"]["policyTypes"] == ["Egress"]
        and not p["spec"].get("egress")
    ]
    assert deny["metadata"]["name"] == "default-deny-egress"


def test_every_pod_may_resolve_names_and_nothing_else_outside(rendered: list[dict]) -> None:
    """DNS (UDP and TCP 53) to kube-dns for every pod; no pod reaches an address outside the
    cluster, another namespace, or kube-dns on another port."""
    policies = by_kind(rendered, "NetworkPolicy")
    for role, labels in pods(rendered).items():
        assert _egress(policies, labels, KUBE_DNS, DNS_PORT, "UDP"), role
        assert _egress(policies, labels, KUBE_DNS, DNS_PORT, "TCP"), role
        assert not _egress(policies, labels, KUBE_DNS, 443), role
        assert not _egress(policies, labels, (None, {}), 443), role
        assert not _egress(policies, labels, ("default", {}), 80), role
        assert not _egress(policies, labels, KEDA_OPERATOR, 8080), role


def test_each_role_connects_exactly_to_the_datastores_it_uses(rendered: list[dict]) -> None:
    """web, consumer and reaper reach MySQL and Redis; db-init and backup only MySQL; the
    datastores nothing; a connection works only when egress and ingress agree."""
    policies = by_kind(rendered, "NetworkPolicy")
    labels = pods(rendered)
    for source, source_labels in labels.items():
        for target, port in (("mysql", MYSQL_PORT), ("redis", REDIS_PORT)):
            connects = _connects(policies, source_labels, labels[target], port)
            assert connects == (target in REACHES[source]), (source, target)
            egress = _egress(policies, source_labels, (NAMESPACE, labels[target]), port)
            admits = _admits(policies, (NAMESPACE, source_labels), labels[target], port)
            assert egress == admits, (source, target)
        assert not _egress(policies, source_labels, (NAMESPACE, labels["web"]), 5000), source
