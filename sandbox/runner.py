"""The child's service loop: seed, load the user's module, answer the parent's calls.

Runs inside the confined child (``sandbox/child.py``). The module is compiled from the
start message's source under its own file name, so a traceback shows the user's frames
with their lines; only those frames are reported. An exception is answered as ``raise``
with what the parent needs to tell the user (type, message, their traceback, the line and
column of a syntax error, and which limit a MemoryError, EMFILE or EFBIG means).

In host mode (the start message names the strategy package's directory as ``host``) the
calls are not the module's functions but the fixed harness's, run by
``backtest_strategy.host``, loaded from that directory alone before the user's module so
that it can import it: ``init_many`` (the bars once, then each combination's params and
seed: the first bar of each; a run alone is one combination) and ``drive`` (one
combination run against the child's own copy of its book: a page of its decisions by bar,
``engine.broker.decision_log``), where one combination's exception is its answer's, not the
call's (``Harness``), and each combination of a sweep chunk has its own CPU budget
(``Budget``). The platform's ``rules`` and ``engine`` directories (the start message's
``rules`` and ``engine``) become packages whose ``__init__`` is not run, so that
``rules.indicators`` (numpy only) and the broker's book (pure Python and numpy) import
without the rest.
"""

from __future__ import annotations

import errno
import importlib.machinery
import random
import sys
import types

from sandbox import protocol

TYPE_CHECKING = False  # not typing's: the child imports this module, and typing costs ~10 ms
if TYPE_CHECKING:
    from typing import Any

CALL_MAX_BYTES = 64 << 20
"""The largest call read (from the trusted parent)."""

LIMIT_ERRNOS = {errno.EMFILE: "open_files", errno.ENFILE: "open_files", errno.EFBIG: "disk"}

TICK_SECONDS = 0.01
"""The CPU seconds between two ticks of a sweep chunk's profiling timer (``Budget``)."""


class CombinationCPULimit(BaseException):
    """One combination of a sweep chunk used its CPU budget (``Budget``): a BaseException,
    so that the user's ``except Exception`` does not swallow it."""


class Budget:
    """Each combination's CPU seconds in a sweep chunk's child, counted by sampling: a
    profiling timer (``ITIMER_PROF``: the process's CPU time, user and system) ticks every
    ``TICK_SECONDS`` and charges the tick to the combination running then (``current``;
    none between calls); the tick that takes a combination past ``seconds`` raises
    ``CombinationCPULimit`` in its code, and so does every later tick while it still runs
    (code that catches the first is interrupted again). The chunk's child keeps its own
    RLIMIT_CPU above it, which stops the whole child if the code disarms the timer."""

    def __init__(self, seconds: float, count: int) -> None:
        import signal

        self.seconds = seconds
        self.used = [0.0] * count
        self.current: int | None = None
        signal.signal(signal.SIGPROF, self._tick)
        signal.setitimer(signal.ITIMER_PROF, TICK_SECONDS, TICK_SECONDS)

    def _tick(self, signum: int, frame: object) -> None:
        at = self.current
        if at is None:
            return
        self.used[at] += TICK_SECONDS
        if self.used[at] >= self.seconds:
            raise CombinationCPULimit

    def spent(self, at: int) -> bool:
        """Whether combination ``at`` has used its budget."""
        return self.used[at] >= self.seconds


def seed(value: int) -> None:
    """Seed ``random`` now, and numpy's global generator now if numpy is loaded, else as
    soon as it is imported (by the user's code or a library it imports): code that never
    imports numpy never pays for it."""
    random.seed(value)
    value %= 2**32
    numpy = sys.modules.get("numpy")
    if numpy is not None and hasattr(numpy, "random"):
        numpy.random.seed(value)
        return
    for finder in sys.meta_path:
        if isinstance(finder, _SeedNumpyOnImport):
            finder.value = value
            return
    sys.meta_path.insert(0, _SeedNumpyOnImport(value))


