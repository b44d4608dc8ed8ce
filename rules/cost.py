"""What computing a rule's signals will cost, estimated before any bar is read: work in
bar·window operations and the float values held at once, and the first bar of the history
the signals need (their exact reach).

Pure arithmetic on the validated params and a bar count; a caller compares the figures with
its limits (``SIGNAL_MAX_WORK``, ``SIGNAL_MAX_VALUES``: docs/security.md#signal-cost-caps)
and refuses the request before computing. The estimate (docs/rules.md#what-a-rule-costs):

* **work** = bars × Σ per-bar work of the rule's distinct nodes. A node that scans its window
  on every bar (``stdev``, ``zscore``, ``highest``, ``lowest``: n; ``stoch_k``/``stoch_d``:
  2k) costs its window plus one; every other node (a column, an operator, a recursive or
  cumulative indicator) costs 1. A built-in rule costs 1 + the sum of its whole-number
  parameters (its periods: an upper bound of its scans); a COMPOSITE the sum of its rules.
* **values** = bars × Σ series each node keeps (1 for a column or an operator, 6 for an
  indicator: its line, the evaluator's copy and its temporaries); a built-in rule counts 16.
* The nodes under a ``ref`` or a ``tf`` are computed on other bars, so they count on those:
  the stretch of the other ticker's bars the run's bars can see, the periods of the higher
  timeframe (``rules.expr.stretch``), each a ``Part`` of the estimate; given only a bar
  count (no bars at hand), every stretch is counted as that many bars.

``reach`` is how many bars before bar t the value on bar t reads, when every node computes
bar t from a bounded stretch of bars with the same float operations wherever the history
starts (``highest``, ``lowest``, ``roc``, ``lag``, ``stoch_k``, crosses, operators; a
``ref`` of such a series reads none of the run's earlier bars). Then the
signals on the window are the same bit for bit when computed from ``window start − reach``.
Anything else — a moving average summed from the history's first bar, a recursive EMA or
Wilder average, a cumulative OBV or VWAP — depends on every earlier bar, so its reach is
None: the whole history up to the window's end is computed, as it always was.

An EXPR rule's figures come from its tree (``rules.expr.cost``), loaded only for EXPR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

BUILT_IN_VALUES = 16
"""Series a built-in rule holds at once (a handful of indicators and their temporaries)."""


@dataclass(frozen=True)
class Part:
    """The nodes computed on one set of bars: ``where`` they are ("" for the run's own
    bars, else the call, e.g. ``ref("DEMOIX", …)`` or ``tf("1w", …) inside ref("DEMOIX",
    …)``), ``bars`` their count, ``work`` and ``values`` per bar."""

    where: str
    bars: int
    work: int
    values: int


@dataclass(frozen=True)
class SignalCost:
    """The estimate for one parameter set on ``bars`` bars: ``work`` in bar·window
    operations, ``values`` in float64 values held at once (× 8 bytes), both summed over
    ``parts`` (the run's own bars first, then each stretch of other bars a ``ref`` or
    ``tf`` computes on)."""

    bars: int
    work: int
    values: int
    parts: tuple[Part, ...] = ()

    @property
    def per_bar(self) -> int:
        """Work per bar: the sum of the nodes' window costs."""
        return self.work // self.bars if self.bars else 0

    @property
    def others(self) -> tuple[Part, ...]:
        """The parts computed on other bars than the run's."""
        return tuple(part for part in self.parts if part.where)


def _parts(
    rule_type: str, params: dict, bars: Bars | int, others: Mapping[str, Bars] | None
) -> list[Part]:
    """The parts of one validated rule (the run's own bars first)."""
    count = bars if isinstance(bars, int) else len(bars)
    if rule_type == "EXPR":
        from rules.expr import cost
        from rules.library.expr import program_of

        return [Part(*part) for part in cost.parts(program_of(params), params, bars, others)]
    if rule_type == "COMPOSITE":
        subs = [_parts(sub["rule_type"], sub["params"], bars, others) for sub in params["rules"]]
        own = Part("", count, sum(p[0].work for p in subs), sum(p[0].values for p in subs))
        return [own, *(part for p in subs for part in p[1:])]
    periods = sum(v for v in params.values() if isinstance(v, int) and not isinstance(v, bool))
    return [Part("", count, 1 + periods, BUILT_IN_VALUES)]


def signal_cost(
    rule_type: str, params: dict, bars: Bars | int, others: Mapping[str, Bars] | None = None
) -> SignalCost:
    """The estimate of computing one validated rule's signals on ``bars`` (the bars
    themselves, or their count when they are not at hand); ``others`` ({ticker: bars}):
    what its ``ref`` calls read.

    >>> signal_cost("EXPR", {"entry": "zscore(close, 2000) > 0", "exit": "close < 0",
    ...                      "bounds": {}}, 100_000).per_bar
    2004
    """
    parts = tuple(_parts(rule_type, params, bars, others))
    return SignalCost(
        bars=parts[0].bars,
        work=sum(p.bars * p.work for p in parts),
        values=sum(p.bars * p.values for p in parts),
        parts=parts,
    )


def reach(rule_type: str, params: dict) -> int | None:
    """Bars before bar t that a validated rule's signal on bar t reads, when the signal is
    the same bit for bit from any history holding them; None when it depends on the whole
    history (every built-in rule is counted so, and any EXPR with a moving average, a
    recursive or a cumulative indicator).

    >>> reach("EXPR", {"entry": "crossover(close, highest(close, 20))",
    ...                "exit": "roc(close, 5) < 0", "bounds": {}})
    20
    >>> reach("EXPR", {"entry": "close > sma(close, 20)", "exit": "close < 0", "bounds": {}})
    """
    if rule_type != "EXPR":
        return None
    from rules.expr import cost
    from rules.library.expr import program_of

    return cost.reach(program_of(params), params)


__all__ = ["Part", "SignalCost", "reach", "signal_cost"]
