"""KEDA's ScaledJob rules as pure code: the manifest's settings and the job-count formula.

The local scaler (``consumer.scaler``) reads the project's own keda/scaledjob.yaml and asks
``jobs_to_create`` how many consumers to start each polling interval — the same decision
KEDA makes on a cluster (kedacore/keda v2.20 ``pkg/scaling/executor/scale_jobs.go`` and
``pkg/scaling/scaledjob/metrics.go``; see shared research §1.2). One trigger (the Redis
list) is modelled; its metric is the list length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

STRATEGIES = ("default", "custom", "accurate", "eager")


@dataclass(frozen=True)
class ScaledJobSpec:
    """The scaling settings of a ScaledJob, with KEDA's defaults for what is not set."""

    polling_interval: int = 30
    max_replica_count: int = 100
    min_replica_count: int = 0
    strategy: str = "default"
    custom_deduction: int = 0
    custom_running_percentage: float | None = None
    pending_pod_conditions: tuple[str, ...] = ()
    list_name: str = "rq:queue:backtests"
    list_length: float = 5.0
    activation_list_length: float = 0.0


def parse_scaled_job(document: dict) -> ScaledJobSpec:
    """Read the settings from a ScaledJob manifest (a parsed YAML document)."""
    if document.get("kind") != "ScaledJob":
        raise ValueError(f"expected a ScaledJob manifest, got kind {document.get('kind')!r}")
    spec = document.get("spec") or {}
    strategy = spec.get("scalingStrategy") or {}
    triggers = [t for t in spec.get("triggers") or [] if t.get("type") == "redis"]
    if len(triggers) != 1:
        raise ValueError("the local scaler needs exactly one trigger of type redis")
    metadata = triggers[0].get("metadata") or {}
    if "listName" not in metadata:
        raise ValueError("the redis trigger has no listName")
    percentage = strategy.get("customScalingRunningJobPercentage")
    name = strategy.get("strategy") or "default"
    if name not in STRATEGIES:
        raise ValueError(f"unknown scalingStrategy.strategy {name!r}")
    maximum = int(spec.get("maxReplicaCount", 100))
    return ScaledJobSpec(
        polling_interval=int(spec.get("pollingInterval", 30)),
        max_replica_count=maximum,
        min_replica_count=min(int(spec.get("minReplicaCount", 0)), maximum),
        strategy=name,
        custom_deduction=int(strategy.get("customScalingQueueLengthDeduction", 0)),
        custom_running_percentage=float(percentage) if percentage is not None else None,
        pending_pod_conditions=tuple(strategy.get("pendingPodConditions") or ()),
        list_name=str(metadata["listName"]),
        list_length=float(metadata.get("listLength", 5)),
        activation_list_length=float(metadata.get("activationListLength", 0)),
    )


def load_scaled_job(path: str | Path) -> ScaledJobSpec:
    """Parse the ScaledJob manifest at ``path``."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        return parse_scaled_job(yaml.safe_load(handle))


def jobs_to_create(spec: ScaledJobSpec, queue_length: int, running: int, pending: int) -> int:
    """How many Jobs KEDA creates this polling interval.

    ``running`` counts unfinished Jobs (pending ones included); ``pending`` those whose pod
    is not yet Running — or, with ``pendingPodConditions``, lacks one of those conditions.
    For ``accurate``: maxScale = ceil(min(LLEN / listLength, max)); if maxScale + running
    − pending > max, create max − running, else maxScale − pending; never more than LLEN.
    """
    minimum = spec.min_replica_count
    if running < minimum:
        return minimum - running
    active = queue_length > spec.activation_list_length or minimum > 0
    if not active:
        return 0
    limit = spec.max_replica_count - minimum if minimum else spec.max_replica_count
    busy = running - minimum
    max_scale = math.ceil(min(queue_length / spec.list_length, limit))
    scale_to = math.ceil(queue_length)

    if spec.strategy == "accurate":
        effective = limit - busy if max_scale + busy - pending > limit else max_scale - pending
    elif spec.strategy == "eager":
        effective = min(limit - busy - pending, max_scale)
        scale_to = limit
    elif spec.strategy == "custom" and spec.custom_running_percentage is not None:
        effective = min(
            max_scale - spec.custom_deduction - int(busy * spec.custom_running_percentage), limit
        )
    else:  # default (and custom without a valid percentage, as KEDA falls back)
        effective = max_scale - busy
    return max(0, min(scale_to, effective))
