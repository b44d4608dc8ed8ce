"""The sandbox's test bed: a stand-in consumer with something to steal and something to hit.

``target`` holds, for one test file: a secret in this process's environment, a
"consumer" process whose initial environment holds the secret (read through
``/proc/<pid>/environ``), a secret file, another item's data beside the data file given,
listeners on TCP and UDP 127.0.0.1, a Unix path socket and an abstract one, and a SIGUSR1
counter in this process. ``target.untouched()`` says what the parent would have seen of an
attack: connections accepted, datagrams, signals, a secret file or data file changed, a
file written outside the scratch directory, the consumer gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox import Limits

SECRET = "hunter2-sandbox-secret"

LIMITS = Limits(
    memory_mb=512,
    cpu_seconds=2,
    wall_seconds=20,
    open_files=32,
    output_bytes=1 << 20,
    disk_bytes=1 << 20,
)
"""Small limits, so that an attack on one ends quickly."""


@dataclass
class Target:
    """What a hostile strategy goes after (see the module docstring)."""

    folder: Path
    data: Path
    other_data: Path
    secret_file: Path
    outside: Path
    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket
    abstract: socket.socket
    consumer: subprocess.Popen[bytes]
    signals: list[int] = field(default_factory=list)
    snapshot: dict[Path, tuple[bytes, int, int]] = field(default_factory=dict)

    def payload(self) -> dict[str, object]:
        """The addresses a strategy is handed (its payload)."""
        return {
            "data": str(self.data),
            "other_data": str(self.other_data),
            "secret_file": str(self.secret_file),
            "outside": str(self.outside),
            "tcp": self.tcp.getsockname()[1],
            "udp": self.udp.getsockname()[1],
            "unix": self.unix.getsockname(),
            "abstract": self.abstract.getsockname().decode("latin-1"),
            "consumer": self.consumer.pid,
            "project": str(Path(__file__).resolve().parents[2]),
        }

    def take_snapshot(self) -> None:
        for path in (self.data, self.other_data, self.secret_file):
            stat = path.stat()
            self.snapshot[path] = (path.read_bytes(), stat.st_mode, stat.st_mtime_ns)

    def untouched(self) -> list[str]:
        """What an attack changed on the parent's side; [] when nothing."""
        changed = []
        for name, listener in (("tcp", self.tcp), ("unix", self.unix), ("abstract", self.abstract)):
            try:
                connection, _ = listener.accept()
            except BlockingIOError:
                continue
            connection.close()
            changed.append(f"the {name} listener accepted a connection")
        with contextlib.suppress(BlockingIOError):
            changed.append(f"the UDP listener received {self.udp.recv(100)!r}")
        if self.signals:
            changed.append(f"this process received {len(self.signals)} SIGUSR1")
            self.signals.clear()
        if self.consumer.poll() is not None:
            changed.append(f"the consumer ended ({self.consumer.returncode})")
        for path, (content, mode, mtime) in self.snapshot.items():
            stat = path.stat() if path.exists() else None
            if stat is None or (path.read_bytes(), stat.st_mode, stat.st_mtime_ns) != (
                content,
                mode,
                mtime,
            ):
                changed.append(f"{path.name} changed")
        written = sorted(os.listdir(self.outside))
        if written:
            changed.append(f"files written outside the scratch directory: {written}")
        return changed


def _listener(family: int, kind: int, address: object) -> socket.socket:
    listener = socket.socket(family, kind)
    listener.bind(address)
    if kind == socket.SOCK_STREAM:
        listener.listen(16)
    listener.setblocking(False)
    return listener


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp("sandbox-target")
    (folder / "mine").mkdir()
    (folder / "theirs").mkdir()
    (folder / "outside").mkdir()
    data = folder / "mine" / "DEMO.csv"
    data.write_text("date,close\n2024-01-02,100.0\n2024-01-03,101.5\n")
    other = folder / "theirs" / "OTHER.csv"
    other.write_text("another item's data\n")
    secret_file = folder / "secret.cnf"
    secret_file.write_text(f"password={SECRET}\n")
    secret_file.chmod(0o600)
    consumer = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"],
        env={"SANDBOX_TEST_SECRET": SECRET, "DATABASE_URL": f"mysql://u:{SECRET}@db/x"},
    )
    previous = os.environ.get("SANDBOX_TEST_SECRET")
    os.environ["SANDBOX_TEST_SECRET"] = SECRET
    signals: list[int] = []
    handler = signal.signal(signal.SIGUSR1, lambda number, frame: signals.append(number))
    listeners = [
        _listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)),
        _listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)),
        _listener(socket.AF_UNIX, socket.SOCK_STREAM, str(folder / "consumer.sock")),
        _listener(socket.AF_UNIX, socket.SOCK_STREAM, f"\0sandbox-test-{os.getpid()}"),
    ]
    found = Target(folder, data, other, secret_file, folder / "outside", *listeners, consumer)
    found.signals = signals
    found.take_snapshot()
    try:
        yield found
    finally:
        signal.signal(signal.SIGUSR1, handler)
        for listener in listeners:
            listener.close()
        consumer.kill()
        consumer.wait()
        if previous is None:
            os.environ.pop("SANDBOX_TEST_SECRET", None)
        else:
            os.environ["SANDBOX_TEST_SECRET"] = previous


def settle() -> None:
    """A moment for a signal or a datagram in flight to arrive."""
    time.sleep(0.05)
