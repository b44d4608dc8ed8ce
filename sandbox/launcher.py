"""The parent's side of the sandbox: start a confined child, call into it, read its answers
with limits, and end it.

``Sandbox`` is one child holding one user module: ``start()`` spawns it and waits until it
is confined and the module is loaded, ``call(function, payload)`` sends one call and
returns its checked value (raising ``SandboxFailed``), ``close()`` ends it; the child lives
until then, so a caller may drive it call after call (a strategy bar by bar, a sweep chunk
combination by combination). ``run()`` is one start, one call, one close, as an ``Outcome``.

The child (``sandbox/child.py``) runs ``python -s -P`` (``-I`` without ``-E``, so that
PYTHONHASHSEED is read) with an environment of three variables, no inherited descriptor
but its pipe pair and its output file, in a new session, with a scratch directory of its
own as its working directory. The parent never executes what the child sends: every frame
is capped (``Limits.output_bytes``), must be the one answer expected, shaped as expected;
anything else stops the child. The wall clock is the parent's: past ``Limits.wall_seconds``
the child's process group is killed. The scratch directory is removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from config.numerics import same_numerics
from sandbox import confine, landlock, protocol
from sandbox.limits import SCRATCH_MAX_FILES, Limits
from sandbox.outcome import FAILED, LIMIT_NAMES, SUCCEEDED, Failure, Outcome, SandboxFailed
from sandbox.syntax import FILENAME
from sandbox.syntax import message as syntax_message

CHILD = Path(__file__).with_name("child.py")
ROOT = CHILD.parent.parent
STRATEGY_PACKAGE = ROOT / "backtest_strategy"
"""A directory of the project a child in host mode may read: the strategy API its harness
runs (``sandbox.runner.Harness``)."""
RULES_PACKAGE = ROOT / "rules"
"""Another: the platform's rules, of which the harness makes only the numpy-only
indicator modules importable (``backtest_strategy.lib.indicator``). Code, no data."""
ENGINE_PACKAGE = ROOT / "engine"
"""The last: the engine, of which the harness imports only the broker's book and the pure
Python modules it needs (``engine.broker.decision_log``), for a sweep chunk's combinations to run
against a copy of their book in the child. Code, no data."""

ENVIRONMENT = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    **same_numerics(),
}
"""The child's whole environment: one math thread (RLIMIT_AS counts every thread's stack),
a fixed hash seed (set iteration order is part of a result), and on a CPU with AVX2 and FMA
numpy without its AVX-512 loops and OpenBLAS on its Haswell kernels, so that the user's own
numpy code gives the same numbers on every node (``config.numerics``)."""

SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")
"""Read-only for the child: the shared libraries numpy's and Python's extensions load."""

EXIT_GRACE_SECONDS = 1.0
"""How long a child that closed its pipe gets to exit before it is killed."""

TEXT_MAX_CHARS = 20_000
"""The most characters of an exception's type, message and traceback kept in a failure."""

DISK_CHECK_SECONDS = 0.2
"""How often the parent measures the child's scratch directory while it waits, and how old
a measurement may be when an answer is taken."""

_RAISE_KEYS = {"type", "id", "error", "message", "traceback", "limit", "line", "column"}


def read_only_paths(data_files: Iterable[Path] = ()) -> list[str]:
    """What the child may read: this interpreter's environment (the venv, the standard
    library), the system's libraries and ``data_files``; each resolved, existing only."""
    paths = sysconfig.get_paths()
    candidates = [sys.prefix, paths["stdlib"], paths["platstdlib"], *SYSTEM_LIBRARIES]
    candidates += [os.fspath(path) for path in data_files]
    found: list[str] = []
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if os.path.exists(real) and real not in found:
            found.append(real)
    return found


