"""The escape battery: hostile strategies, each run in a fresh sandbox with every layer on.

Each one must fail inside the sandbox: its outcome is FAILED with a message saying what was
refused (or which limit it hit), or SUCCEEDED with only its own harmless result, and the
parent saw nothing of it (``Target.untouched``: no connection, datagram or signal, secret
and data files unchanged, nothing written outside the scratch directory, the consumer
alive). tests/sandbox/test_sandbox_layers.py shows the same checks failing once the
protection they rely on is switched off.
"""

from __future__ import annotations

import errno
import platform
import re
import textwrap
from dataclasses import dataclass

import pytest

from config.numerics import same_numerics
from sandbox import run
from sandbox.launcher import Sandbox
from tests.sandbox.conftest import LIMITS, SECRET, Target, settle

PREAMBLE = """\
import ctypes, errno, os, signal, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def raw(number, *args):
    result = libc.syscall(number, *args)
    return [result, ctypes.get_errno() if result < 0 else 0]

def main(p):
"""

DENIED = "PermissionError: [Errno 13] Permission denied"
EPERM = "PermissionError: [Errno 1] Operation not permitted"
REFUSED_RAW = [-1, errno.EPERM]


@dataclass(frozen=True)
class Attack:
    name: str
    body: str
    failed: str | None = None
    """A regular expression the failure's message matches; None: it must succeed."""
    value: object = None
    """The value a successful attack must return (its own harmless result)."""
    kind: str = "exception"
    x86_64: bool = False
    """It uses x86-64's system call numbers or machine code."""


def attack(name: str, body: str, failed: str | None = None, **kw: object) -> Attack:
    return Attack(name, textwrap.indent(textwrap.dedent(body).strip(), "    "), failed, **kw)


X86_64 = platform.machine() == "x86_64"

