"""``Result``: one SUCCEEDED run's stored result (docs/api.md, "The status document"), with
its curves, trades, entry orders and metrics as pandas objects for a notebook."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from backtest_client import frames


class Result:
    """A run's result JSON (``raw``), read the way backtesting.py users expect:
    ``equity`` (Series), ``trades`` and ``orders`` (DataFrames), ``stats`` (Series)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __repr__(self) -> str:
        request = self.request
        return (
            f"<Result {self.run_id} {request.get('ticker')} {request.get('rule_id')} "
            f"{request.get('start_date')}..{request.get('end_date')}>"
        )

    @property
    def run_id(self) -> str:
        return self.raw["run_id"]

    @property
    def request(self) -> dict[str, Any]:
        """The normalised request that produced the result (params included)."""
        return self.raw.get("request") or {}

    @property
    def data_hash(self) -> str | None:
        """SHA-256 of the data file's bytes the run read."""
        return self.raw.get("data_hash")

    @property
    def engine_version(self) -> str | None:
        return self.raw.get("engine_version")

    @property
    def metrics(self) -> dict[str, Any]:
        """The metrics as stored, by key (docs/execution.md, "Metric definitions")."""
        return self.raw.get("metrics") or {}

    @property
    def probabilistic_sharpe(self) -> dict[str, Any]:
        """The probability that the run's true Sharpe ratio is above 0 (``psr``) and its
        inputs (``sharpe_per_bar``, ``skewness``, ``kurtosis``, ``n_returns``); empty for a
        result stored before the platform computed it (result schema 1.3.0)."""
        return self.raw.get("probabilistic_sharpe") or {}

    @cached_property
    def equity(self) -> Any:
        """Equity per bar: a float Series indexed by UTC timestamp."""
        return frames.curve_series(self.raw.get("equity_curve") or {}, "equity")

    @cached_property
    def drawdown(self) -> Any:
        """Drawdown in percent per bar (a Series like ``equity``)."""
        return frames.curve_series(self.raw.get("drawdown_curve") or {}, "drawdown_pct")

    @cached_property
    def trades(self) -> Any:
        """One row per trade (columns ``frames.TRADE_COLUMNS``, timestamps parsed)."""
        return frames.trades_frame(self.raw.get("trades") or [])

    @cached_property
    def orders(self) -> Any:
        """One row per entry order of a run with an ``entry_order`` (columns
        ``frames.ORDER_COLUMNS``: side, type, limit and stop prices, status ``filled`` |
        ``expired`` | ``cancelled`` | ``pending``, fill time and price; timestamps parsed);
        empty, with the same columns, for a market run."""
        return frames.orders_frame(self.raw.get("orders") or [])

    @cached_property
    def stats(self) -> Any:
        """backtesting.py's ``stats`` for this run: ``start``, ``end``, ``duration``,
        ``equity_final``, ``equity_peak``, then every metric by its key (``sharpe_ratio``,
        ``max_drawdown_pct``…), in the order the result holds them."""
        pd = frames.pandas()
        equity = self.equity
        head: dict[str, Any] = {}
        if len(equity):
            head = {
                "start": equity.index[0],
                "end": equity.index[-1],
                "duration": equity.index[-1] - equity.index[0],
                "equity_final": float(equity.iloc[-1]),
                "equity_peak": float(equity.max()),
            }
        return pd.Series({**head, **self.metrics}, name=self.run_id, dtype="object")
