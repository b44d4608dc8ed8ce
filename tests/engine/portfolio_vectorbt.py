"""The parity peer: vectorbt's ``Portfolio.from_orders`` on a universe, as a script.

Run by tests/engine/test_portfolio_parity.py (and bench/portfolio_bench.py) with the
interpreter that has vectorbt (``.venv-bench``; it is not in the test venv), as
``python portfolio_vectorbt.py IN.npz OUT.npz``. IN holds ``open``, ``close``, ``size``
(target percent per fill bar and ticker, NaN = no order), ``val_price``, ``init_cash``,
``fees`` and ``slippage``; OUT gets the group's ``value`` on every bar and the order
records (``bar``, ``asset``, ``shares``, ``price``, ``fee``) in vectorbt's order. Imports
numpy, pandas and vectorbt only.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import vectorbt as vbt


def from_orders(inputs: dict[str, np.ndarray]) -> vbt.Portfolio:
    """Our convention expressed in vectorbt's options (docs/execution.md, "Portfolios")."""
    close = pd.DataFrame(inputs["close"])
    return vbt.Portfolio.from_orders(
        close,
        size=inputs["size"],
        size_type="targetpercent",
        direction="longonly",
        price=inputs["open"],
        val_price=inputs["val_price"],
        fees=float(inputs["fees"]),
        slippage=float(inputs["slippage"]),
        size_granularity=1.0,
        init_cash=float(inputs["init_cash"]),
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )


def main(source: str, target: str) -> None:
    with np.load(source) as data:
        inputs = {key: data[key] for key in data.files}
    portfolio = from_orders(inputs)
    records = portfolio.orders.values
    sign = np.where(records["side"] == 0, 1.0, -1.0)
    np.savez(
        target,
        value=np.asarray(portfolio.value(), dtype=np.float64),
        bar=records["idx"].astype(np.int64),
        asset=records["col"].astype(np.int64),
        shares=(records["size"] * sign),
        price=records["price"],
        fee=records["fees"],
        version=np.array(vbt.__version__),
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
