"""The ScaledJob's pod template as container settings: the ``podman run`` flags that start one
consumer Job the way Kubernetes starts its pod.

``pod_settings`` reads keda/scaledjob.yaml's ``jobTargetRef.template`` (the consumer
container and its pod); ``resolve_env`` applies Kubernetes' rules for ``envFrom`` and ``env``
(ConfigMaps and Secrets by name, ``$(VAR)`` references to earlier variables);
``podman_run_args`` maps the rest one to one (shared/research/containers.md):

==========================================  ====================================
pod template                                ``podman run``
==========================================  ====================================
``command`` (+ ``args``)                    the command after the image
``runAsUser`` / ``runAsGroup`` / fsGroup     ``--user U:G`` / ``--group-add``
``readOnlyRootFilesystem: true``            ``--read-only``
``capabilities.drop``                       ``--cap-drop``
``allowPrivilegeEscalation: false``         ``--security-opt no-new-privileges``
``emptyDir`` volume mounts                  a fresh host directory (node disk), or
                                            ``--tmpfs`` for ``medium: Memory``
``resources.limits`` cpu / memory           ``--cpus`` / ``--memory`` (no swap)
``restartPolicy: Never``                    no restart policy
==========================================  ====================================

The container test derives its flags here, so a change of the manifest that the image cannot
honour fails it; the local scaler's podman runtime (``SCALER_RUNTIME=podman``) starts every
Job with them. Pure functions except ``prepare_empty_dir`` (a host directory for an emptyDir).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONSUMER_CONTAINER = "consumer"


@dataclass(frozen=True)
class EmptyDir:
    """An emptyDir volume mounted into the container."""

    mount_path: str
    memory: bool
    size_limit: str | None


@dataclass(frozen=True)
class EnvVar:
    """One ``env`` entry: a value, or a reference to a key of a ConfigMap or Secret."""

    name: str
    value: str | None = None
    source: str | None = None  # "configMap" | "secret"
    source_name: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class PodSettings:
    """What ``podman run`` needs from the pod template of one container."""

    command: tuple[str, ...]
    user: int | None
    group: int | None
    fs_group: int | None
    run_as_non_root: bool
    read_only: bool
    drop_capabilities: tuple[str, ...]
    no_new_privileges: bool
    empty_dirs: tuple[EmptyDir, ...]
    env_from: tuple[tuple[str, str], ...]  # ("configMap" | "secret", name), in order
    env: tuple[EnvVar, ...]
    cpu_limit: str | None
    memory_limit: str | None
    readiness_command: tuple[str, ...] | None


def pod_settings(document: dict[str, Any], container: str = CONSUMER_CONTAINER) -> PodSettings:
    """Read ``container``'s settings from a ScaledJob (or a Job: its ``spec.template``)."""
    spec = document.get("spec") or {}
    job = spec.get("jobTargetRef", spec)
    pod = (job.get("template") or {}).get("spec") or {}
    matches = [c for c in pod.get("containers") or [] if c.get("name") == container]
    if len(matches) != 1:
        raise ValueError(f"the pod template has no container named {container!r}")
    (box,) = matches
    pod_context, box_context = pod.get("securityContext") or {}, box.get("securityContext") or {}

    def context(key: str) -> Any:  # the container's setting wins over the pod's
        return box_context.get(key, pod_context.get(key))

    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    empty_dirs = []
    for mount in box.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name")) or {}
        if "emptyDir" not in volume:
            raise ValueError(f"volume {mount.get('name')!r}: only emptyDir volumes can run here")
        empty = volume["emptyDir"] or {}
        empty_dirs.append(
            EmptyDir(mount["mountPath"], empty.get("medium") == "Memory", empty.get("sizeLimit"))
        )
    env_from = []
    for source in box.get("envFrom") or []:
        if "configMapRef" in source:
            env_from.append(("configMap", source["configMapRef"]["name"]))
        elif "secretRef" in source:
            env_from.append(("secret", source["secretRef"]["name"]))
    env = []
    for entry in box.get("env") or []:
        ref = (entry.get("valueFrom") or {}) if "valueFrom" in entry else None
        if ref is None:
            env.append(EnvVar(entry["name"], value=str(entry.get("value", ""))))
        elif "secretKeyRef" in ref:
            key = ref["secretKeyRef"]
            env.append(EnvVar(entry["name"], None, "secret", key["name"], key["key"]))
        elif "configMapKeyRef" in ref:
            key = ref["configMapKeyRef"]
            env.append(EnvVar(entry["name"], None, "configMap", key["name"], key["key"]))
        else:
            raise ValueError(f"env {entry['name']}: only values and ConfigMap/Secret keys run here")
    limits = (box.get("resources") or {}).get("limits") or {}
    probe = ((box.get("readinessProbe") or {}).get("exec") or {}).get("command")
    return PodSettings(
        command=tuple(box.get("command") or ()) + tuple(box.get("args") or ()),
        user=context("runAsUser"),
        group=context("runAsGroup"),
        fs_group=pod_context.get("fsGroup"),
        run_as_non_root=bool(context("runAsNonRoot")),
        read_only=bool(box_context.get("readOnlyRootFilesystem")),
        drop_capabilities=tuple((box_context.get("capabilities") or {}).get("drop") or ()),
        no_new_privileges=box_context.get("allowPrivilegeEscalation") is False,
        empty_dirs=tuple(empty_dirs),
        env_from=tuple(env_from),
        env=tuple(env),
        cpu_limit=str(limits["cpu"]) if "cpu" in limits else None,
        memory_limit=str(limits["memory"]) if "memory" in limits else None,
        readiness_command=tuple(probe) if probe else None,
    )


