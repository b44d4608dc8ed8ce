"""Tests for the kustomize overlays k8s/overlays/dev and k8s/overlays/prod: each builds on the
base alone, pins the app image in exactly one place (the `images:` entry the CI deploy job
rewrites), and differs from the base only where it says so: production bigger and behind TLS,
development smaller. And k8s/overlays/sso: prod plus oauth2-proxy in front of the ingress.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    APP_IMAGE,
    APP_WORKLOADS,
    K8S_DIR,
    KEDA_DIR,
    containers,
    image_tag,
    kubernetes_errors,
    kustomize,
    kustomize_raw,
    load_doc,
    one,
    pod_labels,
    pod_spec,
)
from tests.deploy.test_deploy_k8s import BASE_DIR, OVERLAY_DIRS, SSO_DIR, app_workloads

SHA_TAG = re.compile(r"^[0-9a-f]{7,40}$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


def overlay_kustomization(env: str) -> dict:
    """k8s/overlays/<env>/kustomization.yaml."""
    return load_doc(OVERLAY_DIRS[env] / "kustomization.yaml")


def pinned_reference(pin: dict) -> str:
    """The image reference an `images:` entry renders: name, then :tag and/or @digest."""
    reference = pin["newName"]
    if "newTag" in pin:
        reference += f":{pin['newTag']}"
    if "digest" in pin:
        reference += f"@{pin['digest']}"
    return reference


def identity(doc: dict) -> tuple[str, str]:
    """(kind, name) of an object, the ConfigMap's hash suffix dropped."""
    name = doc["metadata"]["name"]
    if doc["kind"] == "ConfigMap":
        name = name.rsplit("-", 1)[0]
    return doc["kind"], name


def web_container(docs: list[dict]) -> dict:
    """The web Deployment's container."""
    (container,) = pod_spec(one(docs, "Deployment", "web"))["containers"]
    return container


@pytest.mark.parametrize("env", sorted(OVERLAY_DIRS))
def test_overlay_builds_on_the_base_alone(env: str) -> None:
    """An overlay's only resource is ../../base (keda/ comes with it)."""
    assert overlay_kustomization(env)["resources"] == ["../../base"]


@pytest.mark.parametrize("env", sorted(OVERLAY_DIRS))
def test_overlay_pins_the_app_image_once(env: str) -> None:
    """One `images:` entry named stock-backtest, with a repository and a git-SHA tag or a
    sha256 digest; no other kustomization of the tree has `images:`."""
    (pin,) = overlay_kustomization(env)["images"]
    assert pin["name"] == APP_IMAGE
    assert pin["newName"].startswith("ghcr.io/")
    assert "newTag" in pin or "digest" in pin
    if "newTag" in pin:
        assert SHA_TAG.match(str(pin["newTag"]))
    if "digest" in pin:
        assert DIGEST.match(pin["digest"])
    others = [
        path
        for path in [*K8S_DIR.rglob("kustomization.yaml"), KEDA_DIR / "kustomization.yaml"]
        if path.parent.parent != K8S_DIR / "overlays" and "images" in load_doc(path)
    ]
    assert others == []


@pytest.mark.parametrize("env", sorted(OVERLAY_DIRS))
def test_the_pin_reaches_every_app_container(env: str) -> None:
    """web, db-init, reaper, retention and both ScaledJobs' consumers all run the pinned
    reference."""
    (pin,) = overlay_kustomization(env)["images"]
    rendered = kustomize(OVERLAY_DIRS[env])
    images = {where: c["image"] for where, c in containers(app_workloads(rendered))}
    assert len(images) == APP_WORKLOADS
    assert set(images.values()) == {pinned_reference(pin)}


def test_a_digest_pin_reaches_every_app_container(tmp_path: Path) -> None:
    """The CI deploy job's form (newName + digest, tag kept or not) renders name@digest for
    all five app containers and leaves the other images alone."""
    shutil.copytree(K8S_DIR, tmp_path / "k8s")
    shutil.copytree(KEDA_DIR, tmp_path / "keda")
    path = tmp_path / "k8s" / "overlays" / "prod" / "kustomization.yaml"
    kustomization = yaml.safe_load(path.read_text(encoding="utf-8"))
    digest = "sha256:" + "ab" * 32
    repository = "ghcr.io/acme/stock-backtest"
    for keep_tag in (True, False):
        pin = {"name": APP_IMAGE, "newName": repository, "digest": digest}
        if keep_tag:
            pin["newTag"] = "abcdef1"
        kustomization["images"] = [pin]
        path.write_text(yaml.safe_dump(kustomization), encoding="utf-8")
        rendered = kustomize_raw(path.parent)
        images = re.findall(r"image: (\S+)", rendered)
        app = [image for image in images if image.startswith(repository)]
        assert app == [pinned_reference(pin)] * APP_WORKLOADS
        assert {image for image in images if not image.startswith(repository)} == {
            "redis:7",
            one(kustomize(BASE_DIR), "StatefulSet", "mysql")["spec"]["template"]["spec"][
                "containers"
            ][0]["image"],
        }


