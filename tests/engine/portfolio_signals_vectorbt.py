"""The parity peer of a portfolio of rules: vectorbt's ``Portfolio.from_signals`` grouped with
one shared cash ledger, as a script (run by tests/engine/portfolio_peer.py's ``run_vectorbt``
with ``child=`` this file, in the interpreter that has vectorbt)::

    python portfolio_signals_vectorbt.py [--repeat N] IN.npz OUT.npz [IN.npz OUT.npz ...]

Each IN holds ``open``, ``close``, ``entries`` and ``exits`` (already on their fill bars),
``val_price``, ``size`` (a fraction of the cash), ``init_cash``, ``fees``, ``fixed_fees``
and ``slippage``; its OUT gets the group's ``value`` on every bar and the order records
(``bar``, ``asset``, ``shares`` signed, ``price``, ``fee``) in vectorbt's order, written
by portfolio_vectorbt.py's ``run_case`` (and, with ``--repeat N``, its timing).
Imports numpy, pandas and vectorbt only.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import vectorbt as vbt


def from_signals(inputs: dict[str, np.ndarray]) -> vbt.Portfolio:
    """Our convention in vectorbt's options (docs/execution.md, "A portfolio of rules")."""
    return vbt.Portfolio.from_signals(
        pd.DataFrame(inputs["close"]),
        entries=inputs["entries"],
        exits=inputs["exits"],
        size=float(inputs["size"]),
        size_type="percent",
        direction="longonly",
        accumulate=False,
        price=inputs["open"],
        val_price=inputs["val_price"],
        fees=float(inputs["fees"]),
        fixed_fees=float(inputs["fixed_fees"]),
        slippage=float(inputs["slippage"]),
        size_granularity=1.0,
        init_cash=float(inputs["init_cash"]),
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )


if __name__ == "__main__":
    from portfolio_vectorbt import main  # beside this file: the same outputs, timing

    main(sys.argv[1:], from_signals)
