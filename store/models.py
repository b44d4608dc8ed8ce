"""Database tables: backtest_results (one row per run) and strategy_presets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from sqlalchemy import DateTime, Index, Integer, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UtcDateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
"""Naive UTC timestamps with microseconds (MySQL DATETIME has no time zone)."""

LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
"""Result JSON with charts runs to megabytes; MySQL's TEXT stops at 64 KiB."""

timestamp = Annotated[datetime, mapped_column(UtcDateTime)]
optional_timestamp = Annotated[datetime | None, mapped_column(UtcDateTime)]


class Base(DeclarativeBase):
    pass


class RunStatus:
    """Run states; a run only moves forward: PENDING → RUNNING → SUCCEEDED | FAILED."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    ALL = (PENDING, RUNNING, SUCCEEDED, FAILED)
    FINISHED = (SUCCEEDED, FAILED)


class BacktestRun(Base):
    """One backtest run: its request, status, timestamps and (when finished) its result."""

    __tablename__ = "backtest_results"

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticker: Mapped[str] = mapped_column(String(32))
    rule_type: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(128))
    params_json: Mapped[str] = mapped_column(Text)
    request_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    queue: Mapped[str] = mapped_column(String(64), server_default="backtests")
    error_message: Mapped[str | None] = mapped_column(Text)
    metrics_json: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(LongText)
    data_hash: Mapped[str | None] = mapped_column(String(64))
    engine_version: Mapped[str | None] = mapped_column(String(16))
    image_tag: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[timestamp]
    started_at: Mapped[optional_timestamp]
    completed_at: Mapped[optional_timestamp]

    __table_args__ = (
        Index("ix_runs_created", "created_at"),
        Index("ix_runs_status_created", "status", "created_at"),
        Index("ix_runs_ticker_created", "ticker", "created_at"),
        Index("ix_runs_rule_created", "rule_type", "created_at"),
        Index("ix_runs_queue_status", "queue", "status"),
    )

    def __repr__(self) -> str:
        return f"BacktestRun(run_id={self.run_id!r}, status={self.status!r})"


class StrategyPreset(Base):
    """A named set of form values (parameters only, never trading logic)."""

    __tablename__ = "strategy_presets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]

    def __repr__(self) -> str:
        return f"StrategyPreset(id={self.id!r}, name={self.name!r})"


# The sweep tables share this Base, so create_schema and init-db create them too.
from store import sweep_models  # noqa: E402, F401
