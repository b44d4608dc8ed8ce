"""ref (another ticker's bars) and tf (a higher timeframe) in the strategy language: no
signal on bar t moves when a later bar of any series read changes; the values are a pandas
as-of join and resample; hostile texts are refused naming their field, cheaply."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Bars
from rules import generate_signals_batch, validate_rule
from rules.expr.check import checked
from rules.expr.evaluate import evaluate_batch, evaluate_series
from rules.expr.functions import OTHER_BARS
from rules.expr.market import attach
from rules.expr.parse import parse
from rules.library.expr import program_of
from rules.spec import RuleValidationError
from rules.warmup import warmup

ENTRY = (
    'ref("OTHER", sma(close, $n)) < close and tf("1w", close) > tf("1w", sma(close, 3))'
    ' or tf("1d", close) > lag(close, 2)'
)
EXIT = (
    'ref("OTHER", tf("1w", rsi(close, 3))) > 50 or tf("1M", high) < close'
    ' or crossover(tf("1w", ref("OTHER", close)), ref("OTHER", ema(close, $n)))'
)
"""Every function that reads other bars, nested in each other and around a $name."""

FIELDS = ("open", "high", "low", "close", "volume")


def _bars(rng: np.random.Generator, first: str, n: int, skip: float = 0.0) -> Bars:
    """``n`` daily bars stamped 21:00 UTC on weekdays from ``first``, a share ``skip`` of
    them missing (holidays, a ticker's own gaps)."""
    days = pd.bdate_range(first, periods=int(n / (1 - skip)) + 1)
    days = days[rng.random(len(days)) >= skip][:n]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
    open_ = close * (1 + rng.normal(0, 0.01, len(days)))
    high = np.maximum(close, open_) * (1 + rng.uniform(0, 0.02, len(days)))
    low = np.minimum(close, open_) * (1 - rng.uniform(0, 0.02, len(days)))
    stamps = (days + pd.Timedelta(hours=21)).values.astype("datetime64[s]")
    return Bars(stamps, open_, high, low, close, rng.lognormal(10, 1, len(days)).round())


def _after(bars: Bars, cut: np.datetime64, rng: np.random.Generator) -> Bars:
    """``bars`` with every value of the bars stamped after ``cut`` redrawn."""
    later = bars.timestamps > cut
    other = _bars(rng, "2000-01-03", len(bars))
    return Bars(
        bars.timestamps,
        *(np.where(later, getattr(other, f), getattr(bars, f)) for f in FIELDS),
    )


def _signals(bars: Bars, others: dict[str, Bars], rows: list[dict]):
    return evaluate_batch(program_of(rows[0]), bars, rows, {}, others)


def test_the_property_texts_use_every_function_reading_other_bars():
    """ENTRY and EXIT call each of ref and tf (the look-ahead texts of
    tests/rules/test_rules_expr.py cover the rest of the function table)."""
    assert [name for name in OTHER_BARS if f"{name}(" not in ENTRY + EXIT] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    at=st.floats(0.0, 0.98),
    own_later=st.booleans(),
)
def test_a_signal_on_bar_t_does_not_move_when_a_later_bar_of_any_series_changes(
    seed, at, own_later
):
    """Entries and exits up to t are the same whatever the run's bars after t, or the
    referenced ticker's bars stamped after bar t, hold (for two values of $n at once)."""
    rng = np.random.default_rng(seed)
    own = _bars(rng, "2020-01-01", 160, skip=0.05)
    other = _bars(rng, "2019-11-04", 170, skip=0.1)
    t = int(at * (len(own) - 1))
    rows = [validate_rule("EXPR", {"entry": ENTRY, "exit": EXIT, "n": n})[1] for n in (3, 7)]
    before = _signals(own, {"OTHER": other}, rows)
    if own_later:
        after = _signals(_after(own, own.timestamps[t], rng), {"OTHER": other}, rows)
    else:
        after = _signals(own, {"OTHER": _after(other, own.timestamps[t], rng)}, rows)
    for got, want in zip(after, before, strict=True):
        assert np.array_equal(got[:, : t + 1], want[:, : t + 1])
    assert before[0].any() and before[1].any()  # the texts do trade: the property has teeth


