"""The engine's trades as records in the platform's trade schema, and as CSV."""

from __future__ import annotations

import csv
import io

import numpy as np

from adapters._plain import number
from adapters.cells import csv_row
from adapters.timestamps import iso_utc
from engine import Bars, EngineResult

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
      ``liquidation``).
    """
    trades = result.trades
    if not trades:
        return []
    entry_bar = np.array([t.entry_bar for t in trades], dtype=np.int64)
    exit_bar = np.array([t.exit_bar for t in trades], dtype=np.int64)
    entry_ts = bars.timestamps[entry_bar]
    exit_ts = bars.timestamps[exit_bar]
    holding = ((exit_ts - entry_ts) // _DAY).tolist()
    records = []
    for i, (trade, entry_iso, exit_iso) in enumerate(
        zip(trades, iso_utc(entry_ts), iso_utc(exit_ts), strict=True)
    ):
        notional = trade.size * trade.entry_price
        records.append(
            {
                "trade_no": i + 1,
                "side": "BUY" if trade.direction > 0 else "SELL",
                "size": int(trade.size),
                "entry_timestamp": entry_iso,
                "exit_timestamp": exit_iso,
                "entry_price": number(trade.entry_price),
                "exit_price": number(trade.exit_price),
                "entry_fee": number(trade.entry_fee),
                "exit_fee": number(trade.exit_fee),
                "pnl_abs": number(trade.pnl),
                "pnl_pct": number(trade.pnl / notional * 100.0) if notional > 0 else None,
                "holding_period": int(holding[i]),
                "is_open": bool(trade.is_open),
                "exit_reason": trade.exit_reason,
            }
        )
    return records


def trades_csv(records: list[dict]) -> str:
    """Trade records as CSV text: header ``TRADE_FIELDS``, "\\n" line endings.

    Floats are export cells (``adapters.cells``: 10 decimal places, no float noise);
    ``None`` is an empty cell and booleans are ``True``/``False``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRADE_FIELDS)
    for record in records:
        writer.writerow(csv_row(record[field] for field in TRADE_FIELDS))
    return out.getvalue()
