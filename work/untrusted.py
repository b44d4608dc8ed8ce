"""Job hashes are untrusted input: what every process that reads one from Redis shares.

Anybody with Redis access can write ``rq:job:<id>``. RQ's default serializer is pickle, and
loading a pickle calls whatever it names: a hash whose ``meta`` or ``data`` is a pickle
runs code in any process that fetches it without the queue's JSON serializer. So a reader
of job hashes uses:

* ``QueueJSONSerializer``: the queue's JSON serializer, refusing anything that is not UTF-8
  JSON with ``NotQueueJSON``, whose message says when the bytes are a pickle;
* ``InertJob``: a Job that resolves no name stored beside its function (no callback,
  webhook or dependency), and ``JSONOnlyJob``, an InertJob that reads with
  ``QueueJSONSerializer`` whatever serializer a caller passes (or omits: RQ's pickle);
* ``text_problem``, ``meta_problem``, ``data_problem``: what of a hash cannot be read (RQ's
  ``restore`` raises on text that is not UTF-8 without naming the field, swallows a ``meta``
  it cannot load, and loads ``data`` only when asked);
* ``unlist``: take an entry out of a queue's lists and registries without reading its hash.
"""

from __future__ import annotations

import contextlib
import pickletools
import zlib
from typing import Any

from redis.client import Pipeline
from rq import Queue
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.serializers import JSONSerializer
from rq.utils import decode_redis_hash

REGISTRIES = (
    StartedJobRegistry,
    FinishedJobRegistry,
    FailedJobRegistry,
    DeferredJobRegistry,
    ScheduledJobRegistry,
    CanceledJobRegistry,
)
"""Every registry RQ keeps per queue (``rq:<state>:<queue>`` sorted sets of job ids)."""


class NotQueueJSON(ValueError):
    """Bytes from a job hash that are not the queue's JSON: refused, never handed to pickle."""


def _looks_pickled(data: bytes) -> bool:
    """Whether ``data`` parses as a pickle (read by ``pickletools``, which executes nothing)."""
    try:
        for _ in pickletools.genops(data):
            pass
    except Exception:
        return False
    return True


class QueueJSONSerializer(JSONSerializer):
    """The queue's JSON serializer (``rq.serializers.JSONSerializer``, what every job we
    enqueue is written with) whose ``loads`` refuses anything else with ``NotQueueJSON``."""

    @staticmethod
    def loads(s: bytes, *args: Any, **kwargs: Any) -> Any:
        """The JSON value of ``s``.

        :raise NotQueueJSON: ``s`` is not UTF-8 JSON (the message says if it is a pickle).
        """
        try:
            return JSONSerializer.loads(s, *args, **kwargs)
        except (UnicodeDecodeError, ValueError, AttributeError) as exc:
            raw = s if isinstance(s, bytes) else str(s).encode()
            what = "a pickle" if _looks_pickled(raw) else f"not JSON ({exc})"
            raise NotQueueJSON(f"{what}; the queue reads JSON only") from None


class InertJob(Job):
    """An RQ job that resolves no name stored beside its function, whatever its hash says:
    no callback is imported or called, no webhook sent, no dependent queued when it ends.
    ``consumer.quarantine.problem_of_job`` refuses such a job before it runs; this class
    makes sure nothing written into its hash afterwards (while it runs, or before a registry
    cleanup fails it) is resolved either. The consumer's job class
    (``consumer.worker.RegisteredJob``), the queue of the reaper's registry cleanup and the
    operator UI's jobs (``web.pages.rq_json_only``) are one."""

    @property
    def success_callback(self) -> None:
        return None

    @property
    def failure_callback(self) -> None:
        return None

    @property
    def stopped_callback(self) -> None:
        return None

    def execute_success_callback(self, *args, **kwargs) -> None:
        return None

    def execute_failure_callback(self, *args, **kwargs) -> None:
        return None

    def execute_stopped_callback(self, *args, **kwargs) -> None:
        return None

    def send_webhooks(self, *args, **kwargs) -> None:
        return None

    @property
    def dependency(self) -> None:
        return None

    def fetch_dependencies(self, *args, **kwargs) -> list:
        return []


class JSONOnlyJob(InertJob):
    """An ``InertJob`` whose serializer is ``QueueJSONSerializer`` whatever ``Job(...)``,
    ``Job.fetch`` or a queue passes it: a caller that omits the serializer (RQ then picks
    pickle) still reads JSON only."""

    @property
    def serializer(self) -> type[QueueJSONSerializer]:
        return QueueJSONSerializer

    @serializer.setter
    def serializer(self, _: Any) -> None:
        """Ignored: the serializer is not the caller's to choose."""


def _reason(part: str, exc: BaseException) -> str:
    cause = exc.__cause__ or exc  # RQ wraps a data error in an empty DeserializationError
    return f"job {part} cannot be deserialised ({type(cause).__name__}: {str(cause)[:200]})"


SERIALIZED_FIELDS = frozenset({"data", "meta", "result"})
"""Job hash fields RQ loads with the serializer; it reads the others as text (``exc_info``
zlib-compressed or not)."""


def text_problem(raw: dict) -> str | None:
    """The first field of the job hash ``raw`` that RQ reads as text and is not UTF-8 text;
    None when there is none."""
    for field, value in sorted(decode_redis_hash(raw).items()):
        if field in SERIALIZED_FIELDS or not isinstance(value, bytes):
            continue
        with contextlib.suppress(zlib.error):
            value = zlib.decompress(value)
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return f"job field {field} is not UTF-8 text"
    return None


def meta_problem(job: Job, raw: dict) -> str | None:
    """Why the ``meta`` of the job hash ``raw`` (as HGETALL returns it) cannot be loaded with
    ``job``'s serializer; None when it can or there is none. RQ's ``restore`` puts such a
    meta aside as ``{"unserialized": <bytes>}`` instead of raising."""
    meta = decode_redis_hash(raw).get("meta")
    if not meta:
        return None
    try:
        job.serializer.loads(meta)
    except Exception as exc:
        return _reason("meta", exc)
    return None


def data_problem(job: Job) -> str | None:
    """Why the data (function and arguments) of a restored ``job`` cannot be deserialised;
    None when they can. Resolves no name."""
    try:
        _ = job.func_name  # deserialises the data
    except Exception as exc:
        return _reason("data", exc)
    return None


def unlist(pipe: Pipeline, queue: Queue, entry: str, job_id: str) -> None:
    """Queue on ``pipe`` the removal of ``entry`` (an id as stored; ``job_id`` the id it
    names) from ``queue``'s list, its intermediate list and every registry of it."""
    pipe.lrem(queue.key, 0, entry)
    pipe.lrem(queue.intermediate_queue_key, 0, entry)
    for registry in REGISTRIES:
        pipe.zrem(registry(queue.name, connection=queue.connection).key, entry, job_id)
