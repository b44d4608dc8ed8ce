"""A strategy module the client test sends as it is (its source is the request's code)."""

from __future__ import annotations

from backtest_strategy import Strategy


class Hold(Strategy):
    """Buys on its first bar and holds."""

    size = 1

    def init(self) -> None:
        pass

    def next(self) -> None:
        if not self.position:
            self.buy(size=self.size)
