"""The one execution path (kinds.runs.execute): golden bytes, parity through the rules, bounds."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

import data
from adapters.deflated import probabilistic_sharpe_ratio, return_moments
from adapters.run_robustness import trade_returns
from engine import ENGINE_VERSION
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.runs.result_version import RESULT_SCHEMA_VERSION
from kinds.runs.serialize import to_json
from tests.golden import REGENERATE, dumps, first_difference, version_problem
from tests.reference import wilder_rsi

GOLDEN = Path(__file__).parents[1] / "golden"
GOLDEN_FILE = GOLDEN / "acme_sma_cross_longshort.json"
GOLDEN_VERSIONS = GOLDEN / "acme_sma_cross_longshort.versions.json"
"""The versions the golden bytes were made with (not a result field: stored bytes stay)."""
GOLDEN_REQUEST = {
    "run_id": "00000000-0000-4000-8000-000000000001",
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 30},
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "direction": "longshort",
    "slippage_bps": 2,
    "charts": False,
}


def current_versions() -> dict[str, str]:
    """The versions the golden result is pinned to, as the code has them now."""
    return {"engine_version": ENGINE_VERSION, "result_schema_version": RESULT_SCHEMA_VERSION}


def golden_problem(
    golden: str, recorded: dict[str, str], now: str, versions: dict[str, str]
) -> str | None:
    """Why the golden result bytes no longer hold, or None.

    A version differing from the sidecar's, or a different ``data_hash`` (the input CSV
    changed), asks for regeneration; equal versions and data with different bytes are an
    unbumped change: new/removed fields point at
    RESULT_SCHEMA_VERSION, changed values name the first one that moved.
    """
    problem = version_problem(recorded, versions)
    if problem:
        return problem
    stored = json.loads(golden)
    if stored.get("engine_version") != recorded["engine_version"]:
        return (
            f"the golden result says engine_version {stored.get('engine_version')!r} but its "
            f"sidecar says {recorded['engine_version']!r}: {REGENERATE}"
        )
    if now == golden:
        return None
    got = json.loads(now)
    if got.get("data_hash") != stored.get("data_hash"):
        return (
            f"the input data changed (data_hash {stored.get('data_hash')} is now "
            f"{got.get('data_hash')}; `python -m data.generate` rewrote it?): {REGENERATE}"
        )
    if list(got) != list(stored):
        return (
            "result fields changed without a RESULT_SCHEMA_VERSION bump: "
            f"{first_difference(stored, got)}"
        )
    return (
        "result bytes changed without an ENGINE_VERSION or RESULT_SCHEMA_VERSION bump: "
        f"{first_difference(stored, got) or 'same values, different serialisation'}"
    )


@pytest.fixture(scope="module")
def golden_now() -> str:
    """The golden request's result JSON as the code makes it now."""
    return to_json(execute(parse_request(GOLDEN_REQUEST)))


def test_a_fixed_request_gives_the_committed_golden_bytes(golden_now: str):
    """Byte-identical result JSON, pinned to the ENGINE_VERSION and RESULT_SCHEMA_VERSION in
    its sidecar (bump one and regenerate with `python -m tests.golden` for a change)."""
    recorded = json.loads(GOLDEN_VERSIONS.read_text())
    problem = golden_problem(GOLDEN_FILE.read_text(), recorded, golden_now, current_versions())
    assert problem is None, problem


def test_sidecar_is_laid_out_as_the_regenerate_tool_writes_it():
    """The sidecar holds exactly the pinned versions (no stray keys)."""
    recorded = json.loads(GOLDEN_VERSIONS.read_text())
    assert GOLDEN_VERSIONS.read_text() == dumps(recorded)
    assert list(recorded) == list(current_versions())


@pytest.mark.parametrize("key", ["engine_version", "result_schema_version"])
def test_a_bumped_version_fails_the_golden_until_it_is_regenerated(golden_now: str, key: str):
    """Either version moving away from the sidecar's asks for `python -m tests.golden`."""
    recorded = json.loads(GOLDEN_VERSIONS.read_text())
    bumped = {**current_versions(), key: "9.9.9"}
    problem = golden_problem(GOLDEN_FILE.read_text(), recorded, golden_now, bumped)
    name = {"engine_version": "ENGINE_VERSION", "result_schema_version": "RESULT_SCHEMA_VERSION"}
    assert problem == (
        f"{name[key]} bumped: regenerate golden files with `python -m tests.golden` "
        f"(golden made with {recorded[key]}, code is 9.9.9)"
    )


def test_a_changed_number_without_a_bump_is_reported_with_its_place(golden_now: str):
    """One metric one ulp off in the result: an unbumped change naming the metric."""
    changed = json.loads(golden_now)
    changed["metrics"]["sharpe_ratio"] = math.nextafter(changed["metrics"]["sharpe_ratio"], 1.0)
    problem = golden_problem(
        GOLDEN_FILE.read_text(),
        json.loads(GOLDEN_VERSIONS.read_text()),
        to_json(changed),
        current_versions(),
    )
    assert problem is not None
    assert problem.startswith("result bytes changed without an ENGINE_VERSION or RESULT_SCHEMA")
    assert "metrics.sharpe_ratio" in problem


