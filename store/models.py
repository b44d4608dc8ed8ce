"""Database tables, one SQLAlchemy ``Base``: ``backtest_results`` (one row per run),
``strategy_presets``, ``api_tokens`` (the hashed API tokens of AUTH_MODE=token), and the
sweep tables ``sweeps`` (one row per sweep), ``sweep_chunks``
(one per queued chunk, the unit of work and of status) and ``sweep_results`` (one row per
combination, keyed by (sweep_id, combo_no) so a chunk can never store a combination twice),
and the walk-forward tables ``walkforwards`` (one row per walk-forward) and
``walkforward_folds`` (one per fold: the unit of work and of status of its selection and
out-of-sample run; each fold's training is a sweep of its own), ``portfolios`` (one row per
portfolio backtest, its unit of work), and the study tables ``studies`` (one row per
optimisation study), ``study_batches`` (one per queued batch of trials: the unit of work and
of status) and ``study_trials`` (one per trial, keyed by (study_id, number) so a trial is
never stored twice)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import (
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column, relationship

from metrics import PORTFOLIO_LIST_METRICS, SWEEP_METRICS, MetricDef
from store import work_item_columns
from store.clock import utcnow  # noqa: F401  (re-exported: the models' one clock)
from store.work_item_columns import UtcDateTime

LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
"""Result JSON with charts runs to megabytes; MySQL's TEXT stops at 64 KiB."""

LongBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
"""Packed arrays (a sweep chunk's block statistics, its Sharpe ratios on the grid); MySQL's
BLOB stops at 64 KiB."""


timestamp = Annotated[datetime, mapped_column(UtcDateTime)]
optional_timestamp = Annotated[datetime | None, mapped_column(UtcDateTime)]
work_unit_id = Annotated[str, mapped_column(String(48), primary_key=True)]
"""The id of one unit of an item's work, ``<item id>-<letter><number>`` (a sweep's chunk, a
walk-forward's fold, a study's batch): also its RQ job id."""

TOKEN_NAME_MAX = 100
"""Longest API token name; runs, sweeps and presets record it in ``created_by``."""

created_by = Annotated[str | None, mapped_column(String(TOKEN_NAME_MAX))]
"""The name of the API token that created a row (NULL in AUTH_MODE=none, and for rows older
than the column): its owner in AUTH_MODE=token (``web.ownership``)."""

shared = Annotated[bool, mapped_column(Boolean, default=False, server_default=false())]
"""Whether the owner shared the row read-only with every signed-in user (``web.ownership``;
false for rows older than the column)."""


def parent_id(parent: str, constraint: str, primary_key: bool = False) -> MappedColumn[str]:
    """A row's reference to the item it belongs to (``parent``: "table.column", an id of 36
    characters), deleted with it (ON DELETE CASCADE, the foreign key named ``constraint``)."""
    return mapped_column(
        String(36),
        ForeignKey(parent, ondelete="CASCADE", name=constraint),
        primary_key=primary_key,
    )


class Base(DeclarativeBase):
    pass


_WorkItemColumnsAsCreated = type(
    "_WorkItemColumnsAsCreated", (), work_item_columns.mapped_columns()
)
"""The work-item columns as the tables were created with them, mapped from their one
description (``store.work_item_columns``, which the migrations creating the tables use)."""


class WorkItemColumns(_WorkItemColumnsAsCreated):
    """The columns every kind's work-item table has, which the work-item protocol reads and
    writes (``work.transitions``, ``work.kind.WorkKind.stuck``): its status and queue, its
    error, how many deliveries started it, who runs it, and when it was created, started and
    finished, and when the consumer running it last beat (``heartbeat_at``: the liveness
    the reaper trusts, ``work.transitions.beat_item``). Each table adds its id and its
    message. A work-item column added later (by a migration of its own) is described in
    ``store.work_item_columns.ADDED_COLUMNS`` and mapped here with the others."""


class Attribution:
    """The columns that say who created a submitted item (``created_by``), with which image
    (``image_tag``, the IMAGE_TAG of the process that took it), and whether its owner shares
    it read-only (``shared``; ``web.ownership`` reads both): every kind's item table has them."""

    image_tag: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[created_by]
    shared: Mapped[shared]