ATTACKS = [
    # -- credentials and other people's data ----------------------------------------------------
    attack(
        "environment",
        "return sorted(k for k in os.environ if k != 'LC_CTYPE')",
        value=sorted(
            ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED", *same_numerics()]
        ),
    ),
    attack(
        "parent_environ", "return open(f'/proc/{os.getppid()}/environ').read()", re.escape(DENIED)
    ),
    attack(
        "consumer_environ",
        "return open(f\"/proc/{p['consumer']}/environ\").read()",
        re.escape(DENIED),
    ),
    attack("pid1_environ", "return open('/proc/1/environ').read()", re.escape(DENIED)),
    attack("list_processes", "return os.listdir('/proc')", re.escape(DENIED)),
    attack(
        "parent_memory_file",
        "return open(f'/proc/{os.getppid()}/mem', 'rb').read(1)",
        re.escape(DENIED),
    ),
    attack("secret_file", "return open(p['secret_file']).read()", re.escape(DENIED)),
    attack("etc_passwd", "return open('/etc/passwd').read()", re.escape(DENIED)),
    attack("another_items_data", "return open(p['other_data']).read()", re.escape(DENIED)),
    attack(
        "project_config",
        "return open(p['project'] + '/config/process.py').read()",
        re.escape(DENIED),
    ),
    attack("list_data_folder", "return os.listdir(os.path.dirname(p['data']))", re.escape(DENIED)),
    attack(
        "symlink_to_secret",
        """
        os.symlink(p['secret_file'], 'link')
        return open('link').read()
    """,
        re.escape(DENIED),
    ),
    attack("hardlink_secret", "os.link(p['secret_file'], 'copy')", r"\[Errno (1|13|18)\]"),
    attack("sys_network_config", "return os.listdir('/sys/class/net')", re.escape(DENIED)),
    # -- writing where it must not --------------------------------------------------------------
    attack(
        "write_outside_scratch", "open(p['outside'] + '/pwned', 'w').write('x')", re.escape(DENIED)
    ),
    attack("write_the_data_file", "open(p['data'], 'a').write('x')", re.escape(DENIED)),
    attack(
        "write_into_the_venv",
        "open(os.path.dirname(os.__file__) + '/evil.py', 'w')",
        re.escape(DENIED) + r"|\[Errno 30\] Read-only file system",  # a pod's read-only root
    ),
    attack("move_the_data_away", "os.rename(p['data'], 'stolen.csv')", r"\[Errno (1|13|18)\]"),
    attack("chmod_the_data_file", "os.chmod(p['data'], 0)", re.escape(EPERM)),
    attack("touch_the_secret_file", "os.utime(p['secret_file'], (0, 0))", re.escape(EPERM)),
    # -- the network ----------------------------------------------------------------------------
    attack(
        "tcp_listener",
        "socket.create_connection(('127.0.0.1', p['tcp']), timeout=2)",
        re.escape(DENIED),
    ),
    attack(
        "udp_listener",
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', p['udp']))",
        re.escape(DENIED),
    ),
    attack("mysql", "socket.create_connection(('127.0.0.1', 3306), timeout=2)", re.escape(DENIED)),
    attack("redis", "socket.create_connection(('127.0.0.1', 6379), timeout=2)", re.escape(DENIED)),
    attack(
        "unix_socket",
        """
        s = socket.socket(socket.AF_UNIX)
        s.connect(p['unix'])
    """,
        re.escape(DENIED),
    ),
    attack(
        "abstract_socket",
        """
        s = socket.socket(socket.AF_UNIX)
        s.connect(p['abstract'])
    """,
        re.escape(DENIED),
    ),
    attack("netlink", "socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)", re.escape(DENIED)),
    attack(
        "ipv6", "socket.create_connection(('::1', p['tcp']), timeout=2)", r"Permission denied|Errno"
    ),
    attack(
        "http_client",
        """
        import urllib.request
        urllib.request.urlopen(f"http://127.0.0.1:{p['tcp']}/", timeout=2)
    """,
        r"Permission denied",
    ),
    attack("dns", "socket.getaddrinfo('example.com', 80)", r"gaierror|Permission denied"),
    attack("socketpair", "socket.socketpair()", re.escape(EPERM)),
    # -- new processes and programs -------------------------------------------------------------
    attack("fork", "os.fork()", re.escape(EPERM)),
    attack(
        "subprocess",
        """
        import subprocess
        subprocess.run(['/bin/true'])
    """,
        re.escape(EPERM),
    ),
    attack("os_system", "return os.system('touch ' + p['outside'] + '/pwned') == 0", value=False),
    attack("exec", "os.execv('/bin/sh', ['sh', '-c', 'true'])", r"\[Errno (1|13)\]"),
    attack(
        "ctypes_system",
        "return libc.system(('touch ' + p['outside'] + '/pwned').encode()) == 0",
        value=False,
    ),
    attack(
        "threads_bomb",
        """
        import threading
        for _ in range(100_000):
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    """,
        r"can't start new thread|memory",
        kind="any",
    ),
    # -- the kernel's other doors (raw system calls, x86-64 numbers) ----------------------------
    attack("raw_fork", "return raw(57)", value=REFUSED_RAW),
    attack("x32_fork", "return raw(0x40000000 + 57)", r"killed by SIGSYS", kind="exit"),
    attack(
        "i386_fork_from_machine_code",
        """
        import mmap
        code = bytes([0xB8, 2, 0, 0, 0, 0xCD, 0x80, 0xC3])  # mov eax, 2 (fork); int 0x80; ret
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        address = ctypes.addressof(ctypes.c_char.from_buffer(page))
        return ctypes.CFUNCTYPE(ctypes.c_long)(address)()
    """,
        r"killed by SIGSYS",
        kind="exit",
        x86_64=True,
    ),
    attack("raw_clone_process", "return raw(56, 17, 0, 0, 0, 0)", value=REFUSED_RAW),
    attack("unshare_user_namespace", "return raw(272, 0x10000000)", value=REFUSED_RAW),
    attack(
        "io_uring", "return raw(425, 4, ctypes.byref((ctypes.c_char * 120)()))", value=REFUSED_RAW
    ),
    attack("bpf", "return raw(321, 0, 0, 0)", value=REFUSED_RAW),
    attack("perf_event_open", "return raw(298, 0, 0, -1, -1, 0)", value=REFUSED_RAW),
    attack("keyring", "return raw(250, 0, -3, 0, 0, 0)", value=REFUSED_RAW),
    attack("mount", "return raw(165, b'none', b'scratch', b'tmpfs', 0, 0)", value=REFUSED_RAW),
    attack("open_by_handle", "return raw(304, -100, 0, 0)", value=REFUSED_RAW),
    attack("inotify_on_secrets", "return raw(294, 0)", value=REFUSED_RAW),
    # -- the parent and other processes ---------------------------------------------------------
    attack("ptrace_parent", "return raw(101, 16, os.getppid(), 0, 0)", value=REFUSED_RAW),
    attack("read_parent_memory", "return raw(310, os.getppid(), 0, 0, 0, 0, 0)", value=REFUSED_RAW),
    attack("pidfd_of_parent", "return raw(434, os.getppid(), 0)", value=REFUSED_RAW),
    attack("signal_parent", "os.kill(os.getppid(), signal.SIGUSR1)", re.escape(EPERM)),
    attack("signal_everyone", "os.kill(-1, signal.SIGUSR1)", re.escape(EPERM)),
    attack(
        "signal_parents_group",
        "os.killpg(os.getpgid(os.getppid()), signal.SIGUSR1)",
        re.escape(EPERM),
    ),
    attack("kill_the_consumer", "os.kill(p['consumer'], signal.SIGKILL)", re.escape(EPERM)),
    attack("renice_parent", "os.setpriority(os.PRIO_PROCESS, os.getppid(), 19)", re.escape(EPERM)),
    # -- the pipe: forged and flooded answers ---------------------------------------------------
    attack(
        "answer_for_another_call",
        """
        import json, struct
        body = json.dumps({'type': 'return', 'id': 999, 'value': 'forged'}).encode()
        for fd in range(3, 8):
            try:
                os.write(fd, struct.pack('>I', len(body)) + body)
            except OSError:
                pass
        time.sleep(5)
    """,
        r"answered call 999 while call 1 was waiting",
        kind="protocol",
    ),
    attack(
        "answer_for_another_item",
        """
        import json, struct
        body = json.dumps({'type': 'return', 'id': 1, 'value': 1, 'item': 'other'}).encode()
        for fd in range(3, 8):
            try:
                os.write(fd, struct.pack('>I', len(body)) + body)
            except OSError:
                pass
        time.sleep(5)
    """,
        r"its answer is not one the sandbox sends",
        kind="protocol",
    ),
    attack(
        "flood_the_pipe",
        """
        for fd in range(3, 8):
            try:
                os.write(fd, b'\\xff' * (1 << 16))
            except OSError:
                pass
        time.sleep(5)
    """,
        r"sent over 1048576 bytes at once",
        kind="limit",
    ),
    attack(
        "answer_json_cannot_parse",
        """
        body = b'{"type": "return", "id": 1, "value": ' + b'9' * 5000 + b'}'
        for fd in range(3, 8):
            try:
                os.write(fd, len(body).to_bytes(4, 'big') + body)
            except OSError:
                pass
        time.sleep(5)
    """,
        r"the frame is not JSON: ValueError",
        kind="protocol",
    ),
    attack(
        "answer_too_large",
        "return 'x' * (2 << 20)",
        r"sent over 1048576 bytes at once",
        kind="limit",
    ),
    attack(
        "flood_the_output",
        """
        for _ in range(100_000):
            print('x' * 100)
    """,
        r"wrote more than 1048576 bytes, or 1000 files, in its scratch directory",
        kind="limit",
    ),
    # -- resources ------------------------------------------------------------------------------
    attack(
        "fill_the_disk",
        """
        with open('big.bin', 'wb') as f:
            for _ in range(64):
                f.write(b'\\0' * (1 << 20))
    """,
        r"wrote more than 1048576 bytes, or 1000 files, in its scratch directory",
        kind="limit",
    ),
    attack(
        "many_files_fill_the_disk",
        """
        for index in range(40):
            with open(f'part{index}.bin', 'wb') as f:
                f.write(b'1' * (512 << 10))
        time.sleep(5)
    """,
        r"wrote more than 1048576 bytes, or 1000 files, in its scratch directory",
        kind="limit",
    ),
    attack(
        "many_files_then_answer_at_once",
        """
        for index in range(4):
            with open(f'part{index}.bin', 'wb') as f:
                f.write(b'1' * (512 << 10))
        return 'written'
    """,
        r"wrote more than 1048576 bytes, or 1000 files, in its scratch directory",
        kind="limit",
    ),
    attack(
        "too_many_files",
        """
        for index in range(2000):
            open(f'empty{index}', 'w').close()
        time.sleep(5)
    """,
        r"wrote more than 1048576 bytes, or 1000 files, in its scratch directory",
        kind="limit",
    ),
    attack("make_a_directory", "os.mkdir('deep')", re.escape(DENIED)),
    attack("memory_outside_the_limit", "os.memfd_create('x')", re.escape(EPERM)),
    attack(
        "limit_the_consumer",
        """
        import resource
        resource.prlimit(p['consumer'], resource.RLIMIT_NOFILE, (1, 1))
    """,
        re.escape(EPERM),
    ),
    attack("pin_the_consumer", "os.sched_setaffinity(p['consumer'], {0})", re.escape(EPERM)),
    attack(
        "raise_its_own_limits",
        """
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 16, 1 << 16))
    """,
        r"not allowed to raise maximum limit",
    ),
    attack(
        "memory_bomb",
        "return len(bytearray(4 << 30))",
        r"ran out of memory \(limit 512 MB\): MemoryError$",
        kind="limit",
    ),
    attack(
        "numpy_memory_bomb",
        """
        import numpy
        return float(numpy.ones(1 << 30).sum())
    """,
        r"ran out of memory \(limit 512 MB\)",
        kind="limit",
    ),
    attack("spin", "while True: pass", r"used its 2 s of CPU time", kind="limit"),
    attack(
        "exhaust_descriptors",
        "return [open(p['data']) for _ in range(1000)]",
        r"opened more than 32 files",
        kind="limit",
    ),
    attack(
        "close_the_pipe_and_spin",
        """
        for fd in range(3, 8):
            try:
                os.close(fd)
            except OSError:
                pass
        while True: pass
    """,
        r"closed its pipe without exiting and was stopped",
        kind="exit",
    ),
    attack("exit_quietly", "os._exit(0)", r"exited with code 0 before answering", kind="exit"),
]
"""The hostile strategies (more than 40, each a different door)."""


