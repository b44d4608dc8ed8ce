"""Each protection is needed: with one switched off (the launcher's test-only ``without``),
the escape battery's check for what it guards fails — the secret is read, the listener
sees a connection, the signal arrives, the limit is not hit — and with it on, it holds.

Where two layers guard the same door (TCP and signals: Landlock and seccomp both), the door
opens only with both off, and stays shut with either one on.
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import pytest

from sandbox import landlock, run
from tests.sandbox.conftest import LIMITS, SECRET, Target, settle
from tests.sandbox.test_sandbox_escape import PREAMBLE


def attempt(target: Target, body: str, without: tuple[str, ...] = (), **limits: int):
    source = PREAMBLE + "".join(f"    {line}\n" for line in body.splitlines())
    chosen = replace(LIMITS, **limits) if limits else LIMITS
    outcome = run(source, "main", target.payload(), chosen, [target.data], without=without)
    settle()
    return outcome


def test_without_the_empty_environment_the_consumers_variables_are_read(target: Target):
    body = "return os.environ.get('SANDBOX_TEST_SECRET')"
    assert attempt(target, body).value is None
    assert attempt(target, body, without=("environment",)).value == SECRET


@pytest.mark.parametrize(
    ("body", "without"),
    [
        ("return open(p['secret_file']).read()", ("landlock",)),
        # a root consumer's environment is also out of reach of a child without capabilities
        ("return open(f\"/proc/{p['consumer']}/environ\").read()", ("landlock", "capabilities")),
        ("return open(p['other_data']).read()", ("landlock",)),
    ],
    ids=["secret_file", "consumer_environ", "another_items_data"],
)
def test_without_landlock_secrets_and_other_data_are_read(target: Target, body: str, without):
    confined = attempt(target, body)
    assert confined.status == "FAILED" and SECRET not in repr(confined)
    opened = attempt(target, body, without=without)
    assert opened.status == "SUCCEEDED", opened.failure
    assert SECRET in opened.value or "another item" in opened.value


def test_without_landlock_a_file_is_written_outside_the_scratch_directory(target: Target):
    body = "open(p['outside'] + '/pwned', 'w').write('x')"
    assert attempt(target, body).status == "FAILED"
    assert target.untouched() == []
    assert attempt(target, body, without=("landlock",)).status == "SUCCEEDED"
    assert target.untouched() == ["files written outside the scratch directory: ['pwned']"]
    os.remove(target.outside / "pwned")


def test_without_seccomp_a_datagram_reaches_the_consumer(target: Target):
    body = (
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "return u.sendto(b'x', ('127.0.0.1', p['udp']))"
    )
    assert attempt(target, body).status == "FAILED"
    assert target.untouched() == []
    assert attempt(target, body, without=("seccomp",)).value == 1
    assert target.untouched() == ["the UDP listener received b'x'"]


def test_without_seccomp_a_unix_socket_is_connected(target: Target):
    body = "s = socket.socket(socket.AF_UNIX)\ns.connect(p['unix'])\nreturn 'connected'"
    assert attempt(target, body).status == "FAILED"
    assert attempt(target, body, without=("seccomp",)).value == "connected"
    assert target.untouched() == ["the unix listener accepted a connection"]


def test_without_seccomp_a_process_is_forked(target: Target):
    body = "pid = os.fork()\nif pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\nreturn 'forked'"
    assert attempt(target, body).status == "FAILED"
    assert attempt(target, body, without=("seccomp",)).value == "forked"


def test_tcp_to_the_consumer_needs_both_landlock_and_seccomp_off(target: Target):
    body = "socket.create_connection(('127.0.0.1', p['tcp']), timeout=2)\nreturn 'connected'"
    for without in ((), ("seccomp",), ("landlock",)):
        assert attempt(target, body, without=without).status == "FAILED", without
        assert target.untouched() == [], without
    assert attempt(target, body, without=("landlock", "seccomp")).value == "connected"
    assert target.untouched() == ["the tcp listener accepted a connection"]


def test_signalling_the_parent_needs_both_landlock_and_seccomp_off(target: Target):
    body = "os.kill(os.getppid(), signal.SIGUSR1)\nreturn 'sent'"
    for without in ((), ("seccomp",), ("landlock",)):
        assert attempt(target, body, without=without).status == "FAILED", without
        assert target.untouched() == [], without
    assert attempt(target, body, without=("landlock", "seccomp")).value == "sent"
    assert target.untouched() == [f"this process received 1 {signal.SIGUSR1.name}"]


def test_without_rlimits_descriptors_and_file_size_are_unbounded(target: Target):
    files = "return len([open(p['data']) for _ in range(200)])"
    assert attempt(target, files).failure.limit == "open_files"
    assert attempt(target, files, without=("rlimits",)).value == 200
    # a sparse file: 4 MiB long (past the file-size rlimit) but one block on disk, so the
    # parent's measure of the scratch directory, a second layer, never sees it over the limit
    disk = (
        "f = open('big.bin', 'wb')\nf.seek(4 << 20)\nf.write(b'0')\nf.close()\n"
        "size = os.path.getsize('big.bin')\nos.remove('big.bin')\nreturn size"
    )
    assert attempt(target, disk).failure.limit == "disk"
    assert attempt(target, disk, without=("rlimits",)).value == (4 << 20) + 1


def test_without_rlimits_the_cpu_limit_does_not_stop_a_spin(target: Target):
    body = "t = time.process_time()\nwhile time.process_time() - t < 3: pass\nreturn 'spun'"
    assert attempt(target, body, cpu_seconds=1).failure.limit == "cpu"
    assert attempt(target, body, without=("rlimits",), cpu_seconds=1).value == "spun"


@pytest.mark.skipif(os.geteuid() != 0, reason="a consumer without capabilities has none to drop")
def test_without_dropping_capabilities_a_root_child_reads_a_root_consumers_environment(
    target: Target,
):
    """Landlock off in both runs, to see the capabilities alone: the kernel lets a process
    read another's environ only with all of that process's capabilities."""
    body = "return open(f\"/proc/{p['consumer']}/environ\").read()"
    assert attempt(target, body, without=("landlock",)).failure.message.startswith(
        "PermissionError: [Errno 13] Permission denied"
    )
    assert SECRET in attempt(target, body, without=("landlock", "capabilities")).value


def test_without_landlock_the_scratch_directory_holds_folders_the_parent_does_not_measure(
    target: Target,
):
    body = "os.mkdir('deep')\nreturn os.listdir('.')"
    assert attempt(target, body).status == "FAILED"
    assert "deep" in attempt(target, body, without=("landlock",)).value


def test_a_kernel_below_the_landlock_abi_needed_is_refused(target: Target, monkeypatch):
    """Fails closed: nothing runs when Landlock cannot confine the child."""
    monkeypatch.setattr(landlock, "ABI_NEEDED", landlock.abi_version() + 1)
    outcome = attempt(target, "return 'ran'")
    assert outcome.status == "FAILED"
    assert outcome.failure.kind == "sandbox"
    assert outcome.failure.message.startswith(
        f"the sandbox refused to start: Landlock ABI {landlock.abi_version()} is below "
        f"{landlock.abi_version() + 1}"
    )


def test_an_unknown_layer_name_is_refused():
    with pytest.raises(ValueError, match="unknown layers"):
        run("", "main", None, LIMITS, without=("landlok",))
