"""consumer.kinds: the registry of work kinds — every queued function name resolves to its
kind (names of messages queued before the move included), and a name cannot belong to two
kinds."""

from __future__ import annotations

from rq.utils import import_attribute

from consumer.kinds import JOB_FUNCTIONS, KINDS, kind_of
from kinds.runs.kind import RUN
from kinds.sweeps.kind import CHUNK
from tests.fresh import loaded_by


def test_the_queued_names_of_runs_and_chunks_resolve_to_their_kinds():
    """The dotted names already in Redis keep meaning the same kind."""
    assert kind_of("consumer.jobs.run_backtest") is RUN
    assert kind_of("consumer.sweep_jobs.run_chunk") is CHUNK
    assert kind_of("nothing.registered") is None and kind_of(None) is None


def test_the_registry_names_exactly_the_functions_each_kind_declares():
    """``JOB_FUNCTIONS`` (read without importing the kinds) agrees with the kinds' own
    ``functions``: every function of every kind, and nothing else."""
    declared = [(function, kind) for kind in KINDS for function in kind.functions]
    assert set(JOB_FUNCTIONS) == {function for function, _ in declared}
    for function, kind in declared:
        assert kind_of(function) is kind


def test_a_job_that_takes_a_run_never_imports_the_sweep_kind():
    """A run's Job pays for the run kind only (the registry loads the kind it needs)."""
    statement = "from consumer.kinds import kind_of; kind_of('consumer.jobs.run_backtest')"
    assert loaded_by(statement, ["kinds.sweeps.kind", "kinds.runs.kind"]) == ["kinds.runs.kind"]


def test_every_registered_function_is_importable_the_way_rq_imports_it():
    """RQ resolves a message's function by dotted path: each must exist and be callable."""
    for kind in KINDS:
        for function in kind.functions:
            assert callable(import_attribute(function)), function


def test_no_two_kinds_declare_the_same_job_function():
    """Two kinds cannot share a job function (the failure recorder would be ambiguous)."""
    functions = [function for kind in KINDS for function in kind.functions]
    assert len(functions) == len(set(functions)), functions


def test_an_item_id_is_read_from_its_kinds_field():
    """The id a message names, or "" when it names none (it is then SKIPPED)."""
    assert RUN.item_id({"run_id": "r1"}) == "r1"
    assert CHUNK.item_id({"chunk_id": "c1", "run_id": "r1"}) == "c1"
    assert RUN.item_id(["not", "an", "object"]) == ""
