"""Build and run the app image with podman on a machine with no container registry.

``python -m scripts.container build`` installs the engine (podman, runc, mmdebstrap from
Debian) when it is missing, makes the Dockerfile's base image from Debian packages once
(mmdebstrap; reused while ``podman image exists`` says so) and builds the Dockerfile into
``stock-backtest:<git short SHA>``; it prints the tag. ``python -m scripts.container env``
prints the ``CONTAINERS_CONF=…`` line podman needs here (the local scaler's podman runtime
and a shell use it). ``python -m scripts.container standins`` makes the ``mysql`` and ``redis``
images docker-compose.yml names available: pulled where a registry answers, else local
stand-ins (MariaDB and Redis from Debian), so ``podman-compose up`` runs here too
(tests/deploy/test_deploy_compose_podman.py). The container tests (tests/deploy/) and the
autoscaling demo build through the same functions.

Why each step (docs/containers.md): no base image can be
pulled, so a stand-in with the Dockerfile's FROM name is imported from a Debian bootstrap
(Debian's Python 3.11, not the official image's patch release); podman here needs runc
(crun refuses the hybrid cgroup layout) and a nofile ulimit the machine allows; pip inside
the build goes through the host's TLS-intercepting proxy, so the host's CA bundle and pip
configuration are mounted read-only into the build.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
IMAGE_NAME = "stock-backtest"
CONF_PATH = PROJECT_ROOT / ".tools" / "containers.conf"
ENGINE_PACKAGES = ("podman", "runc", "mmdebstrap")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PIP_CONF = Path("/etc/pip.conf")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"
STANDIN_PACKAGES = ("mariadb-server", "mariadb-client", "redis-server")
REVISION_LABEL = "org.opencontainers.image.revision"
MYSQL_STANDIN_SCRIPT = PROJECT_ROOT / "scripts" / "standins" / "mysql-standin.sh"


def log(message: str) -> None:
    print(f"container: {message}", file=sys.stderr, flush=True)


def ensure_engine() -> dict[str, str]:
    """Install podman, runc and mmdebstrap with apt-get if one is missing, write the private
    containers.conf, and return the environment podman commands run with."""
    missing = [name for name in ENGINE_PACKAGES if shutil.which(name) is None]
    if missing:
        log(f"installing {' '.join(ENGINE_PACKAGES)} (apt-get)")
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *ENGINE_PACKAGES],
            check=True,
            env=quiet,
            stdout=subprocess.DEVNULL,
        )
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nofile = 65536 if nofile == resource.RLIM_INFINITY else min(nofile, 1048576)
    CONF_PATH.parent.mkdir(parents=True, exist_ok=True)
    CONF_PATH.write_text(
        "# Written by scripts/container.py: podman's settings on this machine.\n"
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc=32768:32768"]\n'
        "[engine]\n"
        'runtime = "runc"\n',
        encoding="utf-8",
    )
    return {**os.environ, "CONTAINERS_CONF": str(CONF_PATH)}


def podman(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run ``podman args…`` with ``env`` (``ensure_engine``'s); raises on failure unless
    ``check=False``."""
    kwargs.setdefault("check", True)
    return subprocess.run(["podman", *args], env=env, **kwargs)


def image_exists(env: dict[str, str], name: str) -> bool:
    """Whether podman's storage holds the image ``name``."""
    return podman(env, "image", "exists", name, check=False).returncode == 0


def qualified(image: str) -> str:
    """An image name as podman stores a pulled Docker Hub image: ``redis:7`` is
    ``docker.io/library/redis:7`` (what ``podman image exists`` checks)."""
    return image if "/" in image else f"docker.io/library/{image}"


def base_images(dockerfile: Path = PROJECT_ROOT / "Dockerfile") -> list[str]:
    """The images the Dockerfile's stages start FROM (stage names excluded), fully named."""
    names: list[str] = []
    stages: set[str] = set()
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if not match:
            continue
        image, stage = match.groups()
        if image not in stages and image not in names:
            names.append(image)
        if stage:
            stages.add(stage)
    return [qualified(name) for name in names]


