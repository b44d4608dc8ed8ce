"""Run the image's containers here as the cluster would run its pods (no tests in this module).

``Pods`` starts containers of one image with the flags ``consumer.pod_template`` derives from
a manifest's pod template (the ScaledJob's consumer, the web Deployment, the db-init Job),
their ConfigMap from the kustomization's generator (``consumer.pod_template.local_env``);
only the addresses differ: the test's MariaDB database, Redis db and queue stand in for the
cluster Services. Every container it starts is removed at ``close``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from consumer.pod_template import (
    PodSettings,
    local_env,
    pod_settings,
    podman_run_args,
    prepare_empty_dir,
    write_env_file,
)
from consumer.scaler import kustomize_config_maps
from scripts.container import podman
from tests.deploy.support import K8S_DIR, KEDA_DIR


def manifest(kind: str, name: str) -> dict[str, Any]:
    """The base object ``kind``/``name`` from keda/ or k8s/ (overlays' patches are skipped)."""
    for path in sorted([*KEDA_DIR.rglob("*.yaml"), *K8S_DIR.rglob("*.yaml")]):
        if path.is_relative_to(K8S_DIR / "overlays"):
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if (
                isinstance(document, dict)
                and document.get("kind") == kind
                and (document.get("metadata") or {}).get("name") == name
            ):
                return document
    raise LookupError(f"no {kind} named {name} under keda/ or k8s/")


@dataclass
class Exited:
    """A container that ran to its end."""

    code: int
    seconds: float
    logs: str
    empty_dirs: dict[str, Path]


@dataclass
class Pods:
    """Containers of ``image`` started like the manifests' pods, against the test's services."""

    engine_env: dict[str, str]
    image: str
    workdir: Path
    addresses: dict[str, str]
    names: list[str] = field(default_factory=list)

    def _prepare(
        self, settings: PodSettings, extra_env: dict[str, str]
    ) -> tuple[str, Path, dict[str, Path]]:
        name = f"bt-test-{uuid.uuid4().hex[:10]}"
        folder = self.workdir / name
        folder.mkdir(parents=True)
        env = local_env(settings, kustomize_config_maps(), self.addresses)  # as the scaler
        env.update(extra_env)
        env_file = write_env_file(folder / "env", env)
        empty_dirs = {
            empty.mount_path: prepare_empty_dir(folder / f"volume-{index}", settings)
            for index, empty in enumerate(settings.empty_dirs)
            if not empty.memory
        }
        self.names.append(name)
        return name, env_file, empty_dirs

    def args(
        self,
        settings: PodSettings,
        extra_env: dict[str, str] | None = None,
        *,
        memory_limit: str | None = None,
        volumes: tuple[str, ...] = (),
    ) -> tuple[str, list[str], dict[str, Path]]:
        """(container name, ``podman run`` arguments, emptyDir host paths)."""
        name, env_file, empty_dirs = self._prepare(settings, extra_env or {})
        derived = podman_run_args(
            settings,
            self.image,
            env_file=env_file,
            empty_dir_paths=empty_dirs,
            memory_limit=memory_limit,
        )
        mounts = [arg for volume in volumes for arg in ("--volume", volume)]
        # host networking: the test's services listen on 127.0.0.1; Kubernetes ignores the
        # image's HEALTHCHECK, and podman cannot schedule it here without systemd.
        local = ["--name", name, "--network", "host", "--no-healthcheck", *mounts]
        return name, ["run", *local, *derived], empty_dirs

    def run(self, settings: PodSettings, extra_env=None, *, timeout=180.0, **options) -> Exited:
        """Run a container in the foreground to its end."""
        _name, args, empty_dirs = self.args(settings, extra_env, **options)
        started = time.monotonic()
        result = podman(
            self.engine_env,
            *args,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            cwd=self.workdir,  # conmon drops an empty "oom" file in its cwd after an OOM kill
        )
        seconds = time.monotonic() - started
        return Exited(result.returncode, seconds, result.stdout + result.stderr, empty_dirs)

    def start(self, settings: PodSettings, extra_env=None, **options) -> str:
        """Start a container in the background; its name."""
        name, args, _ = self.args(settings, extra_env, **options)
        args.insert(1, "--detach")
        podman(self.engine_env, *args, capture_output=True, text=True, cwd=self.workdir)
        return name

    def logs(self, name: str) -> str:
        result = podman(self.engine_env, "logs", name, capture_output=True, text=True, check=False)
        return result.stdout + result.stderr

    def close(self) -> None:
        for name in self.names:
            podman(
                self.engine_env,
                "rm",
                "--force",
                "--time",
                "5",
                name,
                check=False,
                capture_output=True,
            )
        self.names.clear()


def consumer_settings() -> PodSettings:
    """The consumer container of keda/scaledjob.yaml."""
    return pod_settings(manifest("ScaledJob", "backtest-consumer"), "consumer")


def image_size(engine_env: dict[str, str], image: str) -> int:
    """The image's size in bytes, as podman reports it."""
    out = podman(
        engine_env,
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        image,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip())
