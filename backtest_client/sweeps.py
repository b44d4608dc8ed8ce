"""``Sweep``: a handle on one submitted parameter sweep (docs/sweeps.md): its status,
``wait``, and every stored combo as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client import frames
from backtest_client.errors import SweepFailed
from backtest_client.polling import Handle, poll_until
from backtest_client.transport import retry_after

if TYPE_CHECKING:
    import requests

    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED", "PARTIAL")
"""The statuses a sweep stops changing in; stored combos of a PARTIAL one stay readable."""

PREPARING = 202
"""The answer to ``results.csv`` while the platform writes the CSV of a sweep stored before
its chunks kept it (docs/api.md, "Downloads"): asked again after its ``Retry-After``."""

CSV_WAIT_S = 600.0
"""How long ``results`` waits, at most, while the platform prepares the CSV."""

CSV_POLL_S = 5.0
"""The pause between asks when a 202 names no ``Retry-After``."""


class Sweep(Handle):
    """One sweep on the platform, by ``sweep_id``; ``accepted`` is the submission's answer
    (combos, skipped, chunks) when this handle made it."""

    FINISHED = FINISHED
    STATUS_PATH = "/api/sweeps/{}"
    NOUN = "sweep"
    ID_FIELD = "sweep_id"

    def __init__(
        self, http: Transport, sweep_id: str, accepted: dict[str, Any] | None = None
    ) -> None:
        super().__init__(http, sweep_id, accepted)
        self.sweep_id = sweep_id
        self._results: Any = None

    def refresh(self, metric: str | None = None) -> dict[str, Any]:
        """Ask once: status, progress ``{done, failed, total, percent}``, timings and the best
        10 combos by ``metric`` (default sharpe_ratio)."""
        params = {"metric": metric} if metric else None
        self.last = self.http.get_json(self.status_url, params)
        return self.last

    def status(self) -> str:
        """PENDING, RUNNING, SUCCEEDED, FAILED or PARTIAL."""
        return self.refresh()["status"]

    @property
    def cached_from(self) -> str | None:
        """The sweep this one was copied from by the result cache (no chunk ran), or None.
        Read from the submission's answer, else asks the platform."""
        if "cached_from" in self.accepted:
            return self.accepted["cached_from"]
        return (self.last or self.refresh()).get("cached_from")

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Sweep:
        """Poll until every chunk finished; the sweep itself, for ``.wait().results``.

        :raise SweepFailed: it ended FAILED or PARTIAL (``error.sweep.results`` still reads
            the stored combos).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        final = self._wait_finished(timeout, poll)
        if final["status"] != "SUCCEEDED":
            raise SweepFailed(self, final["status"])
        return self

    def top(
        self, n: int = 10, metric: str = "sharpe_ratio", min_trades: int | None = None
    ) -> list[dict[str, Any]]:
        """The best ``n`` stored combos by ``metric`` (its better direction), as the API gives
        them: ``{combo_no, ticker, params, metrics}``; with ``min_trades``, only combos that
        made at least that many trades (a one-trade combo's Calmar ratio says little)."""
        params: dict[str, Any] = {"sort": metric, "per_page": n, "top": n}
        if min_trades is not None:
            params["min.num_trades"] = min_trades
        return self.http.get_json(f"{self.status_url}/results", params)["results"]

    def overfitting(self) -> dict[str, Any]:
        """The finished sweep's overfitting statistics (docs/sweeps.md): ``verdict`` and, per
        ticker, ``pbo`` (PBO by CSCV, degradation, probability of OOS loss, the logit
        histogram), ``dsr`` (the best's deflated Sharpe and its inputs) and ``stability``;
        ``unavailable`` says why a sweep has none. The platform answers 409 until every
        chunk has finished."""
        return self.http.get_json(f"{self.status_url}/overfitting")

    def results_csv(self, timeout: float | None = CSV_WAIT_S) -> str:
        """The sweep's ``results.csv`` as text. While the platform prepares it (a sweep stored
        before its chunks kept their CSV: 202), asks again after each answer's
        ``Retry-After``, for at most ``timeout`` seconds (None: no limit).

        :raise WaitTimeout: still being prepared after ``timeout`` seconds (it goes on).
        """
        answer: requests.Response = poll_until(
            lambda: self.http.call("GET", f"{self.status_url}/results.csv"),
            lambda response: response.status_code != PREPARING,
            what=f"the CSV of {self.what}",
            timeout=timeout,
            poll=CSV_POLL_S,
            sleep=self.http.sleep,
            clock=self.http.clock,
            wait_of=retry_after,
        )
        return answer.text

    @property
    def results(self) -> Any:
        """Every stored combo, one row each, indexed by ``combo_no``: ``ticker``, one column
        per swept parameter, then one per metric (the ``results.csv`` columns, waited for
        while the platform prepares them: ``results_csv``). Read once the sweep has
        finished, then kept."""
        if self._results is not None:
            return self._results
        frame = frames.csv_frame(self.results_csv(), index="combo_no")
        if self.last.get("status") in FINISHED:
            self._results = frame
        return frame
