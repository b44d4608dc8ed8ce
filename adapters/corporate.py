"""The corporate actions a run applied to its position, as the result's records.

``events_applied`` turns the engine's log (``engine.corporate.Applied``) into the result's
``events_applied`` list (docs/execution.md, "Corporate actions on a position"): one record
an event that met the position, in the order they acted.
"""

from __future__ import annotations

from adapters.timestamps import iso_utc
from engine import Bars, EngineResult

APPLIED_FIELDS = ("date", "type", "value", "shares_before", "shares_after", "cash")
"""Keys of an ``events_applied`` record: the date of the bar it acted on (ISO-8601 UTC),
``split``/``dividend``/``delisting``, the ratio or cash per share, the signed shares before
and after it, and the cash it moved (a dividend received or paid, the cash in lieu of a
split's fraction, the delisting's proceeds)."""


def events_applied(bars: Bars, result: EngineResult) -> list[dict] | None:
    """One record (``APPLIED_FIELDS``) per corporate action that met the run's position;
    None when the run applied none (its result then has no ``events_applied``).

    >>> import numpy as np
    >>> from engine import CorporateActions, TradingParams, run
    >>> days = np.arange(4).astype("datetime64[D]")
    >>> prices = [10.0, 10.0, 5.0, 5.0]
    >>> bars = Bars(days, prices, prices, prices, prices, [1.0] * 4)
    >>> acts = CorporateActions(np.array([1.0, 1.0, 2.0, 1.0]), np.zeros(4))
    >>> res = run(bars, [True, False, False, False], [False] * 4,
    ...           TradingParams(fee_rate=0.0, position_size=100), actions=acts)
    >>> events_applied(bars, res)[0]["shares_after"]
    20
    """
    applied = result.applied
    if applied is None or not len(applied):
        return None
    from engine.corporate import KINDS

    dates = iso_utc(bars.timestamps[applied.bar])
    return [
        dict(
            zip(
                APPLIED_FIELDS,
                (day, KINDS[kind], value, int(before), int(after), cash),
                strict=True,
            )
        )
        for day, kind, value, before, after, cash in zip(
            dates,
            applied.kind,
            applied.value,
            applied.before,
            applied.after,
            applied.cash,
            strict=True,
        )
    ]


__all__ = ["APPLIED_FIELDS", "events_applied"]