_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def _expand(value: str, defined: dict[str, str]) -> str:
    """Kubernetes' dependent variables: ``$(NAME)`` of a variable defined earlier becomes its
    value, an unknown one stays as written, ``$$`` is a literal ``$``."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return defined.get(match.group(1), match.group(0))

    return _REFERENCE.sub(one, value)


def resolve_env(
    settings: PodSettings,
    config_maps: dict[str, dict[str, str]],
    secrets: dict[str, dict[str, str]],
) -> dict[str, str]:
    """The container's environment as the kubelet builds it: every ``envFrom`` source in
    order, then ``env`` in order (later wins, ``$(VAR)`` expanded against what is defined).

    :raise ValueError: a ConfigMap, Secret or key the pod needs does not exist (the kubelet's
        CreateContainerConfigError).
    """
    stores = {"configMap": config_maps, "secret": secrets}
    defined: dict[str, str] = {}
    for kind, name in settings.env_from:
        if name not in stores[kind]:
            raise ValueError(f"{kind} {name!r} does not exist")
        defined.update(stores[kind][name])
    for var in settings.env:
        if var.source is None:
            defined[var.name] = _expand(var.value or "", defined)
            continue
        data = stores[var.source].get(var.source_name or "")
        if data is None or var.key not in data:
            raise ValueError(f"env {var.name}: {var.source} {var.source_name}/{var.key} missing")
        defined[var.name] = data[var.key]
    return defined


def memory_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity in bytes: ``1Gi``, ``512Mi``, ``256M``, ``1e9``…"""
    match = re.fullmatch(r"([0-9.e+]+)(Ki|Mi|Gi|Ti|k|M|G|T)?", quantity.strip())
    if not match:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    number, unit = match.groups()
    scale = {
        None: 1,
        "k": 10**3,
        "M": 10**6,
        "G": 10**9,
        "T": 10**12,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
    }[unit]
    return int(float(number) * scale)


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity in cores: ``500m`` is 0.5, ``"1"`` is 1."""
    text = quantity.strip()
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def podman_run_args(
    settings: PodSettings,
    image: str,
    *,
    env_file: Path | None = None,
    empty_dir_paths: dict[str, Path] | None = None,
    memory_limit: str | None = None,
) -> list[str]:
    """``podman run`` arguments (after ``run``) for the pod template's container.

    ``env_file`` holds the resolved environment (``resolve_env``; a file keeps secrets out of
    the process list); ``empty_dir_paths`` maps a disk-backed emptyDir's mount path to its
    host directory (``prepare_empty_dir``), else it is a tmpfs; ``memory_limit`` replaces the
    template's (a test that must exceed it uses a smaller one).

    :raise ValueError: the template asks for something this mapping cannot honour (a root
        user with ``runAsNonRoot``).
    """
    if settings.run_as_non_root and not settings.user:
        raise ValueError("runAsNonRoot needs a numeric non-zero runAsUser to run here")
    args: list[str] = []
    if settings.user is not None:
        group = settings.group if settings.group is not None else settings.user
        args += ["--user", f"{settings.user}:{group}"]
    if settings.fs_group is not None:
        args += ["--group-add", str(settings.fs_group)]
    if settings.read_only:
        args += ["--read-only", "--read-only-tmpfs=false"]
    for capability in settings.drop_capabilities:
        args += ["--cap-drop", capability]
    if settings.no_new_privileges:
        args += ["--security-opt", "no-new-privileges"]
    for empty in settings.empty_dirs:
        host = (empty_dir_paths or {}).get(empty.mount_path)
        if host is not None and not empty.memory:
            args += ["--volume", f"{host}:{empty.mount_path}:rw"]
        else:
            size = f",size={memory_bytes(empty.size_limit)}" if empty.size_limit else ""
            args += ["--tmpfs", f"{empty.mount_path}:rw,mode=1777{size}"]
    if settings.cpu_limit:
        args += ["--cpus", f"{cpu_cores(settings.cpu_limit):g}"]
    memory = memory_limit or settings.memory_limit
    if memory:
        limit = str(memory_bytes(memory))
        args += ["--memory", limit, "--memory-swap", limit]  # the kubelet gives no swap
    if env_file is not None:
        args += ["--env-file", str(env_file)]
    return [*args, image, *settings.command]


def prepare_empty_dir(path: Path, settings: PodSettings) -> Path:
    """Create ``path`` as the kubelet creates a disk-backed emptyDir: empty, owned by the
    pod's fsGroup (group-writable, setgid) when it has one, else writable by the user."""
    path.mkdir(parents=True, exist_ok=False)
    owner = settings.user if settings.user is not None else -1
    group = settings.fs_group if settings.fs_group is not None else -1
    if os.geteuid() == 0:
        os.chown(path, owner, group)
        path.chmod(0o2775 if settings.fs_group is not None else 0o755)
    else:  # an unprivileged scaler cannot chown: leave it open to the container's user
        path.chmod(0o1777)
    return path


