"""``Run``: a handle on one submitted run. Polling is cheap: ``GET /status/<id>?result=false``
(the status without the result, on servers that honour it; ``If-None-Match`` with the last
``ETag``, so an unchanged status is a bodyless 304), then the full result once, from
``GET /runs/<id>/result.json``, when the run SUCCEEDED."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client.errors import BacktestError, RunCancelled, RunFailed
from backtest_client.polling import Handle
from backtest_client.results import Result

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
"""The statuses a run stops changing in (PENDING → RUNNING → SUCCEEDED | FAILED, or
PENDING → CANCELLED)."""


class Run(Handle):
    """One run on the platform, by ``run_id``."""

    FINISHED = FINISHED
    STATUS_PATH = "/status/{}"
    NOUN = "run"
    ID_FIELD = "run_id"

    def __init__(self, http: Transport, run_id: str) -> None:
        super().__init__(http, run_id)
        self.run_id = run_id
        self._etag: str | None = None
        self._result: Result | None = None

    def refresh(self) -> dict[str, Any]:
        """Ask the platform once; the status document (``last``), without the result when
        the server leaves it out."""
        headers = {"If-None-Match": self._etag} if self._etag and self.last else {}
        response = self.http.call(
            "GET", self.status_url, params={"result": "false"}, headers=headers
        )
        if response.status_code == 304:
            return self.last
        self._etag = response.headers.get("ETag")
        self.last = response.json()
        return self.last

    def status(self) -> str:
        """The run's status now: PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED."""
        return self.refresh()["status"]

    @property
    def cached_from(self) -> str | None:
        """The run whose stored result this one was served from by the result cache (no Job
        ran), or None: a Job computed it, or you may not read the source (then
        ``last["cached"]`` is still true). Asks the platform when nothing was read yet."""
        return (self.last or self.refresh()).get("cached_from")

    def result(self) -> Result:
        """The result of the finished run (fetched once, then kept).

        :raise RunFailed: the run ended FAILED (its ``error_message``).
        :raise RunCancelled: the run was cancelled before it started.
        :raise BacktestError: the run is not finished yet.
        """
        if self._result is not None:
            return self._result
        status = self.last.get("status") if self.last.get("status") in FINISHED else None
        status = status or self.status()
        if status == "FAILED":
            raise RunFailed(self.run_id, self.last.get("error_message"), run=self)
        if status == "CANCELLED":
            raise RunCancelled(self.run_id, run=self)
        if status != "SUCCEEDED":
            raise BacktestError(f"run {self.run_id} is {status}: no result yet", message=status)
        raw = self.last.get("result")  # a server that ignores result=false sent it already
        if not raw:
            raw = self.http.get_json(f"/runs/{self.run_id}/result.json")
        self._result = Result(raw)
        return self._result

    def monte_carlo(
        self, paths: int | None = None, seed: int = 0, block: int | None = None
    ) -> dict[str, Any]:
        """The run's Monte Carlo, computed by the platform from its stored result (``GET
        /api/runs/<id>/montecarlo``, docs/api.md): trade reshuffling (``trades``) and the
        stationary block bootstrap (``bootstrap``), percentiles of total return and max
        drawdown and the probability of a loss. The same arguments answer the same figures.
        ``paths`` and ``block`` default to the platform's (1,000 paths, or fewer for a long
        run; a mean block of 10 bars).

        :raise BacktestRequestError: a value out of range (``err.field`` names it).
        :raise BacktestNotFound: no such run; ``BacktestRequestError`` (409): no result.
        """
        params = {"paths": paths, "seed": seed, "block": block}
        return self.http.get_json(
            f"/api/runs/{self.run_id}/montecarlo",
            {name: value for name, value in params.items() if value is not None},
        )

    def capacity(self) -> Any:
        """The run's capacity curve (``GET /api/runs/<id>/capacity``, docs/capacity.md): a
        pandas DataFrame indexed by starting capital with the Sharpe ratio, CAGR, total
        return, trades and unfilled share of each (``frames.CAPACITY_COLUMNS``);
        ``frame.attrs["half_sharpe_capital"]`` is the capital where the Sharpe ratio halves
        (None: it does not within the capitals).

        :raise BacktestNotFound: no such run; ``BacktestRequestError`` (409): no result, or
            the run was not submitted with ``capacity``.
        """
        from backtest_client.frames import capacity_frame

        return capacity_frame(self.http.get_json(f"/api/runs/{self.run_id}/capacity"))

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Result:
        """Poll until the run finished; its result (a run is read from its ``Result``, as
        every other kind from its handle).

        :raise RunFailed: it ended FAILED (an ``ItemFailed``); ``RunCancelled`` likewise.
        :raise WaitTimeout: still running after ``timeout`` seconds (None: no limit).
        """
        self._wait_finished(timeout, poll)
        return self.result()