class BacktestRun(WorkItemColumns, Attribution, Base):
    """One backtest run: its request, status, timestamps and (when finished) its result
    and its result cache key (``cached_from``: the run it was served from, if any);
    and its labels (``name``, ``tags`` as a JSON list, ``notes``) and ``pinned`` (kept by
    the retention clean-up), which users edit and which never affect the result."""

    __tablename__ = "backtest_results"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticker: Mapped[str] = mapped_column(String(32))
    rule_type: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(128))
    params_json: Mapped[str] = mapped_column(Text)
    request_json: Mapped[str] = mapped_column(Text)
    queue = work_item_columns.mapped_columns(queue_default="backtests")["queue"]
    metrics_json: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(LongText)
    data_hash: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cache_key: Mapped[str | None] = mapped_column(String(64))
    """``kinds.runs.cache.cache_key`` of a SUCCEEDED run (set with its result), else NULL."""
    cached_from: Mapped[str | None] = mapped_column(String(36))
    """The run whose result a run served from the cache copied (NULL: a Job computed it)."""

    __table_args__ = (
        Index("ix_runs_created", "created_at"),
        Index("ix_runs_cache_key", "cache_key"),
        Index("ix_runs_status_created", "status", "created_at"),
        Index("ix_runs_ticker_created", "ticker", "created_at"),
        Index("ix_runs_rule_created", "rule_type", "created_at"),
        Index("ix_runs_queue_status", "queue", "status"),
    )

    def __repr__(self) -> str:
        return f"BacktestRun(run_id={self.run_id!r}, status={self.status!r})"


PresetName = String(100).with_variant(
    mysql.VARCHAR(100, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)
"""Preset names compare as exact text (code points; the web stores them NFC-normalised):
"DUP" and "dup", "résumé" and "resume", two different emoji are different names. SQLite's
default BINARY collation does the same; MySQL's default would call them equal."""


class StrategyPreset(Base):
    """A named set of form values (parameters only, never trading logic) of one ``kind``
    of work. Names are unique
    per owner: ``owner_key`` is ``created_by``, or "" for a row without one (AUTH_MODE=none:
    one namespace), so another user's preset never makes a name taken (a 409 would tell it
    exists)."""

    __tablename__ = "strategy_presets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(PresetName)
    payload_json: Mapped[str] = mapped_column(Text)
    created_by: Mapped[created_by]
    owner_key: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX), default="", server_default="")
    shared: Mapped[shared]
    created_at: Mapped[timestamp]
    kind: Mapped[str] = mapped_column(String(16), default="run", server_default="run")
    """What ``payload_json`` holds: ``run`` (a run form's values), ``portfolio`` (a
    portfolio request), ``study`` (a study request) or ``walkforward`` (a walk-forward
    request): ``web.api.presets.PRESET_KINDS``."""

    __table_args__ = (Index("ix_presets_owner_name", "owner_key", "name", unique=True),)

    def __repr__(self) -> str:
        return f"StrategyPreset(id={self.id!r}, name={self.name!r})"


