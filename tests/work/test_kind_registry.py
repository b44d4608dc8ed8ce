"""kinds.registry: the one list of kinds of queued work. Every ``WorkKind`` defined under
kinds/ is registered (found by importing the packages, not by reading the registry), every
queued name resolves to its kind (names of messages queued before a move included), and a
Job loads only the kind it runs."""

from __future__ import annotations

import importlib
import pkgutil

import kinds
from kinds.registry import KINDS, all_kinds, kind_of
from kinds.runs.kind import RUN
from kinds.sweeps.kind import CHUNK
from kinds.walkforward.kind import FOLD
from tests.fresh import loaded_by
from work.kind import WorkKind


def _defined_kinds() -> dict[str, WorkKind]:
    """Every ``WorkKind`` value defined in a module under kinds/, by ``module:attribute``."""
    found = {}
    for info in pkgutil.walk_packages(kinds.__path__, "kinds."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, WorkKind) and _home(value) == info.name:
                found[f"{info.name}:{name}"] = value
    return found


def _home(kind: WorkKind) -> str:
    """The module that defines ``kind`` (where its ``compute`` lives)."""
    return kind.compute.__module__


def test_every_kind_defined_under_kinds_is_registered():
    """A ``WorkKind`` a package defines but nobody registered is caught: the consumer would
    quarantine its messages and the reaper would never look at its rows."""
    defined = _defined_kinds()
    assert defined and all(path.startswith("kinds.") for path in defined)
    assert set(defined) == set(KINDS.values())
    assert set(defined.values()) == set(all_kinds())


def test_the_queued_names_resolve_to_their_kinds():
    """The job names already in Redis keep meaning the same kind, wherever its code moved."""
    assert kind_of("consumer.jobs.run_backtest") is RUN
    assert kind_of("consumer.sweep_jobs.run_chunk") is CHUNK
    assert kind_of("walkforward.kind.run_fold") is FOLD
    assert kind_of("nothing.registered") is None and kind_of(None) is None
    assert kind_of("builtins.print") is None


def test_the_registry_names_exactly_the_functions_each_kind_declares():
    """``KINDS`` (read without importing the kinds) agrees with the kinds' own
    ``functions``: every function of every kind, and nothing else."""
    declared = [(function, kind) for kind in all_kinds() for function in kind.functions]
    assert set(KINDS) == {function for function, _ in declared}
    for function, kind in declared:
        assert kind_of(function) is kind


def test_a_job_that_takes_a_run_never_imports_the_sweep_kind():
    """A run's Job pays for the run kind only (the registry loads the kind it needs)."""
    statement = "from kinds.registry import kind_of; kind_of('consumer.jobs.run_backtest')"
    assert loaded_by(statement, ["kinds.sweeps.kind", "kinds.runs.kind"]) == ["kinds.runs.kind"]


def test_no_two_kinds_declare_the_same_job_function():
    """Two kinds cannot share a job function (the failure recorder would be ambiguous)."""
    functions = [function for kind in all_kinds() for function in kind.functions]
    assert len(functions) == len(set(functions)), functions


def test_an_item_id_is_read_from_its_kinds_field():
    """The id a message names, or "" when it names none (it is then SKIPPED)."""
    assert RUN.item_id({"run_id": "r1"}) == "r1"
    assert CHUNK.item_id({"chunk_id": "c1", "run_id": "r1"}) == "c1"
    assert RUN.item_id(["not", "an", "object"]) == ""


def test_each_kind_has_a_telemetry_stem_prometheus_accepts():
    """Metric names are ``[a-zA-Z_:][a-zA-Z0-9_:]*``: a kind named "walk-forward fold"
    must not put a hyphen into its series names."""
    import re

    for kind in all_kinds():
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", kind.stem), kind.stem


def test_the_kinds_telemetry_names_are_the_ones_already_exported():
    """Metric names are contracts with dashboards and alerts: each kind's stem is the name
    the exporter wrote before kinds declared it (prometheus_client wrote the fold's hyphen
    as an underscore)."""
    assert [kind.stem for kind in (RUN, CHUNK, FOLD)] == [
        "backtest_run",
        "backtest_sweep_chunk",
        "backtest_walk_forward_fold",
    ]
