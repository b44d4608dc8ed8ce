"""The child's confinement, in its one order: rlimits, libseccomp loaded, Landlock (with
no_new_privs), the seccomp filter.

``confine(start)`` applies the layers the parent's start message names (all of them, unless
a test switched one off to show that its check fails without it) with the start message's
limits and paths. libseccomp is loaded before Landlock, while its file is still readable.
Standard library only: the child imports this before it is confined.
"""

from __future__ import annotations

import resource

from sandbox import landlock, seccomp

TYPE_CHECKING = False  # not typing's: the child imports this module, and typing costs ~10 ms
if TYPE_CHECKING:
    from typing import Any

LAYERS = ("environment", "rlimits", "landlock", "seccomp")
"""Every protection, in the order they are set up (the environment by the parent)."""

CPU_GRACE_SECONDS = 1
"""Seconds between RLIMIT_CPU's SIGXCPU (soft) and its SIGKILL (hard), for code that
ignores SIGXCPU."""


def rlimits(limits: dict[str, int]) -> None:
    """Address space, CPU seconds, open files, file size; no core files. No RLIMIT_NPROC:
    it counts every task of the user id, the consumer's included."""
    memory, cpu = limits["memory_bytes"], limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_GRACE_SECONDS))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["disk_bytes"], limits["disk_bytes"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def confine(start: dict[str, Any]) -> int | None:
    """Apply the layers ``start["layers"]`` names; returns the Landlock ABI used (None
    without Landlock).

    :raise landlock.LandlockError, seccomp.SeccompError: a layer cannot be applied.
    """
    layers = set(start["layers"])
    if "rlimits" in layers:
        rlimits(start["limits"])
    library = seccomp.load_library() if "seccomp" in layers else None
    abi = None
    if "landlock" in layers:
        abi = landlock.restrict(
            start["read_only"], [start["scratch"]], start["landlock_abi_needed"]
        )
    if library is not None:
        seccomp.install(library)
    return abi
