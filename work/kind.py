"""The work-item protocol: what a kind of queued work (runs, sweep chunks, …) declares so the
generic skeleton (``work.lifecycle``), the consumer (``consumer.worker``) and the reaper
(``consumer.reaper``) can handle it without knowing it.

A kind is one ``WorkKind`` value in its own package, registered once in ``kinds.registry``.
Every store callable takes a database handle and does NOT commit: the caller owns the
transaction. The Job's callables (transitions, ``get``, ``Execution.store``) run plain SQL
on a ``store.dbapi.Tx`` — the Job's own connection, or an SQLAlchemy session in the web and
the reaper — so a Job imports no SQLAlchemy; the reaper's list (``in_status``) takes a
session. Transitions are guarded and forward only (``work.status``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

from work.errors import RequestError
from work.status import FINISHED, RunStatus
from work.transitions import ItemTable, StoredItem, beat_item, fail_item, start_item, stored_item

if TYPE_CHECKING:  # pragma: no cover - hints only: a Job imports neither SQLAlchemy's ORM nor
    from rq import Queue  # RQ's queue before it needs them
    from rq.job import Job

    from config.process import Variable
    from store.dbapi import Database, Tx


class WorkFailed(Exception):
    """Raised by a kind's ``compute`` for an item that cannot succeed; ``message`` is
    user-safe and is stored as the item's error (the item ends FAILED)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Claim:
    """A delivery being started: the item's id, who runs it (pod:pid) and when the consumer
    took it (``time.time()`` right after the claim file was touched)."""

    item_id: str
    worker: str
    claimed_at: float


class Execution(Protocol):
    """What a kind's ``compute`` returns: an item computed and ready to be stored."""

    def store(self, tx: Tx) -> bool:
        """Write the outcome inside the caller's transaction, its first statement the
        guarded RUNNING → SUCCEEDED UPDATE; False (and nothing written) when the item was
        no longer RUNNING."""
        ...

    def summary(self, elapsed_ms: float) -> str:
        """The log line of a stored success (``elapsed_ms``: compute start to stored)."""
        ...


@dataclass(frozen=True)
class Stuck:
    """A row the reaper looks at (``WorkKind.stuck``): its id, how many deliveries started
    it, and its stored message."""

    item_id: str
    attempts: int
    message_json: str