def test_changed_input_data_asks_for_regeneration_not_a_bump(golden_now: str):
    """Another data_hash (the demo CSV regenerated): the golden is rewritten, the engine
    version stays."""
    moved = {**json.loads(golden_now), "data_hash": "0" * 64}
    moved["metrics"]["sharpe_ratio"] = 1.0
    problem = golden_problem(
        GOLDEN_FILE.read_text(),
        json.loads(GOLDEN_VERSIONS.read_text()),
        to_json(moved),
        current_versions(),
    )
    assert problem is not None
    assert problem.startswith("the input data changed (data_hash ")
    assert problem.endswith(REGENERATE)


def test_a_new_result_field_without_a_bump_points_at_the_schema_version(golden_now: str):
    """Adding a field is a result-document change, not an engine change."""
    added = {**json.loads(golden_now), "result_schema_version": RESULT_SCHEMA_VERSION}
    problem = golden_problem(
        GOLDEN_FILE.read_text(),
        json.loads(GOLDEN_VERSIONS.read_text()),
        to_json(added),
        current_versions(),
    )
    assert problem is not None
    assert problem.startswith("result fields changed without a RESULT_SCHEMA_VERSION bump")
    assert "'result_schema_version'" in problem


def test_the_same_request_with_charts_gives_the_same_bytes_twice_in_a_row():
    """Charts included: two executions produce identical JSON, PNG bytes and all."""
    request = parse_request({**GOLDEN_REQUEST, "charts": True})
    first, second = (to_json(execute(request)) for _ in range(2))
    assert hashlib.sha256(first.encode()).digest() == hashlib.sha256(second.encode()).digest()
    assert json.loads(first)["charts"]["candles_base64"].startswith("data:image/png;base64,")


def test_a_runs_psr_is_adapters_deflated_on_its_bar_returns_and_its_trades_compound_to_it():
    """PSR (against 0) of the stored equity curve's bar returns by adapters.deflated, with
    its inputs in the result and in metrics; the trade returns the Monte Carlo reshuffles
    compound to the run's total return (stops on, so trades close for several reasons)."""
    request = parse_request({**GOLDEN_REQUEST, "stop_loss_pct": 3, "take_profit_pct": 8})
    result = execute(request).to_dict()
    equity = np.array(result["equity_curve"]["equity"])
    moments = return_moments(equity[1:] / equity[:-1] - 1.0)
    psr = probabilistic_sharpe_ratio(moments.sharpe, moments.n, moments.skewness, moments.kurtosis)
    stored = result["probabilistic_sharpe"]
    assert stored == {
        "psr": psr,
        "benchmark_sharpe": 0.0,
        "sharpe_per_bar": moments.sharpe,
        "skewness": moments.skewness,
        "kurtosis": moments.kurtosis,
        "n_returns": len(equity) - 1,
    }
    assert result["metrics"]["psr"] == psr and 0.0 < psr < 1.0
    assert moments.sharpe * math.sqrt(252) == pytest.approx(result["metrics"]["sharpe_ratio"])
    growth = np.prod(1.0 + trade_returns(result["trades"], request.initial_capital))
    assert (growth - 1.0) * 100.0 == pytest.approx(result["metrics"]["total_return_pct"])


@pytest.fixture(scope="module")
def goog_dir(tmp_path_factory, goog_csv) -> Path:
    """A DATA_DIR holding backtesting.py's GOOG.csv, imported unchanged."""
    folder = tmp_path_factory.mktemp("goog")
    data.register_csv(
        goog_csv.read_bytes(), "GOOG", name="Alphabet (backtesting.py)", data_dir=folder
    )
    return folder


class SmaCross(Strategy):
    fast, slow = 10, 20

    def init(self):
        close = pd.Series(self.data.Close)
        self.sma_fast = self.I(lambda: close.rolling(self.fast).mean().to_numpy())
        self.sma_slow = self.I(lambda: close.rolling(self.slow).mean().to_numpy())

    def next(self):
        if crossover(self.sma_fast, self.sma_slow) and not self.position:
            self.buy()
        elif crossover(self.sma_slow, self.sma_fast) and self.position:
            self.position.close()


class RsiLevels(Strategy):
    def init(self):
        self.rsi = self.I(lambda: wilder_rsi(self.data.Close, 14))

    def next(self):
        if self.rsi[-1] < 30 and not self.position:
            self.buy()
        elif self.rsi[-1] > 70 and self.position:
            self.position.close()


PEER_RULES = pytest.mark.parametrize(
    ("rule_type", "params", "strategy"),
    [
        ("SMA_CROSS", {"fast": 10, "slow": 20}, SmaCross),
        ("RSI", {"period": 14, "oversold": 30, "overbought": 70}, RsiLevels),
    ],
    ids=["sma_cross", "rsi"],
)
"""The parity cases: our rule and its parameters, and the backtesting.py strategy computing
the same indicator its own way (also used by the intraday parity test)."""


