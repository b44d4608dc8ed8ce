"""The web's settings: every environment variable the web and the run path it serves read,
typed and validated once by pydantic-settings.

A top-level package because it must import nothing of its readers: it sits below ``web``,
``runs`` and ``store`` in the import graph, so any of them can depend on it without a
cycle. ``web.create_app`` builds one ``Settings`` per app (so ``test_config`` can override
any field) and never reads the environment again while serving. The consumer does not use
it: a Job reads its few variables directly and stays free of pydantic's import cost. A
setting left ``None`` takes the default of the package that owns it (e.g. ``store.db`` for
DATABASE_URL).
"""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _path_text(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


class Settings(BaseSettings):
    """The settings, by environment variable name (case-insensitive; empty means unset)."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore", frozen=True)

    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite")
    redis_url: str | None = Field(None, description="Redis of the queue; default local")
    rq_queue: str | None = Field(None, description='queue name; default "backtests"')
    sweep_queue: str | None = Field(
        None, description="sweep chunks' queue; default RQ_QUEUE-sweeps"
    )
    sweep_max_pending_chunks: int = Field(
        6000, gt=0, description="chunks the sweep queue may hold; a sweep past it is a 429"
    )
    image_tag: str | None = Field(None, description="recorded with every run")
    data_dir: Annotated[str | None, BeforeValidator(_path_text)] = Field(
        None, description="CSV files and catalog.json"
    )
    run_max_bars: int = Field(20_000, gt=0, description="most bars one run may cover")
    sweep_chunk_size: int | None = Field(None, description="combinations per sweep chunk")
    rq_dashboard_enabled: str = Field("", description="1/true/yes/on mounts /rq")
    log_level: str = Field("INFO", description="root log level")
    host: str | None = Field(None, description="address `python -m web` binds")
    port: int | None = Field(None, description="port `python -m web` binds")

    def as_config(self) -> dict[str, Any]:
        """The settings as Flask config keys (upper-case names)."""
        return {name.upper(): value for name, value in self.model_dump().items()}


SETTING_KEYS = frozenset(name.upper() for name in Settings.model_fields)
"""The config keys that are settings (``create_app``'s test_config may override any)."""


def settings_from(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings read from the environment now, with ``overrides`` (config keys such as
    ``RUN_MAX_BARS``; other keys are ignored) taking precedence and validated alike."""
    given = {k.lower(): v for k, v in (overrides or {}).items() if k.upper() in SETTING_KEYS}
    return Settings(**given)


__all__ = ["SETTING_KEYS", "Settings", "settings_from"]
