"""``python -m data.import_csv FILE --ticker XYZ [--name "..."] [--data-dir DIR]
[--timeframe 1d|1h|5m] [--market equity|fx|crypto] [--bars-per-year N] [--sort]
[--events EVENTS.csv | --events-from-adjusted] [--splits-without-jump] [--strict]``.

A file separated by ``;`` (decimal commas allowed), tabs or ``|`` is read as such; ``--sort``
takes a newest-first file (rows put in ascending date order). Either way the file is stored
comma-separated and oldest first (``data.csv_layout``), and the summary says so.

Checks FILE with the loader's checks, detects its bar spacing (daily, hourly or 5-minute;
others are refused naming the spacing seen), copies it byte for byte into the user catalog
(``$USER_DATA_DIR/data``, default ``var/data``; ``--data-dir`` names another) as
<TICKER>.csv and adds or updates its catalog entry (``synthetic: false``, with the
timeframe, market and bars per year: ``data.timeframe``). ``--timeframe`` makes the import
fail unless the detected spacing is that one; ``--market`` and ``--bars-per-year`` override
what is inferred. Exit 0 on success; exit 2 with a message naming the line on a failed
check, an invalid ticker, a ticker of the shipped data or an unreadable file.

``--events EVENTS.csv`` stores the ticker's corporate actions beside the bars (format:
``data.events``; a bad line exits 2 naming the events file and line); ``--events-from-adjusted``
derives splits and dividends from the file's ``Close`` and ``Adj Close`` instead (best
effort: ``data.derive_events``); a file with an ``Adj Close`` that differs from its
``Close``, imported with neither, prints a ``warning:`` line naming ``--events-from-adjusted``.
A split event whose bars show no jump at it (bars already split-adjusted) exits 2 naming the
events file and line; ``--splits-without-jump`` imports it with a ``warning:`` line. A
one-bar jump like a split (``data.split_gaps``) that no split event explains prints a
``warning:`` line naming its date and likely ratio; ``--strict`` makes it an error (exit 2,
nothing stored).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from data.register import Registered, command_exit, register_csv
from data.timeframe import MARKETS, TIMEFRAMES


def import_file(
    source: str | Path,
    ticker: str,
    *,
    name: str | None = None,
    data_dir: str | Path | None = None,
    timeframe: str | None = None,
    market: str | None = None,
    annual_bars: float | None = None,
    sort: bool = False,
    events: str | Path | None = None,
    events_from_adjusted: bool = False,
    strict: bool = False,
    splits_without_jump: bool = False,
) -> Registered:
    """Register the CSV file ``source`` under ``ticker`` with the events file ``events``, if
    any (see ``register.register_csv``)."""
    source = Path(source)
    raw = source.read_bytes()
    events_raw = None if events is None else Path(events).read_bytes()
    return register_csv(
        raw,
        ticker,
        name=name,
        description=f"Imported from {source.name}",
        data_dir=data_dir,
        timeframe=timeframe,
        market=market,
        annual_bars=annual_bars,
        sort=sort,
        events=events_raw,
        events_name=str(events),
        events_from_adjusted_close=events_from_adjusted,
        strict=strict,
        splits_without_jump=splits_without_jump,
    )


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python -m data.import_csv",
        description="Check an OHLCV CSV file and add it to the data directory's catalog.",
    )
    parser.add_argument("file", type=Path, help="CSV file (Yahoo layout or similar)")
    parser.add_argument("--ticker", required=True, help="ticker to store it under (upper-cased)")
    parser.add_argument("--name", help="display name (default: the ticker)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="data directory to add it to (default: the user catalog, $USER_DATA_DIR/data)",
    )
    parser.add_argument(
        "--timeframe", choices=TIMEFRAMES, help="fail unless the file's bars are this far apart"
    )
    parser.add_argument(
        "--market",
        choices=MARKETS,
        help="trading calendar for annualising (default: inferred from the bars)",
    )
    parser.add_argument(
        "--bars-per-year",
        type=_positive,
        help="annualisation factor (default: median bars per date x the market's days)",
    )
    parser.add_argument(
        "--sort",
        action="store_true",
        help="put the rows in ascending date order first (a newest-first file)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--events",
        type=Path,
        help="the ticker's corporate actions: CSV date,type,value[,value2] (docs/data.md)",
    )
    source.add_argument(
        "--events-from-adjusted",
        action="store_true",
        help="derive split and dividend events from the file's Close and Adj Close (best effort)",
    )
    parser.add_argument(
        "--splits-without-jump",
        action="store_true",
        help="import split events even where the bars show no jump at them (bars as traded)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the file if a one-bar jump looks like a split no event explains",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return command_exit(
        lambda: import_file(
            args.file,
            args.ticker.upper(),
            name=args.name,
            data_dir=args.data_dir,
            timeframe=args.timeframe,
            market=args.market,
            annual_bars=args.bars_per_year,
            sort=args.sort,
            events=args.events,
            events_from_adjusted=args.events_from_adjusted,
            strict=args.strict,
            splits_without_jump=args.splits_without_jump,
        ),
        done="imported",
        bad_data=str(args.file),
    )


if __name__ == "__main__":
    sys.exit(main())
