"""The engine's trades as records in the platform's trade schema, and as CSV.

Records are built column by column from the engine's trade columns (``engine.result.Trades``):
numpy per field, held as ``adapters.columnar.Rows`` (a run's result writes them from the
columns, no dict per trade) or listed as one dict per trade, so a run's 100,000 trades cost
no per-trade arithmetic in Python."""

from __future__ import annotations

import csv
import io

import numpy as np

from adapters.cells import csv_row
from adapters.columnar import Column, FloatColumn, Rows, TimeColumn
from engine import Bars, EngineResult, Trades

TRADE_FIELDS = (
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
"""Keys of a trade record, in order (also the CSV header). ``exit_reason`` came with engine
1.1.0 (results stored before lack it; additive)."""

FEE_FIELDS = ("borrow_fee", "fees")
"""Keys a trade record has after ``TRADE_FIELDS`` when its run set a cost beyond
``fee_rate`` (engine 1.2.0): the short borrow fee it paid and its fees in total (entry +
exit + borrow). A run without those costs stores its records as before they existed."""

EVENT_FIELDS = ("dividends",)
"""Keys a trade record has last when its run applied a corporate action (a split, dividend
or delisting met its position): the dividends the trade received (positive) or paid (a
short: negative), which ``pnl_abs`` includes. Other runs store their records without it."""

_DAY = np.timedelta64(1, "D")


def trade_records(bars: Bars, result: EngineResult, *, columnar: bool = False) -> list[dict] | Rows:
    """One record per trade, in entry order, with the keys of ``TRADE_FIELDS``: a list of
    dicts, or with ``columnar`` the same held as ``adapters.columnar.Rows``.

    * ``side``: "BUY" for a long trade (opened by a buy), "SELL" for a short one.
    * ``pnl_abs``: profit net of both fees; ``pnl_pct``: ``pnl_abs`` / (size × entry_price)
      × 100, the return on the entry notional net of both fees.
    * ``holding_period``: whole days between the entry and exit timestamps (rounded down).
    * An open trade (``is_open``) is marked at the last close: its exit is the last bar,
      at the last close, with ``exit_fee`` 0.
    * ``exit_reason``: why it closed, one of ``engine.EXIT_REASONS`` (``signal``,
      ``stop_loss``, ``take_profit``, ``trailing_stop``, ``end`` for a trade still open,
      ``liquidation``, ``closed_at_end``, ``delisted``).
    * ``borrow_fee`` and ``fees`` (``FEE_FIELDS``) when the run set a cost beyond
      ``fee_rate``; ``pnl_abs`` is net of the borrow fee too.
    * ``dividends`` (``EVENT_FIELDS``) when a corporate action met the run's position;
      ``size`` and ``entry_price`` are then those after the trade's splits and ``pnl_abs``
      includes its dividends and cash in lieu (docs/execution.md, "Corporate actions on a
      position").
    """
    trades = Trades.of(result.trades)
    if not len(trades):
        return []
    entry_ts = bars.timestamps[trades.entry_bar]
    exit_ts = bars.timestamps[trades.exit_bar]
    notional = trades.size * trades.entry_price
    with np.errstate(divide="ignore", invalid="ignore"):
        pnl_pct = np.where(notional > 0, trades.pnl / notional * 100.0, np.nan)
    values = (
        Column(np.arange(1, len(trades) + 1)),
        np.where(trades.direction > 0, "BUY", "SELL").tolist(),
        Column(trades.size),
        TimeColumn(entry_ts),
        TimeColumn(exit_ts),
        FloatColumn(trades.entry_price),
        FloatColumn(trades.exit_price),
        FloatColumn(trades.entry_fee),
        FloatColumn(trades.exit_fee),
        FloatColumn(trades.pnl),
        FloatColumn(pnl_pct),
        Column(((exit_ts - entry_ts) // _DAY).astype(np.int64)),
        Column(trades.is_open),
        trades.exit_reason,
    )
    columns: dict[str, Column | list] = dict(zip(TRADE_FIELDS, values, strict=True))
    if trades.borrow_fee is not None:
        fees = (FloatColumn(trades.borrow_fee), FloatColumn(trades.fees))
        columns |= dict(zip(FEE_FIELDS, fees, strict=True))
    if trades.dividends is not None:
        columns |= dict(zip(EVENT_FIELDS, (FloatColumn(trades.dividends),), strict=True))
    records = Rows(columns)
    return records if columnar else records.tolist()


def trades_csv(records: list[dict]) -> str:
    """Trade records as CSV text: header ``TRADE_FIELDS`` (and ``FEE_FIELDS``,
    ``EVENT_FIELDS`` when the records have them), "\\n" line endings.

    Floats are export cells (``adapters.cells``: 10 decimal places, no float noise);
    ``None`` is an empty cell and booleans are ``True``/``False``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = (*TRADE_FIELDS, *FEE_FIELDS) if records and "fees" in records[0] else TRADE_FIELDS
    if records and "dividends" in records[0]:
        header = (*header, *EVENT_FIELDS)
    writer.writerow(header)
    for record in records:
        writer.writerow(csv_row(record[field] for field in header))
    return out.getvalue()
