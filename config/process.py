"""The process environment's one reader: every variable a consumer Job, the reaper, the
scaler, the retention job and the scripts read, each declared once with its name, how its
text becomes a value, its default and its meaning.

Standard library only, and below everything: a Job imports this (through ``work``, ``store``,
``data`` and ``kinds.runs``) and must not pay for pydantic, so the web's ``config.Settings``
takes its shared defaults from here rather than the other way round.

A value is read when it is asked for (``RUN_MAX_BARS.value()``), not at import: an entry point
that changes its own environment, and a test's ``monkeypatch.setenv``, are seen, as the
modules' own reads were before. ``value(environ)`` reads a given mapping instead. An empty or
blank value means unset; surrounding spaces are ignored. A default of ``None`` means the
reader computes it (from another variable, the host or the project's layout), and says so.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TextIO, TypeVar

T = TypeVar("T")


class ConfigurationError(ValueError):
    """Environment variables whose values are refused: ``lines`` holds one line per
    variable, naming it and what to set. An entry point prints the lines and exits 2
    (``exit_code``), without a traceback."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = list(lines)


def exit_code(error: ConfigurationError, stream: TextIO | None = None) -> int:
    """Print ``error``'s lines to ``stream`` (default stderr), each as
    ``configuration error: <line>``; return the exit code 2."""
    out = sys.stderr if stream is None else stream
    for line in error.lines:
        print(f"configuration error: {line}", file=out)
    return 2


_KIND_OF_NUMBER = {int: "must be a whole number", float: "must be a number"}


@dataclass(frozen=True)
class Variable(Generic[T]):
    """One environment variable: its name, its parser (text -> value; ``ValueError`` for a
    text it refuses), its default (when unset or blank) and what it means."""

    name: str
    parse: Callable[[str], T]
    default: T
    description: str

    def value(self, environ: Mapping[str, str] | None = None) -> T:
        """The variable's value in ``environ`` (default: this process's environment).

        :raise ConfigurationError: the parser refused the text (one line naming the
            variable; a ``ValueError``, as before).
        """
        source = os.environ if environ is None else environ
        text = (source.get(self.name) or "").strip()
        if not text:
            return self.default
        try:
            return self.parse(text)
        except ValueError as exc:
            reason = _KIND_OF_NUMBER.get(self.parse) or str(exc)  # type: ignore[call-overload]
            unset = "" if self.default is None else f", or unset it for {self.default}"
            raise ConfigurationError(
                [f"{self.name} {reason.removeprefix(self.name + ' ')} ({self.description}{unset})"]
            ) from None


def checked(
    convert: Callable[[str], T | None], accept: Callable[[T], bool], refusal: str
) -> Callable[[str], T]:
    """A parser: ``convert`` the text (its own ``ValueError`` stands; None means refused),
    then keep the value only if ``accept`` takes it.

    :raise ValueError: ``"<refusal>: <text>"`` for a value refused.
    """

    def parse(text: str) -> T:
        value = convert(text)
        if value is None or not accept(value):
            raise ValueError(f"{refusal}: {text!r}")
        return value

    return parse


def _digits(text: str) -> int | None:
    """The whole number the text writes in digits alone (no sign), else None."""
    return int(text) if text.isdigit() else None


def _any(value: object) -> bool:
    return True


whole_days = checked(_digits, _any, "RESULT_RETENTION_DAYS must be a whole number of days >= 0")
"""A whole number of days >= 0 (``"-1"`` or ``"1.5"`` refused)."""

positive_int = checked(int, lambda value: value >= 1, "must be a whole number of 1 or more")
"""A whole number >= 1 (``"0"`` or ``"many"`` refused)."""

whole_number = checked(_digits, _any, "must be a whole number of 0 or more")
"""A whole number >= 0 (``"-1"`` or ``"ten"`` refused)."""

positive_seconds = checked(
    float, lambda value: 0 < value < float("inf"), "must be a number of seconds above 0"
)
"""A number of seconds > 0 (``"0"``, ``"-5"`` or ``"inf"`` refused)."""