def test_prod_is_bigger_than_dev() -> None:
    """prod: three web replicas and more CPU and memory for the web and MySQL than dev (one
    replica)."""
    from consumer.pod_template import cpu_cores, memory_bytes

    dev, prod = kustomize(OVERLAY_DIRS["dev"]), kustomize(OVERLAY_DIRS["prod"])
    assert one(prod, "Deployment", "web")["spec"]["replicas"] == 3
    assert one(dev, "Deployment", "web")["spec"]["replicas"] == 1
    for kind, name in (("Deployment", "web"), ("StatefulSet", "mysql")):
        (small,) = pod_spec(one(dev, kind, name))["containers"]
        (large,) = pod_spec(one(prod, kind, name))["containers"]
        for bound in ("requests", "limits"):
            low, high = small["resources"][bound], large["resources"][bound]
            assert cpu_cores(low["cpu"]) < cpu_cores(high["cpu"]), (name, bound)
            assert memory_bytes(low["memory"]) < memory_bytes(high["memory"]), (name, bound)


def test_each_overlay_serves_its_own_host_and_prod_uses_tls() -> None:
    """Each Ingress names its host; prod's TLS certificate covers exactly that host."""
    hosts = {}
    for env, directory in OVERLAY_DIRS.items():
        ingress = one(kustomize(directory), "Ingress", "web")
        hosts[env] = ingress["spec"]["rules"][0]["host"]
        if env == "prod":
            (tls,) = ingress["spec"]["tls"]
            assert tls["hosts"] == [hosts[env]]
            assert tls["secretName"]
        else:
            assert "tls" not in ingress["spec"]
    assert len(set(hosts.values())) == 2


def test_dev_runs_at_most_two_runs_and_no_disruption_budget() -> None:
    """dev: maxReplicaCount 2 (sweep chunks 1) and no PodDisruptionBudget (with one web
    replica it would block every node drain); prod keeps both."""
    dev, prod = kustomize(OVERLAY_DIRS["dev"]), kustomize(OVERLAY_DIRS["prod"])
    assert one(dev, "ScaledJob", "backtest-consumer")["spec"]["maxReplicaCount"] == 2
    assert one(dev, "ScaledJob", "backtest-sweep-consumer")["spec"]["maxReplicaCount"] == 1
    for name, file in (
        ("backtest-consumer", "scaledjob.yaml"),
        ("backtest-sweep-consumer", "scaledjob-sweeps.yaml"),
    ):
        base_max = load_doc(KEDA_DIR / file)["spec"]["maxReplicaCount"]
        assert one(prod, "ScaledJob", name)["spec"]["maxReplicaCount"] == base_max
    assert [d for d in dev if d["kind"] == "PodDisruptionBudget"] == []
    assert one(prod, "PodDisruptionBudget", "web")["spec"]["minAvailable"] == 1


@pytest.mark.parametrize(
    ("env", "changed", "removed"),
    [
        (
            "prod",
            {("Deployment", "web"), ("StatefulSet", "mysql"), ("Ingress", "web")},
            set(),
        ),
        (
            "dev",
            {
                ("Deployment", "web"),
                ("StatefulSet", "mysql"),
                ("Ingress", "web"),
                ("ScaledJob", "backtest-consumer"),
                ("ScaledJob", "backtest-sweep-consumer"),
            },
            {("PodDisruptionBudget", "web")},
        ),
    ],
)
def test_overlay_changes_only_what_it_patches(
    env: str, changed: set[tuple[str, str]], removed: set[tuple[str, str]]
) -> None:
    """Apart from the image pin, an overlay renders the base's objects unchanged except the
    ones its patches name."""
    (pin,) = overlay_kustomization(env)["images"]
    base_docs = kustomize(BASE_DIR)
    for _, container in containers(base_docs):
        if image_tag(container["image"])[0] == APP_IMAGE:
            container["image"] = pinned_reference(pin)
    base = {identity(doc): doc for doc in base_docs}
    overlay = {identity(doc): doc for doc in kustomize(OVERLAY_DIRS[env])}
    assert set(base) - set(overlay) == removed
    assert set(overlay) <= set(base)
    differing = {key for key, doc in overlay.items() if doc != base[key]}
    assert differing == changed


def web_env(overlay: Path) -> dict[str, dict]:
    """The rendered web container's env entries, by name."""
    deployment = one(kustomize(overlay), "Deployment", "web")
    (web,) = deployment["spec"]["template"]["spec"]["containers"]
    return {entry["name"]: entry for entry in web.get("env", [])}


def test_production_runs_token_mode_with_the_secret_key_from_the_secret_and_dev_stays_open():
    """prod (and sso on it) needs API tokens or a sign-in; its cookie key comes from the
    Secret, never a literal; dev keeps the open default."""
    for overlay in (OVERLAY_DIRS["prod"], SSO_DIR):
        env = web_env(overlay)
        assert env["AUTH_MODE"]["value"] == "token"
        assert env["PROXY_FIX_HOPS"]["value"] == "1"
        assert env["SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {
            "name": "backtest-secrets",
            "key": "SECRET_KEY",
        }
    assert "AUTH_MODE" not in web_env(OVERLAY_DIRS["dev"])
    assert "AUTH_MODE" not in web_env(BASE_DIR)


