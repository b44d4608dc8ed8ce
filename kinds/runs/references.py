"""The other tickers a run's rule reads (``ref("DEMOIX", close)`` in an EXPR text, a PYTHON
strategy's ``refs`` for its ``self.ref``): loaded whole from the catalog, attached to the
run's bars for the evaluator (``rules.expr.market``), and covered by the run's
``data_hash``.

With a ``price_adjustment`` each other ticker's bars are adjusted by its own events, as
the run's are. A run that refs no ticker keeps its file's own hash. One that does gets the
SHA-256 of ``"bars <own hash>\\nref <TICKER> <its hash>\\n…"``, the tickers in sorted
order, so the hash changes when any file the run read changes, and a stored result or the
result cache never serves signals computed from other bytes.

``load_references`` and ``adjusted_until`` are what a portfolio's ranking reads its
``ref`` tickers with too (``kinds.portfolios.universe``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import data
from engine import Bars
from kinds.runs.contract import RequestError

if TYPE_CHECKING:  # pragma: no cover
    from kinds.runs.contract import RunRequest


def referenced(request: RunRequest) -> tuple[tuple[str, str], ...]:
    """(side, ticker) of every other ticker the request's rule reads, in order of first
    appearance (empty for a rule other than EXPR)."""
    if request.rule_type != "EXPR":
        return ()
    from rules.library.expr import program_of

    return program_of(request.params).tickers


def reference_fields(request: RunRequest) -> list[tuple[str, str]]:
    """(the request field naming it, ticker) of every other ticker a run reads: an EXPR
    text's ``ref`` calls (``params.entry``, ``params.exit``), a PYTHON strategy's ``refs``."""
    if request.rule_type == "PYTHON":
        return [("refs", ticker) for ticker in request.refs or ()]
    return [(f"params.{side}", ticker) for side, ticker in referenced(request)]


def run_data_hash(own: str, others: dict[str, str]) -> str:
    """The ``data_hash`` of a run reading its own file (``own``) and ``others`` ({ticker:
    its data_hash}): ``own`` itself when there are none."""
    if not others:
        return own
    lines = [f"bars {own}\n", *(f"ref {t} {others[t]}\n" for t in sorted(others))]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def attach_references(
    request: RunRequest,
    history: data.History,
    data_dir: Path | None,
    catalog: data.Catalog | None = None,
) -> data.History:
    """``history`` with the request's referenced tickers attached to its bars and folded
    into its ``data_hash`` (``history`` itself when the rule reads no other ticker);
    ``catalog``: the one ``data_dir`` holds, already loaded.

    :raise RequestError: naming ``params.entry``, ``params.exit`` or ``refs`` for a ticker
        that is unknown or whose file fails its checks.
    """
    fields = reference_fields(request)
    if not fields:
        return history
    from rules.expr.market import attach

    loaded = load_references(fields, data_dir, catalog)
    others = {ticker: other.bars for ticker, other in loaded.items()}
    if request.price_adjustment is not None:
        end = history.bars.timestamps[history.stop - 1]
        others = {
            t: adjusted_until(other, end, request.price_adjustment) for t, other in loaded.items()
        }
    history = _own_timestamps(history)
    attach(history.bars, others)
    hashes = {ticker: other.data_hash for ticker, other in loaded.items()}
    return replace(history, data_hash=run_data_hash(history.data_hash, hashes))


def _own_timestamps(history: data.History) -> data.History:
    """``history`` whose bars (and signal bars) stamp a copy of their timestamps: the
    ``ref`` bars attach to the array that owns them (``rules.expr.market``), and the parsed
    file's array is shared by every request of the process (``data.dataset``), so two
    requests of one web worker with other windows or adjustments would otherwise read each
    other's attachments."""
    stamps = history.bars.timestamps.copy()
    signal_bars = history.signal_bars
    if signal_bars is not None:
        signal_bars = replace(signal_bars, timestamps=stamps[: len(signal_bars)])
    return replace(history, bars=replace(history.bars, timestamps=stamps), signal_bars=signal_bars)


def not_in_catalog(field: str, ticker: str) -> RequestError:
    """The 400 of a text ``field`` that refs ``ticker``, which the catalog does not list."""
    return RequestError(field, f"{field} refs {ticker[:32]!r}, which is not in the data catalog")


def load_references(
    wanted: Sequence[tuple[str, str]], data_dir: Path | None, catalog: data.Catalog | None = None
) -> dict[str, data.History]:
    """Every file of the (field, ticker) pairs ``wanted`` (the text ``field`` refs
    ``ticker``), whole, by ticker: what a run's and a portfolio's ``ref`` calls read;
    ``catalog``: the one ``data_dir`` holds, already loaded.

    :raise RequestError: naming the field of a ticker that is unknown or whose file fails its
        checks.
    """
    if catalog is None:
        catalog = data.load_catalog(data_dir, skip_invalid=True)
    loaded: dict[str, data.History] = {}
    for field, ticker in wanted:
        if ticker in loaded:
            continue
        try:
            loaded[ticker] = data.load_file(ticker, data_dir, catalog)
        except data.UnknownTickerError:
            raise not_in_catalog(field, ticker) from None
        except data.DataQualityError as exc:
            raise RequestError(
                field, f"{field} refs {ticker}, whose data file is invalid: {exc}"
            ) from None
    return loaded


def adjusted_until(other: data.History, end: np.datetime64, adjustment: str) -> Bars:
    """``other``'s bars up to ``end`` (the window's last bar), adjusted by its own events as
    of that bar (``data.History.with_adjustment``): a ``ref`` reads no later bar."""
    stop = int(np.searchsorted(other.bars.timestamps, end, side="right"))
    adjusted = replace(other, start=0, stop=stop).with_adjustment(adjustment).signal_bars
    assert adjusted is not None  # adjustment is split or total_return
    return adjusted
