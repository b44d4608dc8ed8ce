"""rq-dashboard reads every job hash as the queue writes it, JSON, and unpickles nothing.

rq-dashboard 0.9 fetches jobs without a serializer on its job page, its delete and its
requeues (``Job.fetch(job_id, connection=...)``, ``rq.requeue_job``), and RQ's default is
pickle: a job hash whose ``meta`` was a pickle ran its callable in the web process when an
admin opened the job or pressed Requeue or Delete. ``bind_json_only`` replaces every class
rq_dashboard.web builds jobs, queues, registries and workers from (``BOUND``) by one whose
serializer is ``work.untrusted.QueueJSONSerializer`` and whose job class is ``OperatorJob``
whatever rq-dashboard passes, and its ``requeue_job`` by one that fetches an
``OperatorJob``: no route of it can load a pickle.

A job whose hash cannot be read so (a pickle or other non-JSON ``meta`` or ``data``, bytes
that are not UTF-8 text where RQ expects text, a result it cannot decode) is an
``OperatorJob`` marked unreadable: its status reads ``unreadable``, its description
``unreadable: <what and why>``, so its page, its row in a listing and a worker busy on it
show it (200); Requeue refuses it (409, ``UnreadableJob``), Requeue all skips it and names
it (``requeue_readable``), Delete and emptying its registry remove it without reading more
of it (``work.untrusted.unlist``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, jsonify
from redis import Redis
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.group import Group
from rq.job import validate_job_id
from rq.results import Result

from work.untrusted import (
    REGISTRIES,
    JSONOnlyJob,
    QueueJSONSerializer,
    data_problem,
    meta_problem,
    text_problem,
    unlist,
)

logger = logging.getLogger("web.pages.rq_json_only")

UNREADABLE = "unreadable"
"""The status an unreadable job shows, and the first word of its description."""


class UnreadableJob(InvalidJobOperation):
    """An operation that needs a job's contents, on a job whose hash cannot be read."""