proxy_hops = checked(whole_number, lambda value: value <= 5, "PROXY_FIX_HOPS must be 0 to 5")
"""A number of trusted proxies, 0 to 5 (the web's ``Settings`` allows the same)."""


def _text(text: str) -> str | None:
    return text


def optional_text(name: str, description: str) -> Variable[str | None]:
    """A text variable without a default: None when unset or blank (the reader says what it
    does then, and ``description`` says so after "unset:")."""
    return Variable(name, _text, None, description)


def named(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The text of a variable a plugin declares rather than this module (a kind's own queue,
    ``WorkKind.queue_env``), or None when unset or blank."""
    return optional_text(name, "").value(environ)


# -- the queue and its items ----------------------------------------------------------------

REDIS_URL = Variable("REDIS_URL", str, "redis://127.0.0.1:6379/0", "the Redis of the queue")
RQ_QUEUE = Variable("RQ_QUEUE", str, "backtests", "the runs' queue (key rq:queue:<name>)")
CONSUMER_QUEUE = optional_text(
    "CONSUMER_QUEUE", "the one queue a consumer Job pops; unset: RQ_QUEUE"
)
RQ_JOB_TIMEOUT = Variable("RQ_JOB_TIMEOUT", int, 900, "seconds an item may take")
RQ_RESULT_TTL = Variable("RQ_RESULT_TTL", int, 300, "seconds RQ keeps a finished job")
RQ_FAILURE_TTL = Variable("RQ_FAILURE_TTL", int, 7 * 24 * 3600, "seconds a failed job stays")
RQ_JOB_MONITORING_INTERVAL = Variable(
    "RQ_JOB_MONITORING_INTERVAL", int, 10, "seconds between a consumer's heartbeats"
)
RQ_HEARTBEAT_MARGIN = Variable(
    "RQ_HEARTBEAT_MARGIN",
    positive_int,
    60,
    "seconds past a missed heartbeat before RQ calls a consumer's item abandoned",
)
CLAIM_FILE = Variable(
    "CLAIM_FILE", str, "/tmp/consumer-claimed", "touched once a consumer took its item"
)
HOSTNAME = optional_text("HOSTNAME", "the worker name recorded with an item; unset: the host name")

# -- the database, the data, the runs --------------------------------------------------------

DATABASE_URL = optional_text("DATABASE_URL", "SQLAlchemy URL; unset: the local SQLite file (store)")
DB_RETRY_SECONDS = Variable(
    "DB_RETRY_SECONDS", float, 120.0, "seconds a lost database connection is retried"
)
DATA_DIR = optional_text("DATA_DIR", "CSV files and catalog.json; unset: the data package's folder")
USER_DATA_DIR = Variable(
    "USER_DATA_DIR",
    _text,
    None,
    "a user's own data (imported tickers, bulk state files, demo outputs); unset: var/",
)
BARS_CACHE_DIR = Variable(
    "BARS_CACHE_DIR",
    _text,
    None,
    "binary copies of the CSV files, read instead of parsing them; unset: <USER_DATA_DIR>/bars",
)
RUN_MAX_BARS = Variable(
    "RUN_MAX_BARS",
    int,
    None,
    "most bars one run may cover; unset: no count, the run's memory estimate decides "
    "(RUN_MAX_MEMORY_MB), and a window evaluated per combination is bounded by "
    "COMBINATION_MAX_BARS",
)
COMBINATION_MAX_BARS = 20_000
"""The most bars one combination of a sweep, walk-forward or study (and the signal analyzer's
window) may cover when RUN_MAX_BARS is unset: compute is combinations × bars, and
REQUEST_MAX_COMBINATIONS bounds the other factor (docs/security.md)."""


def combination_max_bars(run_max_bars: int | None) -> int:
    """The bar bound of a combination: RUN_MAX_BARS when set, else COMBINATION_MAX_BARS."""
    return COMBINATION_MAX_BARS if run_max_bars is None else run_max_bars


RUN_MAX_MEMORY_MB = Variable(
    "RUN_MAX_MEMORY_MB",
    positive_int,
    768,
    "memory (MB) one run's Job may use, estimated from its bars at submission; a larger "
    "run is a 400 naming end_date (three quarters of the consumer Job's 1 GiB in keda/)",
)
RUN_CURVE_POINTS = Variable(
    "RUN_CURVE_POINTS",
    positive_int,
    20_000,
    "most points a run's stored curves and candles keep; a longer run keeps every k-th bar "
    "and the last (each point's bar index in the curves' bar column)",
)
SIGNAL_MAX_WORK = Variable(
    "SIGNAL_MAX_WORK",
    positive_int,
    1_000_000_000,
    "most bar·window operations one rule's signals may cost (bars × the windows its "
    "indicators scan), estimated before computing; more is a 400 naming params",
)
SIGNAL_MAX_VALUES = Variable(
    "SIGNAL_MAX_VALUES",
    positive_int,
    25_000_000,
    "most float values one rule's signals may hold at once (bars × its series, 8 bytes "
    "each), estimated before computing; more is a 400 naming params",
)
RUN_MAX_RESULT_BYTES = Variable(
    "RUN_MAX_RESULT_BYTES", int, 12 * 2**20, "largest stored result, in bytes"
)
MPL_FONT_CACHE = optional_text(
    "MPL_FONT_CACHE", "a prebuilt matplotlib font list to seed MPLCONFIGDIR"
)
MPLCONFIGDIR = optional_text("MPLCONFIGDIR", "matplotlib's writable directory")
NUMBA_CACHE_DIR = optional_text(
    "NUMBA_CACHE_DIR", "numba's writable cache of compiled kernels (numba reads it)"
)
NUMBA_CACHE_SEED = optional_text(
    "NUMBA_CACHE_SEED", "the kernels compiled into the image, to seed NUMBA_CACHE_DIR"
)
KERNEL_STORE = optional_text(
    "BACKTEST_KERNEL_STORE",
    "where scripts/test.sh keeps compiled kernels between checkouts (scripts/kernel_store.py;"
    " unset: XDG_CACHE_HOME's backtest-platform/kernels; off: nowhere)",
)
XDG_CACHE_HOME = optional_text("XDG_CACHE_HOME", "the user's cache folder (unset: ~/.cache)")
NUMBA_CPU_NAME = optional_text(
    "NUMBA_CPU_NAME", "the CPU numba compiles for (numba reads it; generic: any node)"
)
NUMBA_NUM_THREADS = Variable(
    "NUMBA_NUM_THREADS",
    positive_int,
    None,
    "threads of numba's parallel kernels (numba reads it); unset: a consumer Job sets its "
    "CPU share (cpu_share)",
)
RESULT_RETENTION_DAYS = Variable(
    "RESULT_RETENTION_DAYS", whole_days, 0, "days a finished run is kept; 0 keeps them"
)

# -- the strategy sandbox (sandbox/): the limits of one sandboxed child process ------------

SANDBOX_MEMORY_MB = Variable(
    "SANDBOX_MEMORY_MB",
    positive_int,
    512,
    "address space (MB, RLIMIT_AS) of a strategy's sandboxed process; numpy and pandas "
    "take 160 of it; keep it and the consumer under the Job's memory limit",
)
SANDBOX_CPU_SECONDS = Variable(
    "SANDBOX_CPU_SECONDS",
    positive_int,
    300,
    "CPU seconds (RLIMIT_CPU) a strategy's sandboxed process may use",
)
SANDBOX_COMBINATION_CPU_SECONDS = Variable(
    "SANDBOX_COMBINATION_CPU_SECONDS",
    positive_int,
    60,
    "CPU seconds one parameter combination may use in a sandboxed process that runs several "
    "together (its init and next calls); below SANDBOX_CPU_SECONDS, so that an endless one "
    "fails alone",
)
SANDBOX_WALL_SECONDS = Variable(
    "SANDBOX_WALL_SECONDS",
    positive_seconds,
    600.0,
    "seconds a strategy's sandboxed process may live, waiting included; the consumer then "
    "kills its process group",
)
SANDBOX_OPEN_FILES = Variable(
    "SANDBOX_OPEN_FILES",
    positive_int,
    64,
    "descriptors (RLIMIT_NOFILE) a strategy's sandboxed process may hold open",
)
SANDBOX_OUTPUT_BYTES = Variable(
    "SANDBOX_OUTPUT_BYTES",
    positive_int,
    8 * 2**20,
    "largest message a strategy's sandboxed process may send, and most of its printed output kept",
)
SANDBOX_DISK_BYTES = Variable(
    "SANDBOX_DISK_BYTES",
    positive_int,
    64 * 2**20,
    "largest file (RLIMIT_FSIZE) a strategy's sandboxed process may write in its scratch "
    "directory, its printed output included",
)

CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where the cgroup filesystem is mounted (a container sees its own cgroup there)."""


def cpu_quota(cpu_max: str) -> float | None:
    """The CPUs a cgroup v2 ``cpu.max`` grants ("150000 100000": 1.5), or None for no quota
    ("max 100000") or a text that is none.

    >>> cpu_quota("100000 100000"), cpu_quota("max 100000"), cpu_quota("50000")
    (1.0, None, 0.5)
    """
    parts = cpu_max.split()
    if not 1 <= len(parts) <= 2 or not all(part.isdigit() for part in parts):
        return None
    quota, period = int(parts[0]), int(parts[1]) if len(parts) == 2 else 100_000
    return quota / period if quota > 0 and period > 0 else None


def _v1_quota(root: Path) -> float | None:
    """The CPUs a cgroup v1 CFS quota grants (``cpu.cfs_quota_us`` -1: none)."""
    for folder in (root / "cpu", root / "cpu,cpuacct"):
        try:
            quota = int((folder / "cpu.cfs_quota_us").read_text())
            period = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return quota / period if quota > 0 and period > 0 else None
    return None


def _cgroup_quota(root: Path, own: str) -> float | None:
    """The smallest quota of the process's cgroup (``own``, its path under ``root``) and its
    ancestors (cgroup v2 ``cpu.max``), else the cgroup v1 one; None: no quota."""
    found: list[float] = []
    folder = root / own.strip("/") if own.strip("/") else root
    while True:
        try:
            quota = cpu_quota((folder / "cpu.max").read_text())
        except OSError:
            quota = None
        if quota is not None:
            found.append(quota)
        if folder == root or root not in folder.parents:
            break
        folder = folder.parent
    if found:
        return min(found)
    return _v1_quota(root)


def _own_cgroup() -> str:
    """The process's cgroup v2 path ("0::/kubepods/…" in /proc/self/cgroup), "" if none."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return ""
    return next((line[3:] for line in lines if line.startswith("0::")), "")


def cpu_share(root: Path = CGROUP_ROOT, own: str | None = None, cpus: int | None = None) -> int:
    """The CPUs a Job can keep busy: those it may run on (``os.sched_getaffinity``, or
    ``cpus``), no more than its cgroup's CPU quota (``cpu.max``, rounded down; a Job
    granted one core: 1), at least 1."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    quota = _cgroup_quota(root, _own_cgroup() if own is None else own)
    share = cpus or 1
    if quota is not None:
        share = min(share, int(quota))
    return max(1, share)


