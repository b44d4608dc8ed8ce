"""The registry of kinds of queued work: the ONLY module that names them.

Like Django's ``INSTALLED_APPS``: the consumer (which job names it executes, its failure
recorder, its quarantine check), the reaper (which kinds and queues it reconciles), the local
scaler (which lists it watches), the web (its queues, blueprints, rate-limit budgets) and the
telemetry exporter (HELP texts) iterate over it; none of them names a kind. Adding a kind is
one entry here (docs/work-kinds.md); a plugin loaded at run time (a test's toy kind) calls
``register``.

A Job loads only the kind of the message it takes: ``kind_of`` imports the one module its
job name points to (a run's Job never imports the sweep evaluation stack, and the reverse);
``all_kinds`` (the reaper, the web) loads them all.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

KINDS: dict[str, str] = {
    "consumer.jobs.run_backtest": "kinds.runs.kind:RUN",
    "consumer.sweep_jobs.run_chunk": "kinds.sweeps.kind:CHUNK",
    "walkforward.kind.run_fold": "kinds.walkforward.kind:FOLD",
    "kinds.portfolios.kind.run_portfolio": "kinds.portfolios.kind:PORTFOLIO",
    "kinds.studies.kind.run_batch": "kinds.studies.kind:BATCH",
    "kinds.sweeps.backfill_kind.run_csv_backfill": "kinds.sweeps.backfill_kind:CSV_BACKFILL",
}
"""Every job name a queued message may carry (a kind's ``function`` and its ``aliases``) →
the ``module:attribute`` of its ``WorkKind``, in the order the reaper reconciles them. A
job name is part of every queued message: it never changes (a renamed kind keeps its old
names as aliases). A test checks each entry against the kind's own ``functions``."""

_registered: dict[str, WorkKind] = {}
"""Kinds registered at run time (``register``), by job name."""


def register(kind: WorkKind) -> WorkKind:
    """Add ``kind`` at run time (a plugin, a test's toy kind): every shared piece sees it
    from now on in this process and in the processes it forks. Returns ``kind``."""
    for function in kind.functions:
        _registered[function] = kind
    return kind


def unregister(kind: WorkKind) -> None:
    """Take a kind ``register`` added away again."""
    for function in kind.functions:
        _registered.pop(function, None)


def _load(path: str) -> WorkKind:
    module, attribute = path.split(":")
    return getattr(import_module(module), attribute)


def kind_of(function: str | None) -> WorkKind | None:
    """The kind whose job name (or an alias) is ``function``, or None; imports that kind's
    module only."""
    if function in _registered:
        return _registered[function]
    path = KINDS.get(function or "")
    return None if path is None else _load(path)


def kinds_in_order() -> Iterator[WorkKind]:
    """Every kind, each once: the listed ones in order, then those registered at run time,
    each imported only when reached: a caller that stops at the first kind it wants (a run
    Job finds the run kind first) loads no other kind's module (``all_kinds`` imports them
    all: a tenth of a Job's CPU)."""
    seen: list[WorkKind] = []
    for path in dict.fromkeys(KINDS.values()):
        kind = _load(path)
        seen.append(kind)
        yield kind
    yield from (k for k in dict.fromkeys(_registered.values()) if k not in seen)


def all_kinds() -> tuple[WorkKind, ...]:
    """Every kind, each once, in ``kinds_in_order``' order, all imported."""
    return tuple(kinds_in_order())
