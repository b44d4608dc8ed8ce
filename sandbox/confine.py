"""The child's confinement, in its one order: rlimits (and the OOM killer's preference),
capabilities dropped, libseccomp loaded, Landlock (with no_new_privs), the seccomp filter.

``confine(start)`` applies the layers the parent's start message names (all of them, unless
a test switched one off to show that its check fails without it) with the start message's
limits and paths. libseccomp is loaded before Landlock, while its file is still readable.
Standard library only: the child imports this before it is confined.
"""

from __future__ import annotations

import ctypes
import os
import resource

from sandbox import landlock, seccomp

TYPE_CHECKING = False  # not typing's: the child imports this module, and typing costs ~10 ms
if TYPE_CHECKING:
    from typing import Any

LAYERS = ("environment", "rlimits", "capabilities", "landlock", "seccomp")
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
    try:  # the kernel's OOM killer picks the child first, never the consumer beside it
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as stream:
            stream.write("1000")
    except OSError:
        pass  # a /proc mounted read-only: the address-space limit still holds


CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Empty the effective, permitted and inheritable sets (the ambient set follows): a
    consumer run as root (a developer's container) leaves its child no privilege, such as
    raising its own hard limits back (CAP_SYS_RESOURCE).

    :raise OSError: capset refused.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"capset: {os.strerror(errno)}")


PR_SET_PDEATHSIG = 1
SIGKILL = 9  # Linux's on every architecture; the signal module would load enum (4 ms)


def die_with_parent(parent: int) -> bool:
    """Ask the kernel for SIGKILL when the parent (the thread that spawned this process)
    ends, so that a consumer killed mid-run leaves no child behind; False when the parent
    ended before the request (this process then has another parent already)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"PR_SET_PDEATHSIG: {os.strerror(errno)}")
    return os.getppid() == parent


def confine(start: dict[str, Any]) -> int | None:
    """Apply the layers ``start["layers"]`` names; returns the Landlock ABI used (None
    without Landlock).

    :raise landlock.LandlockError, seccomp.SeccompError: a layer cannot be applied.
    """
    layers = set(start["layers"])
    if "rlimits" in layers:
        rlimits(start["limits"])
    if "capabilities" in layers:
        drop_capabilities()
    library = seccomp.load_library() if "seccomp" in layers else None
    abi = None
    if "landlock" in layers:
        abi = landlock.restrict(
            start["read_only"], [start["scratch"]], start["landlock_abi_needed"]
        )
    if library is not None:
        seccomp.install(library)
    return abi