def debian_mirror() -> str:
    """The Debian mirror the machine's apt sources already name."""
    for source in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        try:
            text = source.read_text(encoding="utf-8")
        except OSError:
            continue
        for match in re.finditer(r"(https?://\S+/debian)(?=\s|$)", text):
            return match.group(1)
    return DEFAULT_MIRROR


def debian_bootstrap(
    packages: tuple[str, ...], *hooks: str, stdout: Any = subprocess.PIPE
) -> subprocess.Popen:
    """Start mmdebstrap of Debian bookworm (minbase plus ``packages``, then the customize
    ``hooks``), writing the root filesystem's tarball to ``stdout`` (a pipe by default)."""
    mirror = debian_mirror()
    return subprocess.Popen(
        [
            "mmdebstrap",
            "--quiet",
            "--variant=minbase",
            f"--include={','.join(packages)}",
            *[f"--customize-hook={hook}" for hook in hooks],
            "bookworm",
            "-",
            f"deb {mirror} bookworm main",
            f"deb {mirror} bookworm-updates main",
        ],
        stdout=stdout,
    )


def import_image(env: dict[str, str], tarball: Path | IO[bytes], name: str, *changes: str) -> None:
    """``podman import`` a root filesystem tarball (a path or a pipe) as ``name`` with the
    Dockerfile-style ``changes``."""
    options = [option for change in changes for option in ("--change", change)]
    source = str(tarball) if isinstance(tarball, Path) else "-"
    podman(
        env,
        "import",
        "--quiet",
        *options,
        source,
        name,
        stdin=None if isinstance(tarball, Path) else tarball,
        stdout=subprocess.DEVNULL,
    )


def ensure_base_image(env: dict[str, str], name: str) -> None:
    """Import a stand-in for ``name`` from a Debian bookworm bootstrap, unless it exists."""
    if image_exists(env, name):
        return
    log(f"creating the base image {name} from Debian packages (mmdebstrap, about 100 s)")
    started = time.monotonic()
    bootstrap = debian_bootstrap(BASE_PACKAGES, "ln -sf /usr/bin/python3 $1/usr/local/bin/python")
    with bootstrap.stdout:  # closed even when the import fails (no unclosed pipe left)
        import_image(
            env,
            bootstrap.stdout,
            name,
            "ENV LANG=C.UTF-8",
            f"ENV PATH={SYSTEM_PATH}",
            'CMD ["python3"]',
        )
    if bootstrap.wait() != 0:
        podman(env, "rmi", "--force", name, check=False)
        raise RuntimeError(f"mmdebstrap failed ({bootstrap.returncode})")
    log(f"base image ready in {time.monotonic() - started:.0f} s")


def compose_datastore_images(compose_file: Path = COMPOSE_FILE) -> dict[str, str]:
    """The images docker-compose.yml runs its ``mysql`` and ``redis`` services from, fully
    named (the names the stand-ins take)."""
    import yaml  # only the compose stand-ins need it

    services = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]
    images = {name: services[name]["image"] for name in ("mysql", "redis")}
    return {role: qualified(image) for role, image in images.items()}


STANDIN_CHANGES = {
    "mysql": ('ENTRYPOINT ["/usr/local/bin/mysql-standin"]', "EXPOSE 3306"),
    "redis": ("WORKDIR /data", "USER redis", 'CMD ["redis-server"]', "EXPOSE 6379"),
}
"""How each stand-in starts (Dockerfile-style changes to the one Debian root filesystem)."""