@pytest.mark.filterwarnings("ignore:Some trades remain open:UserWarning")
@PEER_RULES
def test_full_run_matches_backtesting_py_bar_by_bar_on_goog(
    goog_dir, goog_csv, rule_type, params, strategy
):
    """Our data loader + rule + engine vs backtesting.py computing its own indicators:
    long-only, all-in (percent 100), fee 0.1% → equity within 1e-6 on every bar, same trades.
    backtesting.py starts trading once every indicator is defined (its warm-up), which is
    where our signals can first be true too, so the first possible trade bar agrees."""
    request = parse_request(
        {
            "ticker": "GOOG",
            "rule_type": rule_type,
            "params": params,
            "start_date": "2004-08-19",
            "end_date": "2013-03-01",
            "size_type": "percent",
            "position_size": 100,
            "fee_rate": 0.001,
            "charts": False,
        }
    )
    ours = execute(request, data_dir=goog_dir)
    df = pd.read_csv(goog_csv, index_col=0, parse_dates=True)
    stats = Backtest(df, strategy, cash=100_000, commission=0.001, trade_on_close=False).run()
    peer_equity = stats["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(ours.equity_curve["equity"], peer_equity, rtol=1e-6, atol=0)
    open_trades = int(stats._strategy.position.size != 0)
    assert ours.metrics["num_trades"] == stats["# Trades"] + open_trades
    assert ours.metrics["num_trades"] >= 5


def test_indicators_warm_up_on_history_before_the_start_date():
    """A run from mid-file sees the signals a full-history run sees on those same bars."""
    base = {"ticker": "GLOBEX", "rule_type": "SMA_CROSS", "params": {"fast": 20, "slow": 120}}
    full = execute(
        parse_request(
            {**base, "start_date": "2014-01-01", "end_date": "2019-12-31", "charts": False}
        )
    )
    part = execute(
        parse_request(
            {**base, "start_date": "2018-01-01", "end_date": "2019-12-31", "charts": False}
        )
    )
    tail = [t for t in full.signals["entries"] if t >= "2018-01-01"]
    assert part.signals["entries"] == tail and tail, "SMA(120) is defined from the first bar"


def test_a_range_over_run_max_bars_is_a_request_error_naming_end_date(monkeypatch):
    """RUN_MAX_BARS bounds a run (and so its result's size)."""
    monkeypatch.setenv("RUN_MAX_BARS", "100")
    request = parse_request(
        {"ticker": "ACME", "rule_type": "RSI", "start_date": "2016-01-01", "end_date": "2017-01-01"}
    )
    with pytest.raises(RequestError) as err:
        execute(request)
    assert err.value.field == "end_date" and "at most 100" in err.value.message


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ticker": "NOPE"}, "ticker"),
        ({"ticker": "../../etc/passwd"}, "ticker"),
        ({"start_date": "1990-01-01", "end_date": "1990-12-31"}, "start_date"),
    ],
)
def test_data_problems_are_request_errors_naming_the_field(fields, field):
    """Unknown or malicious tickers and empty ranges never reach a file read or a 500."""
    payload = {
        "ticker": "ACME",
        "rule_type": "RSI",
        "start_date": "2016-01-01",
        "end_date": "2016-12-31",
        **fields,
    }
    with pytest.raises(RequestError) as err:
        execute(parse_request(payload))
    assert err.value.field == field


def test_a_run_with_stops_records_them_in_its_request_and_its_trades_exit_reasons():
    """The golden request with a stop-loss and a trailing stop: the stored request names
    them, trades close by stops, and the result differs from the golden's."""
    request = parse_request({**GOLDEN_REQUEST, "stop_loss_pct": 2.5, "trailing_stop_pct": 4})
    result = execute(request)
    assert result.request["stop_loss_pct"] == 2.5 and result.request["trailing_stop_pct"] == 4.0
    assert "take_profit_pct" not in result.request
    reasons = {trade["exit_reason"] for trade in result.trades}
    assert {"stop_loss", "trailing_stop"} <= reasons
    golden = json.loads(GOLDEN_FILE.read_text())
    assert result.metrics["total_return_pct"] != golden["metrics"]["total_return_pct"]
    assert all(trade["exit_reason"] in ("signal", "end") for trade in golden["trades"])


def test_a_sweeps_indicator_cache_survives_its_blocks_of_combinations():
    """Signals of one frame asked block by block (a sweep chunk's blocks) keep the
    indicators of earlier blocks: the frame hands every call the same signal bars, so the
    cache bound to them is not emptied between blocks."""
    from kinds.runs.execute import load_market_data, market_window, signals_in_window

    frame = market_window(load_market_data(parse_request(GOLDEN_REQUEST)))
    cache: dict = {}
    signals_in_window(frame, "SMA_CROSS", [{"fast": 10, "slow": 30}], cache)
    kept = set(cache)
    signals_in_window(frame, "SMA_CROSS", [{"fast": 12, "slow": 40}], cache)
    assert len(kept) > 1
    assert kept < set(cache)
