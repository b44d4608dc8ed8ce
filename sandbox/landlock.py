"""Landlock through ctypes: the child's view of the filesystem and its TCP and signal scope.

Called by the child (``sandbox/child.py``) before any user code: after ``restrict``, the
process reads only the paths given as read-only, writes only beneath its scratch directory
(without executing anything there), binds and connects no TCP port, signals no process
outside its own domain and connects to no abstract Unix socket outside it. Standard library
only (the child imports it before it is confined). Linux's ``landlock_*`` system calls,
numbers of every architecture that has them.
"""

from __future__ import annotations

import ctypes
import os

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

ABI_NEEDED = 6
"""The oldest ABI that confines everything the sandbox relies on: file access (1), moving
files between directories (2), truncation (3), TCP bind and connect (4), device ioctls (5)
and the abstract-socket and signal scopes (6)."""

# Filesystem rights (landlock.h), with the ABI that introduced each.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
FS_ALL = (1 << 16) - 1
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
"""The rights a rule on a file (not a directory) may carry."""

READ_ONLY = READ_FILE | READ_DIR
SCRATCH = WRITE_FILE | READ_FILE | READ_DIR | REMOVE_FILE | MAKE_REG | TRUNCATE
"""Scratch: read, write, make and remove regular files; no EXECUTE, no directories, links,
devices, sockets or FIFOs. A flat folder of plain files is one the parent can measure in one
listing (its size and file count are limits) and remove whole."""

NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1


class LandlockError(RuntimeError):
    """Landlock cannot confine this process as required; the sandbox refuses to run."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI version; 0 when Landlock is absent or disabled."""
    libc = _libc()
    version = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    return max(0, int(version))


def restrict(read_only: list[str], read_write: list[str], abi_needed: int = ABI_NEEDED) -> int:
    """Confine this process for good (and its threads started later): ``read_only`` paths
    (files or directories, and everything beneath) may be read, ``read_write`` ones used as
    scratch; everything else on the filesystem, TCP, signals and abstract Unix sockets
    leaving the process are refused. Sets no_new_privs, which Landlock requires. Returns the
    ABI used.

    :raise LandlockError: the ABI is below ``abi_needed``, or a call failed (fails closed).
    """
    abi = abi_version()
    if abi < abi_needed:
        raise LandlockError(
            f"Landlock ABI {abi} is below {abi_needed}: this kernel cannot confine the "
            "strategy's files, TCP and signals (Linux 6.12 or later with Landlock enabled "
            "in the LSM list is needed); refusing to run it"
        )
    libc = _libc()
    attr = _RulesetAttr(
        FS_ALL, NET_BIND_TCP | NET_CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
    )
    ruleset = libc.syscall(
        CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0
    )
    if ruleset < 0:
        raise LandlockError(f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for path in read_only:
            _allow(libc, ruleset, path, READ_ONLY)
        for path in read_write:
            _allow(libc, ruleset, path, SCRATCH)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise LandlockError(f"PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}")
        if libc.syscall(RESTRICT_SELF, int(ruleset), 0) != 0:
            raise LandlockError(f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    return abi


def _allow(libc: ctypes.CDLL, ruleset: int, path: str, access: int) -> None:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rights = access if os.path.isdir(path) else access & FILE_RIGHTS
        rule = _PathBeneathAttr(rights, fd)
        if libc.syscall(ADD_RULE, int(ruleset), RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise LandlockError(f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)
