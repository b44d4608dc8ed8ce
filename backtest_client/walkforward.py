"""``WalkForward``: a handle on one submitted walk-forward (docs/walkforward.md): its status
document, ``wait``, and the folds CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client.polling import poll_until

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED")
"""The statuses a walk-forward stops changing in."""


class WalkForward:
    """One walk-forward on the platform, by ``walkforward_id``; ``accepted`` is the
    submission's answer (folds, combos_per_fold) when this handle made it."""

    def __init__(
        self, http: Transport, walkforward_id: str, accepted: dict[str, Any] | None = None
    ) -> None:
        self.http = http
        self.walkforward_id = walkforward_id
        self.accepted = accepted or {}
        self.last: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"<WalkForward {self.walkforward_id} {self.last.get('status', '?')}>"

    @property
    def status_url(self) -> str:
        return f"/api/walkforward/{self.walkforward_id}"

    def refresh(self) -> dict[str, Any]:
        """Ask once: the status document (progress, folds, ``oos``, ``wfe``, stability)."""
        self.last = self.http.get_json(self.status_url)
        return self.last

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> dict[str, Any]:
        """Poll until SUCCEEDED or FAILED; the final status document (check its ``status``).

        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        return poll_until(
            self.refresh,
            lambda doc: doc["status"] in FINISHED,
            what=f"walk-forward {self.walkforward_id}",
            timeout=timeout,
            poll=poll,
            sleep=self.http.sleep,
            clock=self.http.clock,
        )

    def folds_csv(self) -> str:
        """``…/folds.csv``: one row per fold (windows, chosen params, metrics)."""
        return self.http.call("GET", f"{self.status_url}/folds.csv").text