def numba_threads(environ: Mapping[str, str] | None = None) -> int:
    """The threads numba's parallel kernels run on in a Job: NUMBA_NUM_THREADS when set,
    else its CPU share (``cpu_share``)."""
    configured = NUMBA_NUM_THREADS.value(environ)
    return cpu_share() if configured is None else configured


# -- logs, the web's fallbacks ---------------------------------------------------------------

LOG_LEVEL = Variable("LOG_LEVEL", str, "INFO", "root log level")
LOG_FORMAT = Variable("LOG_FORMAT", str, "text", "log lines as text or one JSON object each")
RQ_DASHBOARD_ENABLED = Variable(
    "RQ_DASHBOARD_ENABLED", str, "", "1/true/yes/on mounts rq-dashboard at /rq"
)

# -- the web's connections (gunicorn's worker, serving/worker.py) ---------------------------

PROXY_FIX_HOPS = Variable(
    "PROXY_FIX_HOPS", proxy_hops, 0, "trusted proxies setting X-Forwarded-For/-Proto/-Host"
)
WEB_REQUEST_READ_TIMEOUT = Variable(
    "WEB_REQUEST_READ_TIMEOUT",
    positive_seconds,
    30.0,
    "seconds a connection gets to deliver one request: line, headers and body",
)
WEB_MAX_CLIENT_CONNECTIONS = Variable(
    "WEB_MAX_CLIENT_CONNECTIONS",
    whole_number,
    None,
    "connections one client address may hold in one web worker; 0: no cap; "
    "unset: CLIENT_CONNECTIONS_DEFAULT, or 0 behind trusted proxies (PROXY_FIX_HOPS)",
)

