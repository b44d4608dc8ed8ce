"""What can go wrong talking to the platform, as exceptions that carry the server's answer.

Every exception is a ``BacktestError`` with the HTTP ``status`` (None when no answer came),
the server's ``message`` (its ``error``), the ``field`` it blames and the ``run_id`` it names,
as the API's error contract gives them (docs/api.md, "Errors").
"""

from __future__ import annotations

from typing import Any


class BacktestError(Exception):
    """Any failure of a call to the platform."""

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        message: str | None = None,
        field: str | None = None,
        run_id: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.message = message if message is not None else description
        self.field = field
        self.run_id = run_id
        self.body = body or {}


class BacktestRequestError(BacktestError):
    """The platform refused the request (400, 409, 413…): ``field`` names the input at fault."""

    def __init__(self, field: str | None, message: str, status: int = 400, **extra: Any) -> None:
        where = f"{field}: " if field else ""
        super().__init__(
            f"{where}{message} (HTTP {status})",
            status=status,
            message=message,
            field=field,
            **extra,
        )


class BacktestAuthError(BacktestError):
    """The platform wants a token (401) or refuses this one (403): set ``BACKTEST_TOKEN``."""


class BacktestNotFound(BacktestError):
    """No such run, sweep or path (404)."""


class BacktestServerError(BacktestError):
    """The platform failed on its side (500); its log holds the details."""


class BacktestUnavailable(BacktestError):
    """The platform could not be reached, or stayed overloaded (502/503/504), after every
    retry."""


class ItemFailed(BacktestError):
    """``wait()`` (a run's ``result()`` too) of something that finished without succeeding:
    FAILED, or CANCELLED, or a sweep's PARTIAL — the same for every kind. ``item`` is its
    handle (None only when raised without one), whose ``last`` is the final status document
    and whose readers still work (a FAILED walk-forward's ``folds``, a PARTIAL sweep's
    ``results``); ``ended`` is the status it ended in; ``message`` its error message (else
    ``ended``)."""

    def __init__(
        self,
        what: str,
        ended: str,
        error: str | None = None,
        *,
        item: Any = None,
        run_id: str | None = None,
        description: str | None = None,
    ) -> None:
        said = description or (f"{what} {ended}: {error}" if error else f"{what} ended {ended}")
        super().__init__(said, message=error or ended, run_id=run_id)
        self.item = item
        self.ended = ended


class RunFailed(ItemFailed):
    """The run ended FAILED; ``message`` is its ``error_message``."""

    def __init__(self, run_id: str, error_message: str | None, run: Any = None) -> None:
        super().__init__(
            f"run {run_id}",
            "FAILED",
            item=run,
            run_id=run_id,
            description=f"run {run_id} FAILED: {error_message}",
        )
        self.message = error_message or ""


class RunCancelled(ItemFailed):
    """The run was cancelled while it waited in the queue: it never ran, so it has no result."""

    def __init__(self, run_id: str, run: Any = None) -> None:
        super().__init__(
            f"run {run_id}",
            "CANCELLED",
            item=run,
            run_id=run_id,
            description=f"run {run_id} was CANCELLED",
        )


class SweepFailed(ItemFailed):
    """The sweep ended FAILED or PARTIAL; a PARTIAL sweep's stored combos stay readable
    through ``sweep.results`` (``err.sweep`` is ``err.item``)."""

    def __init__(self, sweep: Any, status: str) -> None:
        super().__init__(
            f"sweep {sweep.sweep_id}",
            status,
            item=sweep,
            description=f"sweep {sweep.sweep_id} ended {status}",
        )
        self.sweep = sweep


class WaitTimeout(BacktestError, TimeoutError):
    """``wait`` gave up; the run or sweep goes on and can be waited for again."""
