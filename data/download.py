"""``python -m data.download TICKER --start YYYY-MM-DD --end YYYY-MM-DD [--data-dir DIR]``.

Downloads real daily history with yfinance (only when the user runs this and has internet;
nothing else in the platform fetches data), writes it in the Yahoo layout and registers it
exactly like ``data.import_csv``. yfinance is optional and imported only inside
``fetch_history``; without it the command prints ``pip install yfinance`` and exits 2.

Prices are requested with ``auto_adjust=False``: ``Close`` is Yahoo's close (split-adjusted,
not dividend-adjusted) and ``Adj Close`` is written alongside, as in a Yahoo CSV. ``--end``
is inclusive (yfinance's ``end`` is exclusive, so one day is added).

The download asks for yfinance's ``actions`` too (``Dividends`` and ``Stock Splits``
columns): ``frame_to_events`` turns them into events (``data.events``). The ticker is stored
with its dividends as its events file; its splits are not, because Yahoo's prices (and its
dividend amounts) are already split-adjusted, so the bars show no split to apply.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from data.catalog import validate_ticker
from data.events import DIVIDEND, SPLIT, Event, Events, format_events
from data.register import Registered, command_exit, register_csv

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

YAHOO_COLUMNS = ("Open", "High", "Low", "Close", "Adj Close", "Volume")
"""Data columns of the Yahoo layout, after ``Date``."""

INSTALL_HINT = "yfinance is not installed: pip install yfinance"
"""Printed (exit 2) when yfinance cannot be imported."""


YFINANCE_OPTIONS = {
    "interval": "1d",
    "auto_adjust": False,
    "actions": True,
    "progress": False,
    "threads": False,
    "multi_level_index": False,
}
"""What ``fetch_history`` asks yfinance for besides the ticker and dates: daily bars, not
dividend-adjusted (``Adj Close`` beside ``Close``), the ``Dividends`` and ``Stock Splits``
columns, no progress bar, one thread, and flat column names."""


class MissingYfinanceError(RuntimeError):
    """yfinance cannot be imported."""


def fetch_history(ticker: str, start: date, end: date) -> pd.DataFrame | None:
    """Daily bars of ``ticker`` from ``start`` to ``end`` inclusive, as yfinance returns them.

    :raise MissingYfinanceError: if yfinance is not installed.
    """
    try:
        import yfinance  # local: optional, and only this command needs the network
    except ImportError:
        raise MissingYfinanceError(INSTALL_HINT) from None
    end_exclusive = end + timedelta(days=1)
    return yfinance.download(
        ticker, start=start.isoformat(), end=end_exclusive.isoformat(), **YFINANCE_OPTIONS
    )


def _number(value: Any) -> str:
    """A price as short decimal text (6 decimals at most); NaN stays ``nan`` (and fails)."""
    value = float(value)
    if not math.isfinite(value):
        return "nan"
    return f"{value:.6f}".rstrip("0").rstrip(".")


def frame_to_csv(frame: pd.DataFrame) -> str:
    """A yfinance DataFrame (DatetimeIndex; Open/High/Low/Close[/Adj Close]/Volume columns,
    optionally a second column level with the ticker) as Yahoo-layout CSV text.

    Dates are the exchange's calendar dates (a timezone-aware index is read in its own
    timezone). Rows whose prices are all missing are dropped; other missing values are
    written as ``nan`` so the loader's checks reject them with a line number. Without an
    ``Adj Close`` column, ``Close`` is written there.
    """
    if getattr(frame.columns, "nlevels", 1) > 1:
        frame = frame.droplevel(list(range(1, frame.columns.nlevels)), axis=1)
    missing = [name for name in ("Open", "High", "Low", "Close", "Volume") if name not in frame]
    if missing:
        raise ValueError(f"the download lacks column(s): {', '.join(missing)}")
    prices = ["Open", "High", "Low", "Close"]
    frame = frame[frame[prices].notna().any(axis=1)]
    index = frame.index
    if getattr(index, "tz", None) is not None:
        index = index.tz_localize(None)
    days = index.strftime("%Y-%m-%d")
    adj = frame["Adj Close"] if "Adj Close" in frame else frame["Close"]
    lines = ["Date," + ",".join(YAHOO_COLUMNS)]
    for day, o, h, lo, c, a, v in zip(
        days,
        frame["Open"],
        frame["High"],
        frame["Low"],
        frame["Close"],
        adj,
        frame["Volume"],
        strict=True,
    ):
        volume = f"{float(v):.0f}" if math.isfinite(float(v)) else "nan"
        cells = (_number(o), _number(h), _number(lo), _number(c), _number(a), volume)
        lines.append(f"{day}," + ",".join(cells))
    return "\n".join(lines) + "\n"


ACTION_COLUMNS = {"Dividends": DIVIDEND, "Stock Splits": SPLIT}
"""yfinance's action columns and the event type of each (0 in a row: no event)."""


