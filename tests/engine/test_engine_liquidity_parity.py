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
  (1 + price_impact × share²) (``engine.broker.impact``): equal within a few ulps. A sale
  whose impact exceeds 100 % fills at 0 on the platform, at a negative price in zipline:
  the cases keep price_impact × volume_limit² below 1.
- Cash: zipline checks none; the platform's never binds here (``_capital``).
- A bar whose ``volume_limit`` × volume is below one share fills nothing in both; a NaN
  volume fills nothing on the platform (zipline fails on one: none are given).
"""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine import TradingParams, run
from engine.broker import impact, jitted
from engine.param_specs import VALID_BARS_MAX
from tests.bars import daily_bars, goog_frame
from tests.peer_venv import ZIPLINE_MISSING, zipline_peer_python

RELATIVE = 1e-9
CHILD = Path(__file__).with_name("zipline_peer.py")
RANDOM_SERIES = 50


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


HAND_CASE = {
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


def _impact_case(seed: int) -> dict:
    """Two bars; 2-6 orders of either side placed on bar 0 fill one after another on bar 1,
    each priced on the bar's shares filled so far, this fill included."""
    rng = np.random.default_rng(1_000 + seed)
    volume = float(np.floor(rng.lognormal(np.log(5_000), 1.5)))
    limit = float(rng.choice([0.025, 0.1, 0.5, 1.0]))
    amounts = rng.integers(1, max(2, int(volume * limit / 2)), int(rng.integers(2, 7)))
    sides = rng.choice([-1, 1], len(amounts))
    return {
        "close": [50.0, float(rng.uniform(1.0, 500.0))],
        "volume": [volume, volume],
        "volume_limit": limit,
        "price_impact": float(rng.uniform(0.0, 0.9)),
        "actions": [
            {"bar": 0, "exit": False, "amount": int(a * side)}
            for a, side in zip(amounts, sides, strict=True)
        ],
    }


@pytest.fixture(scope="module")
def peer() -> dict[str, list]:
    """zipline's answers, one child for every test here (its import takes ~20 s): the hand
    case, the impact cases and the parity cases (GOOG, then the random series)."""
    impact_cases = [_impact_case(seed) for seed in range(40)]
    parity = {"GOOG": _goog_case()} | {
        f"random-{seed}": _random_case(seed) for seed in range(RANDOM_SERIES)
    }
    answers = _zipline([HAND_CASE, *impact_cases, *parity.values()])
    return {
        "hand": answers[0],
        "impact": list(zip(impact_cases, answers[1 : 1 + len(impact_cases)], strict=True)),
        "parity": list(zip(parity, parity.values(), answers[1 + len(impact_cases) :], strict=True)),
    }


def test_the_oracle_drives_zipline_s_own_volume_share_slippage(peer):
    """The harness itself, on a case computed by hand with zipline's defaults (2.5 % of a
    bar's volume, impact 0.1): 50 shares ordered on bar 0 fill 25 on bar 1 (1,000 × 2.5 %;
    10 × (1 + 0.1 × 0.025²) = 10.000625), 10 on bar 2 (400 × 2.5 %; 11 × (1 + 0.1 ×
    0.025²) = 11.0006875), none on bar 3 (no volume), the last 15 on bar 4 (share 15/800 =
    0.01875; 13 × (1 + 0.1 × 0.01875²) = 13.00045703125); the exit of bar 4 sells the 50
    over bars 5 and 6, 25 each, at 14 × (1 − 0.1 × 0.025²) and 15 × (1 − 0.1 × 0.025²); a
    bar of 39 shares (0.975 < 1 share) fills nothing; 30 ordered on bar 6 fill 25 on bar 8."""
    got = peer["hand"]
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


