"""The engine freeze: a golden matrix of engine outputs pinned to ENGINE_VERSION.

Each case calls the public engine API (``engine.run``, or ``engine.run_batch`` for the
batch case) on fixed inputs — the first bars of backtesting.py's bundled GOOG.csv, or a
small synthetic short squeeze — and its whole result (cash, position and equity on every
bar, trades with their fill prices and fees, core metrics, bust bar) is stored as JSON in
``tests/engine/golden/<case>.json`` together with the ``ENGINE_VERSION`` it was made with.

The matrix: size value / percent / all-in × longonly / longshort × fee 0 / 0.2% × slippage
0 / 10 bps on GOOG, plus a bankruptcy (an all-in short squeezed to zero equity), a size too
small for one share, a batch of three signal sets (the vectorised multi-run path), and two
cases with stops (stop-loss + take-profit long-only; trailing stop + take-profit long-short:
engine 1.1.0).

A case fails with "engine output changed without an ENGINE_VERSION bump" when the version
equals the recorded one but any output byte differs, and with "ENGINE_VERSION bumped:
regenerate golden files with `python -m tests.golden`" when the version differs.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import ENGINE_VERSION, Bars, TradingParams, _simulate, run, run_batch
from engine.broker.costs import Costs
from engine.broker.stops import Stops
from tests.bars import GOOG_CSV
from tests.golden import case_problem, dumps

GOLDEN_DIR = Path(__file__).parent / "golden"
GOOG_BARS = 200
"""The first 200 bars of GOOG.csv (2004-08-19 ..): enough for a dozen round trips."""
BREAKOUT = 5
"""Signals: close above the highest / below the lowest close of the previous 5 bars."""
CHANGED = "engine output changed without an ENGINE_VERSION bump"


@dataclasses.dataclass(frozen=True)
class Case:
    """One golden case: which bars, and the trading parameters."""

    market: str
    params: TradingParams
    batch: bool = False


def _matrix() -> dict[str, Case]:
    sizes = {"value": ("value", 25_000.0), "percent": ("percent", 50.0), "allin": ("percent", 100)}
    cases = {}
    for size, (size_type, position_size) in sizes.items():
        for direction in ("longonly", "longshort"):
            for fee in (0.0, 0.002):
                for slippage in (0.0, 10.0):
                    name = f"goog-{size}-{direction}-fee{fee:g}-slip{slippage:g}"
                    cases[name] = Case(
                        "goog",
                        TradingParams(
                            initial_capital=100_000,
                            fee_rate=fee,
                            slippage_bps=slippage,
                            position_size=position_size,
                            size_type=size_type,
                            direction=direction,
                        ),
                    )
    cases["squeeze-allin-longshort-bankrupt"] = Case(
        "squeeze",
        TradingParams(
            initial_capital=10_000,
            fee_rate=0.001,
            slippage_bps=5,
            position_size=100,
            size_type="percent",
            direction="longshort",
        ),
    )
    cases["goog-allin-longshort-trailing-fee0.001-slip5"] = Case(
        "goog",
        TradingParams(
            fee_rate=0.001,
            slippage_bps=5,
            position_size=100,
            size_type="percent",
            direction="longshort",
            take_profit_pct=10,
            trailing_stop_pct=4,
        ),
    )
    cases["goog-value-longonly-below-one-share"] = Case(
        "goog", TradingParams(fee_rate=0.001, position_size=50)
    )
    cases["goog-batch-percent-longshort-fee0.002-slip10"] = Case(
        "goog",
        TradingParams(
            fee_rate=0.002,
            slippage_bps=10,
            position_size=50,
            size_type="percent",
            direction="longshort",
        ),
        batch=True,
    )
    cases["goog-percent-longonly-stops-fee0.002-slip10"] = Case(
        "goog",
        dataclasses.replace(
            cases["goog-batch-percent-longshort-fee0.002-slip10"].params,
            direction="longonly",
            stop_loss_pct=3,
            take_profit_pct=8,
        ),
    )
    return cases


CASES = _matrix()
MATRIX = [
    name
    for name, case in CASES.items()
    if name.startswith("goog-") and "-fee" in name and not case.batch and not case.params.has_stops
]
STOP_CASES = [name for name, case in CASES.items() if case.params.has_stops]


def golden_path(name: str) -> Path:
    """Where case ``name``'s golden output lives."""
    return GOLDEN_DIR / f"{name}.json"