def frame_to_events(frame: pd.DataFrame, *, splits: bool = True) -> Events:
    """The events of a yfinance DataFrame's ``Dividends`` and ``Stock Splits`` columns (a
    missing column: none of that type; 0 or NaN in a row: no event), dated at the
    exchange's calendar date like ``frame_to_csv``; ``splits`` False leaves the splits out.
    Amounts and ratios are yfinance's (split-adjusted dividends, ratio new/old shares)."""
    if getattr(frame.columns, "nlevels", 1) > 1:
        frame = frame.droplevel(list(range(1, frame.columns.nlevels)), axis=1)
    index = frame.index
    if getattr(index, "tz", None) is not None:
        index = index.tz_localize(None)
    events = []
    for column, kind in ACTION_COLUMNS.items():
        if column not in frame or (kind == SPLIT and not splits):
            continue
        for moment, value in zip(index, frame[column], strict=True):
            value = float(value)
            if math.isfinite(value) and value > 0:
                events.append(Event(moment.date(), kind, value))
    events.sort(key=lambda event: (event.day, event.type != SPLIT))
    return Events(tuple(events))


def download(
    ticker: str,
    start: date,
    end: date,
    *,
    name: str | None = None,
    data_dir: str | Path | None = None,
) -> Registered:
    """Download ``ticker`` (start .. end inclusive) and register it like ``import_csv``.

    :raise UnknownTickerError: ``ticker`` is malformed (checked before any download).
    :raise MissingYfinanceError: yfinance is not installed.
    :raise ValueError: no data came back, or the data fail the loader's checks.
    """
    validate_ticker(ticker)
    frame = fetch_history(ticker, start, end)
    if frame is None or len(frame) == 0:
        raise ValueError(f"no data returned for {ticker} between {start} and {end}")
    dividends = frame_to_events(frame, splits=False)
    return register_csv(
        frame_to_csv(frame).encode(),
        ticker,
        name=name,
        description=(
            f"Yahoo Finance daily history {start}..{end}, downloaded with yfinance "
            f"on {date.today()}"
        ),
        data_dir=data_dir,
        events=format_events(dividends).encode() if len(dividends) else None,
        events_name=f"the dividends downloaded for {ticker}",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m data.download",
        description="Download daily history with yfinance and add it to the catalog.",
    )
    parser.add_argument("ticker", help="Yahoo ticker, e.g. AAPL (upper-cased)")
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--name", help="display name (default: the ticker)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="data directory to add it to (default: the user catalog, $USER_DATA_DIR/data)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    ticker = args.ticker.upper()
    try:
        return command_exit(
            lambda: download(ticker, args.start, args.end, name=args.name, data_dir=args.data_dir),
            done="downloaded",
            bad_data=f"downloaded data for {ticker}:",
            refused=(ValueError,),
        )
    except MissingYfinanceError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
