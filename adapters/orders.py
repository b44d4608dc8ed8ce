"""A run's entry orders as records (the result's ``orders``), and the order type on its
trade records (docs/execution.md, "Entry orders")."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adapters._plain import float_list
from adapters.columnar import Rows
from adapters.timestamps import iso_utc
from engine import Bars, EngineResult
from engine.orders import ORDER_STATUSES

ORDER_FIELDS = (
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
"""Keys of an order record, in order."""

QUANTITY_FIELDS = ("ordered_qty", "filled_qty", "remaining_qty")
"""Keys a record also has with a liquidity field (docs/execution.md, "Liquidity"): the
shares the order was sized for, those it filled over one bar or several, and the rest
(cancelled, expired, or still pending at the end)."""


def order_records(bars: Bars, result: EngineResult, order_type: str) -> list[dict]:
    """One record per entry order of ``result``, in signal order, with ``ORDER_FIELDS``.

    * ``side``: "BUY" (opens a long) or "SELL" (opens a short); ``type`` the request's.
    * ``signal_timestamp``: the bar whose close placed it (and priced it); ``limit`` and
      ``stop``: its prices (None: not used, or missing on that bar).
    * ``last_timestamp``: the last bar it was good for (None: after the data's end).
    * ``status``: ``filled``, ``expired``, ``cancelled`` or ``pending`` (still good at the
      last bar); ``fill_timestamp`` and ``fill_price`` (slippage included) when filled
      (the first fill's, when it filled over several bars).
    * With a liquidity field, ``QUANTITY_FIELDS`` too (whole shares).
    """
    orders = result.orders
    if orders is None or not len(orders.side):
        return []
    n_bars = len(bars)
    last = orders.last_bar
    last_ts = iso_utc(bars.timestamps[np.minimum(last, n_bars - 1)])
    filled = orders.fill_bar >= 0
    fill_ts = iso_utc(bars.timestamps[np.where(filled, orders.fill_bar, 0)])
    columns = (
        range(1, len(orders.side) + 1),
        np.where(orders.side > 0, "BUY", "SELL").tolist(),
        [order_type] * len(orders.side),
        iso_utc(bars.timestamps[orders.signal_bar]),
        float_list(orders.limit),
        float_list(orders.stop),
        [ts if bar < n_bars else None for ts, bar in zip(last_ts, last.tolist(), strict=True)],
        [ORDER_STATUSES[code] for code in orders.status.tolist()],
        [ts if ok else None for ts, ok in zip(fill_ts, filled.tolist(), strict=True)],
        float_list(orders.price),
    )
    records = [dict(zip(ORDER_FIELDS, row, strict=True)) for row in zip(*columns, strict=True)]
    if orders.ordered is not None and orders.filled is not None:
        ordered, done = orders.ordered.astype(np.int64), orders.filled.astype(np.int64)
        for record, wanted, got in zip(records, ordered.tolist(), done.tolist(), strict=True):
            record.update(ordered_qty=wanted, filled_qty=got, remaining_qty=wanted - got)
    return records


def with_entry_order(records: Sequence[dict], order_type: str) -> Sequence[dict]:
    """Trade records with ``entry_order``: how each trade entered (the request's type); a
    ``Rows`` stays one (a column of its own, no record made)."""
    if isinstance(records, Rows):
        return records.with_column("entry_order", [order_type] * len(records))
    return [{**record, "entry_order": order_type} for record in records]
