"""The market side of a run for charts: OHLCV candles and signal/fill markers."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

import numpy as np

from adapters.columnar import Columns, Rows, TimeColumn, field_array, held
from adapters.curves import columns
from engine import Bars


def price_candles(
    bars: Bars, points: np.ndarray | None = None, *, columnar: bool = False
) -> dict[str, list] | Columns:
    """The bars as columns: timestamps, open, high, low, close, volume (the bars at
    ``points`` and their ``bar`` indices when given: ``adapters.curve_points``);
    ``columnar``: as ``adapters.curves.columns``."""
    series = {name: getattr(bars, name) for name in ("open", "high", "low", "close", "volume")}
    return columns(bars.timestamps, series, points, columnar=columnar)


def _opening_fill(record: dict, applied: list[dict]) -> dict:
    """``record``'s opening fill: its entry as the record shows it, or, for a trade held
    over splits (the ``events_applied`` records of splits, in time order), the price and
    shares it filled at: its entry price times their ratios, the shares before the first."""
    splits = [
        event
        for event in applied
        if event["date"] > record["entry_timestamp"]
        and (record["is_open"] or event["date"] <= record["exit_timestamp"])
    ]
    price, size = record["entry_price"], record["size"]
    if splits:
        size = abs(int(splits[0]["shares_before"]))
        for split in splits:
            price *= split["value"]
    return {"timestamp": record["entry_timestamp"], "price": price, "size": size}


def signal_markers(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    records: Sequence[dict],
    applied: list[dict] | None = None,
    *,
    columnar: bool = False,
) -> dict[str, list] | Columns:
    """Where the rule signalled and where orders actually filled.

    ``entries``/``exits``: timestamps of the bars whose entry/exit signal is true (the
    signal is on that bar's close; the fill, if any, is at the next bar's open).
    ``buys``/``sells``: fills from the trade records, in time order, each
    ``{"timestamp", "price", "size"}``. A long trade's entry and a short trade's exit are
    buys; a short's entry and a long's exit are sells. An open trade's exit is only a
    mark at the last close, not a fill, so it is left out. ``applied``: the run's
    ``events_applied``; a trade record shows its entry after the splits it was held over,
    so its opening fill is put back at the price and size it filled at. ``columnar``: as
    ``adapters.curves.columns``. ``records``: ``adapters.trade_records``, a list or
    ``Rows``; with no split, ``Rows`` give their fills as ``Rows`` too.
    """
    splits = [event for event in applied or () if event["type"] == "split"]
    buys: list[dict] | Rows
    sells: list[dict] | Rows
    sides = set() if isinstance(records, Rows) else {r["side"] for r in records}
    if isinstance(records, Rows) and not splits:
        buys, sells = _fills_columns(records)
    elif splits or len(sides) > 1:
        buys, sells = _fills(records, splits)
    else:  # one side: its openings and its closings, each in record order
        openings, closings = _one_side(records)
        buys, sells = (openings, closings) if sides == {"BUY"} else (closings, openings)
    by_time = itemgetter("timestamp")  # ISO-8601 strings of one format sort in time order
    markers = {
        "entries": TimeColumn(bars.timestamps, np.flatnonzero(entries)),
        "exits": TimeColumn(bars.timestamps, np.flatnonzero(exits)),
        "buys": buys if isinstance(buys, Rows) else sorted(buys, key=by_time),
        "sells": sells if isinstance(sells, Rows) else sorted(sells, key=by_time),
    }
    return held(Columns(markers), columnar)


def _one_side(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """(openings, closings) of records of one side, in record order."""
    openings = [
        {"timestamp": r["entry_timestamp"], "price": r["entry_price"], "size": r["size"]}
        for r in records
    ]
    closings = [
        {"timestamp": r["exit_timestamp"], "price": r["exit_price"], "size": r["size"]}
        for r in records
        if not r["is_open"]
    ]
    return openings, closings


def _fills_columns(records: Rows) -> tuple[Rows, Rows]:
    """``_fills`` of records held as columns (no split applied), each sorted by time as
    ``signal_markers`` sorts the listed ones (a stable sort of the moments: the same order
    as of their ISO-8601 texts), as columns: no dict per fill. A record gives each side one
    fill at most (a long its opening buy and closing sell, a short its opening sell and
    closing buy), so a side's fills in record order are its records in order."""
    long = np.array(records.column("side")) == "BUY"
    closed = ~field_array(records, "is_open", bool)
    ends = {
        key: (records.column(f"entry_{key}"), records.column(f"exit_{key}"))
        for key in ("timestamp", "price")
    }
    ends["size"] = (records.column("size"), records.column("size"))
    fills = []
    for opens, closes in ((long, ~long & closed), (~long, long & closed)):  # buys, sells
        rows = np.flatnonzero(opens | closes)
        opening = opens[rows]
        side = {
            key: np.where(opening, entry.values()[rows], exit_.values()[rows])
            for key, (entry, exit_) in ends.items()
        }
        order = np.argsort(side["timestamp"], kind="stable")
        fills.append(Rows({key: type(ends[key][0])(side[key], order) for key in ends}))
    return fills[0], fills[1]


def _fills(records: Sequence[dict], splits: list[dict]) -> tuple[list[dict], list[dict]]:
    """(buys, sells) in record order: each record's opening fill, then its closing one."""
    buys: list[dict] = []
    sells: list[dict] = []
    for record in records:
        long = record["side"] == "BUY"
        if splits:
            opening = _opening_fill(record, splits)
        else:
            opening = {
                "timestamp": record["entry_timestamp"],
                "price": record["entry_price"],
                "size": record["size"],
            }
        (buys if long else sells).append(opening)
        if not record["is_open"]:
            closing = {
                "timestamp": record["exit_timestamp"],
                "price": record["exit_price"],
                "size": record["size"],
            }
            (sells if long else buys).append(closing)
    return buys, sells