def scratch_usage(folder: str) -> tuple[int, int]:
    """(bytes on disk, files) of a child's scratch directory: one flat listing (Landlock
    lets the child make no directory), allocated blocks (a sparse file counts what it
    holds), links not followed; counting stops past ``SCRATCH_MAX_FILES``."""
    used = files = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            files += 1
            if files > SCRATCH_MAX_FILES:
                break
            try:
                used += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                continue
    return used, files


class Sandbox:
    """One confined child holding the module ``source``; see the module's docstring.

    ``host``: host mode, where the calls are ``init_many`` and ``drive`` of a strategy
    class (``sandbox.runner.Harness``), and ``STRATEGY_PACKAGE``, ``RULES_PACKAGE`` and
    ``ENGINE_PACKAGE`` are readable.

    ``without`` is for tests only: the protections named (``confine.LAYERS``) are left
    off, to show that each one's check fails without it.

    The child is killed when the thread that started it ends (PR_SET_PDEATHSIG): start a
    sandbox from a thread that outlives it (the consumer's main thread).
    """

    def __init__(
        self,
        source: str,
        limits: Limits | None = None,
        data_files: Iterable[Path] = (),
        seed: int = 0,
        without: Iterable[str] = (),
        host: bool = False,
    ) -> None:
        self.source = source
        self.limits = limits or Limits.from_environment()
        self.data_files = [Path(path) for path in data_files]
        self.host = host
        if host:
            self.data_files += [STRATEGY_PACKAGE, RULES_PACKAGE, ENGINE_PACKAGE]
        self.seed = seed
        self.without = frozenset(without)
        unknown = self.without - set(confine.LAYERS)
        if unknown:
            raise ValueError(f"unknown layers {sorted(unknown)}; known: {confine.LAYERS}")
        self.landlock_abi: int | None = None
        self.ready_seconds: float | None = None
        """Seconds from spawning the child to its "ready" (confined, before user code)."""
        self._process: subprocess.Popen[bytes] | None = None
        self._scratch: str | None = None
        self._output_fd: int | None = None
        self._reader = protocol.FrameReader(self.limits.output_bytes)
        self._deadline = 0.0
        self._next_id = 1
        self._failure: Failure | None = None
        self._killed_for: str | None = None
        self._disk_checked = 0.0
        self._selector: selectors.BaseSelector | None = None

    # -- life --------------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def scratch(self) -> str | None:
        """The child's scratch directory while it lives."""
        return self._scratch

    @property
    def pid(self) -> int | None:
        """The child's process id while it lives."""
        return None if self._process is None else self._process.pid

    def start(self) -> None:
        """Spawn the child, wait until it is confined ("ready") and has loaded the module.

        :raise SandboxFailed: it refused to confine itself, died, broke the protocol, or
            the module raised (a syntax error included) while loading.
        """
        self._scratch = tempfile.mkdtemp(prefix="sandbox-")
        output = os.path.join(self._scratch, "output.txt")
        self._output_fd = os.open(output, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        layers = [layer for layer in confine.LAYERS if layer not in self.without]
        environment = ENVIRONMENT if "environment" in layers else dict(os.environ, **ENVIRONMENT)
        start = {
            "parent": os.getpid(),
            "layers": layers,
            "limits": self.limits.for_child(),
            "read_only": read_only_paths(self.data_files),
            "scratch": self._scratch,
            "landlock_abi_needed": landlock.ABI_NEEDED,
            "seed": self.seed,
            "filename": FILENAME,
            "source": self.source,
            "host": os.fspath(STRATEGY_PACKAGE) if self.host else None,
            "rules": os.fspath(RULES_PACKAGE) if self.host else None,
            "engine": os.fspath(ENGINE_PACKAGE) if self.host else None,
        }
        frame = protocol.encode(start)  # before the child exists: its start is what is timed
        spawned = time.monotonic()
        self._deadline = spawned + self.limits.wall_seconds
        self._process = subprocess.Popen(
            [sys.executable, "-s", "-P", os.fspath(CHILD), os.fspath(ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._output_fd,
            env=environment,
            cwd=self._scratch,
            close_fds=True,
            start_new_session=True,
        )
        os.set_blocking(self._process.stdin.fileno(), False)
        os.set_blocking(self._process.stdout.fileno(), False)
        ready = self._exchange(frame, expect="ready")
        self.landlock_abi = ready["landlock_abi"]
        self.ready_seconds = time.monotonic() - spawned
        self._exchange(b"", expect="answer", call_id=0)

    def call(self, function: str, payload: Any, seed: int | None = None) -> Any:
        """Call ``function(payload)`` in the module; its value, as JSON gives it back.
        ``seed`` seeds ``random`` and ``numpy.random`` again first (one combination of a
        sweep drawing the same numbers whatever ran before it in the same child).

        :raise SandboxFailed: the call raised, hit a limit, or the child broke the protocol
            or died (the child is then stopped and every later call fails the same way).
        """
        if self._failure is not None and self._failure.kind not in ("exception", "syntax"):
            raise SandboxFailed(self._failure)
        call_id, self._next_id = self._next_id, self._next_id + 1
        message = {"type": "call", "id": call_id, "function": function, "payload": payload}
        if seed is not None:
            message["seed"] = seed
        data = protocol.encode(message)
        return self._exchange(data, expect="answer", call_id=call_id)["value"]

    def check_disk(self) -> None:
        """Measure the scratch directory now (``scratch_usage``).

        :raise SandboxFailed: it holds more than ``Limits.disk_bytes`` or
            ``SCRATCH_MAX_FILES`` files; the child is stopped.
        """
        self._disk_checked = time.monotonic()
        if self._scratch is None:
            return
        used, files = scratch_usage(self._scratch)
        if used > self.limits.disk_bytes or files > SCRATCH_MAX_FILES:
            self._stop("disk")

    def output(self) -> str:
        """What the code printed so far (its first ``Limits.output_bytes``), read through the
        parent's own descriptor (the child may replace the file, not what is read)."""
        if self._output_fd is None:
            return ""
        data = os.pread(self._output_fd, self.limits.output_bytes, 0)
        return data.decode("utf-8", errors="replace")

    def close(self) -> None:
        """End the child (asked to exit, killed if it does not), remove its scratch."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(OSError):
                os.write(process.stdin.fileno(), protocol.encode({"type": "exit"}))
            self._reap(EXIT_GRACE_SECONDS)
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
        if self._output_fd is not None:
            os.close(self._output_fd)
            self._output_fd = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, onerror=_unlock_and_retry)
            self._scratch = None

    # -- the exchange ------------------------------------------------------------------------

    def _exchange(self, data: bytes, expect: str, call_id: int | None = None) -> dict[str, Any]:
        """Send ``data``, then read exactly the one answer expected, before the deadline.

        A call that fits the pipe (a bar's state) is written at once, and only the answer
        is waited for: one poll on the child's selector, kept for its life, per call."""
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        selector = self._selector
        if selector is None:
            selector = self._selector = selectors.DefaultSelector()
            selector.register(process.stdout.fileno(), selectors.EVENT_READ)
        stdin = process.stdin.fileno()
        pending = self._write(stdin, memoryview(data))
        if pending:
            selector.register(stdin, selectors.EVENT_WRITE)
        try:
            while True:
                now = time.monotonic()
                remaining = self._deadline - now
                if remaining <= 0:
                    self._stop("wall")
                if now - self._disk_checked >= DISK_CHECK_SECONDS:
                    self.check_disk()
                wait = min(remaining, self._disk_checked + DISK_CHECK_SECONDS - now)
                for key, _ in selector.select(max(0.0, wait)):
                    if key.fd == stdin:
                        pending = self._write(stdin, pending)
                        if not pending:
                            selector.unregister(stdin)
                        continue
                    try:
                        chunk = os.read(key.fd, min(self._reader.wanted(), 1 << 20))
                    except BlockingIOError:
                        continue
                    if not chunk:
                        self._ended()
                    try:
                        messages = self._reader.feed(chunk)
                    except protocol.FrameTooLong:
                        self._stop("output")
                    except protocol.ProtocolError as exc:
                        self._violation(str(exc))
                    if messages:
                        if len(messages) > 1 or pending:
                            self._violation("it sent a message nobody asked for")
                        if time.monotonic() - self._disk_checked >= DISK_CHECK_SECONDS:
                            self.check_disk()
                        return self._checked(messages[0], expect, call_id)
        finally:
            if stdin in selector.get_map():
                selector.unregister(stdin)

    @staticmethod
    def _write(fd: int, pending: memoryview) -> memoryview:
        """Write what the pipe takes of ``pending`` now; what is left (nothing once the
        child closed its end: its answer, or its end, is read next)."""
        if not pending:
            return pending
        try:
            return pending[os.write(fd, pending[: 1 << 16]) :]
        except BlockingIOError:
            return pending
        except BrokenPipeError:
            return pending[len(pending) :]

    def _checked(self, message: dict[str, Any], expect: str, call_id: int | None) -> dict[str, Any]:
        """``message`` if it is the answer expected, else the child is stopped."""
        kind = message.get("type")
        if expect == "ready":
            if (
                kind == "refused"
                and set(message) == {"type", "message"}
                and isinstance(message["message"], str)
            ):
                self._stop_with(
                    Failure("sandbox", f"the sandbox refused to start: {message['message']}")
                )
            abi = message.get("landlock_abi")
            if (
                kind == "ready"
                and set(message) == {"type", "landlock_abi"}
                and (abi is None or type(abi) is int)
            ):
                return message
            self._violation("it did not start as the sandbox does")
        if message.get("id") != call_id or type(message.get("id")) is not int:
            self._violation(
                f"it answered call {message.get('id')!r} while call {call_id} was waiting"
            )
        if kind == "return" and set(message) == {"type", "id", "value"}:
            self._failure = None
            return message
        if kind == "raise" and set(message) == _RAISE_KEYS:
            raise SandboxFailed(self._user_failure(message))
        self._violation("its answer is not one the sandbox sends")
        raise AssertionError("unreachable")

    def reported_failure(self, report: object) -> Failure:
        """The failure one ``raise`` report inside an answered value means (a sweep chunk's
        combination whose code raised, ``runner.Harness.drive``), checked as an
        answered exception is; the child is stopped when it is malformed."""
        if not (isinstance(report, dict) and set(report) == _RAISE_KEYS):
            self._violation("its exception report is malformed")
        assert isinstance(report, dict)
        failure = self._user_failure(report)
        self._failure = None  # one combination's: the child goes on
        return failure

    def _user_failure(self, message: dict[str, Any]) -> Failure:
        """The failure an answered exception means (checked field by field)."""
        texts = [message[key] for key in ("error", "message", "traceback")]
        numbers = [message[key] for key in ("line", "column")]
        if not all(isinstance(text, str) for text in texts) or not all(
            number is None or type(number) is int for number in numbers
        ):
            self._violation("its exception report is malformed")
        limit = message["limit"]
        if limit is not None and limit not in LIMIT_NAMES:
            self._violation(f"it named an unknown limit {limit!r}")
        error, text, shown = (value[:TEXT_MAX_CHARS] for value in texts)
        if error == "SyntaxError" and numbers[0] is not None:
            failure = Failure(
                "syntax",
                syntax_message(text, *numbers),
                traceback=shown,
                line=numbers[0],
                column=numbers[1],
            )
        elif limit is not None:
            failure = Failure(
                "limit",
                f"{self.limits.describe(limit)}: {error}" + (f": {text}" if text else ""),
                limit=limit,
                traceback=shown,
            )
        else:
            failure = Failure("exception", f"{error}: {text}" if text else error, traceback=shown)
        self._failure = failure
        return failure

    # -- ends --------------------------------------------------------------------------------

    def _violation(self, what: str) -> None:
        self._stop_with(
            Failure(
                "protocol",
                f"the strategy's process broke the sandbox protocol ({what}) and was stopped",
            )
        )

    def _stop(self, limit: str) -> None:
        self._killed_for = limit
        self._kill()
        self._reap(0)
        self._stop_with(Failure("limit", self.limits.describe(limit), limit=limit))

    def _stop_with(self, failure: Failure) -> None:
        self._kill()
        self._reap(0)
        self._failure = failure
        raise SandboxFailed(failure)

    def _ended(self) -> None:
        """The child closed its pipe: wait for its end and say why it ended."""
        process = self._process
        assert process is not None
        cpu = self._reap(EXIT_GRACE_SECONDS)
        code = process.returncode
        if code == -signal.SIGXCPU or (code == -signal.SIGKILL and cpu >= self.limits.cpu_seconds):
            self._stop_with(Failure("limit", self.limits.describe("cpu"), limit="cpu"))
        if code == -signal.SIGXFSZ:
            self._stop_with(Failure("limit", self.limits.describe("disk"), limit="disk"))
        last = self.output().strip().splitlines()[-1:] or [""]
        said = f": {last[0][:300]}" if last[0] else ""
        if self._killed_for == "lingered":
            reason = "the strategy's process closed its pipe without exiting and was stopped"
        elif code is not None and code < 0:
            name = (
                signal.Signals(-code).name
                if -code in signal.Signals._value2member_map_
                else str(-code)
            )
            reason = f"the strategy's process was killed by {name}"
            if code == -signal.SIGKILL:
                reason += " (the container's memory limit, or a kill from outside)"
            if code == -signal.SIGSYS:
                reason += " (a system call of another ABI, which the sandbox refuses)"
        else:
            reason = f"the strategy's process exited with code {code} before answering"
        self._stop_with(Failure("exit", reason + said))

    def _kill(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # its session: all it made
                os.killpg(process.pid, signal.SIGKILL)

    def _reap(self, grace: float) -> float:
        """Wait up to ``grace`` seconds for the child to end, then kill and wait; returns
        the CPU seconds it used (0 when reaped before)."""
        process = self._process
        if process is None or process.returncode is not None:
            return 0.0
        give_up = time.monotonic() + grace
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                return usage.ru_utime + usage.ru_stime
            if time.monotonic() >= give_up:
                if self._killed_for is None and grace > 0:
                    self._killed_for = "lingered"  # it outlived its grace: killed here
                self._kill()
                pid, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
                return usage.ru_utime + usage.ru_stime
            time.sleep(0.005)


def _unlock_and_retry(function: Any, path: str, _: Any) -> None:
    """rmtree's error handler: a directory the child made unreadable is opened up once."""
    parent = os.path.dirname(path)
    for folder in (parent, path):
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
    with contextlib.suppress(OSError):
        function(path)


def run(
    source: str,
    entry: str,
    payload: Any,
    limits: Limits | None = None,
    data_files: Iterable[Path] = (),
    seed: int = 0,
    without: Iterable[str] = (),
) -> Outcome:
    """Run ``entry(payload)`` of the module ``source`` in a fresh sandbox.

    ``without`` is for tests only (``Sandbox``)."""
    sandbox = Sandbox(source, limits, data_files, seed, without)
    try:
        sandbox.start()
        value = sandbox.call(entry, payload)
        sandbox.check_disk()  # what it wrote just before answering counts too
    except SandboxFailed as exc:
        output = sandbox.output()
        sandbox.close()
        return Outcome(FAILED, failure=exc.failure, output=output)
    except BaseException:
        sandbox.close()
        raise
    output = sandbox.output()
    sandbox.close()
    return Outcome(SUCCEEDED, value=value, output=output)
