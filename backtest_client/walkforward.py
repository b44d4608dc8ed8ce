"""``WalkForward``: a handle on one submitted walk-forward (docs/walkforward.md): its status
document, ``wait``, and the folds CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client.polling import Handle

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED")
"""The statuses a walk-forward stops changing in."""


class WalkForward(Handle):
    """One walk-forward on the platform, by ``walkforward_id``; ``accepted`` is the
    submission's answer (folds, combos_per_fold) when this handle made it. ``refresh``
    asks once for the status document (progress, folds, ``oos``, ``wfe``, stability)."""

    FINISHED = FINISHED
    STATUS_PATH = "/api/walkforward/{}"
    NOUN = "walk-forward"
    ID_FIELD = "walkforward_id"

    def __init__(
        self, http: Transport, walkforward_id: str, accepted: dict[str, Any] | None = None
    ) -> None:
        super().__init__(http, walkforward_id, accepted)
        self.walkforward_id = walkforward_id

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> dict[str, Any]:
        """Poll until SUCCEEDED or FAILED; the final status document (check its ``status``).

        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        return self._wait_finished(timeout, poll)

    def folds_csv(self) -> str:
        """``…/folds.csv``: one row per fold (windows, chosen params, metrics)."""
        return self.http.call("GET", f"{self.status_url}/folds.csv").text