class _SeedNumpyOnImport:
    """A finder that, once, lets numpy load as usual, then seeds ``numpy.random``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name != "numpy":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            load(module)
            module.random.seed(self.value)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_compiled: dict[tuple[str, str], types.CodeType] = {}
"""The code of the last source compiled: a sweep chunk's combinations each execute the
module afresh, from one compile."""


def load(source: str, filename: str) -> types.ModuleType:
    """Execute ``source`` as a module named after ``filename`` (without ``.py``)."""
    name = filename.removesuffix(".py")
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    code = _compiled.get((source, filename))
    if code is None:
        code = compile(source, filename, "exec", dont_inherit=True)
        _compiled.clear()
        _compiled[source, filename] = code
    exec(code, module.__dict__)
    return module


def failure(exc: BaseException, call_id: int, filename: str, source: str) -> dict[str, Any]:
    """The ``raise`` answer describing ``exc``: the user's frames only (the source is
    registered with linecache here, where tracebacks are formatted: a run that raises
    nothing never imports them)."""
    import linecache
    import traceback

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == filename
    ]
    shown = "".join(traceback.format_list(frames)) if frames else ""
    text = "".join(traceback.format_exception_only(type(exc), exc))
    limit = None
    if isinstance(exc, MemoryError):
        limit = "memory"
    elif isinstance(exc, CombinationCPULimit):
        limit = "combination_cpu"
    elif isinstance(exc, OSError) and exc.errno in LIMIT_ERRNOS:
        limit = LIMIT_ERRNOS[exc.errno]
    line = column = None
    if isinstance(exc, SyntaxError) and exc.filename == filename:
        line, column = exc.lineno, exc.offset
    return {
        "type": "raise",
        "id": call_id,
        "error": type(exc).__name__,
        "message": exc.msg if isinstance(exc, SyntaxError) else str(exc),
        "traceback": ("Traceback (most recent call last):\n" + shown if shown else "") + text,
        "limit": limit,
        "line": line,
        "column": column,
    }


def answer(write_fd: int, call_id: int, start: dict[str, Any], work: Any, *args: Any) -> None:
    """Run ``work(*args)`` and send its value as ``return``, or its exception as ``raise``."""
    try:
        value = work(*args)
        sys.stdout.flush()  # what it printed is in the output file before the answer
        sys.stderr.flush()
        message = protocol.encode({"type": "return", "id": call_id, "value": value})
    except BaseException as exc:  # the user's code may raise anything, SystemExit included
        message = protocol.encode(failure(exc, call_id, start["filename"], start["source"]))
    protocol.write_all(write_fd, message)


def load_package(name: str, folder: str) -> types.ModuleType:
    """Import the package ``name`` from ``folder`` (its own directory: its parent need not
    be readable, as under Landlock it is not)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        name, folder + "/__init__.py", submodule_search_locations=[folder]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"no package {name!r} in {folder}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def bare_package(name: str, folder: str) -> types.ModuleType:
    """Register the package ``name`` whose submodules import from ``folder``, without
    running its ``__init__`` (which may import what the sandbox does not need)."""
    module = types.ModuleType(name)
    module.__path__ = [folder]
    sys.modules[name] = module
    return module


