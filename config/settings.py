"""The web's settings: every environment variable the web and the run path it serves read,
typed and validated once by pydantic-settings.

``web.create_app`` builds one ``Settings`` per app (so ``test_config`` can override any
field) and never reads the environment again while serving. The consumer does not use it: a
Job reads its variables through ``config.process`` and stays free of pydantic's import cost.
A default shared with the process (RUN_MAX_BARS, LOG_LEVEL, LOG_FORMAT,
RQ_DASHBOARD_ENABLED) is ``config.process``'s; a setting left ``None`` takes the default of
the package that owns it (e.g. ``store.db`` for DATABASE_URL).
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import process


def _path_text(value: Any) -> Any:
    return os.fspath(value) if isinstance(value, os.PathLike) else value


RATE_WINDOWS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
"""The windows a rate limit may name, in seconds."""

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


def parse_rate(value: str) -> tuple[int, int] | None:
    """``"60/minute"`` -> ``(60, 60)``: (requests, window seconds); ``""`` -> None (no limit).

    >>> parse_rate("5/second")
    (5, 1)

    :raise ValueError: for anything else, e.g. ``"60 per minute"`` or ``"0/minute"``.
    """
    if not value.strip():
        return None
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ValueError('must be "<count>/<second|minute|hour|day>" with a count of 1 or more')
    return int(match.group(1)), RATE_WINDOWS[match.group(2)]


def _rate_text(value: str) -> str:
    parse_rate(value)
    return value.strip()


class Settings(BaseSettings):
    """The settings, by environment variable name (case-insensitive; empty means unset)."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,  # a refused setting is named, never echoed: URLs hold
        # passwords, SECRET_KEY is a secret, and a check of the whole model would print them all
    )

    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite")
    redis_url: str | None = Field(None, description="Redis of the queue; default local")
    rq_queue: str | None = Field(None, description='queue name; default "backtests"')
    image_tag: str | None = Field(None, description="recorded with every run")
    data_dir: Annotated[str | None, BeforeValidator(_path_text)] = Field(
        None, description="CSV files and catalog.json"
    )
    run_max_bars: int | None = Field(
        process.RUN_MAX_BARS.default, gt=0, description=process.RUN_MAX_BARS.description
    )
    rq_dashboard_enabled: str = Field(
        process.RQ_DASHBOARD_ENABLED.default, description=process.RQ_DASHBOARD_ENABLED.description
    )
    log_level: str = Field(process.LOG_LEVEL.default, description=process.LOG_LEVEL.description)
    log_format: Literal["text", "json"] = Field(
        process.LOG_FORMAT.default, description=process.LOG_FORMAT.description
    )
    host: str | None = Field(None, description="address `python -m web` binds")
    port: int | None = Field(None, ge=1, le=65535, description="port `python -m web` binds")
    auth_mode: Literal["none", "token"] = Field(
        "none", description="none: open; token: API tokens and signed-in sessions"
    )
    secret_key: str | None = Field(
        None, min_length=32, description="signs the session cookie (required in token mode)"
    )
    session_cookie_secure: bool | None = Field(
        None, description="Secure flag of the session cookie; unset: when the request is HTTPS"
    )
    proxy_fix_hops: int = Field(
        process.PROXY_FIX_HOPS.default,
        ge=0,
        le=5,
        description=process.PROXY_FIX_HOPS.description,
    )
    submit_rate_limit: Annotated[str, AfterValidator(_rate_text)] = Field(
        "", description='submissions per client, e.g. "60/minute"; empty: no limit'
    )

    @model_validator(mode="after")
    def _token_mode_needs_a_secret_key(self) -> Settings:
        if self.auth_mode == "token" and not self.secret_key:
            raise ValueError("SECRET_KEY is required when AUTH_MODE=token")
        return self

    def as_config(self) -> dict[str, Any]:
        """The settings as Flask config keys (upper-case names)."""
        return {name.upper(): value for name, value in self.model_dump().items()}


SECRET_KEY_HINT = (
    "set SECRET_KEY to a random text of 32 or more characters, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
)
"""What to set when token mode has no (or a short) SECRET_KEY."""

_HINTS = {
    "secret_key": SECRET_KEY_HINT,
    "port": "set PORT to a free port from 1 to 65535, e.g. PORT=5001",
    "auth_mode": "set AUTH_MODE to none or token",
    "log_format": "set LOG_FORMAT to text or json",
    "submit_rate_limit": 'set SUBMIT_RATE_LIMIT like "60/minute", or leave it empty',
}
"""What to set, per setting, appended to the line of a refused value."""


def configuration_error(error: ValidationError) -> process.ConfigurationError:
    """``error`` of ``Settings`` as one line per variable: its name, what is wrong (never
    the value: it may be a secret) and what to set, e.g. ``SECRET_KEY is required when
    AUTH_MODE=token: set SECRET_KEY to a random text of 32 or more characters, …``."""
    lines = []
    for problem in error.errors():
        message = problem["msg"].removeprefix("Value error, ")
        if problem["loc"]:
            name = str(problem["loc"][0])
            hint = _HINTS.get(name, f"correct {name.upper()} or unset it for its default")
            lines.append(f"{name.upper()}: {message.lower()}: {hint}")
        else:  # the model's own check, which names its variables
            lines.append(f"{message}: {SECRET_KEY_HINT}" if "SECRET_KEY" in message else message)
    return process.ConfigurationError(lines)


SETTING_KEYS = frozenset(name.upper() for name in Settings.model_fields)
"""The config keys that are settings (``create_app``'s test_config may override any)."""


def settings_from(overrides: dict[str, Any] | None = None) -> Settings:
    """Settings read from the environment now, with ``overrides`` (config keys such as
    ``RUN_MAX_BARS``; other keys are ignored) taking precedence and validated alike."""
    given = {k.lower(): v for k, v in (overrides or {}).items() if k.upper() in SETTING_KEYS}
    return Settings(**given)


__all__ = [
    "RATE_WINDOWS",
    "SETTING_KEYS",
    "Settings",
    "configuration_error",
    "parse_rate",
    "settings_from",
]
