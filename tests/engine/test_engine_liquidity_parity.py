"""Parity of the volume-share slippage model (``slippage_model="volume_share"`` with
``volume_limit``; docs/execution.md, "Liquidity") with zipline-reloaded 3.2.1's
``VolumeShareSlippage`` on the same orders and bars: the shares filled on every bar, their
prices within 1e-9 relative, and the remainder each order carries, on backtesting.py's GOOG
and 50 random series with thin and zero-volume bars.

zipline runs from ``.venv-zipline`` (requirements-zipline.txt; ZIPLINE_PYTHON) through
tests/engine/zipline_peer.py, which drives zipline's own blotter, ``Order`` objects and
``VolumeShareSlippage.simulate``: never skipped; without it the test fails saying how to
install it.

Where the two differ, and how the test aligns them:
- Price: zipline fills an order placed on bar t at the CLOSE of bar t + 1 (and a remainder
  at the closes after); the platform fills the signal of bar t's close at the OPEN of
  t + 1. Our bars are built with each bar's open equal to zipline's close of the same bar
  (``tests.bars.daily_bars``: opens at the closes), so both fill at the same price.
- Orders: zipline is given orders of shares, the platform signals sized by a size series in
  shares (``size_unit="shares"``), with cash enough never to bind and no fee; an exit is,
  in zipline, "cancel the open orders, then order minus the position" — the platform's exit
  (it cancels what its entry has left and sells what is held, limited by volume too).
- The remainder: zipline keeps an order open until it fills (daily, it never cancels);
  the platform until it fills, an exit cancels it, or ``valid_bars`` pass: ``valid_bars``
  is set to its maximum.
- Impact: zipline computes close + close × share² × price_impact; the platform close ×
  (1 + price_impact × share²) (``engine.broker.impact``): equal within a few ulps.
- A bar whose ``volume_limit`` × volume is below one share fills nothing in both; a NaN
  volume fills nothing on the platform (zipline fails on one: none are given).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from tests.peer_venv import ZIPLINE_MISSING, zipline_peer_python

RELATIVE = 1e-9
CHILD = Path(__file__).with_name("zipline_peer.py")


def _zipline(cases: list[dict]) -> list[dict]:
    python = zipline_peer_python()
    assert python, ZIPLINE_MISSING
    done = subprocess.run(
        [python, str(CHILD)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_the_oracle_drives_zipline_s_own_volume_share_slippage():
    """The harness itself, on a case computed by hand with zipline's defaults (2.5 % of a
    bar's volume, impact 0.1): 50 shares ordered on bar 0 fill 25 on bar 1 (1,000 × 2.5 %;
    10 × (1 + 0.1 × 0.025²) = 10.000625), 10 on bar 2 (400 × 2.5 %; 11 × (1 + 0.1 ×
    0.025²) = 11.0006875), none on bar 3 (no volume), the last 15 on bar 4 (share 15/800 =
    0.01875; 13 × (1 + 0.1 × 0.01875²) = 13.00045703125); the exit of bar 4 sells the 50
    over bars 5 and 6, 25 each, at 14 × (1 − 0.1 × 0.025²) and 15 × (1 − 0.1 × 0.025²); a
    bar of 39 shares (0.975 < 1 share) fills nothing."""
    case = {
        "close": [10.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0],
        "volume": [1000.0, 1000.0, 400.0, 0.0, 800.0, 1000.0, 1000.0, 39.0, 1000.0],
        "volume_limit": 0.025,
        "price_impact": 0.1,
        "actions": [
            {"bar": 0, "exit": False, "amount": 50},
            {"bar": 4, "exit": True, "amount": 0},
            {"bar": 6, "exit": False, "amount": 30},
        ],
    }
    (got,) = _zipline([case])
    expected = [
        [1, 25, 10.000625],
        [2, 10, 11.0006875],
        [4, 15, 13.00045703125],
        [5, -25, 14 * (1 - 0.1 * 0.025**2)],
        [6, -25, 15 * (1 - 0.1 * 0.025**2)],
        [8, 25, 17 * (1 + 0.1 * 0.025**2)],
    ]
    assert [f[:2] for f in got["fills"]] == [f[:2] for f in expected]
    np.testing.assert_allclose([f[2] for f in got["fills"]], [f[2] for f in expected], rtol=1e-15)
    assert got["unfilled"] == [0, 0, 5] and got["held"] == 25