class Harness:
    """Host mode's calls, on the strategy package's ``host`` module: ``init_many`` and
    ``drive`` run one host of the user's class per combination (a run alone is one), each
    as a run of its own would: its own copy of the user's module, executed after seeding with
    its own seed, and, when the source mentions ``random``, its own ``random`` and
    ``numpy.random`` states, restored before and kept after each of its calls. ``drive``
    runs a combination against the child's own copy of its book and answers a page of its
    decisions by bar (``engine.broker.decision_log``), which the parent replays through the book
    that counts. Each combination's answer is its value or, when its code raised, its
    ``raise`` report (``failure``): that combination stops, the others go on. With
    ``cpu_budget`` (seconds, in ``init_many``'s payload) each combination's ``init`` and
    its drive share that much CPU time (``Budget``): past it, it fails naming the
    ``combination_cpu`` limit. The start message's ``rules``: the folder of the platform's
    rules, for their indicators; its ``engine``: the engine's folder, for the book a
    combination is driven against."""

    FUNCTIONS = ("init_many", "drive")

    def __init__(self, folder: str, start: dict[str, Any] | None = None) -> None:
        if start and start.get("rules"):
            bare_package("rules", start["rules"])
        if start and start.get("engine"):
            bare_package("engine", start["engine"])
            bare_package("engine.broker", start["engine"] + "/broker")
        load_package("backtest_strategy", folder)
        import importlib

        self.module = importlib.import_module("backtest_strategy.host")
        self.log: Any = None  # engine.broker.decision_log, loaded with the first combinations
        self.start = start or {}
        self.hosts: list[Any] = []
        self.firsts: list[Any] = []  # each combination's first bar
        self.states: list[Any] = []
        self.own_random = "random" in self.start.get("source", "")
        self.budget: Budget | None = None
        self.frame: Any = None
        self.book: dict[str, Any] | None = None  # what each combination's book is made of
        self.adjusted: Any = None
        self.drives: dict[int, Any] = {}  # the combinations driven so far, not done

    def __call__(self, user: types.ModuleType, function: str, payload: Any) -> Any:
        if function == "init_many" and not self.hosts:
            return self.init_many(payload)
        if function == "drive" and self.hosts and type(payload) is int:
            return self.drive(payload)
        raise RuntimeError(f"host mode answers init_many, then drive; not {function!r}")

    def init_many(self, payload: dict[str, Any]) -> list[Any]:
        """Each combination's first bar (or its ``raise`` report), in order. ``book``
        (``engine.broker.decision_log.book_payload``) and ``adjusted`` (the price and share
        factors of adjusted bars, or null) describe what ``drive`` drives them against."""
        import importlib

        self.log = importlib.import_module("engine.broker.decision_log")
        frame = self.module.frame_from_columns(payload["bars"])  # each host gets a copy
        self.frame, self.book = frame, payload["book"]
        self.adjusted = self.log.factors_from_payload(payload.get("adjusted"))
        source, filename = self.start["source"], self.start["filename"]
        answers = []
        if payload.get("cpu_budget") is not None:
            self.budget = Budget(float(payload["cpu_budget"]), len(payload["combos"]))
        for at, combo in enumerate(payload["combos"]):
            seed(combo["seed"])
            host = first = None
            try:
                self._running(at)
                user = load(source, filename)
                host = self.module.hosted(vars(user), {**payload, **combo}, frame.copy())
                first = self._checked(at, host.init())
                answers.append(first)
            except BaseException as exc:  # that combination's failure, as its own run's
                self._running(None)
                host = None
                answers.append(failure(exc, 0, filename, source))
            self.hosts.append(host)
            self.firsts.append(first)
            self.states.append(_random_state() if self.own_random else None)
        return answers

    def drive(self, at: int) -> Any:
        """Combination ``at``'s next page of decisions (``engine.broker.decision_log.driven``),
        or its ``raise`` report: its code raised (it is not driven again)."""
        host = self.hosts[at]
        if host is None or self.book is None:
            raise RuntimeError(f"combination {at} has stopped")
        pages = self.drives.get(at)
        if self.own_random:
            _set_random_state(self.states[at])
        try:
            self._running(at)
            if pages is None:
                book = self.log.book_from_payload(self.book, self.frame)
                pages = self.drives[at] = self.log.driven(
                    host.on_bar, book, self.firsts[at], self.adjusted, wired
                )
            page = self._checked(at, next(pages))
        except BaseException as exc:
            self._running(None)
            self.hosts[at] = None
            self.drives.pop(at, None)
            return failure(exc, 0, self.start["filename"], self.start["source"])
        if self.own_random:
            self.states[at] = _random_state()
        if page["done"]:
            del self.drives[at]
            self.hosts[at] = None  # its run is over: its memory goes
        return page

    def _running(self, at: int | None) -> None:
        """Charge the budget's ticks to combination ``at`` from now (None: to none)."""
        if self.budget is not None:
            self.budget.current = at

    def _checked(self, at: int, value: Any) -> Any:
        """``value``, answered by combination ``at``'s call: its ticks stop here.

        :raise CombinationCPULimit: the call used the combination's budget (its code
            caught the interrupt and returned)."""
        self._running(None)
        if self.budget is not None and self.budget.spent(at):
            raise CombinationCPULimit
        return value


def wired(value: Any) -> tuple[Any, int]:
    """``value`` as the parent reads it after the pipe, through the protocol's JSON (a
    value JSON cannot hold raises, as it would on the pipe), and the bytes it took."""
    frame = protocol.encode({"d": value})
    return protocol.decode(frame[protocol.HEADER.size :])["d"], len(frame)


def _random_state() -> tuple[Any, Any]:
    numpy = sys.modules.get("numpy")
    held = numpy.random.get_state() if numpy is not None and hasattr(numpy, "random") else None
    return random.getstate(), held


def _set_random_state(state: tuple[Any, Any]) -> None:
    random.setstate(state[0])
    numpy = sys.modules.get("numpy")
    if numpy is not None and hasattr(numpy, "random"):
        if state[1] is None:  # numpy arrived after: as the hook seeded it, from the start seed
            return
        numpy.random.set_state(state[1])


def serve(start: dict[str, Any], read_fd: int, write_fd: int) -> int:
    """Answer the load (call 0), then each call, until ``exit`` or the end of the pipe."""
    filename = start["filename"]
    seed(start["seed"])
    holder: dict[str, Any] = {}

    def load_module() -> None:
        if start.get("host"):
            holder["harness"] = Harness(start["host"], start)
        holder["module"] = load(start["source"], filename)

    answer(write_fd, 0, start, load_module)
    while True:
        message = protocol.read_frame(read_fd, CALL_MAX_BYTES)
        if message is None or message["type"] == "exit":
            return 0
        module = holder.get("module")
        answer(
            write_fd,
            message["id"],
            start,
            _call,
            module,
            holder.get("harness"),
            message["function"],
            message["payload"],
            message.get("seed"),
        )


def _call(
    module: types.ModuleType | None,
    harness: Harness | None,
    function: str,
    payload: Any,
    reseed: Any,
) -> Any:
    if module is None:
        raise RuntimeError("the module did not load")
    if reseed is not None:
        seed(reseed)
    if harness is not None:
        return harness(module, function, payload)
    target = getattr(module, function, None)
    if not callable(target):
        raise AttributeError(f"the module has no function {function!r}")
    return target(payload)
