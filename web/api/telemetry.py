"""``GET /metrics``: the platform's telemetry in the Prometheus text format, for any scraper
(the URL is Prometheus's convention; "metrics" in this code base are the performance metrics
of ``metrics/``).

Everything comes from Redis at scrape time, so any web pod answers for the whole platform
(every worker, every Job, the reaper): the counters and histogram buckets of the telemetry
hash (``work.telemetry``; every counter series known in advance, ``known_counters``, is
written at 0 until its first increment) and the depth of each queue (``LLEN
rq:queue:<name>`` for the queues RQ knows and RQ_QUEUE). One HGETALL and one pipelined
LLEN round trip; nothing is kept in the process. While Redis is away the answer is still
200, with ``backtest_metrics_redis_up 0`` and no other figure. Open like ``/health`` and
``/ready`` (no token).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterator

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError

from kinds.registry import all_kinds
from web.telemetry import telemetry_redis
from work.queue import QUEUE_KEY_PREFIX
from work.telemetry import (
    DURATION_BUCKETS,
    HELP,
    HTTP_BUCKETS,
    HTTP_DURATION,
    METRICS_KEY,
    format_bound,
    kind_help,
    known_counters,
    parse_field,
)

logger = logging.getLogger("web.telemetry")

bp = Blueprint("telemetry", __name__)

QUEUES_KEY = "rq:queues"
"""RQ's set of the queue keys it has seen (``Queue.redis_queues_keys``)."""

QUEUE_DEPTH = "backtest_queue_depth"
REDIS_UP = "backtest_metrics_redis_up"


def help_texts() -> dict[str, str]:
    """Every metric's HELP text: the platform's own and each registered kind's."""
    return {
        **HELP,
        **{name: text for kind in all_kinds() for name, text in kind_help(kind).items()},
    }


def _bounds(name: str) -> tuple[float, ...]:
    return (*(HTTP_BUCKETS if name == HTTP_DURATION else DURATION_BUCKETS), math.inf)


def _histograms(values: dict[tuple[str, tuple], float]) -> Iterator[Metric]:
    """Cumulative histograms from the hash's per-bucket counts, every bound present (a series
    is known by its ``_count`` field; its buckets and ``_sum`` are looked up)."""
    series: dict[str, list[dict[str, str]]] = defaultdict(list)
    for name, labels in values:
        if name.endswith("_count"):
            series[name.removesuffix("_count")].append(dict(labels))
    for name, label_sets in sorted(series.items()):
        keys = sorted({key for labels in label_sets for key in labels})
        family = HistogramMetricFamily(name, help_texts().get(name, name), labels=keys)
        for labels in sorted(label_sets, key=lambda item: sorted(item.items())):
            buckets, total = [], 0.0
            for bound in _bounds(name):
                le = format_bound(bound)
                total += values.get((f"{name}_bucket", _key({**labels, "le": le})), 0.0)
                buckets.append((le, total))
            total_sum = values.get((f"{name}_sum", _key(labels)), 0.0)
            family.add_metric([labels.get(key, "") for key in keys], buckets, total_sum)
        yield family


def _key(labels: dict[str, str]) -> tuple:
    return tuple(sorted(labels.items()))


def _parsed(raw: str) -> tuple[str, tuple]:
    """A hash field as (metric name, sorted labels)."""
    name, labels = parse_field(raw)
    return name, _key(labels)


class RedisTelemetry(Collector):
    """The telemetry hash and the queue depths, read from ``client`` at each collection."""

    def __init__(self, client: Redis, queue: str) -> None:
        self.client = client
        self.queue = queue

    def _read(self) -> tuple[dict[bytes, bytes], dict[str, int]]:
        queues = {
            self.queue,
            *(
                key.decode().removeprefix(QUEUE_KEY_PREFIX)
                for key in self.client.smembers(QUEUES_KEY)
            ),
        }
        names = sorted(queues)
        pipe = self.client.pipeline(transaction=False)
        pipe.hgetall(METRICS_KEY)
        for name in names:
            pipe.llen(QUEUE_KEY_PREFIX + name)
        stored, *depths = pipe.execute()
        return stored, dict(zip(names, depths, strict=True))

    def collect(self) -> Iterator[Metric]:
        """One gauge saying whether Redis answered, then its figures."""
        try:
            stored, depths = self._read()
        except RedisError as exc:
            logger.warning("telemetry: redis unavailable: %s", exc.__class__.__name__)
            yield GaugeMetricFamily(REDIS_UP, "1 if Redis answered this scrape.", value=0)
            return
        yield GaugeMetricFamily(REDIS_UP, "1 if Redis answered this scrape.", value=1)
        depth = GaugeMetricFamily(
            QUEUE_DEPTH, "Work items waiting in each queue (LLEN at scrape time).", labels=["queue"]
        )
        for name, length in depths.items():
            depth.add_metric([name], length)
        yield depth
        counters = {_parsed(raw): 0.0 for raw in known_counters(all_kinds())}
        histograms: dict[tuple[str, tuple], float] = {}
        for raw, value in stored.items():
            name, labels = _parsed(raw.decode())
            target = counters if name.endswith("_total") else histograms
            target[(name, labels)] = float(value)
        yield from _counters(counters)
        yield from _histograms(histograms)


def _counters(values: dict[tuple[str, tuple], float]) -> Iterator[Metric]:
    by_name: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for (name, labels), value in values.items():
        by_name[name].append((dict(labels), value))
    for name, series in sorted(by_name.items()):
        keys = sorted({key for labels, _ in series for key in labels})
        family = CounterMetricFamily(name, help_texts().get(name, name), labels=keys)
        for labels, value in sorted(series, key=lambda item: sorted(item[0].items())):
            family.add_metric([labels.get(key, "") for key in keys], value)
        yield family


@bp.get("/metrics")
def export() -> ResponseReturnValue:
    """The platform's counters, histograms and queue depths in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisTelemetry(telemetry_redis(), current_app.config["RQ_QUEUE"]))
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}
