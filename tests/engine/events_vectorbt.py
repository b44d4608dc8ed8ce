"""The events parity peer: vectorbt's ``Portfolio.from_orders`` on total-return-adjusted
prices, as a script.

Run by tests/engine/test_engine_events_parity.py with the interpreter that has vectorbt
(``.venv-bench``; it is not in the test venv)::

    python events_vectorbt.py IN.npz OUT.npz [IN.npz OUT.npz ...]

Each IN holds ``close`` (the adjusted closes), ``size`` (an order's shares per bar, signed,
NaN = none; ``inf``/``-inf``: all the cash can buy, all held), ``price`` (each order's fill
price), ``fees`` (a fraction per bar), ``fixed_fees`` (currency per bar), ``init_cash`` and
``direction`` (``both`` or ``longonly``); shares are fractional (no ``size_granularity``).
Its OUT gets the portfolio's ``value`` on every bar and vectorbt's ``version``. Imports
numpy, pandas and vectorbt only.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import vectorbt as vbt


def run_case(source: str, target: str) -> None:
    """One case: simulate, write the value on every bar."""
    with np.load(source) as data:
        inputs = {key: data[key] for key in data.files}
    portfolio = vbt.Portfolio.from_orders(
        pd.Series(inputs["close"]),
        size=inputs["size"],
        size_type="amount",
        direction=str(inputs["direction"]),
        price=inputs["price"],
        fees=inputs["fees"],
        fixed_fees=inputs["fixed_fees"],
        init_cash=float(inputs["init_cash"]),
        freq="1D",
    )
    np.savez(
        target,
        value=np.asarray(portfolio.value(), dtype=np.float64),
        version=np.array(vbt.__version__),
    )


def main(argv: list[str]) -> None:
    for source, target in zip(argv[::2], argv[1::2], strict=True):
        run_case(source, target)


if __name__ == "__main__":
    main(sys.argv[1:])
