"""KEDA's ScaledJob job-count formula (consumer.scaling), table-tested.

The expected rows are the worked examples in shared/research/queue.md §1.2 (KEDA v2.20.2's Go
code transliterated and run), listLength "1", minReplicaCount 0, maxReplicaCount 10.
"""

from __future__ import annotations

import pytest

from consumer.scaling import ScaledJobSpec, jobs_to_create, parse_scaled_job

KEDA_TABLE = [
    # LLEN, running, pending, default, accurate, eager, custom(1, "0.5")
    (3, 0, 0, 3, 3, 3, 2),
    (3, 3, 3, 0, 0, 3, 1),  # pods not started yet: their ids are still in the list
    (3, 3, 0, 0, 3, 3, 1),  # pods Running but not popped yet: accurate duplicates
    (5, 5, 0, 0, 5, 5, 2),  # five popped and five new messages: default starves
    (5, 8, 3, 0, 2, 0, 0),
    (2, 3, 1, 0, 1, 2, 0),  # eager starts one extra
]


def _spec(strategy: str, **extra) -> ScaledJobSpec:
    settings = {"max_replica_count": 10, "list_length": 1.0, **extra}
    return ScaledJobSpec(strategy=strategy, **settings)


@pytest.mark.parametrize("row", KEDA_TABLE, ids=lambda r: f"llen{r[0]}-run{r[1]}-pend{r[2]}")
@pytest.mark.parametrize(
    ("column", "spec"),
    [
        (3, _spec("default")),
        (4, _spec("accurate")),
        (5, _spec("eager")),
        (6, _spec("custom", custom_deduction=1, custom_running_percentage=0.5)),
    ],
    ids=["default", "accurate", "eager", "custom"],
)
def test_jobs_to_create_matches_kedas_worked_examples(row, column, spec):
    """Each strategy creates the number of Jobs KEDA's code creates for that state."""
    llen, running, pending = row[:3]
    assert jobs_to_create(spec, llen, running, pending) == row[column]


def test_kedas_default_list_length_of_five_starts_one_job_per_five_runs():
    """listLength 5 (KEDA's default) starts 2 Jobs for 10 queued runs; "1" starts 10."""
    assert jobs_to_create(_spec("accurate", list_length=5.0), 10, 0, 0) == 2
    assert jobs_to_create(_spec("accurate"), 10, 0, 0) == 10


@pytest.mark.parametrize("strategy", ["default", "accurate", "eager", "custom"])
def test_never_more_jobs_than_the_cap_or_the_queue(strategy):
    """Whatever the state, running + created never exceeds max, nor created the list length."""
    spec = _spec(strategy, custom_running_percentage=0.0)
    for llen in range(0, 25):
        for running in range(0, 12):
            for pending in range(0, running + 1):
                created = jobs_to_create(spec, llen, running, pending)
                assert created <= max(llen, 0) or strategy == "eager"
                if strategy in ("accurate", "eager"):
                    assert running + created <= max(spec.max_replica_count, running)


def test_an_empty_queue_starts_nothing_and_min_replicas_are_kept():
    """Inactive below activationListLength; minReplicaCount is topped up regardless."""
    assert jobs_to_create(_spec("accurate"), 0, 0, 0) == 0
    assert jobs_to_create(_spec("accurate", activation_list_length=3.0), 3, 0, 0) == 0
    assert jobs_to_create(_spec("accurate", min_replica_count=2), 0, 0, 0) == 2


def test_parse_scaled_job_reads_the_fields_the_scaler_uses():
    """pollingInterval, maxReplicaCount, strategy, pendingPodConditions, listName/listLength."""
    doc = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledJob",
        "spec": {
            "pollingInterval": 5,
            "maxReplicaCount": 8,
            "scalingStrategy": {"strategy": "accurate", "pendingPodConditions": ["Ready"]},
            "triggers": [
                {"type": "redis", "metadata": {"listName": "rq:queue:x", "listLength": "1"}}
            ],
        },
    }
    spec = parse_scaled_job(doc)
    assert (spec.polling_interval, spec.max_replica_count, spec.strategy) == (5, 8, "accurate")
    assert spec.pending_pod_conditions == ("Ready",)
    assert (spec.list_name, spec.list_length) == ("rq:queue:x", 1.0)
    with pytest.raises(ValueError, match="kind"):
        parse_scaled_job({"kind": "ScaledObject"})