def ensure_datastore_images(env: dict[str, str], compose_file: Path = COMPOSE_FILE) -> None:
    """Make the compose file's ``mysql`` and ``redis`` images available: each one that is
    missing is pulled where a registry answers (CI's runners: the real images), else made as
    a local stand-in. The stand-ins come from one Debian bootstrap with MariaDB and Redis:
    ``mysql`` runs scripts/standins/mysql-standin.sh (it honours the official image's MYSQL_*
    variables); ``redis`` runs Debian's redis-server in /data, with compose's command as its
    arguments."""
    missing = {
        role: name
        for role, name in compose_datastore_images(compose_file).items()
        if not image_exists(env, name)
    }
    for role, name in list(missing.items()):
        pulled = podman(env, "pull", "--quiet", name, check=False, capture_output=True)
        if pulled.returncode == 0:  # here the registry is unreachable: fails at once
            del missing[role]
    if not missing:
        return
    log(f"creating {' and '.join(missing.values())} stand-ins (MariaDB, Redis from Debian)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="standins-") as scratch:
        tarball = Path(scratch) / "datastores.tar"
        with tarball.open("wb") as out:
            bootstrap = debian_bootstrap(
                STANDIN_PACKAGES,
                f"upload {MYSQL_STANDIN_SCRIPT} /usr/local/bin/mysql-standin",
                "chmod 0755 $1/usr/local/bin/mysql-standin",
                # Debian's postinst initialised a data directory: the image ships it empty, so
                # the entrypoint creates the database and user compose asks for.
                "rm -rf $1/var/lib/mysql && mkdir -p $1/var/lib/mysql $1/data",
                "chroot $1 chown redis:redis /data",
                stdout=out,
            )
            if bootstrap.wait() != 0:
                raise RuntimeError(f"mmdebstrap failed ({bootstrap.returncode})")
        common = ("ENV LANG=C.UTF-8", f"ENV PATH={SYSTEM_PATH}")
        for role, name in missing.items():
            import_image(env, tarball, name, *common, *STANDIN_CHANGES[role])
    log(f"stand-ins ready in {time.monotonic() - started:.0f} s")


def git_tag() -> str:
    """The short git SHA of HEAD (the image's immutable tag); ``dev`` outside a checkout."""
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "dev"


def build_image(env: dict[str, str], tag: str | None = None) -> str:
    """Build the Dockerfile into ``stock-backtest:<tag>`` (default the git short SHA) and
    return the image reference."""
    tag = tag or git_tag()
    for name in base_images():
        ensure_base_image(env, name)
    mounts = []
    for path in (CA_BUNDLE, PIP_CONF):
        if path.is_file():
            mounts += ["--volume", f"{path}:{path}:ro"]
    reference = f"{IMAGE_NAME}:{tag}"
    log(f"building {reference}")
    podman(
        env,
        "build",
        "--format",
        "docker",
        "--build-arg",
        f"IMAGE_TAG={tag}",
        # buildah reuses a cached `ENV IMAGE_TAG=${IMAGE_TAG}` layer built with another value
        # (containers/buildah#5501): the image would report the wrong code. Set both on the
        # final image as well; BuildKit (CI's docker buildx) needs no such help.
        "--env",
        f"IMAGE_TAG={tag}",
        "--label",
        f"{REVISION_LABEL}={tag}",
        *mounts,
        "--tag",
        reference,
        str(PROJECT_ROOT),
        stdout=sys.stderr,  # stdout carries only the reference: IMAGE=$(python -m … build)
    )
    baked = image_env(env, reference).get("IMAGE_TAG")
    if baked != tag:
        raise RuntimeError(f"{reference} reports IMAGE_TAG={baked!r}, not {tag!r}")
    return reference


def image_env(env: dict[str, str], reference: str) -> dict[str, str]:
    """The environment an image's containers start with (its ``Config.Env``)."""
    out = podman(
        env,
        "image",
        "inspect",
        "--format",
        "{{range .Config.Env}}{{println .}}{{end}}",
        reference,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "build"
    env = ensure_engine()
    if command == "env":
        print(f"CONTAINERS_CONF={env['CONTAINERS_CONF']}")
        return 0
    if command == "build":
        print(build_image(env, argv[1] if len(argv) > 1 else None))
        return 0
    if command == "standins":
        ensure_datastore_images(env)
        print(" ".join(compose_datastore_images().values()))
        return 0
    print("usage: python -m scripts.container [build [TAG] | env | standins]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
