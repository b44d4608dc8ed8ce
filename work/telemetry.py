"""Operator telemetry kept in Redis, so that every process can count and the web can export.

A Job lives for one run and cannot be scraped; several gunicorn workers each hold their own
memory. So every process adds to ONE Redis hash (``METRICS_KEY``) in one pipelined round trip
(``record``): the web on a submission and per HTTP request, the Job at the end of an item,
the reaper after a pass. The web's ``GET /metrics`` (``web.api.telemetry``) reads the hash at
scrape time and writes it in the Prometheus text format.

A field is ``<metric>|<label>=<value>,…`` (labels sorted). A histogram observation adds 1 to
the one bucket its value falls in (``<metric>_bucket|…,le=<bound>``), plus ``_sum`` and
``_count``; the exporter makes the buckets cumulative. Recording is best effort: a Redis that
is away loses the increment, never the run. A Redis that restarts empty restarts the counters
at zero, which Prometheus reads as a counter reset (``rate``/``increase`` handle it).

Standard library only, and no client of its own: the Job's path must stay as light as it is.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from work.status import RunStatus

if TYPE_CHECKING:  # pragma: no cover
    from work.kind import WorkKind

logger = logging.getLogger("work.telemetry")

METRICS_KEY = "backtest:metrics"
"""The Redis hash holding every counter and histogram bucket."""

DURATION_BUCKETS: tuple[float, ...] = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
"""Upper bounds (s) of a run's or chunk's queue wait and execution (RQ_JOB_TIMEOUT is 900)."""

HTTP_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
"""Upper bounds (s) of an HTTP request's latency."""

HTTP_REQUESTS = "backtest_http_requests_total"
HTTP_DURATION = "backtest_http_request_duration_seconds"
REAPER_RECOVERIES = "backtest_reaper_recoveries_total"
HELP: dict[str, str] = {
    HTTP_REQUESTS: "HTTP requests answered by the web, by Flask endpoint (URL rule), method "
    "and status.",
    HTTP_DURATION: "Time the web took to answer, by Flask endpoint (URL rule) and method.",
    REAPER_RECOVERIES: "Items the reaper recovered, by kind and action (requeued: queued "
    "again; failed: marked FAILED because it could not run).",
}
"""The metrics every process keeps whatever kinds are registered, with their HELP texts;
each kind adds its own (``kind_help``)."""

JOB_OUTCOMES: tuple[str, ...] = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, "SKIPPED")
"""The statuses a consumer Job counts an item finished with (``work.lifecycle.run_item``;
SKIPPED: a duplicate or late delivery): the ``status`` values of every kind's finished
counter, unless the kind's ``telemetry_labels`` names more."""

REAPER_ACTIONS: tuple[str, ...] = ("requeued", "failed")
"""The ``action`` values of ``REAPER_RECOVERIES`` (``consumer.reaper``)."""


def kind_help(kind: WorkKind) -> dict[str, str]:
    """The metrics of one kind with their HELP texts: the two every kind has (finished items
    by status, queue wait and execution seconds), then what it declares (``telemetry``)."""
    return {
        f"{kind.stem}s_finished_total": f"Items of kind {kind.name} a consumer Job finished, "
        "by status.",
        f"{kind.stem}_duration_seconds": f"An item of kind {kind.name}: its time in the queue "
        "(phase=queue) and its execution (phase=execution).",
        **kind.telemetry,
    }


def kind_label(kind: WorkKind) -> str:
    """The ``kind`` label value of ``kind`` in the platform's counters: "sweep chunk" →
    ``sweep_chunk``."""
    return kind.name.replace(" ", "_")


def known_counters(kinds: Iterable[WorkKind]) -> list[str]:
    """The hash field of every counter series known before its first increment, so the
    exporter writes each at 0 from the start (Prometheus: avoid missing metrics, a
    ``rate()`` then sees the first increment). For each kind: its finished counter by
    status, the unlabelled ``_total`` counters of its ``telemetry``, and the series its
    ``telemetry_labels`` spells out; the reaper's recoveries by kind and action. The HTTP
    request counter's labels (endpoint, method, status) are open-ended: not listed."""
    fields: list[str] = []
    for kind in kinds:
        labelled = {
            f"{kind.stem}s_finished_total": {"status": JOB_OUTCOMES},
            **kind.telemetry_labels,
        }
        for name in dict.fromkeys((*kind.telemetry, *labelled)):
            if name.endswith("_total"):
                fields.extend(_series(name, labelled.get(name, {})))
        fields.extend(
            field(REAPER_RECOVERIES, kind=kind_label(kind), action=action)
            for action in REAPER_ACTIONS
        )
    return list(dict.fromkeys(fields))


def _series(name: str, labels: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every field of ``name`` over the product of its labels' values."""
    combos: list[dict[str, str]] = [{}]
    for key, values in labels.items():
        combos = [{**combo, key: str(value)} for combo in combos for value in values]
    return [field(name, **combo) for combo in combos]


def field(name: str, **labels: str) -> str:
    """The hash field of ``name`` with ``labels``: ``name|a=1,b=2`` (labels sorted)."""
    return name + "|" + ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def parse_field(raw: str) -> tuple[str, dict[str, str]]:
    """``field``'s inverse: (metric name, labels)."""
    name, _, rest = raw.partition("|")
    labels = dict(pair.split("=", 1) for pair in rest.split(",") if "=" in pair)
    return name, labels


def bucket_bound(value: float, bounds: Iterable[float]) -> str:
    """The ``le`` label of the one bucket ``value`` falls in ("+Inf" above the last bound)."""
    for bound in bounds:
        if value <= bound:
            return format_bound(bound)
    return "+Inf"


def format_bound(bound: float) -> str:
    """A bucket bound as Prometheus writes it: ``0.5``, ``1.0``, ``+Inf``."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def observe(
    increments: dict[str, float], name: str, value: float, bounds: Iterable[float], **labels: str
) -> None:
    """Add one observation of histogram ``name`` to ``increments`` (bucket, sum, count)."""
    bucket = field(f"{name}_bucket", **labels, le=bucket_bound(value, bounds))
    for key, amount in (
        (bucket, 1),
        (field(f"{name}_sum", **labels), value),
        (field(f"{name}_count", **labels), 1),
    ):
        increments[key] = increments.get(key, 0) + amount


def record(connection: Any, increments: Mapping[str, float]) -> bool:
    """Add ``increments`` to the hash in one pipelined round trip; False (logged) if Redis
    refused. Integers go through HINCRBY, fractions through HINCRBYFLOAT."""
    if not increments:
        return True
    try:
        pipe = connection.pipeline(transaction=False)
        for key, amount in increments.items():
            if float(amount).is_integer():
                pipe.hincrby(METRICS_KEY, key, int(amount))
            else:
                pipe.hincrbyfloat(METRICS_KEY, key, float(amount))
        pipe.execute()
    except Exception as exc:  # best effort: telemetry never costs a run or a request
        logger.warning("telemetry not recorded: %s", exc.__class__.__name__)
        return False
    return True


def finished(kind: WorkKind, status: str, queued: float | None, executed: float) -> dict:
    """The increments of one item a Job finished: its status counter and, unless SKIPPED,
    its queue wait (when known) and execution seconds."""
    stem = kind.stem
    increments: dict[str, float] = {field(f"{stem}s_finished_total", status=status): 1}
    if status != "SKIPPED":
        histogram = f"{stem}_duration_seconds"
        if queued is not None:
            observe(increments, histogram, max(queued, 0.0), DURATION_BUCKETS, phase="queue")
        observe(increments, histogram, executed, DURATION_BUCKETS, phase="execution")
    return increments
