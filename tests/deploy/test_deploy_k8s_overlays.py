"""Tests for the kustomize overlays k8s/overlays/dev and k8s/overlays/prod: each builds on the
base alone, pins the app image in exactly one place (the `images:` entry the CI deploy job
rewrites), and differs from the base only where it says so: production bigger and behind TLS,
development smaller.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.deploy.support import (
    APP_IMAGE,
    K8S_DIR,
    KEDA_DIR,
    containers,
    image_tag,
    kustomize,
    kustomize_raw,
    load_doc,
    one,
    pod_spec,
)
from tests.deploy.test_deploy_k8s import BASE_DIR, OVERLAY_DIRS, app_workloads

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
    """web, db-init, reaper and both ScaledJobs' consumers all run the pinned reference."""
    (pin,) = overlay_kustomization(env)["images"]
    rendered = kustomize(OVERLAY_DIRS[env])
    images = {where: c["image"] for where, c in containers(app_workloads(rendered))}
    assert len(images) == 5
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
        assert app == [pinned_reference(pin)] * 5
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
