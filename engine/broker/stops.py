"""Stops as contingent orders of their trade: a stop-loss, a take-profit and a trailing stop
placed with the position's fill, at levels from its fill price, checked against each later
bar's range (backtesting.py's ``_Broker._process_orders`` treats SL and TP as orders whose
parent is the trade). docs/execution.md, "Stops".

``Position`` is one trade's contingent orders; ``fill_bar_exit`` the one check made on the
bar an entry order filled in. The compiled walks check the same levels
(``engine.broker.jitted``), held bit-equal by the differential tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from engine.params import TradingParams


SIGNAL, STOP_LOSS, TAKE_PROFIT, TRAILING_STOP = 0, 1, 2, 3
"""Exit-reason codes of fills (indices into ``engine.result.EXIT_REASONS``)."""


@dataclass(frozen=True)
class Stops:
    """Stop distances as fractions of the entry fill price (``None`` = off)."""

    loss: float | None
    profit: float | None
    trail: float | None

    @classmethod
    def of(cls, params: TradingParams) -> Stops:
        def fraction(value: float | None) -> float | None:
            return None if value is None else value / 100.0

        return cls(
            fraction(params.stop_loss_pct),
            fraction(params.take_profit_pct),
            fraction(params.trailing_stop_pct),
        )


def levels(
    side: float, entry: float, loss: float, profit: float, trail: float
) -> tuple[float, float, float, float]:
    """(stop-loss, take-profit, trailing level, extreme) of a trade of ``side`` filled at
    ``entry``, its stops at the fractions ``loss``, ``profit``, ``trail`` of it (NaN: off,
    its level then never reached). Plain arithmetic on floats: ``Position`` calls it and
    the compiled broker step (``engine.broker.step``) compiles it."""
    inf = math.inf * side
    loss_level = entry * (1.0 - side * loss) if loss == loss else -inf
    profit_level = entry * (1.0 + side * profit) if profit == profit else inf
    trail_level = entry * (1.0 - side * trail) if trail == trail else -inf
    return loss_level, profit_level, trail_level, entry


def stop_exit(
    side: float,
    loss: float,
    profit: float,
    trail_level: float,
    extreme: float,
    trail: float,
    o: float,
    h: float,
    lo: float,
) -> tuple[float, int, float, float]:
    """The contingent orders of a trade of ``side`` against a bar (open ``o``, high ``h``,
    low ``lo``): (fill price or NaN, reason, trailing level, extreme). The adverse stop
    (the stop-loss or the trailing level, whichever is nearer) comes first, at the open
    when the bar gaps through it; then the take-profit; else the trailing level ratchets
    with the bar's extreme (``trail``: its fraction, NaN: none)."""
    if side > 0:
        adverse = max(loss, trail_level)
        if lo <= adverse:
            reason = STOP_LOSS if loss >= trail_level else TRAILING_STOP
            return min(o, adverse), reason, trail_level, extreme
        if h >= profit:
            return max(o, profit), TAKE_PROFIT, trail_level, extreme
        if trail == trail and h > extreme:
            return math.nan, SIGNAL, h * (1.0 - trail), h
        return math.nan, SIGNAL, trail_level, extreme
    adverse = min(loss, trail_level)
    if h >= adverse:
        reason = STOP_LOSS if loss <= trail_level else TRAILING_STOP
        return max(o, adverse), reason, trail_level, extreme
    if lo <= profit:
        return min(o, profit), TAKE_PROFIT, trail_level, extreme
    if trail == trail and lo < extreme:
        return math.nan, SIGNAL, lo * (1.0 + trail), lo
    return math.nan, SIGNAL, trail_level, extreme


def ratchet(
    side: float, trail: float, trail_level: float, extreme: float, h: float, lo: float
) -> tuple[float, float]:
    """(trailing level, extreme) moved with a bar's extreme (a long's high, a short's low),
    never back; ``trail`` NaN: no trailing stop."""
    if trail != trail:
        return trail_level, extreme
    if side > 0 and h > extreme:
        return h * (1.0 - trail), h
    if side < 0 and lo < extreme:
        return lo * (1.0 + trail), lo
    return trail_level, extreme


def _fraction(value: float | None) -> float:
    return math.nan if value is None else value


class Position:
    """The stop levels of one open position (long when ``side`` > 0), checked bar by bar
    (``levels``, ``stop_exit``, ``ratchet``)."""

    def __init__(self, side: float, entry: float, s: Stops) -> None:
        self.side = side
        self.trail = s.trail
        self._trail = _fraction(s.trail)
        self.loss, self.profit, self.trail_level, self.extreme = levels(
            side, entry, _fraction(s.loss), _fraction(s.profit), self._trail
        )

    def exit(self, open_: float, high: float, low: float) -> tuple[float, int] | None:
        """(fill price, reason) when a stop is hit within the bar, else None; then ratchets
        the trailing level with the bar's extreme."""
        price, reason, self.trail_level, self.extreme = stop_exit(
            self.side,
            self.loss,
            self.profit,
            self.trail_level,
            self.extreme,
            self._trail,
            open_,
            high,
            low,
        )
        return None if price != price else (price, reason)

    def ratchet(self, high: float, low: float) -> None:
        """Move the trailing level with the bar's extreme (a long's high, a short's low),
        never back."""
        self.trail_level, self.extreme = ratchet(
            self.side, self._trail, self.trail_level, self.extreme, high, low
        )

    def split(self, ratio: float) -> None:
        """A split's effect on the levels: every price held is in the old shares' units."""
        self.loss /= ratio
        self.profit /= ratio
        self.trail_level /= ratio
        self.extreme /= ratio