@dataclass(frozen=True, eq=False)
class WorkKind:
    """One kind of queued work item: every fact the shared machinery needs about it.

    **Identity.** ``name`` ("run", "sweep chunk"…) is what logs and telemetry call it;
    ``function`` is the dotted name every queued message of it carries (RQ's ``func_name``;
    the consumer resolves it through the registry, ``kinds.registry``, never by importing
    it), ``aliases`` older names still meaning this kind.

    **Its row.** ``items`` (a ``work.transitions.ItemTable``; read as ``table``,
    ``id_field`` and ``message_column``): ``table`` holds one row per item, keyed by
    ``id_field`` (also the message's id field, the RQ job id and the row's primary key),
    with the work-item columns every kind's table has (``status``, ``attempts``, ``worker``,
    ``queue``, ``created_at``, ``started_at``, ``completed_at``, ``heartbeat_at``,
    ``error_message``) and its stored message in ``message_column``. The database, not the
    queue, decides what runs: the skeleton computes the row's stored message, never the
    queued payload.

    **Its queue.** ``queue`` None: the shared queue (RQ_QUEUE); a suffix such as
    ``"sweeps"``: a queue of its own, RQ_QUEUE + ``-sweeps`` unless ``queue_env`` (default
    ``<SUFFIX>_QUEUE``) names it (``work.connection.kind_queue_name``), watched by a
    ScaledJob of its own (keda/).

    **Its transitions** (guarded, forward only, none committing; ``handle`` a
    ``store.dbapi.Tx`` or a session) default to the work-item protocol over ``table``
    (``work.transitions``): ``mark_running(handle, claim)`` PENDING/RUNNING → RUNNING;
    ``mark_failed(handle, item_id, message, *, expected=…)`` → FAILED with a user-safe
    message (the failure recorder of the consumer and the reaper); ``get(handle, item_id)``
    the row's ``StoredItem`` or None. A kind passes its own only where it stores more (a
    chunk's start-up time). ``fail_execution`` records a failed ``compute`` (default
    ``mark_failed``).

    **Its work.** ``compute(claim, message)`` runs outside any transaction and returns an
    ``Execution``; it raises ``runs.contract.RequestError`` or ``WorkFailed`` for an item
    that cannot succeed (stored FAILED with that message), anything else for a bug (stored
    FAILED with ``work.lifecycle.INTERNAL_ERROR``). ``finished(database, claim, message)``
    (optional) runs after the outcome (SUCCEEDED or FAILED) was committed: follow-up work,
    idempotent (the reaper is its backstop); what it raises is logged, never stored.

    **Its liveness.** ``heartbeat(handle, item_id, worker)`` stamps ``heartbeat_at`` on a row
    RUNNING under ``worker``: the consumer's parent beats every item of every kind the same
    way, and the reaper leaves a row whose beat is fresh alone.

    **The reaper** lists rows stuck in a status (``stuck``: plain SQL over ``table``, minus
    RUNNING rows with a fresh heartbeat; a PENDING row also meets ``pending_ready``, an SQL
    condition on the row, e.g. "its training sweep has finished") and queues a row's stored
    message again (``requeue_message`` checks and normalises it first; it raises
    ``RequestError``/``ValueError`` for a message that can no longer run, and the row is
    FAILED).

    **Retention and local runs** (optional): ``expire(session, cutoff, limit)`` deletes at
    most ``limit`` finished, unpinned items created before ``cutoff`` and returns how many
    (``python -m consumer.retention``); ``run_locally(message)`` executes a message with no
    queue and no database and returns its result JSON (``python -m consumer --request``),
    raising ``RequestError`` for a message that cannot run.

    **Its submissions and telemetry.** ``resource`` is the plural name of what users submit
    that queues items of this kind (``runs``, ``sweeps``; None for items queued only by other
    work): its API lives at ``/api/<resource>`` and its submissions count against the web's
    rate-limit ``budget``. ``blueprints`` are the modules whose ``bp`` the web registers for
    it (default, for a kind with a ``resource`` and no ``request`` model: ``web.api.<resource>``
    and ``web.pages.<resource>``). ``telemetry`` maps each Prometheus metric of its own (beyond the
    ``<stem>s_finished_total`` and ``<stem>_duration_seconds`` every kind has,
    ``work.telemetry``) to its HELP text; ``telemetry_labels`` gives, for a counter of it
    that has labels, each label's values known in advance (the exporter writes every such
    series at 0 before its first increment: a ``_total`` of ``telemetry`` it does not name
    is unlabelled, and the finished counter's ``status`` defaults to
    ``work.telemetry.JOB_OUTCOMES``). ``settings`` are its own environment variables
    (``config.process.Variable``, declared in its package), which the web puts into its
    config by name. ``describe(payload)`` is the RQ job's description (default: the kind's
    ``name`` and the item's id, "study batch <batch_id>"). ``client_limit``
    (one of its ``settings``, optional) is the most items of this kind one client may have
    waiting on its queue: a submission past it is refused before anything is recorded
    (``web.submit``, ``work.fair``).

    **Its contract with users** (optional; docs/work-kinds.md). ``noun`` is the singular of
    ``resource`` ("run", "sweep"): its request's JSON Schema is ``GET /api/schema/<noun>`` and
    its checks without submitting ``POST /api/schema/<noun>/validate``; ``resource_id`` the
    field naming a submitted thing in answers and URLs (default ``<noun>_id``, else
    ``id_field``: a sweep is named by ``sweep_id``, its chunks by ``chunk_id``). ``schema`` and
    ``validate`` are the ``module:attribute`` of the functions behind those two routes (``() ->
    dict``; ``(body) -> object`` raising ``RequestError`` or a 400 ``ApiError``), named as text
    so a Job never imports the web (``validate`` defaults to
    ``web.api.<resource>:check_request`` for a kind with a ``noun`` and no ``request`` model). A
    kind whose ``request`` names its pydantic request model (``module:attribute``, a Job never
    loads it) gets its whole API from this declaration (``web.kind_rows``, ``web.api.kind``):
    ``POST /api/<resource>`` (validate, record PENDING owned by the caller, queue), ``GET
    /api/<resource>`` (the viewer's own and shared items), ``GET /api/<resource>/<id>`` (its
    status, request and the ``result_columns`` of its row; another user's is a 404), ``PATCH
    /api/<resource>/<id>`` (``{"shared": bool}``), the schema and validation routes from the
    model, and with a ``page`` (``module:attribute`` of a Jinja template's text extending
    ``dashboard/base.html``) the page ``/<resource>`` listing them, linked in the navigation bar
    as ``label`` (default the resource, capitalised). Its table then also has ``created_by`` and
    ``shared`` (``store.work_item_columns.kind_table_columns``).

    **How searches vary it** (optional): ``search`` is the ``module:attribute`` of its
    ``work.search.Search`` (an instance of its subclass, whose methods are the hooks: its
    parameter space from a base request, the request of one point, its evaluator); sweeps
    and walk-forwards over a base of this kind use it (``work.search.search_of``).
    """

    name: str
    function: str
    items: ItemTable
    compute: Callable[[Claim, dict[str, Any]], Execution]
    describe: Callable[[dict[str, Any]], str] = None  # type: ignore[assignment]
    queue: str | None = None
    queue_env: str | None = None
    aliases: tuple[str, ...] = ()
    mark_running: Callable[[Tx, Claim], bool] = None  # type: ignore[assignment]
    mark_failed: Callable[..., bool] = None  # type: ignore[assignment]
    get: Callable[[Tx, str], StoredItem | None] = None  # type: ignore[assignment]
    fail_execution: Callable[[Tx, str, str], bool] | None = None
    finished: Callable[[Database, Claim, dict[str, Any]], None] | None = None
    requeue_message: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    pending_ready: str | None = None
    expire: Callable[[Any, datetime, int], int] | None = None
    run_locally: Callable[[dict[str, Any]], str] | None = None
    resource: str | None = None
    budget: str = "submissions"
    blueprints: tuple[str, ...] = None  # type: ignore[assignment]
    telemetry: Mapping[str, str] = field(default_factory=dict)
    telemetry_labels: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    settings: tuple[Variable, ...] = ()
    client_limit: Variable[int] | None = None
    noun: str | None = None
    resource_id: str | None = None
    schema: str | None = None
    validate: str | None = None
    request: str | None = None
    result_columns: tuple[str, ...] = ()
    page: str | None = None
    label: str | None = None
    search: str | None = None

    def __post_init__(self) -> None:
        """Fill the transitions a kind left out with the protocol's, over its table (and its
        description with its name and id)."""
        defaults = {
            "describe": self._description,
            "mark_running": self._start,
            "mark_failed": self._fail,
            "get": self._stored,
        }
        for name, default in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        if self.resource is not None and self.request is None:
            self._own_web_modules()
        if self.blueprints is None:
            object.__setattr__(self, "blueprints", ())

    def _own_web_modules(self) -> None:
        """A kind with its own web code (no ``request`` model) keeps it where its resource
        says unless it names other modules: ``web.api.<resource>`` and
        ``web.pages.<resource>`` are its blueprints, ``check_request`` in the first its
        submission checks."""
        api = f"web.api.{self.resource}"
        if self.blueprints is None:
            object.__setattr__(self, "blueprints", (api, f"web.pages.{self.resource}"))
        if self.validate is None and self.noun is not None:
            object.__setattr__(self, "validate", f"{api}:check_request")

    def _description(self, payload: dict[str, Any]) -> str:
        return f"{self.name} {payload[self.id_field]}"

    def _start(self, handle: Tx, claim: Claim) -> bool:
        return start_item(handle, self.table, self.id_field, claim.item_id, claim.worker)

    def _fail(self, handle: Tx, item_id: str, message: str, **expected: Any) -> bool:
        return fail_item(handle, self.table, self.id_field, item_id, message, **expected)

    def _stored(self, handle: Tx, item_id: str) -> StoredItem | None:
        return stored_item(handle, self.table, self.id_field, item_id, self.message_column)

    def part(self, declared: str | None) -> Any:
        """The object a ``module:attribute`` text of this kind names (``schema``,
        ``validate``, ``request``, ``page``), imported now; None for None."""
        if declared is None:
            return None
        module, _, attribute = declared.partition(":")
        return getattr(import_module(module), attribute)

    @property
    def table(self) -> str:
        """Its table's name (``items``)."""
        return self.items.name

    @property
    def id_field(self) -> str:
        """Its table's key column, also its messages' id field (``items``)."""
        return self.items.id_field

    @property
    def message_column(self) -> str:
        """The column of its row holding the stored message (``items``)."""
        return self.items.message_column

    @property
    def submitted_id(self) -> str:
        """The field naming a submitted thing of this kind (``resource_id``, else
        ``<noun>_id``, else ``id_field``)."""
        if self.resource_id is not None:
            return self.resource_id
        return self.id_field if self.noun is None else f"{self.noun}_id"

    @property
    def nav_label(self) -> str:
        """Its page's entry in the navigation bar (``label``, else the resource capitalised)."""
        return self.label or (self.resource or self.name).capitalize()

    @property
    def functions(self) -> tuple[str, ...]:
        """Every dotted name whose queued messages are items of this kind."""
        return (self.function, *self.aliases)

    @property
    def queue_variable(self) -> str | None:
        """The environment variable naming its own queue (``queue_env``, default
        ``<QUEUE>_QUEUE``); None for a kind on the shared queue."""
        if self.queue is None:
            return None
        return self.queue_env or f"{self.queue.upper()}_QUEUE"

    @property
    def stem(self) -> str:
        """Its telemetry stem, a valid Prometheus name: "sweep chunk" →
        ``backtest_sweep_chunk``, "walk-forward fold" → ``backtest_walk_forward_fold`` (the
        name the exporter has always written for it)."""
        return "backtest_" + self.name.replace(" ", "_").replace("-", "_")

    def item_id(self, payload: object) -> str:
        """The item id a message names ("" when it names none)."""
        return str(payload.get(self.id_field, "")) if isinstance(payload, dict) else ""

    def key(self, row: Stuck) -> str:
        """The item id of a row the reaper listed."""
        return row.item_id

    def heartbeat(self, handle: Tx, item_id: str, worker: str) -> bool:
        """Mark the item alive under ``worker`` (``work.transitions.beat_item``), the same
        for every kind: the consumer's parent process calls it while the item computes."""
        return beat_item(handle, self.table, self.id_field, item_id, worker)

    def record_failure(self, handle: Tx, item_id: str, message: str) -> bool:
        """Store an execution failure (``fail_execution``, else ``mark_failed``)."""
        fail = self.fail_execution or self.mark_failed
        return fail(handle, item_id, message)

    def enqueue(self, queue: Queue, payload: dict[str, Any]) -> Job:
        """Push one item's message with the queue's one policy (``work.queue``)."""
        from work.queue import enqueue_message

        return enqueue_message(
            queue, self.function, payload, self.item_id(payload), self.describe(payload)
        )

    def stuck(
        self,
        session: Any,
        status: RunStatus,
        *,
        queue: str,
        older_than: datetime,
        beating_since: datetime | None = None,
    ) -> list[Stuck]:
        """Rows of ``queue`` in ``status`` since before ``older_than`` (started, RUNNING;
        else created), oldest first, at most ``STUCK_LIMIT`` (the reaper's list; the next
        pass takes the rest). With ``beating_since``, a row whose consumer beat since then
        (``heartbeat_at``: it is alive, whatever Redis says) is not stuck."""
        from store.dbapi import as_tx

        since = "started_at" if status == RunStatus.RUNNING else "created_at"
        ready = f" AND ({self.pending_ready})" if self.pending_ready and status == "PENDING" else ""
        params: list[Any] = [queue, status, older_than]
        if beating_since is not None:
            ready += " AND (heartbeat_at IS NULL OR heartbeat_at < ?)"
            params.append(beating_since)
        rows = as_tx(session).fetchall(
            f"SELECT {self.id_field}, attempts, {self.message_column} FROM {self.table} "
            f"WHERE queue = ? AND status = ? AND {since} < ?{ready} "
            f"ORDER BY {since} LIMIT {STUCK_LIMIT}",
            params,
        )
        return [Stuck(str(item), int(attempts or 0), message) for item, attempts, message in rows]

    def requeue(self, queue: Queue, row: Stuck) -> Job:
        """Queue a listed row's stored message again (checked by ``requeue_message``)."""
        message = json.loads(row.message_json)
        if self.requeue_message is not None:
            message = self.requeue_message(message)
        return self.enqueue(queue, message)


