"""The parity peer: vectorbt's ``Portfolio.from_orders`` on universes, as a script.

Run by tests/engine/portfolio_peer.py (for the parity test and bench/portfolio_bench.py)
with the interpreter that has vectorbt (``.venv-bench``; it is not in the test venv)::

    python portfolio_vectorbt.py [--repeat N] IN.npz OUT.npz [IN.npz OUT.npz ...]

Each IN holds ``open``, ``close``, ``size`` (target percent per fill bar and ticker, NaN =
no order), ``val_price``, ``init_cash``, ``fees``, ``fixed_fees`` (optional) and
``slippage``; its OUT gets the
group's ``value`` on every bar and the order records (``bar``, ``asset``, ``shares``
signed, ``price``, ``fee``) in vectorbt's order. With ``--repeat N`` (N >= 1) a case is
first run once to compile numba, then timed N times (``from_orders`` and ``value()``);
OUT gets the best wall time in ``seconds`` and the first call's in ``warmup_seconds``, which
are also printed as one JSON line a case (for ``bench.peers.measured``).
Imports numpy, pandas and vectorbt only.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pandas as pd
import vectorbt as vbt


def from_orders(inputs: dict[str, np.ndarray]) -> vbt.Portfolio:
    """Our convention expressed in vectorbt's options (docs/execution.md, "Portfolios")."""
    return vbt.Portfolio.from_orders(
        pd.DataFrame(inputs["close"]),
        size=inputs["size"],
        size_type="targetpercent",
        direction=str(inputs["direction"]) if "direction" in inputs else "longonly",
        price=inputs["open"],
        val_price=inputs["val_price"],
        fees=float(inputs["fees"]),
        fixed_fees=float(inputs["fixed_fees"]) if "fixed_fees" in inputs else 0.0,
        slippage=float(inputs["slippage"]),
        size_granularity=1.0,
        init_cash=float(inputs["init_cash"]),
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
    )


def run_case(source: str, target: str, repeat: int, simulate=None) -> None:
    """One universe: simulate (``simulate``: inputs -> portfolio, ``from_orders`` unless
    given), optionally time, write the outputs."""
    build = simulate or from_orders
    with np.load(source) as data:
        inputs = {key: data[key] for key in data.files}
    timing = {}
    if repeat:
        started = time.perf_counter()
        build(inputs).value()
        timing["warmup_seconds"] = time.perf_counter() - started
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            build(inputs).value()
            best = min(best, time.perf_counter() - started)
        timing["seconds"] = best
        print(json.dumps(timing), flush=True)
    portfolio = build(inputs)
    records = portfolio.orders.values
    sign = np.where(records["side"] == 0, 1.0, -1.0)
    np.savez(
        target,
        value=np.asarray(portfolio.value(), dtype=np.float64),
        bar=records["idx"].astype(np.int64),
        asset=records["col"].astype(np.int64),
        shares=records["size"] * sign,
        price=records["price"],
        fee=records["fees"],
        version=np.array(vbt.__version__),
        **timing,
    )


def main(argv: list[str], simulate=None) -> None:
    """Run every IN OUT pair of ``argv`` (after ``--repeat N``) with ``simulate``
    (``run_case``; the portfolio of rules' peer passes ``from_signals``)."""
    repeat = 0
    if argv[:1] == ["--repeat"]:
        repeat, argv = int(argv[1]), argv[2:]
    for source, target in zip(argv[::2], argv[1::2], strict=True):
        run_case(source, target, repeat, simulate)


if __name__ == "__main__":
    main(sys.argv[1:])