def goog_bars() -> Bars:
    """The first ``GOOG_BARS`` bars of GOOG.csv, parsed with ``float`` (correctly rounded)."""
    with GOOG_CSV.open(newline="") as handle:
        rows = list(csv.reader(handle))[1 : GOOG_BARS + 1]
    columns = list(zip(*rows, strict=True))
    prices = [[float(x) for x in column] for column in columns[1:]]
    return Bars(np.array(columns[0], dtype="datetime64[s]"), *prices)


def squeeze_bars() -> Bars:
    """20 synthetic bars: flat at 10, then a rally to 30 (a short goes bust near 20)."""
    close = np.array([10.0] * 4 + [10.0 + 1.25 * k for k in range(1, 17)])
    open_ = np.concatenate([[10.0], close[:-1]])
    timestamps = np.datetime64("2020-01-01", "s") + np.arange(close.size) * np.timedelta64(1, "D")
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    return Bars(timestamps, open_, high, low, close, np.full(close.size, 1_000.0))


def breakout(close: np.ndarray, lookback: int) -> tuple[np.ndarray, np.ndarray]:
    """Comparisons of raw closes only (no float arithmetic, so no platform-dependent
    rounding), plus two edge cases: a conflicting bar (both true, ignored) and a signal on the
    last bar (never filled) that would change the position."""
    entries = np.zeros(close.size, dtype=bool)
    exits = np.zeros(close.size, dtype=bool)
    for t in range(lookback, close.size):
        previous = close[t - lookback : t]
        entries[t] = close[t] > previous.max()
        exits[t] = close[t] < previous.min()
    conflict = int(np.flatnonzero(entries)[1])
    exits[conflict] = True
    last = np.flatnonzero(entries ^ exits)[-1]
    entries[-1], exits[-1] = not entries[last], bool(entries[last])
    return entries, exits