def _valid_id(member: bytes) -> bool:
    """Whether ``member`` is a job id RQ accepts (text of letters, digits, ``_`` and ``-``)."""
    try:
        validate_job_id(member.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


class OperatorJob(JSONOnlyJob):
    """The job rq-dashboard shows: read with the queue's JSON serializer only, resolving no
    stored name (``JSONOnlyJob``), and marked ``unreadable`` (the reason) instead of raising
    when its hash cannot be read."""

    unreadable: str | None = None

    def restore(self, raw_data: Any) -> None:
        """RQ's restore, then what of the hash could not be deserialised; a failure of
        either marks the job unreadable."""
        try:
            super().restore(raw_data)
        except NoSuchJobError:
            self._mark_unreadable("job hash has no data")
            return
        except Exception as exc:
            problem = text_problem(raw_data) or f"job hash cannot be read ({exc!r})"
            self._mark_unreadable(problem)
            return
        problem = meta_problem(self, raw_data) or data_problem(self)
        if problem is not None:
            self._mark_unreadable(problem)

    def _mark_unreadable(self, reason: str) -> None:
        """Show the job as unreadable for ``reason``: nothing of it is loaded later."""
        self.unreadable = reason[:300]
        self.description = f"{UNREADABLE}: {self.unreadable}"
        self.meta = {UNREADABLE: self.unreadable}
        self._func_name, self._instance, self._args, self._kwargs = UNREADABLE, None, (), {}

    def get_status(self, refresh: bool = True) -> Any:
        """The job's status; ``unreadable`` for an unreadable job."""
        if self.unreadable is None:
            try:
                return super().get_status(refresh)
            except (ValueError, InvalidJobOperation) as exc:  # none, or one RQ does not know
                self._mark_unreadable(f"job status cannot be read ({exc})")
        return UNREADABLE

    def get_meta(self, refresh: bool = True) -> dict:
        """The job's meta as restored (``restore`` checked it can be read)."""
        return self.meta

    def latest_result(self, timeout: int = 0) -> Result | None:
        """The job's latest result; None, and the job marked unreadable, when the result
        cannot be read."""
        if self.unreadable is not None:
            return None
        try:
            return super().latest_result(timeout)
        except Exception as exc:
            self._mark_unreadable(f"job result cannot be read ({type(exc).__name__}: {exc})")
            return None

    @property
    def dependency_ids(self) -> list[bytes]:  # type: ignore[override]
        """The ids of the job's dependencies set that RQ accepts, as Redis stores them:
        rq-dashboard 0.9 decodes each (RQ 2 decodes them already: its job data answered 500
        for a job with dependencies; we never write any)."""
        return [
            member
            for member in self.connection.smembers(self.dependencies_key)
            if _valid_id(member)
        ]

    def requeue(self, at_front: bool = False) -> Any:
        """RQ's requeue of a failed job.

        :raise UnreadableJob: the job cannot be read (delete it instead).
        """
        if self.unreadable is not None:
            raise UnreadableJob(f"it cannot be read ({self.unreadable}); delete it instead")
        return super().requeue(at_front=at_front)

    def delete(self, pipeline: Any = None, remove_from_queue: bool = True, **kwargs: Any) -> None:
        """Take the job out of every list and registry of its queue, whatever its status says
        (RQ's delete leaves it in every registry but the one its status names), and delete
        its hash and dependency sets. A readable job goes through RQ's delete first (its
        executions, its group); an unreadable one does not (nothing more of it is read), and
        without a readable origin it leaves every known queue."""
        if self.unreadable is None:
            if self.group_id and not self.connection.exists(Group.get_key(self.group_id)):
                self.group_id = None  # we write no group; RQ's delete raises on a missing one
            super().delete(pipeline=pipeline, remove_from_queue=remove_from_queue, **kwargs)
        names = [self.origin] if self.origin else [q.name for q in JSONQueue.all(self.connection)]
        with self.connection.pipeline() as pipe:
            for name in names:
                unlist(pipe, JSONQueue(name, connection=self.connection), self.id, self.id)
            pipe.delete(self.key, self.dependents_key, self.dependencies_key)
            pipe.execute()
        if self.unreadable is not None:
            logger.warning("deleted unreadable job %s (%s)", self.id, self.unreadable)


class _JSONOnly:
    """Mixin of RQ's queue, registry and worker classes: serializer and job class fixed,
    whatever a caller passes (``QueueJSONSerializer``, ``OperatorJob``)."""

    @property
    def serializer(self) -> type[QueueJSONSerializer]:
        return QueueJSONSerializer

    @serializer.setter
    def serializer(self, _: Any) -> None:
        """Ignored: the serializer is not the caller's to choose."""

    @property
    def job_class(self) -> type[OperatorJob]:
        return OperatorJob

    @job_class.setter
    def job_class(self, _: Any) -> None:
        """Ignored: the job class is not the caller's to choose."""


class JSONQueue(_JSONOnly, Queue):
    """RQ's Queue reading jobs as ``OperatorJob`` with the queue's JSON serializer."""


class JSONWorker(_JSONOnly, Worker):
    """RQ's Worker whose current job is an ``OperatorJob`` read with the JSON serializer
    (rq-dashboard's workers view calls ``Worker.all()`` without one)."""


JSON_REGISTRIES: dict[str, type] = {
    registry.__name__: type(
        registry.__name__,
        (_JSONOnly, registry),
        {"__doc__": f"RQ's {registry.__name__} reading OperatorJobs with the JSON serializer."},
    )
    for registry in REGISTRIES
}
"""Each of RQ's registries, by name, bound to the JSON serializer and ``OperatorJob``."""


def requeue_job(job_id: str, connection: Redis, serializer: Any = None) -> Any:
    """``rq.requeue_job`` on an ``OperatorJob`` (``serializer`` is ignored).

    :raise NoSuchJobError: no such job.
    :raise InvalidJobOperation: the job is not failed (``UnreadableJob``: cannot be read).
    """
    return OperatorJob.fetch(job_id, connection=connection).requeue()


BOUND: dict[str, Any] = {
    "Job": OperatorJob,
    "Queue": JSONQueue,
    "Worker": JSONWorker,
    **JSON_REGISTRIES,
    "requeue_job": requeue_job,
}
"""rq_dashboard.web's names (0.9) that build or fetch jobs, and what replaces each."""


def bind_json_only(rqd_web: Any) -> None:
    """Replace in the module ``rq_dashboard.web`` every name of ``BOUND`` and its configured
    serializer. Raises if a name is missing: another rq-dashboard must be read again before
    it is mounted."""
    for name, replacement in BOUND.items():
        if not hasattr(rqd_web, name):
            raise RuntimeError(f"rq_dashboard.web has no {name}: check how it reads jobs")
        setattr(rqd_web, name, replacement)
    rqd_web.config.serializer = QueueJSONSerializer


def requeue_readable(queue_name: str) -> Any:
    """Requeue every failed job of ``queue_name`` that can be read (rq-dashboard's "Requeue
    all", which stopped at the first job it could not requeue): ``count`` requeued, and the
    ids of the unreadable ones left failed under ``unreadable`` when there are any."""
    connection = current_app.redis_conn
    registry = JSON_REGISTRIES["FailedJobRegistry"](queue_name, connection=connection)
    count, unreadable = 0, []
    for job_id in registry.get_job_ids(cleanup=False):
        try:
            requeue_job(job_id, connection)
        except UnreadableJob:
            unreadable.append(job_id)
            continue
        except (NoSuchJobError, InvalidJobOperation):
            continue  # expired, or requeued meanwhile
        count += 1
    body: dict[str, Any] = {"status": "OK", "count": count}
    if unreadable:
        body["unreadable"] = unreadable
    return jsonify(body), {"Cache-Control": "no-store"}