CLIENT_CONNECTIONS_DEFAULT = 100
"""WEB_MAX_CLIENT_CONNECTIONS when unset and clients connect directly (PROXY_FIX_HOPS 0): a
tenth of a worker's 1000 connections, far above what a browser (6) or a script opens."""


def max_client_connections(environ: Mapping[str, str] | None = None) -> int:
    """WEB_MAX_CLIENT_CONNECTIONS; unset: CLIENT_CONNECTIONS_DEFAULT when PROXY_FIX_HOPS is 0,
    else 0 (no cap: behind proxies every connection comes from a proxy's address, and the
    proxy limits its clients).

    :raise ValueError: either variable's text is refused.
    """
    configured = WEB_MAX_CLIENT_CONNECTIONS.value(environ)
    if configured is not None:
        return configured
    return 0 if PROXY_FIX_HOPS.value(environ) else CLIENT_CONNECTIONS_DEFAULT


# -- the local scaler and the scripts -------------------------------------------------------

SCALER_MANIFEST = Variable(
    "SCALER_MANIFEST", str, "", "comma-separated ScaledJob manifests; unset: the project's"
)
SCALER_GRACE = Variable("SCALER_GRACE", float, 60.0, "seconds consumers get when the scaler stops")
SCALER_REAPER_INTERVAL = Variable(
    "SCALER_REAPER_INTERVAL", float, 30.0, "seconds between the scaler's reaper passes"
)
SCALER_RUNTIME = Variable("SCALER_RUNTIME", str, "process", "process or podman")
SCALER_IMAGE = optional_text(
    "SCALER_IMAGE", "the podman Jobs' image; unset: stock-backtest:$IMAGE_TAG"
)
IMAGE_TAG = optional_text("IMAGE_TAG", "the image's tag, recorded with every run")
LOCAL_STATE_DIR = optional_text("LOCAL_STATE_DIR", "the embedded Redis's folder; unset: var/")
BACKTEST_URL = optional_text("BACKTEST_URL", "a running platform; unset: the demo starts its own")

VARIABLES: tuple[Variable, ...] = tuple(
    value for value in dict(globals()).values() if isinstance(value, Variable)
)
"""Every variable declared here, in order."""

__all__ = [
    "CLIENT_CONNECTIONS_DEFAULT",
    "COMBINATION_MAX_BARS",
    "VARIABLES",
    "ConfigurationError",
    "Variable",
    "checked",
    "combination_max_bars",
    "cpu_quota",
    "cpu_share",
    "exit_code",
    "max_client_connections",
    "named",
    "numba_threads",
    "optional_text",
    "positive_int",
    "positive_seconds",
    "proxy_hops",
    "whole_days",
    "whole_number",
]
