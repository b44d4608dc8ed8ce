"""How rows every kind shares look in the API and the pages: stored timestamps and JSON
columns (``store.columns``, re-exported), presets, the data catalog's tickers. A kind's own
rows are shown by its view (``kinds.runs.view``, ``kinds.sweeps.summary``,
``kinds.walkforward.view``).

Timestamps are ISO-8601 UTC with an explicit ``+00:00`` (the columns hold naive UTC).
"""

from __future__ import annotations

import json
from typing import Any

from data import BadEntryError, DataQualityError, date_range, load_catalog
from store.columns import iso_utc, json_or_none
from store.models import StrategyPreset

__all__ = ["catalog_tickers", "iso_utc", "json_or_none", "preset"]


def preset(row: StrategyPreset) -> dict[str, Any]:
    """One strategy preset."""
    return {
        "id": row.id,
        "name": row.name,
        "payload": json.loads(row.payload_json),
        "created_at": iso_utc(row.created_at),
        "created_by": row.created_by,
        "shared": bool(row.shared),
        "kind": row.kind or "run",
    }


def catalog_tickers(data_dir) -> list[dict[str, Any]]:
    """The data catalog's tickers as ``/api/tickers`` and the forms list them: name, whether
    synthetic, and the dates of the first and last bar (``first_date``/``last_date``, null
    when the file cannot be read: a run on it is then refused naming the file's problem),
    the ``timeframe`` a request on it must name, its ``market`` and ``bars_per_year``, and
    its ``sector`` (null when the catalog names none) and whether it is an ``index`` (DEMOIX:
    for ``ref`` market filters, not in the portfolio form's universe). An entry that cannot
    be used (its file outside the data folder: ``data.BadEntryError``, logged) is left out,
    as an invalid one is by ``load_catalog``."""
    entries = []
    for info in load_catalog(data_dir, skip_invalid=True).tickers():
        try:
            first, last = date_range(info.ticker, data_dir)
        except BadEntryError:
            continue
        except (DataQualityError, OSError):
            first = last = None
        entries.append(
            {
                "ticker": info.ticker,
                "name": info.name,
                "synthetic": info.synthetic,
                "description": info.description,
                "first_date": first,
                "last_date": last,
                "timeframe": info.timeframe,
                "market": info.market,
                "bars_per_year": info.annual_bars,
                "sector": info.sector,
                "index": info.index,
            }
        )
    return entries
