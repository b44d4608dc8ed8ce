"""The platform's JSON shapes as pandas objects. pandas is imported here, on first use, so a
caller that never asks for a frame (the bulk script) runs without it."""

from __future__ import annotations

import io
from typing import Any

TRADE_COLUMNS = (
    "trade_no",
    "side",
    "size",
    "entry_timestamp",
    "exit_timestamp",
    "entry_price",
    "exit_price",
    "entry_fee",
    "exit_fee",
    "pnl_abs",
    "pnl_pct",
    "holding_period",
    "is_open",
    "exit_reason",
)
"""A trade record's fields (docs/execution.md, "Trade records"): the columns of
``Result.trades``, also when the run made no trade. A copy of ``adapters.TRADE_FIELDS``
(the client imports nothing of the platform); tests/client checks the two are equal."""

TIMESTAMP_COLUMNS = ("entry_timestamp", "exit_timestamp")

ORDER_COLUMNS = (
    "order_no",
    "side",
    "type",
    "signal_timestamp",
    "limit",
    "stop",
    "last_timestamp",
    "status",
    "fill_timestamp",
    "fill_price",
)
"""An entry order record's fields (docs/execution.md, "Entry orders"): the columns of
``Result.orders``, also when the run has no order. A copy of ``adapters.orders.ORDER_FIELDS``
(tests/client checks the two are equal)."""

CAPACITY_COLUMNS = (
    "capital",
    "sharpe_ratio",
    "cagr_pct",
    "total_return_pct",
    "num_trades",
    "unfilled_pct",
)
"""A capacity curve's columns (docs/capacity.md): the columns of ``Run.capacity()``, the
capital its index. A copy of ``adapters.capacity.COLUMNS`` (tests/client checks the two are
equal)."""

ORDER_TIMESTAMP_COLUMNS = ("signal_timestamp", "last_timestamp", "fill_timestamp")


def pandas() -> Any:
    """The pandas module, or an ImportError that says how to get it."""
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is a declared dependency
        raise ImportError(
            "backtest_client needs pandas for Series and DataFrames: pip install pandas"
        ) from exc
    return pandas


DAILY_BAR_HOUR_UTC = 21
"""The hour (UTC) a daily bar is stamped at: its close, as runs' results give it
(``2020-01-02T21:00:00+00:00``). A copy of ``data.loader.BAR_HOUR_UTC`` (tests/client
checks the two are equal)."""


def moments(values: Any) -> Any:
    """ISO-8601 UTC strings as tz-aware datetimes; a date alone (a portfolio's trading day,
    ``2020-01-02``) is that day's daily bar, stamped at its close like a run's
    (``DAILY_BAR_HOUR_UTC``), so a portfolio's and a run's daily series join."""
    pd = pandas()
    stamps = pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
    dated = pd.Series(values, dtype="object").str.len().eq(len("2020-01-02")).to_numpy()
    return stamps.where(~dated, stamps + pd.Timedelta(hours=DAILY_BAR_HOUR_UTC))


def timestamps(values: list[str]) -> Any:
    """ISO-8601 UTC strings (or trading days: ``moments``) as a tz-aware ``DatetimeIndex``
    named ``timestamp``."""
    return pandas().DatetimeIndex(moments(values), name="timestamp")


def curve_series(curve: dict[str, list], column: str, name: str | None = None) -> Any:
    """One column of a columnar curve (``{"timestamps": [...], column: [...]}``) as a float
    Series indexed by timestamp."""
    return pandas().Series(
        curve.get(column, []),
        index=timestamps(curve.get("timestamps", [])),
        name=name or column,
        dtype="float64",
    )


def trades_frame(trades: list[dict[str, Any]]) -> Any:
    """Trade records as a DataFrame, one row per trade, timestamps parsed (an open trade's
    exit is NaT)."""
    pd = pandas()
    extra = [name for trade in trades[:1] for name in trade if name not in TRADE_COLUMNS]
    frame = pd.DataFrame.from_records(trades, columns=[*TRADE_COLUMNS, *extra])
    for column in TIMESTAMP_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def orders_frame(orders: list[dict[str, Any]]) -> Any:
    """Entry order records as a DataFrame, one row per order, timestamps parsed (an order
    not filled has no fill time, one good past the data's end no last time: NaT); the
    prices not used (a limit order's stop) are NaN."""
    pd = pandas()
    frame = pd.DataFrame.from_records(orders, columns=ORDER_COLUMNS)
    for column in ORDER_TIMESTAMP_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in ("limit", "stop", "fill_price"):
        frame[column] = frame[column].astype("float64")
    return frame


def capacity_frame(document: dict[str, Any]) -> Any:
    """A capacity document (``GET /api/runs/<id>/capacity``) as a DataFrame: one row per
    capital, indexed by ``capital`` (ascending), the other ``CAPACITY_COLUMNS`` as columns;
    ``attrs`` holds ``half_sharpe_capital`` and ``reference_sharpe`` (None when undefined)."""
    points = document.get("points") or {}
    frame = pandas().DataFrame({name: points.get(name, []) for name in CAPACITY_COLUMNS})
    frame = frame.astype({"capital": float, "sharpe_ratio": float, "cagr_pct": float})
    frame = frame.set_index("capital")
    frame.attrs["half_sharpe_capital"] = document.get("half_sharpe_capital")
    frame.attrs["reference_sharpe"] = document.get("reference_sharpe")
    return frame


def csv_frame(text: str, index: str | None = None) -> Any:
    """A CSV answer as a DataFrame (empty cells are NaN)."""
    return pandas().read_csv(io.StringIO(text), index_col=index)
