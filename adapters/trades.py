"""The engine's trades as records in the platform's trade schema, and as CSV.

Records are built column by column from the engine's trade columns (``engine.result.Trades``):
numpy per field, then one dict per trade, so a run's 100,000 trades cost no per-trade
arithmetic in Python."""

from __future__ import annotations

import csv
import io

import numpy as np

from adapters._plain import float_list
from adapters.cells import csv_row
from adapters.timestamps import iso_utc
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


def trade_records(bars: Bars, result: EngineResult) -> list[dict]:
    """One record per trade, in entry order, with the keys of ``TRADE_FIELDS``.

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
    columns = (
        range(1, len(trades) + 1),
        np.where(trades.direction > 0, "BUY", "SELL").tolist(),
        trades.size.tolist(),
        iso_utc(entry_ts),
        iso_utc(exit_ts),
        float_list(trades.entry_price),
        float_list(trades.exit_price),
        float_list(trades.entry_fee),
        float_list(trades.exit_fee),
        float_list(trades.pnl),
        float_list(pnl_pct),
        ((exit_ts - entry_ts) // _DAY).astype(np.int64).tolist(),
        trades.is_open.tolist(),
        trades.exit_reason,
    )
    keys = TRADE_FIELDS
    if trades.borrow_fee is not None:
        columns = (*columns, float_list(trades.borrow_fee), float_list(trades.fees))
        keys = (*TRADE_FIELDS, *FEE_FIELDS)
    if trades.dividends is not None:
        columns = (*columns, float_list(trades.dividends))
        keys = (*keys, *EVENT_FIELDS)
    return [dict(zip(keys, row, strict=False)) for row in zip(*columns, strict=False)]


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