# --- the single sign-on overlay (k8s/overlays/sso) --------------------------------------------

SSO_OBJECTS = {
    ("Deployment", "oauth2-proxy"),
    ("Service", "oauth2-proxy"),
    ("Ingress", "oauth2-proxy"),
    ("NetworkPolicy", "oauth2-proxy-ingress"),
    ("NetworkPolicy", "egress-oauth2-proxy-to-idp"),
}
"""What the sso overlay adds to prod."""

AUTH_ANNOTATION = "nginx.ingress.kubernetes.io/"


def test_sso_is_prod_plus_oauth2_proxy_and_the_web_ingress_asks_it() -> None:
    """Built on ../prod (its image pin, no other): every prod object is unchanged but the
    web Ingress, which gains only the auth annotations; the new objects are oauth2-proxy's."""
    kustomization = load_doc(SSO_DIR / "kustomization.yaml")
    assert kustomization["resources"][0] == "../prod"
    assert "images" not in kustomization
    prod = {identity(doc): doc for doc in kustomize(OVERLAY_DIRS["prod"])}
    sso = {identity(doc): doc for doc in kustomize(SSO_DIR)}
    assert set(sso) - set(prod) == SSO_OBJECTS
    assert set(prod) <= set(sso)
    assert {key for key in prod if sso[key] != prod[key]} == {("Ingress", "web")}
    web, before = sso[("Ingress", "web")], prod[("Ingress", "web")]
    added = {
        name: value
        for name, value in web["metadata"]["annotations"].items()
        if name not in before["metadata"]["annotations"]
    }
    assert set(added) == {
        AUTH_ANNOTATION + name for name in ("auth-url", "auth-signin", "auth-response-headers")
    }
    assert web["spec"] == before["spec"]


def test_sso_auth_url_reaches_the_oauth2_proxy_service() -> None:
    """auth-url names the oauth2-proxy Service's cluster DNS name, port and /oauth2/auth;
    auth-signin sends the browser to /oauth2/start on the same host, which the oauth2-proxy
    Ingress routes (same host and certificate as the web Ingress)."""
    docs = kustomize(SSO_DIR)
    web, proxy_ingress = one(docs, "Ingress", "web"), one(docs, "Ingress", "oauth2-proxy")
    service = one(docs, "Service", "oauth2-proxy")
    namespace = service["metadata"]["namespace"]
    (port,) = service["spec"]["ports"]
    annotations = web["metadata"]["annotations"]
    assert annotations[AUTH_ANNOTATION + "auth-url"] == (
        f"http://oauth2-proxy.{namespace}.svc.cluster.local:{port['port']}/oauth2/auth"
    )
    assert annotations[AUTH_ANNOTATION + "auth-signin"].startswith("https://$host/oauth2/start?")
    (rule,) = proxy_ingress["spec"]["rules"]
    assert rule["host"] == web["spec"]["rules"][0]["host"]
    assert proxy_ingress["spec"]["tls"] == web["spec"]["tls"]
    (path,) = rule["http"]["paths"]
    assert path["path"] == "/oauth2"
    assert path["backend"]["service"] == {"name": "oauth2-proxy", "port": {"name": port["name"]}}
    deployment = one(docs, "Deployment", "oauth2-proxy")
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()
    (container,) = pod_spec(deployment)["containers"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": 4180}
    env = {entry["name"]: entry for entry in container["env"]}
    assert env["OAUTH2_PROXY_UPSTREAMS"]["value"] == "static://202"
    redirect = env["OAUTH2_PROXY_REDIRECT_URL"]["value"]
    assert redirect == f"https://{rule['host']}/oauth2/callback"


def test_oauth2_proxy_runs_hardened_with_its_secrets_from_a_template() -> None:
    """Pinned image, non-root, read-only root, no capabilities, probes and resources; its
    client and cookie secrets come from the Secret of oauth2-proxy-secret-template.yaml,
    which is never rendered."""
    docs = kustomize(SSO_DIR)
    spec = pod_spec(one(docs, "Deployment", "oauth2-proxy"))
    (container,) = spec["containers"]
    name, tag = image_tag(container["image"])
    assert name == "quay.io/oauth2-proxy/oauth2-proxy" and tag and tag != "latest"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"readinessProbe", "livenessProbe", "resources"} <= set(container)
    template = load_doc(SSO_DIR / "oauth2-proxy-secret-template.yaml")
    refs = {
        entry["valueFrom"]["secretKeyRef"]["key"]
        for entry in container["env"]
        if "valueFrom" in entry and entry["valueFrom"]["secretKeyRef"]["name"] == "oauth2-proxy"
    }
    assert refs == set(template["stringData"]) == {"client-id", "client-secret", "cookie-secret"}
    assert set(template["stringData"].values()) == {"CHANGE-ME"}
    assert [doc for doc in docs if doc["kind"] == "Secret"] == []
    assert kubernetes_errors(template) == []