def test_the_impact_prices_zipline_s_fills(peer):
    """``engine.broker.impact`` (Python and compiled) prices each of zipline's fills on a
    bar shared by several orders, buys and sells, from the bar's shares filled so far (this
    fill included) and its volume: zipline's price within 1e-12 relative."""
    fills = 0
    for case, got in peer["impact"]:
        close, volume, total = case["close"][1], case["volume"][1], 0.0
        for bar, shares, price in got["fills"]:
            assert bar == 1
            total += abs(shares)
            side = 1.0 if shares > 0 else -1.0
            for impact_of, price_of in (
                (impact.impact_fraction, impact.liquidity_price),
                (jitted.impact_fraction, jitted.liquidity_price),
            ):
                fraction = impact_of(
                    impact.VOLUME_SHARE, case["price_impact"], 0.0, total, volume, np.nan, np.nan
                )
                assert price_of(close, side, fraction, 0.0) == pytest.approx(price, rel=1e-12)
            fills += 1
    assert fills > 100


# ---- the platform against zipline ----


def _actions(rng: np.random.Generator, volume: np.ndarray, limit: float) -> list[dict]:
    """Entries of whole shares worth 1-5 bars of the volume limit at the median volume,
    each followed after 1-12 bars by an exit (often while the entry is still filling), the
    next entry 40 bars after that exit so the position is flat again by then."""
    typical = limit * float(np.median(volume[volume > 0]))
    actions, bar = [], int(rng.integers(1, 10))
    while bar < len(volume) - 2:
        amount = max(1, int(typical * rng.uniform(0.5, 5.0)))
        actions.append({"bar": bar, "exit": False, "amount": amount})
        bar += int(rng.integers(1, 13))
        if bar < len(volume) - 1:
            actions.append({"bar": bar, "exit": True, "amount": 0})
        bar += 40
    return actions


def _random_case(seed: int) -> dict:
    """A random walk of 150-400 bars with lognormal volumes: some bars thin (below one
    share of the limit) and some without volume."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(150, 400))
    close = 20.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    volume = np.floor(rng.lognormal(np.log(rng.uniform(50, 20_000)), 1.0, n))
    volume[rng.random(n) < 0.05] = 0.0
    limit = float(rng.choice([0.01, 0.025, 0.1, 0.5, 1.0]))
    impact = float(rng.choice([0.1, 0.05, 0.5, 1.0]))
    if impact * limit**2 >= 1.0:  # zipline would sell at a negative price; ours at 0
        limit = 0.5
    return {
        "close": close.tolist(),
        "volume": volume.tolist(),
        "spread": (close * rng.uniform(0.0, 0.03, n)).tolist(),
        "volume_limit": limit,
        "price_impact": impact,
        "actions": _actions(rng, volume, limit),
    }


def _goog_case() -> dict:
    frame = goog_frame()
    volume = frame["Volume"].to_numpy(dtype=float)
    return {
        "close": frame["Close"].tolist(),
        "volume": volume.tolist(),
        "high": frame["High"].tolist(),
        "low": frame["Low"].tolist(),
        "volume_limit": 0.025,
        "price_impact": 0.1,
        "actions": _actions(np.random.default_rng(58), volume, 0.025),
    }


def _capital(case: dict, got: dict) -> float:
    """Cash that never binds (zipline checks none): twice the most zipline's fills ever
    spent plus the largest order at the highest price with the largest impact. No more:
    the fill price is read back from the cash (``_ours``), to within its rounding."""
    flows = np.cumsum([-shares * price for _, shares, price in got["fills"]])
    spent = -min(0.0, float(flows.min())) if len(flows) else 0.0
    largest = max(a["amount"] for a in case["actions"] if not a["exit"])
    worst = 1.0 + case["price_impact"] * case["volume_limit"] ** 2
    return 2.0 * (spent + largest * max(case["close"]) * worst)


def _ours(case: dict, capital: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The platform on the case: (shares filled on each bar, signed; the fill price of each
    bar, NaN where none; the position at the end). With no fee and no borrow, a bar's
    cash changes by its fill alone: price = −Δcash / Δposition."""
    close = np.asarray(case["close"])
    n = len(close)
    if "high" in case:
        high, low = np.asarray(case["high"]), np.asarray(case["low"])
    else:
        high, low = close + np.asarray(case["spread"]), close - np.asarray(case["spread"]) / 2
    bars = daily_bars(close, high=high, low=low, volume=case["volume"])
    entries, exits = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    sizes = np.full(n, np.nan)
    for action in case["actions"]:
        if action["exit"]:
            exits[action["bar"]] = True
        else:
            entries[action["bar"]] = True
            sizes[action["bar"]] = action["amount"]
    params = TradingParams(
        initial_capital=capital,
        fee_rate=0.0,
        slippage_bps=0.0,
        size_unit="shares",
        valid_bars=VALID_BARS_MAX,
        volume_limit=case["volume_limit"],
        slippage_model="volume_share",
        price_impact=case["price_impact"],
    )
    result = run(bars, entries, exits, params, size=lambda bar, equity: float(sizes[bar]))
    position = np.asarray(result.position, dtype=float)
    cash = np.asarray(result.cash, dtype=float)
    filled = np.diff(position, prepend=0.0)
    paid = np.diff(cash, prepend=params.initial_capital)
    with np.errstate(invalid="ignore", divide="ignore"):
        price = np.where(filled != 0.0, -paid / filled, np.nan)
    return filled, price, position[-1]