class ApiToken(Base):
    """An API token of AUTH_MODE=token: its unique name and the SHA-256 hex digest of its
    secret (the secret itself is shown once, when created, and never stored), and its
    ``scope`` (``store.tokens.SCOPES``: "user" sees its own rows and shared ones, "admin"
    sees and manages every row). A revoked
    token keeps its row (``revoked_at`` set) so its name stays taken and the rows it
    created stay attributable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16), default="user", server_default="user")
    created_at: Mapped[timestamp]
    revoked_at: Mapped[optional_timestamp]

    def __repr__(self) -> str:
        return f"ApiToken(id={self.id!r}, name={self.name!r})"


# Parameter sweeps: a sweep has no status column; its status and progress are derived
# from its chunks (kinds.sweeps.store.sweep_states). Chunk states are RunStatus, forward only.
Metric = Double()
"""A metric: an IEEE double (MySQL DOUBLE), stored and read back exactly; NULL where
undefined."""


class Sweep(Attribution, Base):
    """One parameter sweep: its normalised request and how it was cut into chunks."""

    __tablename__ = "sweeps"

    sweep_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    rule_type: Mapped[str] = mapped_column(String(32))
    tickers: Mapped[str] = mapped_column(String(512))
    request_json: Mapped[str] = mapped_column(LongText)
    combos: Mapped[int]
    skipped: Mapped[int]
    chunks: Mapped[int]
    chunk_size: Mapped[int]
    created_at: Mapped[timestamp]
    overfitting_json: Mapped[str | None] = mapped_column(LongText, deferred=True)
    """The sweep's overfitting statistics, computed once when its last chunk finished
    (``kinds.sweeps.overfitting``); NULL before, and for sweeps older than the column."""

    sweep_chunks: Mapped[list[SweepChunk]] = relationship(
        back_populates="sweep", cascade="all, delete-orphan", passive_deletes=True
    )
    results: Mapped[list[SweepResult]] = relationship(
        back_populates="sweep", cascade="all, delete-orphan", passive_deletes=True
    )

    cache_key: Mapped[str | None] = mapped_column(String(64))
    """``kinds.sweeps.cache`` key of a sweep whose chunks run (None: a copy, a fold's)."""
    cached_from: Mapped[str | None] = mapped_column(String(36))
    """The sweep whose chunks and results this one copied; None: its chunks ran."""
    top_k: Mapped[int | None] = mapped_column(Integer)
    """Stored compactly (``kinds.sweeps.compact``): each chunk stored its best ``top_k``
    combinations by each metric as result rows; None: one row per combination."""

    __table_args__ = (
        Index("ix_sweeps_created", "created_at"),
        Index("ix_sweeps_cache_key", "cache_key"),
    )

    def __repr__(self) -> str:
        return f"Sweep(sweep_id={self.sweep_id!r}, combos={self.combos!r})"


class SweepChunk(WorkItemColumns, Base):
    """One queued chunk: consecutive combinations of one ticker. ``chunk_id`` is its RQ job
    id; ``payload_json`` its queue message and ``queue`` the queue it went to (the reaper of
    that queue re-enqueues it from here). Timings of
    the attempt that stored it: ``startup_ms`` (consumer process start to the job function),
    ``compute_ms`` (data, signals, engine, metrics) and ``write_ms`` (the results
    transaction)."""

    __tablename__ = "sweep_chunks"

    chunk_id: Mapped[work_unit_id]
    sweep_id: Mapped[str] = parent_id("sweeps.sweep_id", "fk_chunks_sweep")
    chunk_no: Mapped[int]
    ticker: Mapped[str] = mapped_column(String(32))
    combo_first: Mapped[int]
    combo_count: Mapped[int]
    payload_json: Mapped[str] = mapped_column(LongText)
    startup_ms: Mapped[float | None] = mapped_column(Metric)
    compute_ms: Mapped[float | None] = mapped_column(Metric)
    write_ms: Mapped[float | None] = mapped_column(Metric)
    block_stats: Mapped[bytes | None] = mapped_column(LongBlob)
    """Its combinations' block sums and sums of squares of bar returns (N × 2S, packed by
    ``kinds.sweeps.evaluate.pack_blocks``): what the sweep's overfitting statistics need."""
    sharpe_grid: Mapped[bytes | None] = mapped_column(LongBlob)
    """Its combinations' Sharpe ratios and positions on the grid, in combo order (packed by
    ``kinds.sweeps.evaluate.pack_sharpe_grid``): what the statistics read instead of the
    result rows; NULL for chunks older than the column (migration 0015) or without block
    statistics."""

    sweep: Mapped[Sweep] = relationship(back_populates="sweep_chunks")

    __table_args__ = (
        Index("ix_chunks_sweep", "sweep_id", "chunk_no", unique=True),
        Index("ix_chunks_queue_status", "queue", "status"),
    )

    def __repr__(self) -> str:
        return f"SweepChunk(chunk_id={self.chunk_id!r}, status={self.status!r})"


def metric_columns(name: str, definitions: tuple[MetricDef, ...]) -> type:
    """A declarative mixin of one nullable column per metric of ``definitions`` (the metric
    registry's), in its order: adding a metric there adds the column to the tables that
    use the mixin (and needs a migration, which the schema test asks for)."""
    return type(
        name,
        (),
        {
            definition.key: mapped_column(Integer if definition.integer else Metric, nullable=True)
            for definition in definitions
        },
    )


SweepMetricColumns = metric_columns("SweepMetricColumns", SWEEP_METRICS)
"""One nullable column per built-in metric a sweep stores (``metrics.SWEEP_METRICS``, in
its order). A metric added since is a registry row that names its function and lands in
``SweepResult.extra_metrics``: no column, no migration."""


class SweepResult(SweepMetricColumns, Base):
    """One combination's outcome: its ticker, swept parameter values and metrics (the
    ``SweepMetricColumns``, then ``extra_metrics``)."""

    __tablename__ = "sweep_results"

    sweep_id: Mapped[str] = parent_id("sweeps.sweep_id", "fk_results_sweep", primary_key=True)
    combo_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chunk_no: Mapped[int]
    ticker: Mapped[str] = mapped_column(String(32))
    params_json: Mapped[str] = mapped_column(Text)
    extra_metrics: Mapped[str | None] = mapped_column(Text)
    """The metrics beyond the columns (registry rows with a ``function``) as a JSON object
    ``{key: number}``, undefined ones left out; NULL when the sweep stored none (every sweep
    before migration 0018, and every sweep while the registry has none)."""

    error: Mapped[str | None] = mapped_column(Text)
    """Why the combination failed alone (a PYTHON sweep's: its run alone's message), its
    metrics NULL; NULL when it ran."""

    sweep: Mapped[Sweep] = relationship(back_populates="results")

    def __repr__(self) -> str:
        return f"SweepResult(sweep_id={self.sweep_id!r}, combo_no={self.combo_no!r})"


class SweepCsvPart(Base):
    """One finished chunk's rows as ``results.csv`` lines, compressed (``kinds.sweeps.export``):
    written by the chunk's Job with its results, so the web serves a sweep's CSV as stored
    bytes and never evaluates a chunk again. ``header_sha`` is the digest of the header line it
    was written under (the grid's names and the metric registry then); a part whose digest is
    not the current header's is written again (docs/sweeps.md, "CSV")."""

    __tablename__ = "sweep_csv_parts"

    sweep_id: Mapped[str] = parent_id("sweeps.sweep_id", "fk_csv_parts_sweep", primary_key=True)
    chunk_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    header_sha: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    """The lines' length, uncompressed."""
    crc: Mapped[int] = mapped_column(BigInteger)
    """The lines' CRC-32, uncompressed."""
    data: Mapped[bytes] = mapped_column(LongBlob)
    """The lines as one raw-deflate segment ended by a sync flush."""

    def __repr__(self) -> str:
        return f"SweepCsvPart(sweep_id={self.sweep_id!r}, chunk_no={self.chunk_no!r})"


class SweepCsvBackfill(WorkItemColumns, Base):
    """One queued Job writing the CSV parts a compactly stored sweep's finished chunks lack
    (``kinds.sweeps.backfill_kind``), asked for by a download of its ``results.csv``:
    ``backfill_id`` is ``<sweep_id>-csv<n>`` (the sweep's n-th), also its RQ job id;
    ``payload_json`` its queue message."""

    __tablename__ = "sweep_csv_backfills"
    __table_args__ = (Index("ix_csv_backfills_sweep", "sweep_id"),)

    backfill_id: Mapped[work_unit_id]
    sweep_id: Mapped[str] = parent_id("sweeps.sweep_id", "fk_csv_backfills_sweep")
    payload_json: Mapped[str] = mapped_column(LongText)

    def __repr__(self) -> str:
        return f"SweepCsvBackfill(backfill_id={self.backfill_id!r}, status={self.status!r})"


class SweepMetricValue(Base):
    """One combination's value of a metric without a ``sweep_results`` column (a registry
    row with a ``function``): what sorting and filtering a sweep's results by such a metric
    reads, through an index, as fast as a column (docs/sweeps.md "Adding a metric"). A chunk
    writes these in the transaction that stores its rows, from the same values as their
    ``extra_metrics``; an undefined value has no row. A new metric is new rows: no
    migration.

    ``ix_sweep_metric_values_value`` serves ascending order and range filters,
    ``ix_sweep_metric_values_negated`` descending order (both then combo_no ascending, as a
    results page breaks ties), so the first page reads 50 index entries, not the sweep."""

    __tablename__ = "sweep_metric_values"

    sweep_id: Mapped[str] = parent_id("sweeps.sweep_id", "fk_metric_values_sweep", primary_key=True)
    metric: Mapped[str] = mapped_column(String(64), primary_key=True)
    combo_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[float] = mapped_column(Metric)
    negated: Mapped[float] = mapped_column(Metric)
    """``-value``: its index reads the values highest first with ties in combo order, as
    a descending page lists them (a descending index key is not portable: MariaDB before
    10.8 ignores it, and Alembic cannot compare it)."""

    __table_args__ = (
        Index("ix_sweep_metric_values_value", "sweep_id", "metric", "value", "combo_no"),
        Index("ix_sweep_metric_values_negated", "sweep_id", "metric", "negated", "combo_no"),
    )


class OneTickerSearch(Attribution):
    """The columns of a search over one ticker and one rule (a walk-forward, a study): its
    ticker, rule and normalised request, the data and the core it was planned on
    (``data_hash``, ``engine_version``: a result is comparable only on the same ones), and
    when it was created."""

    ticker: Mapped[str] = mapped_column(String(32))
    rule_type: Mapped[str] = mapped_column(String(32))
    request_json: Mapped[str] = mapped_column(LongText)
    data_hash: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[timestamp]


class WalkForward(OneTickerSearch, Base):
    """One walk-forward optimisation: its normalised request (the sweep fields and the
    windows), the data it was planned on and how many folds it has. Its status is derived
    from its folds and their sweeps (``kinds.walkforward.view``). Once every fold SUCCEEDED, the
    fold Job that completed it stores the outcome: ``oos_json`` (the stitched result),
    ``oos_return_pct`` and ``wfe`` (what the list shows)."""

    __tablename__ = "walkforwards"

    walkforward_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    metric: Mapped[str] = mapped_column(String(32))
    folds: Mapped[int]
    combos_per_fold: Mapped[int]
    oos_json: Mapped[str | None] = mapped_column(LongText)
    oos_return_pct: Mapped[float | None] = mapped_column(Metric)
    wfe: Mapped[float | None] = mapped_column(Metric)

    fold_rows: Mapped[list[WalkForwardFold]] = relationship(
        back_populates="walkforward", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (Index("ix_walkforwards_created", "created_at"),)


class WalkForwardFold(WorkItemColumns, Base):
    """One fold: its training sweep (``sweep_id``), its stored message (``payload_json``:
    the windows and the selection rule) and, once SUCCEEDED, ``result_json`` (the chosen
    parameters, training and test metrics, the test and in-sample curves). ``fold_id``
    (``<walkforward_id>-f<fold_no>``) is its RQ job id; ``queue`` the queue it goes to."""

    __tablename__ = "walkforward_folds"

    fold_id: Mapped[work_unit_id]
    walkforward_id: Mapped[str] = parent_id("walkforwards.walkforward_id", "fk_folds_walkforward")
    fold_no: Mapped[int]
    sweep_id: Mapped[str] = mapped_column(String(36))
    payload_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(LongText)

    walkforward: Mapped[WalkForward] = relationship(back_populates="fold_rows")

    __table_args__ = (
        Index("ix_folds_walkforward", "walkforward_id", "fold_no", unique=True),
        Index("ix_folds_queue_status", "queue", "status"),
        Index("ix_folds_sweep", "sweep_id"),
    )


class Portfolio(
    WorkItemColumns,
    metric_columns("PortfolioMetricColumns", PORTFOLIO_LIST_METRICS),
    Attribution,
    Base,
):
    """One portfolio backtest (``kinds.portfolios``): its normalised request (``payload_json``,
    also its queued message), and once SUCCEEDED its result (``result_json``: curves, weights,
    contributions, orders), the files' combined hash and the core's version, with the figures
    the list shows (one column per ``metrics.PORTFOLIO_LIST_METRICS``)."""

    __tablename__ = "portfolios"

    portfolio_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    tickers: Mapped[int]
    method: Mapped[str] = mapped_column(String(16))
    payload_json: Mapped[str] = mapped_column(LongText)
    result_json: Mapped[str | None] = mapped_column(LongText)
    data_hash: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_portfolios_created", "created_at"),
        Index("ix_portfolios_queue_status", "queue", "status"),
    )

    def __repr__(self) -> str:
        return f"Portfolio(portfolio_id={self.portfolio_id!r}, status={self.status!r})"


class Study(OneTickerSearch, Base):
    """One optimisation study (docs/studies.md): its normalised request (a run request's
    fields, the rule, the search ``space``, the objectives and the sampler), its trial
    budget ``n_trials`` (``extend`` raises it), how many batches run at once
    (``parallelism``), its optional ``deadline_at`` (the time budget), ``paused`` (a flag:
    no new batch is queued while it is set) and its status, PENDING → RUNNING → SUCCEEDED
    (budget or time budget reached) | FAILED, forward only. ``importances_json``: the
    parameter importances the last batch computed (the web never imports Optuna);
    ``deflated_json``: the deflated Sharpe ratio of its best trial as a batch last computed
    it, or why there is none (``kinds.studies.deflated``)."""

    __tablename__ = "studies"

    study_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sampler: Mapped[str] = mapped_column(String(16))
    n_trials: Mapped[int]
    parallelism: Mapped[int]
    deadline_at: Mapped[optional_timestamp]
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[optional_timestamp]
    importances_json: Mapped[str | None] = mapped_column(Text)
    deflated_json: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_studies_created", "created_at"),)


class StudyBatch(WorkItemColumns, Base):
    """One queued batch of a study: the Job that takes it asks the study for up to
    ``batch_size`` trials, evaluates them and tells their values. ``batch_id``
    (``<study_id>-b<batch_no>``) is its RQ job id; ``payload_json`` its message."""

    __tablename__ = "study_batches"

    batch_id: Mapped[work_unit_id]
    study_id: Mapped[str] = parent_id("studies.study_id", "fk_batches_study")
    batch_no: Mapped[int]
    payload_json: Mapped[str] = mapped_column(Text)
    asking: Mapped[int | None]
    """Trials a RUNNING batch reserved and is sampling outside the study's lock (NULL once
    stored): counted toward the budget and past by other batches' seeds."""

    __table_args__ = (
        Index("ix_batches_study", "study_id", "batch_no", unique=True),
        Index("ix_batches_queue_status", "queue", "status"),
    )


class StudyTrial(Base):
    """One trial of a study, numbered from 0 in the order asked: its ``params``, its state
    (RUNNING → COMPLETE | PRUNED (no defined objective) | FAIL (its batch died; its params
    are asked again as trial ``retried_as``)), its objective ``values_json`` and every
    metric (``metrics_json``), and the sampler's per-trial state (``system_attrs_json``)."""

    __tablename__ = "study_trials"

    study_id: Mapped[str] = parent_id("studies.study_id", "fk_trials_study", primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    batch_id: Mapped[str] = mapped_column(String(48))
    state: Mapped[str] = mapped_column(String(16))
    params_json: Mapped[str] = mapped_column(Text)
    values_json: Mapped[str | None] = mapped_column(Text)
    metrics_json: Mapped[str | None] = mapped_column(Text)
    system_attrs_json: Mapped[str | None] = mapped_column(LongText)
    retried_as: Mapped[int | None]
    started_at: Mapped[timestamp]
    completed_at: Mapped[optional_timestamp]
    eval_key: Mapped[str | None] = mapped_column(String(64))
    """What makes this trial's result the same as another's (``kinds.studies.reuse``)."""
    reused_from: Mapped[str | None] = mapped_column(String(48))
    """``<study_id>#<number>`` of the trial whose metrics this one copied; None: evaluated."""

    __table_args__ = (
        Index("ix_trials_batch", "batch_id"),
        Index("ix_trials_eval_key", "eval_key"),
    )
