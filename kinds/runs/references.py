"""The other tickers a run's rule reads (``ref("DEMOIX", close)`` in an EXPR text): loaded
whole from the catalog, attached to the run's bars for the evaluator
(``rules.expr.market``), and covered by the run's ``data_hash``.

A run that refs no ticker keeps its file's own hash. One that does gets the SHA-256 of
``"bars <own hash>\\nref <TICKER> <its hash>\\n…"``, the tickers in sorted order, so the hash
changes when any file the run read changes, and a stored result or the result cache never
serves signals computed from other bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import data
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


def run_data_hash(own: str, others: dict[str, str]) -> str:
    """The ``data_hash`` of a run reading its own file (``own``) and ``others`` ({ticker:
    its data_hash}): ``own`` itself when there are none."""
    if not others:
        return own
    lines = [f"bars {own}\n", *(f"ref {t} {others[t]}\n" for t in sorted(others))]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def attach_references(
    request: RunRequest, history: data.History, data_dir: Path | None
) -> data.History:
    """``history`` with the request's referenced tickers attached to its bars and folded
    into its ``data_hash`` (``history`` itself when the rule reads no other ticker).

    :raise RequestError: naming ``params.entry`` or ``params.exit`` for a ticker that is
        unknown or whose file fails its checks.
    """
    wanted = referenced(request)
    if not wanted:
        return history
    from dataclasses import replace

    from rules.expr.market import attach

    catalog = data.load_catalog(data_dir, skip_invalid=True)
    loaded: dict[str, data.History] = {}
    for side, ticker in wanted:
        field = f"params.{side}"
        try:
            loaded[ticker] = data.load_file(ticker, data_dir, catalog)
        except data.UnknownTickerError:
            raise RequestError(
                field, f"{field} refs {ticker[:32]!r}, which is not in the data catalog"
            ) from None
        except data.DataQualityError as exc:
            raise RequestError(
                field, f"{field} refs {ticker}, whose data file is invalid: {exc}"
            ) from None
    attach(history.bars, {ticker: other.bars for ticker, other in loaded.items()})
    hashes = {ticker: other.data_hash for ticker, other in loaded.items()}
    return replace(history, data_hash=run_data_hash(history.data_hash, hashes))
