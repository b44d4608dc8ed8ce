"""A seccomp filter through libseccomp (``libseccomp.so.2``, loaded by name with ctypes).

Called by the child (``sandbox/child.py``) last, after Landlock: every system call stays
allowed except those that would start a process, reach the network or another process, or
change the kernel's view of the system. Sockets fail with EACCES (a library meets the
"permission denied" it already handles), ``clone3`` with ENOSYS so that glibc falls back to
``clone``, where only threads (CLONE_THREAD) pass; everything else refused fails with EPERM.
Signals may go to this process only. The filter binds the process for good.

The library is loaded by name rather than found through ``ctypes.util.find_library``, which
runs ``ldconfig`` in a subprocess (5 ms, and impossible once the filter is in place);
PyPI's ``pyseccomp`` does that at import, so the few calls needed are declared here.
Standard library only: the child imports this before it is confined.
"""

from __future__ import annotations

import ctypes
import errno
import os

LIBRARY = "libseccomp.so.2"
"""libseccomp's soname (Debian ``libseccomp2``, in the image's base)."""

ACT_ALLOW = 0x7FFF0000
CMP_NE, CMP_MASKED_EQ = 1, 7
CLONE_THREAD = 0x00010000
SCMP_ERROR = -1

DENIED = (
    # new processes and programs
    "fork",
    "vfork",
    "execve",
    "execveat",
    # other processes: their memory, their descriptors, tracing
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "kcmp",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "tkill",
    "rt_sigqueueinfo",
    "move_pages",
    "migrate_pages",
    "setpriority",
    # namespaces, mounts, roots
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    # kernel interfaces a strategy never needs, each an attack surface of its own
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "personality",
    "memfd_secret",
    "mknod",
    "mknodat",
    "name_to_handle_at",
    "open_by_handle_at",
    "fanotify_init",
    "inotify_init",
    "inotify_init1",
    "quotactl",
    "acct",
    "syslog",
    "vhangup",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "sethostname",
    "setdomainname",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    # metadata Landlock does not guard: modes, owners, times and extended attributes
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "futimesat",
    "utimensat",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    # a socket pair would be a channel the parent does not read
    "socketpair",
    # memory outside the address-space limit, and legacy interfaces
    "memfd_create",
    "ioprio_set",
    "modify_ldt",
    "uselib",
)
"""System calls refused with EPERM whatever their arguments."""

DENIED_TO_OTHERS = ("kill", "tgkill", "rt_tgsigqueueinfo")
"""Signal calls refused (EPERM) unless their first argument is this process."""

DENIED_UNLESS_SELF = (
    "prlimit64",
    "sched_setaffinity",
    "sched_setscheduler",
    "sched_setparam",
    "sched_setattr",
)
"""Calls refused (EPERM) unless their first argument is 0 (this process): another process
of the same user id would otherwise have its limits, CPUs or scheduling changed."""

CLONE_NAMESPACES = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: refused on a thread too."""


class SeccompError(RuntimeError):
    """The filter could not be built or loaded; the sandbox refuses to run."""


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)


def load_library() -> ctypes.CDLL:
    """libseccomp, loaded by its soname.

    :raise SeccompError: the library is missing.
    """
    try:
        lib = ctypes.CDLL(LIBRARY, use_errno=True)
    except OSError as exc:
        raise SeccompError(f"cannot load {LIBRARY} (Debian package libseccomp2): {exc}") from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.restype = ctypes.c_int
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.restype = None
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def install(lib: ctypes.CDLL) -> None:
    """Build and load the filter into this process (no_new_privs is set by libseccomp).

    :raise SeccompError: a call was refused; nothing is loaded then.
    """
    context = lib.seccomp_init(ACT_ALLOW)
    if not context:
        raise SeccompError("seccomp_init failed")
    try:
        me = os.getpid()
        eperm, eacces = _errno_action(errno.EPERM), _errno_action(errno.EACCES)
        for name in DENIED:
            _add(lib, context, eperm, _number(lib, name))
        _add(lib, context, eacces, _number(lib, "socket"))
        _add(lib, context, _errno_action(errno.ENOSYS), _number(lib, "clone3"))
        clone = _number(lib, "clone")
        _add(lib, context, eperm, clone, _ArgCmp(0, CMP_MASKED_EQ, CLONE_THREAD, 0))
        for flag in CLONE_NAMESPACES:
            _add(lib, context, eperm, clone, _ArgCmp(0, CMP_MASKED_EQ, flag, flag))
        for name in DENIED_TO_OTHERS:
            _add(lib, context, eperm, _number(lib, name), _ArgCmp(0, CMP_NE, me, 0))
        for name in DENIED_UNLESS_SELF:
            _add(lib, context, eperm, _number(lib, name), _ArgCmp(0, CMP_NE, 0, 0))
        status = lib.seccomp_load(context)
        if status != 0:
            raise SeccompError(f"seccomp_load: {os.strerror(-status)}")
    finally:
        lib.seccomp_release(context)


def _number(lib: ctypes.CDLL, name: str) -> int:
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number == SCMP_ERROR:
        raise SeccompError(f"libseccomp does not know the system call {name}")
    return number  # negative: a call this architecture lacks, which libseccomp then skips


def _add(lib: ctypes.CDLL, context: int, action: int, number: int, *args: _ArgCmp) -> None:
    array = (_ArgCmp * len(args))(*args) if args else None
    status = lib.seccomp_rule_add_array(context, action, number, len(args), array)
    if status != 0:
        raise SeccompError(f"seccomp_rule_add({number}): {os.strerror(-status)}")