def write_env_file(path: Path, env: dict[str, str]) -> Path:
    """Write ``env`` as a podman ``--env-file`` (mode 0600: it holds secrets)."""
    for name, value in env.items():
        if "\n" in value:
            raise ValueError(f"env {name}: a value with a newline cannot go in an env file")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name}={value}\n" for name, value in env.items())
    return path


def host_path(container_path: str, empty_dir_paths: dict[str, Path]) -> Path | None:
    """Where a file the container writes under a disk-backed emptyDir appears on the host
    (the claim file the readiness probe tests), or None."""
    for mount, host in empty_dir_paths.items():
        prefix = mount.rstrip("/") + "/"
        if container_path.startswith(prefix):
            return host / container_path[len(prefix) :]
    return None


def config_map_literals(kustomizations: list[dict[str, Any]], name: str) -> dict[str, str]:
    """The ``literals`` of the configMapGenerator ``name`` in any of ``kustomizations``
    (parsed kustomization.yaml documents); later documents win, as an overlay's ``merge``."""
    data: dict[str, str] = {}
    for document in kustomizations:
        for generator in document.get("configMapGenerator") or []:
            if generator.get("name") == name:
                for literal in generator.get("literals") or []:
                    key, _, value = str(literal).partition("=")
                    data[key] = value
    return data


def local_env(
    settings: PodSettings, config_maps: dict[str, dict[str, str]], machine_env: dict[str, str]
) -> dict[str, str]:
    """The environment of a Job started on one machine: every ConfigMap the template names
    as ``config_maps`` holds it (the kustomization's generator: paths and settings are the
    image's, never the host's), every Secret key from the local environment ``machine_env``,
    then ``LOCAL_ADDRESSES`` from ``machine_env``: what this machine's services and settings
    stand in for (the cluster's Service addresses, the queue, the log level)."""
    names = {name for kind, name in settings.env_from if kind == "configMap"}
    names |= {v.source_name for v in settings.env if v.source == "configMap" and v.source_name}
    maps = {name: dict(config_maps.get(name, {})) for name in names}
    secrets: dict[str, dict[str, str]] = {}
    for var in settings.env:
        if var.source == "secret" and var.source_name and var.key:
            secrets.setdefault(var.source_name, {})[var.key] = machine_env.get(var.key, "")
    for kind, name in settings.env_from:
        if kind == "secret":
            secrets.setdefault(name, {})
    env = resolve_env(settings, maps, secrets)
    for key in local_addresses():
        if machine_env.get(key):
            env[key] = machine_env[key]
    return env


LOCAL_ADDRESSES = (
    "DATABASE_URL",
    "REDIS_URL",
    "RQ_QUEUE",
    "CONSUMER_QUEUE",
    "LOG_LEVEL",
)
"""What one machine's own services and settings replace in a Job's environment, besides
the variables naming the kinds' own queues (``local_addresses``)."""


def local_addresses() -> tuple[str, ...]:
    """``LOCAL_ADDRESSES`` and each registered kind's queue variable (e.g. SWEEP_QUEUE)."""
    from kinds.registry import all_kinds

    queues = [kind.queue_variable for kind in all_kinds() if kind.queue_variable]
    return tuple(dict.fromkeys((*LOCAL_ADDRESSES, *queues)))
