"""The child of the volume-share parity test (tests/engine/test_engine_liquidity_parity.py):
run by the zipline venv's interpreter (``tests.peer_venv.zipline_python``, .venv-zipline,
where requirements-zipline.txt installs zipline-reloaded 3.2.1), it drives zipline's own
blotter (``SimulationBlotter``) and ``VolumeShareSlippage`` — zipline's ``Order`` objects,
its ``simulate``/``process_order``, its bookkeeping of the remainder an order carries to
the next bar — over given bars and orders, as zipline's daily simulation loop does: at each
bar, the open orders fill first against that bar (its close and volume), then the bar's
own orders are placed (they fill from the next bar on).

Reads cases as JSON on stdin: ``[{"close": [...], "volume": [...], "volume_limit": x,
"price_impact": y, "actions": [{"bar": i, "exit": bool, "amount": n}]}]`` — an entry
action places an order of ``amount`` shares (negative: a sale); an exit action cancels
the open orders and places an order closing the position held. Prints, per case, the
fills ``[bar, shares (signed), price]`` in the order zipline made them, the shares each
action's order left unfilled at the end (cancelled or still open; 0 where it placed none)
and the position held at the end, as JSON.

The bar data is the minimal object zipline's slippage reads (``current(asset, field)``
for "close" and "volume", ``current_dt``): an input, as a data portal would give it.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
from zipline.assets import Equity, ExchangeInfo
from zipline.finance.blotter import SimulationBlotter
from zipline.finance.commission import NoCommission
from zipline.finance.execution import MarketOrder
from zipline.finance.slippage import VolumeShareSlippage


class _Bar:
    """One bar of one asset as zipline's ``BarData`` answers for it."""

    def __init__(self, dt: pd.Timestamp, close: float, volume: float) -> None:
        self.current_dt = dt
        self._fields = {"close": close, "volume": volume, "price": close}

    def current(self, asset, field):
        return self._fields[field]


def _simulate(case: dict) -> dict:
    asset = Equity(1, ExchangeInfo("TEST", "TEST", "US"), symbol="X")
    blotter = SimulationBlotter(
        equity_slippage=VolumeShareSlippage(
            volume_limit=case["volume_limit"], price_impact=case["price_impact"]
        ),
        equity_commission=NoCommission(),
    )
    actions: dict[int, list[dict]] = {}
    for action in case["actions"]:
        actions.setdefault(action["bar"], []).append(action)
    days = pd.date_range("2020-01-02", periods=len(case["close"]), freq="D", tz="UTC")
    held, fills, placed = 0, [], []
    for i, (dt, close, volume) in enumerate(zip(days, case["close"], case["volume"], strict=True)):
        blotter.set_date(dt)
        transactions, _, closed = blotter.get_transactions(_Bar(dt, close, volume))
        for txn in transactions:
            held += txn.amount
            fills.append([i, int(txn.amount), float(txn.price)])
        blotter.prune_orders(closed)
        for action in actions.get(i, []):
            if action["exit"]:
                blotter.cancel_all_orders_for_asset(asset, relay_status=False)
                amount = -held
            else:
                amount = action["amount"]
            placed.append(blotter.order(asset, amount, MarketOrder()))  # None: 0 shares
    unfilled = [0 if o is None else int(blotter.orders[o].open_amount) for o in placed]
    return {"fills": fills, "unfilled": unfilled, "held": held}


def main() -> None:
    cases = json.load(sys.stdin)
    json.dump([_simulate(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