STUCK_LIMIT = 500
"""Rows of one kind, queue and status the reaper looks at in one pass."""


REQUEUED = "requeued"
"""``requeue_waiting``: the item's stored message was queued again."""
NOT_WAITING = "not waiting"
"""``requeue_waiting``: the item is unknown, finished or cancelled; nothing queued."""
ALREADY_QUEUED = "already queued"
"""``requeue_waiting``: a job with the item's id exists (queued or running); nothing queued."""
INVALID = "invalid"
"""``requeue_waiting``: the stored message can no longer run; the item was FAILED."""

INVALID_MESSAGE = "stored request is invalid: {}"


def requeue_waiting(
    kind: WorkKind,
    queue: Queue,
    transaction: Callable[[], AbstractContextManager[Any]],
    item_id: str,
    row: Stuck | None = None,
) -> str:
    """Queue an item's stored message again if it is still PENDING or RUNNING: the one
    recovery of the reaper (a listed ``row``) and of a consumer that refused an entry
    naming the item (the row read here). ``transaction()`` opens one transaction and yields
    a handle (a session or a ``Tx``). Returns ``REQUEUED``, ``NOT_WAITING`` (a user may
    have cancelled it since it was listed), ``ALREADY_QUEUED`` (``DuplicateJobError``) or
    ``INVALID`` (``requeue_message`` refused it: the item is FAILED)."""
    from rq.exceptions import DuplicateJobError

    with transaction() as handle:
        item = kind.get(handle, item_id)
    if item is None or item.status in FINISHED:
        return NOT_WAITING
    try:
        kind.requeue(queue, row or Stuck(item_id, item.attempts, item.message_json))
    except DuplicateJobError:
        return ALREADY_QUEUED
    except (RequestError, ValueError) as exc:
        with transaction() as handle:
            kind.mark_failed(handle, item_id, INVALID_MESSAGE.format(exc))
        return INVALID
    return REQUEUED
