"""Stops as contingent orders of their trade: a stop-loss, a take-profit and a trailing stop
placed with the position's fill, at levels from its fill price, checked against each later
bar's range (backtesting.py's ``_Broker._process_orders`` treats SL and TP as orders whose
parent is the trade). docs/execution.md, "Stops".

``Position`` is one trade's contingent orders; ``fill_bar_exit`` the one check made on the
bar an entry order filled in. The compiled kernels check the same levels
(``engine._order_kernel``), held bit-equal by the differential tests.
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


class Position:
    """The stop levels of one open position (long when ``side`` > 0), checked bar by bar."""

    def __init__(self, side: float, entry: float, s: Stops) -> None:
        self.side = side
        self.trail = s.trail
        self.extreme = entry
        inf = math.inf * side
        self.loss = entry * (1.0 - side * s.loss) if s.loss is not None else -inf
        self.profit = entry * (1.0 + side * s.profit) if s.profit is not None else inf
        self.trail_level = entry * (1.0 - side * s.trail) if s.trail is not None else -inf

    def exit(self, open_: float, high: float, low: float) -> tuple[float, int] | None:
        """(fill price, reason) when a stop is hit within the bar, else None; then ratchets
        the trailing level with the bar's extreme."""
        if self.side > 0:
            adverse = max(self.loss, self.trail_level)
            if low <= adverse:
                reason = STOP_LOSS if self.loss >= self.trail_level else TRAILING_STOP
                return min(open_, adverse), reason
            if high >= self.profit:
                return max(open_, self.profit), TAKE_PROFIT
            # ``ratchet`` inlined: this runs on every bar of every position of a sweep
            if self.trail is not None and high > self.extreme:
                self.extreme = high
                self.trail_level = high * (1.0 - self.trail)
            return None
        adverse = min(self.loss, self.trail_level)
        if high >= adverse:
            reason = STOP_LOSS if self.loss <= self.trail_level else TRAILING_STOP
            return max(open_, adverse), reason
        if low <= self.profit:
            return min(open_, self.profit), TAKE_PROFIT
        if self.trail is not None and low < self.extreme:
            self.extreme = low
            self.trail_level = low * (1.0 + self.trail)
        return None

    def ratchet(self, high: float, low: float) -> None:
        """Move the trailing level with the bar's extreme (a long's high, a short's low),
        never back."""
        if self.trail is None:
            return
        if self.side > 0 and high > self.extreme:
            self.extreme = high
            self.trail_level = high * (1.0 - self.trail)
        elif self.side < 0 and low < self.extreme:
            self.extreme = low
            self.trail_level = low * (1.0 + self.trail)

    def split(self, ratio: float) -> None:
        """A split's effect on the levels: every price held is in the old shares' units."""
        self.loss /= ratio
        self.profit /= ratio
        self.trail_level /= ratio
        self.extreme /= ratio
