"""``Portfolio``: a handle on one submitted portfolio backtest (docs/portfolios.md): its
status document, ``wait``, and its result as pandas objects (equity against the
benchmark, weights over time, contributions, orders, the capacity curve)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backtest_client import frames
from backtest_client.errors import BacktestError
from backtest_client.polling import Handle

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED")
"""The statuses a portfolio stops changing in."""


class Portfolio(Handle):
    """One portfolio on the platform, by ``portfolio_id``. ``wait`` polls until it has
    finished; ``result`` is its stored result JSON (fetched once, after SUCCEEDED), and
    ``equity``, ``weights``, ``contribution`` and ``orders`` are its parts as DataFrames."""

    FINISHED = FINISHED
    STATUS_PATH = "/api/portfolios/{}"
    NOUN = "portfolio"
    ID_FIELD = "portfolio_id"

    def __init__(
        self, http: Transport, portfolio_id: str, accepted: dict[str, Any] | None = None
    ) -> None:
        super().__init__(http, portfolio_id, accepted)
        self.portfolio_id = portfolio_id
        self._result: dict[str, Any] | None = None

    def refresh(self) -> dict[str, Any]:
        """Ask once for the status document without the result (``?result=false``)."""
        self.last = self.http.get_json(f"{self.status_url}?result=false")
        return self.last

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Portfolio:
        """Poll until SUCCEEDED; this handle, its result ready.

        :raise ItemFailed: the portfolio FAILED (its error message).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        self._wait_succeeded(timeout, poll)
        return self

    @property
    def result(self) -> dict[str, Any]:
        """The result JSON (docs/portfolios.md "The result"); asked for once."""
        if self._result is None:
            document = self.http.get_json(self.status_url)
            if document.get("result") is None:
                raise BacktestError(f"portfolio {self.portfolio_id} is {document['status']}")
            self._result = document["result"]
        return self._result

    def equity(self) -> Any:
        """A DataFrame indexed by date: ``equity``, ``cash``, ``drawdown_pct`` and the
        equal-weight buy-and-hold's ``benchmark`` and ``benchmark_drawdown_pct``."""
        result = self.result
        benchmark = result["benchmark"]
        return frames.pandas().DataFrame(
            {
                "equity": result["equity"],
                "cash": result["cash"],
                "drawdown_pct": result["drawdown_pct"],
                "benchmark": benchmark["equity"],
                "benchmark_drawdown_pct": benchmark["drawdown_pct"],
            },
            index=frames.timestamps(result["timestamps"]),
            dtype="float64",
        )

    def weights(self) -> Any:
        """A DataFrame of value weights at the sampled closes: one column per ticker ever
        held, and ``cash``."""
        weights = self.result["weights"]
        columns = dict(zip(weights["tickers"], weights["values"], strict=True))
        return frames.pandas().DataFrame(
            {**columns, "cash": weights["cash"]},
            index=frames.timestamps(weights["timestamps"]),
            dtype="float64",
        )

    def contribution(self) -> Any:
        """A DataFrame indexed by ticker: ``pnl``, ``pct_of_capital``, ``share_of_pnl_pct``,
        ``traded_value``."""
        return frames.pandas().DataFrame(self.result["contribution"]).set_index("ticker")

    def orders(self) -> Any:
        """A DataFrame, one row per order listed (``orders_truncated`` in ``result`` says
        whether all are): date, ticker, side, shares, price, fee, value."""
        pd = frames.pandas()
        frame = pd.DataFrame(self.result["orders"])
        if not frame.empty:
            frame["date"] = frames.moments(frame["date"].tolist())
        return frame

    @property
    def metrics(self) -> Any:
        """The portfolio's metrics as a Series."""
        return frames.pandas().Series(self.result["metrics"], name=self.portfolio_id)

    def capacity(self) -> Any:
        """The portfolio's capacity curve (``GET /api/portfolios/<id>/capacity``,
        docs/capacity.md): a run's ``capacity()`` DataFrame, indexed by starting capital,
        ``frame.attrs["half_sharpe_capital"]`` where the Sharpe ratio halves (None: it does
        not within the capitals).

        :raise BacktestNotFound: no such portfolio; ``BacktestRequestError`` (409): no
            result, or the portfolio was not submitted with ``capacity``.
        """
        path = f"/api/portfolios/{self.portfolio_id}/capacity"
        return frames.capacity_frame(self.http.get_json(path))