def squeeze_signals(n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """An exit on bar 1 (short from bar 2's open), then signals after the bust that must be
    ignored."""
    entries = np.zeros(n_bars, dtype=bool)
    exits = np.zeros(n_bars, dtype=bool)
    exits[1] = True
    entries[15] = True
    exits[17] = True
    return entries, exits


def case_inputs(case: Case) -> tuple[Bars, np.ndarray, np.ndarray]:
    """Bars and signals of a case (2-D signals, one row per run, for the batch case)."""
    if case.market == "squeeze":
        bars = squeeze_bars()
        return (bars, *squeeze_signals(len(bars)))
    bars = goog_bars()
    if case.batch:
        rows = [breakout(bars.close, lookback) for lookback in (3, BREAKOUT, 10)]
        return bars, np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    return (bars, *breakout(bars.close, BREAKOUT))


def _inputs_hash(case: Case, bars: Bars, entries: np.ndarray, exits: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(np.packbits(entries).tobytes() + np.packbits(exits).tobytes())
    digest.update(json.dumps(params_document(case.params)).encode())
    return digest.hexdigest()


def params_document(params: TradingParams) -> dict[str, Any]:
    """The case's trading parameters as recorded: unset stops (``None``) and a market entry
    (the default ``entry_type`` and ``valid_bars``), no scaling (``max_entries`` 1,
    ``exit_fraction`` 1, ``take_profit_fraction`` 1), ``exit_priority`` off and the liquidity
    fields at their defaults are left out, so the cases made before stops, entry orders,
    scaling, ``exit_priority`` and liquidity existed keep their recorded inputs and hash."""
    market = {"entry_type": "market", "valid_bars": 1, "max_entries": 1, "exit_fraction": 1.0}
    market["take_profit_fraction"] = 1.0
    market["exit_priority"] = False
    market.update(slippage_model="fixed", price_impact=0.1, impact_k=1.0)  # no liquidity field
    market.update(impact_window=20, spread_window=20)
    return {
        name: value
        for name, value in dataclasses.asdict(params).items()
        if value is not None and market.get(name, object()) != value
    }


def _nan_to_none(values: np.ndarray) -> list[Any]:
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values.tolist()]


def engine_output(case: Case) -> dict[str, Any]:
    """Everything the engine returns for the case, as plain JSON values."""
    bars, entries, exits = case_inputs(case)
    if case.batch:
        batch = run_batch(bars, entries, exits, case.params, keep_equity=True)
        return {
            "metrics": {name: _nan_to_none(values) for name, values in batch.metrics.items()},
            "equity": batch.equity.tolist(),
        }
    result = run(bars, entries, exits, case.params)
    return {
        "cash": result.cash.tolist(),
        "position": result.position.tolist(),
        "equity": result.equity.tolist(),
        "trades": [dataclasses.asdict(trade) for trade in result.trades],
        "metrics": result.metrics,
        "bust_bar": result.bust_bar,
    }


def build_document(name: str, engine_version: str = ENGINE_VERSION) -> dict[str, Any]:
    """The golden document of case ``name`` as the current engine makes it."""
    case = CASES[name]
    bars, entries, exits = case_inputs(case)
    return {
        "case": name,
        "engine_version": engine_version,
        "inputs": {
            "bars": f"GOOG.csv bars 0..{GOOG_BARS - 1}" if case.market == "goog" else case.market,
            "signals": f"{case.market} signals" + (" (3 rows)" if case.batch else ""),
            "params": params_document(case.params),
            "sha256": _inputs_hash(case, bars, entries, exits),
        },
        "output": engine_output(case),
    }


def golden_problem(golden_text: str, current: dict[str, Any]) -> str | None:
    """Why a golden file no longer holds for the current document, or None."""
    return case_problem(golden_text, current, "engine_version", CHANGED)


def _matrix_problems() -> dict[str, str | None]:
    return {
        name: golden_problem(golden_path(name).read_text(), build_document(name)) for name in CASES
    }


@pytest.mark.parametrize("name", list(CASES))
def test_engine_output_equals_its_golden_file_byte_for_byte(name: str) -> None:
    """Every case reproduces its golden file exactly, under the ENGINE_VERSION it records."""
    problem = golden_problem(golden_path(name).read_text(), build_document(name))
    assert problem is None, problem


def test_every_golden_file_belongs_to_a_case_and_every_case_has_one() -> None:
    """No stale golden file and no case without one."""
    assert sorted(p.stem for p in GOLDEN_DIR.glob("*.json")) == sorted(CASES)


def test_matrix_cases_trade_and_longshort_cases_go_short() -> None:
    """The fixtures exercise what they are named after: trades, fees, slippage, shorts."""
    assert len(MATRIX) == 3 * 2 * 2 * 2
    for name in MATRIX:
        case = CASES[name]
        trades = run(*case_inputs(case), case.params).trades
        assert len(trades) >= 5, name
        assert any(t.direction == -1 for t in trades) == (case.params.direction == "longshort")
        assert all((t.entry_fee > 0) == (case.params.fee_rate > 0) for t in trades), name
        assert any(t.is_open for t in trades) and not trades[0].is_open, name


def test_bankruptcy_case_goes_bust_and_stops_trading() -> None:
    """The squeeze liquidates the short at zero equity and ignores the later signals."""
    case = CASES["squeeze-allin-longshort-bankrupt"]
    result = run(*case_inputs(case), case.params)
    assert result.bust_bar is not None and result.bust_bar < 15
    assert not result.equity[result.bust_bar :].any()
    assert result.equity[: result.bust_bar].min() > 0
    assert [(t.direction, t.exit_bar, t.is_open) for t in result.trades] == [
        (-1, result.bust_bar, False)
    ]


def test_a_size_below_one_share_opens_nothing() -> None:
    """position_size 50 at GOOG's ~100+ prices buys no share: flat, no trade."""
    case = CASES["goog-value-longonly-below-one-share"]
    result = run(*case_inputs(case), case.params)
    assert result.trades == () and not result.position.any()


@pytest.mark.parametrize(
    ("path", "where"),
    [
        (("equity", 57), "equity[57]"),
        (("trades", 2, "entry_fee"), "trades[2].entry_fee"),
        (("metrics", "sharpe_ratio"), "metrics.sharpe_ratio"),
    ],
)
def test_one_ulp_off_in_a_golden_number_is_reported_as_an_unbumped_engine_change(
    path: tuple, where: str
) -> None:
    """The comparator sees a single last-bit difference and names where it is."""
    name = "goog-allin-longshort-fee0.002-slip10"
    golden = json.loads(golden_path(name).read_text())
    *parents, leaf = path
    holder = golden["output"]
    for key in parents:
        holder = holder[key]
    holder[leaf] = math.nextafter(holder[leaf], math.inf)
    problem = golden_problem(dumps(golden), build_document(name))
    assert problem == f"{name}: {CHANGED}: {where}: golden {holder[leaf]!r}, now " + repr(
        math.nextafter(holder[leaf], -math.inf)
    )


def test_a_golden_file_from_another_engine_version_asks_for_regeneration() -> None:
    """A bumped ENGINE_VERSION fails until the golden files are regenerated."""
    name = "goog-value-longonly-fee0-slip0"
    problem = golden_problem(golden_path(name).read_text(), build_document(name, "9.9.9"))
    assert problem == (
        f"{name}: ENGINE_VERSION bumped: regenerate golden files with `python -m tests.golden` "
        f"(golden made with {ENGINE_VERSION}, code is 9.9.9)"
    )


def _mutated(monkeypatch: pytest.MonkeyPatch, mutation: str) -> None:
    if mutation == "fill shifted by one bar":
        transitions = _simulate.transitions

        def shifted(entries: np.ndarray, exits: np.ndarray, direction: str) -> tuple:
            runs, fill_bars, sides = transitions(entries, exits, direction)
            keep = fill_bars + 1 < entries.shape[1]
            return runs[keep], fill_bars[keep] + 1, sides[keep]

        monkeypatch.setattr(_simulate, "transitions", shifted)
    elif mutation == "stops 1% wider":
        of_stops: Callable = Stops.of

        def wider(cls: type, params: TradingParams) -> Stops:
            stops = of_stops(params)
            return dataclasses.replace(
                stops, **{k: v * 1.01 for k, v in dataclasses.asdict(stops).items() if v}
            )

        monkeypatch.setattr(Stops, "of", classmethod(wider))
    else:
        of: Callable = Costs.of

        def higher_fee(cls: type, params: TradingParams) -> Costs:
            return of(dataclasses.replace(params, fee_rate=params.fee_rate + 0.0001))

        monkeypatch.setattr(Costs, "of", classmethod(higher_fee))


@pytest.mark.parametrize(
    ("mutation", "reaches"),
    [
        ("fill shifted by one bar", "no stops"),
        ("fee change", "all"),
        ("stops 1% wider", "stops"),
    ],
)
def test_a_mutated_engine_fails_every_golden_case_that_trades(
    monkeypatch: pytest.MonkeyPatch, mutation: str, reaches: str
) -> None:
    """Mutating the engine in memory (not on disk) makes each trading case the mutated code
    runs for report an unbumped engine change; the case that never trades is rightly
    untouched (and the cases with stops do not use ``transitions``; those without stops never
    reach the stop code)."""
    _mutated(monkeypatch, mutation)
    problems = _matrix_problems()
    untouched = [name for name, problem in problems.items() if problem is None]
    expected = ["goog-value-longonly-below-one-share"]
    if reaches == "no stops":
        expected += STOP_CASES
    elif reaches == "stops":
        expected = [name for name in CASES if name not in STOP_CASES]
    assert sorted(untouched) == sorted(expected)
    assert all(CHANGED in problem for problem in problems.values() if problem)