def test_the_battery_has_more_than_forty_attacks():
    assert len(ATTACKS) > 40
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize("hostile", ATTACKS, ids=[a.name for a in ATTACKS])
def test_an_attack_fails_inside_the_sandbox_and_the_parent_sees_nothing(
    hostile: Attack, target: Target
) -> None:
    if ("raw(" in hostile.body or hostile.x86_64) and not X86_64:
        pytest.skip("raw system call numbers are x86-64's")
    outcome = run(PREAMBLE + hostile.body + "\n", "main", target.payload(), LIMITS, [target.data])
    settle()
    assert target.untouched() == []
    if hostile.failed is None:
        assert outcome.status == "SUCCEEDED", outcome.failure
        assert outcome.value == hostile.value
    else:
        assert outcome.status == "FAILED", outcome.value
        assert outcome.failure is not None
        assert re.search(hostile.failed, outcome.failure.message), outcome.failure
        if hostile.kind != "any":
            assert outcome.failure.kind == hostile.kind, outcome.failure
    assert SECRET not in repr(outcome)


def test_the_wall_clock_stops_a_strategy_that_sleeps(target: Target) -> None:
    from dataclasses import replace

    outcome = run(PREAMBLE + "    time.sleep(60)\n", "main", {}, replace(LIMITS, wall_seconds=2))
    assert outcome.status == "FAILED"
    assert outcome.failure is not None and outcome.failure.limit == "wall"
    assert outcome.failure.message == "the strategy ran 2 s, its time limit, and was stopped"
    assert target.untouched() == []


def test_one_item_cannot_read_another_items_scratch_directory(target: Target) -> None:
    writer = "def main(p):\n    open('result.json', 'w').write('mine')\n    return 1\n"
    with Sandbox(writer, LIMITS) as first:
        assert first.call("main", None) == 1
        theirs = f"{first.scratch}/result.json"
        outcome = run(PREAMBLE + "    return open(p).read()\n", "main", theirs, LIMITS)
    assert outcome.status == "FAILED"
    assert outcome.failure is not None and DENIED in outcome.failure.message


def test_the_data_file_given_is_readable_and_the_scratch_directory_writable(target: Target):
    body = """\
    open('note.txt', 'w').write('kept')
    return [open(p['data']).read().splitlines()[1], open('note.txt').read()]
"""
    outcome = run(PREAMBLE + body, "main", target.payload(), LIMITS, [target.data])
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert outcome.value == ["2024-01-02,100.0", "kept"]
