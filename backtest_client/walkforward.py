"""``WalkForward``: a handle on one submitted walk-forward (docs/walkforward.md): its status
document, ``wait``, the folds CSV and, as pandas objects, the fold table and the stitched
out-of-sample equity (a run's walk-forward or a portfolio's alike)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client import frames
from backtest_client.errors import BacktestError
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

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> WalkForward:
        """Poll until SUCCEEDED; this handle (``wf.last``, ``wf["folds"]``: its final status
        document).

        :raise ItemFailed: a fold FAILED (its error; ``err.item.folds`` reads the folds).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        self._wait_succeeded(timeout, poll)
        return self

    def folds_csv(self) -> str:
        """``…/folds.csv``: one row per fold (windows, chosen params, metrics)."""
        return self.http.call("GET", f"{self.status_url}/folds.csv").text

    @property
    def folds(self) -> Any:
        """The fold table as a DataFrame indexed by ``fold``: the ``folds.csv`` columns
        (``status``, the windows, one column per grid parameter with the chosen value,
        ``train_<metric>``, ``test_<key>`` per metric, ``test_trades``)."""
        return frames.csv_frame(self.folds_csv(), index="fold")

    @property
    def equity(self) -> Any:
        """The stitched out-of-sample curve as a DataFrame indexed by timestamp: ``equity``
        and buy & hold over the same bars, ``benchmark`` (a portfolio's: the universe's
        equal weights). The raw curves, the in-sample ones and the metrics are in the status
        document (``refresh()["oos"]``).

        :raise BacktestError: no out-of-sample curve yet (a fold has not SUCCEEDED).
        """
        oos = self.refresh().get("oos")
        if not oos:
            raise BacktestError(
                f"walk-forward {self.walkforward_id} is {self.last.get('status')}: "
                "no out-of-sample curve until every fold has succeeded"
            )
        pd = frames.pandas()
        return pd.concat(
            [
                frames.curve_series(oos["equity_curve"], "equity"),
                frames.curve_series(oos["benchmark"], "equity", name="benchmark"),
            ],
            axis=1,
        )
