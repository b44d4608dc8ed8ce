"""Run vectorbt on our portfolio inputs (in its own interpreter) and read its answer back.

vectorbt is not in the test venv: ``tests.peer_venv.peer_python()`` finds ``.venv-bench``
(scripts/test.sh installs it). The arrays go through temporary .npz files to
tests/engine/portfolio_vectorbt.py, all cases of one call in one child (vectorbt's import
and numba load once).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from engine.portfolio import PortfolioConfig
from engine.portfolio.prices import last_close
from tests.peer_venv import MISSING, peer_python

CHILD = Path(__file__).with_name("portfolio_vectorbt.py")


def peer_inputs(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
) -> dict[str, np.ndarray]:
    """vectorbt's arrays for our decisions: the targets of bar t's close as target
    percents on bar t+1, priced and valued at that bar's open (the last close where a
    ticker has no bar)."""
    n_bars, n_assets = close.shape
    size = np.full((n_bars, n_assets), np.nan)
    fill = np.flatnonzero(decide[:-1]) + 1
    size[fill] = targets[fill - 1]
    previous = np.vstack([np.full((1, n_assets), np.nan), last_close(close)[:-1]])
    return {
        "open": open_,
        "close": close,
        "size": size,
        "val_price": np.where(np.isfinite(close), open_, previous),
        "init_cash": np.array(config.initial_capital),
        "fees": np.array(config.fee_rate),
        "fixed_fees": np.array(config.fee_fixed),
        "slippage": np.array(config.slippage_bps / 10_000.0),
    }


def run_vectorbt(
    cases: list[dict[str, np.ndarray]], repeat: int = 0, child: Path = CHILD
) -> list[dict]:
    """vectorbt's outputs for each case of ``peer_inputs`` (see portfolio_vectorbt.py), or
    of another peer script ``child`` taking the same IN.npz OUT.npz pairs."""
    python = peer_python()
    if python is None:
        raise RuntimeError(MISSING)
    with tempfile.TemporaryDirectory(prefix="portfolio-peer-") as folder:
        paths = []
        for i, case in enumerate(cases):
            source, target = Path(folder, f"in{i}.npz"), Path(folder, f"out{i}.npz")
            np.savez(source, **case)
            paths += [str(source), str(target)]
        extra = ["--repeat", str(repeat)] if repeat else []
        subprocess.run([python, str(child), *extra, *paths], check=True)
        outputs = []
        for target in paths[1::2]:
            with np.load(target) as data:
                outputs.append({key: data[key] for key in data.files})
    return outputs