def _frame(bars: Bars) -> pd.DataFrame:
    return pd.DataFrame(
        {f: getattr(bars, f) for f in FIELDS}, index=pd.DatetimeIndex(bars.timestamps)
    )


def _series(text: str, bars: Bars, others: dict[str, Bars]) -> np.ndarray:
    return evaluate_series(checked(parse(text)), bars, {}, {}, others)


def test_ref_is_a_pandas_as_of_join_of_the_indicator_on_the_other_tickers_bars():
    """ref("OTHER", sma(close, 5)): the SMA on OTHER's own bars, then at each run bar the
    value of OTHER's last bar stamped at or before it; NaN before OTHER's first bar."""
    rng = np.random.default_rng(3)
    own, other = _bars(rng, "2021-03-01", 120), _bars(rng, "2021-03-10", 100, skip=0.2)
    sma = _frame(other)["close"].rolling(5).mean().rename("want").reset_index()
    joined = pd.merge_asof(
        pd.DataFrame({"index": pd.DatetimeIndex(own.timestamps)}), sma, on="index"
    )
    got = _series('ref("OTHER", sma(close, 5))', own, {"OTHER": other})
    assert np.isnan(got[0])
    np.testing.assert_allclose(got, joined["want"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(("frame", "rule", "period"), [("1w", "W-SUN", "W-SUN"), ("1M", "MS", "M")])
def test_tf_is_a_pandas_resample_shown_from_the_bar_after_its_period_ends(frame, rule, period):
    """tf(frame, x) with OHLCV aggregated per calendar period (weeks Monday to Sunday,
    months) equals pandas' resample, each period's value shown on the bars of the next
    period, NaN on the first period's bars."""
    rng = np.random.default_rng(5)
    own = _bars(rng, "2021-01-06", 300, skip=0.05)
    table = _frame(own)
    agg = table.resample(rule).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    agg = agg.dropna(subset=["close"])  # a period without bars is no period
    agg.index = agg.index.to_period(period)
    position = agg.index.get_indexer(table.index.to_period(period))
    assert (position >= 0).all()

    def shown(values: pd.Series) -> np.ndarray:
        """Each bar sees the period before its own: NaN on the first period's bars."""
        return np.where(position > 0, values.to_numpy()[np.maximum(position - 1, 0)], np.nan)

    got = _series(f'tf("{frame}", sma(close, 2))', own, {})
    np.testing.assert_allclose(got, shown(agg["close"].rolling(2).mean()), rtol=1e-12)
    ohlc = {f: _series(f'tf("{frame}", {f})', own, {}) for f in FIELDS}
    for name in FIELDS:
        np.testing.assert_array_equal(ohlc[name], shown(agg[name]))


def test_tf_1d_on_daily_bars_is_the_previous_bar():
    """A daily bar's UTC day has not ended at its close: tf("1d", x) is lag(x, 1)."""
    own = _bars(np.random.default_rng(8), "2022-01-03", 50)
    np.testing.assert_array_equal(
        _series('tf("1d", close)', own, {}), _series("lag(close, 1)", own, {})
    )


def test_the_rule_reads_the_tickers_attached_to_its_bars_and_to_their_slices():
    """The edge attaches the other tickers' bars to the run's bars; the EXPR rule finds them
    from any slice of those bars (a run's window, a sweep's signal history)."""
    rng = np.random.default_rng(13)
    own, other = _bars(rng, "2020-01-01", 200), _bars(rng, "2019-06-03", 260)
    attach(own, {"OTHER": other})
    rows = [validate_rule("EXPR", {"entry": ENTRY, "exit": EXIT, "n": n})[1] for n in (4, 9)]
    window = own.slice(30, 200)
    got = generate_signals_batch("EXPR", rows, window, validated=True)
    want = _signals(window, {"OTHER": other}, rows)
    for a, b in zip(got, want, strict=True):
        assert np.array_equal(a, b)


def test_the_warm_up_of_a_weekly_indicator_counts_its_weeks_in_daily_bars():
    """tf("1w", sma(close, 200)) needs 200 weeks of 5 daily bars; ref counts x's own."""
    params = validate_rule(
        "EXPR",
        {"entry": 'tf("1w", close) > tf("1w", sma(close, 200))', "exit": 'tf("1M", close) < 0'},
    )[1]
    assert warmup("EXPR", params) == ((199 + 1) * 5, (0 + 1) * 21)
    params = validate_rule(
        "EXPR", {"entry": 'ref("DEMOIX", sma(close, 50)) > 0', "exit": "close < 0"}
    )[1]
    assert warmup("EXPR", params) == (49, 0)


HOSTILE = [
    ("ref(DEMOIX, close) > 1", "must be a quoted catalog ticker"),
    ("ref($t, close) > 1", "must be a quoted catalog ticker"),
    ('ref("A" + "B", close) > 1', "must be a quoted catalog ticker"),
    ('ref("DEMOIX", 3) > 1', "must be a series"),
    ('ref("DEMOIX", close > 1)', "must be a series"),
    ('tf("2w", close) > 1', 'must be one of "1d", "1w", "1M" (got "2w")'),
    ("tf(1, close) > 1", 'must be one of "1d", "1w", "1M"'),
    ('tf("1w") > 1', "tf takes 2 arguments"),
    ('"DEMOIX" > 1', "only the ticker of ref or the timeframe of tf"),
    ('ref("' + "X" * 40 + '", close) > 1', "longer than 32 characters"),
    ("".join(f'ref("T{i}", ' for i in range(50)) + "close" + ")" * 50 + " > 1", "nests deeper"),
    (" or ".join(f'ref("T{i}", close) > 1' for i in range(6)), "at most 4 other tickers"),
    ('tf("1w", ' * 40 + "close" + ")" * 40 + " > 1", "nests deeper"),
    ("ref(" * 400 + '"A"', "ends too early"),
]


@pytest.mark.parametrize(("text", "message"), HOSTILE)
def test_a_hostile_ref_or_tf_text_is_refused_naming_its_field_quickly(text, message):
    """Refused with RuleValidationError naming params.exit, in < 200 ms."""
    started = time.perf_counter()
    with pytest.raises(RuleValidationError) as caught:
        validate_rule("EXPR", {"entry": "close > 0", "exit": text})
    assert time.perf_counter() - started < 0.2
    assert caught.value.field == "params.exit"
    assert message in str(caught.value)


def test_a_portfolio_ranking_names_the_tickers_its_ref_calls_read():
    """A portfolio's score and filter may ref other tickers: the ranking lists each (side,
    ticker) once, in order of first appearance, for the edge to load; 5 is one too many."""
    from rules.ranking import check_ranking, compile_ranking

    ranking = compile_ranking(
        'roc(close, 20) - ref("DEMOIX", roc(close, 20))',
        'ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200)) and ref("ACME", close) > 0'
        ' and tf("1w", close) > 0',
    )
    assert ranking.tickers == (("score", "DEMOIX"), ("filter", "ACME"))
    five = " + ".join(f'ref("T{i}", close)' for i in range(5))
    with pytest.raises(RuleValidationError) as caught:
        check_ranking("roc(close, 5)", f"{five} > 0", {})
    assert caught.value.field == "allocation.filter"
    assert "at most 4 other tickers" in str(caught.value)


def test_the_charts_draw_only_what_is_computed_on_the_runs_own_bars():
    """An sma inside ref is the other ticker's: no overlay over the run's candles; an RSI
    of a referenced series is a panel labelled as written, with its level."""
    from rules.expr.charts import overlays, panels

    rng = np.random.default_rng(21)
    own, other = _bars(rng, "2021-01-04", 90), _bars(rng, "2020-11-02", 120)
    attach(own, {"OTHER": other})
    params = validate_rule(
        "EXPR",
        {
            "entry": 'close > sma(close, 5) and ref("OTHER", close) > ref("OTHER", sma(close, 9))',
            "exit": 'rsi(ref("OTHER", close), 3) > 70 or tf("1w", close) < 0',
        },
    )[1]
    assert list(overlays(own, params)) == ["sma(close, 5)"]
    [panel] = panels(own, params)
    assert list(panel.series) == ['rsi(ref("OTHER", close), 3)'] and panel.levels == (70.0,)
    want = _series('rsi(ref("OTHER", close), 3)', own, {"OTHER": other})
    np.testing.assert_array_equal(panel.series['rsi(ref("OTHER", close), 3)'], want)