def _zipline_per_bar(got: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    filled, price = np.zeros(n), np.full(n, np.nan)
    for bar, shares, at in got["fills"]:
        assert filled[bar] == 0.0, "one order fills per bar in these cases"
        filled[bar], price[bar] = shares, at
    return filled, price


def _entries_unfilled_ours(case: dict, filled: np.ndarray) -> list[int]:
    """What each entry leaves unfilled on the platform: its shares less those bought from
    its signal to the exit that cancels the rest (or to the end)."""
    left, actions = [], case["actions"]
    for k, action in enumerate(actions):
        if action["exit"]:
            continue
        end = actions[k + 1]["bar"] if k + 1 < len(actions) else len(filled) - 1
        bought = filled[action["bar"] + 1 : end + 1]
        left.append(int(action["amount"] - bought[bought > 0].sum()))
    return left


def test_the_cases_partially_fill_carry_remainders_and_meet_thin_bars(peer):
    compared = peer["parity"]
    """The cases exercise what the parity is about: orders left partly filled on a bar and
    carried, exits cancelling a remainder, bars too thin to fill."""
    carried = sum(
        len(got["fills"]) > sum(not a["exit"] for a in case["actions"]) for _, case, got in compared
    )
    cancelled = sum(any(got["unfilled"]) for _, case, got in compared)
    assert carried == len(compared) and cancelled > len(compared) // 2
    waited = 0  # bars an order sat through for want of volume, between two of its fills
    for _, case, got in compared:
        thin = np.asarray(case["volume"]) * case["volume_limit"] < 1.0
        for (before, shares, _), (after, next_shares, _) in itertools.pairwise(got["fills"]):
            if (shares > 0) == (next_shares > 0):
                waited += int(thin[before + 1 : after].sum())
    assert waited > 20


def test_fills_per_bar_prices_and_remainders_equal_zipline_s(peer):
    for name, case, got in peer["parity"]:
        filled, price, held = _ours(case, _capital(case, got))
        want_filled, want_price = _zipline_per_bar(got, len(filled))
        np.testing.assert_array_equal(filled, want_filled, err_msg=name)
        np.testing.assert_allclose(price, want_price, rtol=RELATIVE, err_msg=name)
        entries_left = [
            left
            for action, left in zip(case["actions"], got["unfilled"], strict=True)
            if not action["exit"]
        ]
        assert _entries_unfilled_ours(case, filled) == entries_left, name
        assert held == got["held"], name
