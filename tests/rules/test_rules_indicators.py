"""rules.indicators against hand-worked series and textbook reference loops on real data."""

from __future__ import annotations

import csv
import doctest
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import indicators
from rules.indicators import (
    adx,
    atr,
    bollinger,
    ema,
    ema_rows,
    macd,
    macd_line,
    macd_line_rows,
    obv,
    roc,
    rolling_max,
    rolling_min,
    rsi,
    sma,
    sma_rows,
    stddev,
    stochastic,
    true_range,
    vwap,
    zscore,
)
from tests.bars import GOOG_CSV

NAN = float("nan")
RTOL = 1e-10


@pytest.fixture(scope="module")
def goog() -> dict[str, np.ndarray]:
    """GOOG.csv as float arrays keyed open/high/low/close/volume."""
    with GOOG_CSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = ("Open", "High", "Low", "Close", "Volume")
    return {f.lower(): np.array([float(row[f]) for row in rows]) for f in fields}


# --- textbook reference implementations (plain Python loops) -------------------------------


def ref_sma(x: list[float], n: int) -> list[float]:
    return [NAN] * (n - 1) + [sum(x[t - n + 1 : t + 1]) / n for t in range(n - 1, len(x))]


def ref_ema_seeded(x: list[float], n: int, seed_end: int) -> list[float]:
    """alpha·x + (1 − alpha)·prev, seeded at seed_end with the mean of the n values ending there."""
    out = [NAN] * len(x)
    alpha = 2 / (n + 1)
    prev = sum(x[seed_end - n + 1 : seed_end + 1]) / n
    out[seed_end] = prev
    for t in range(seed_end + 1, len(x)):
        prev = alpha * x[t] + (1 - alpha) * prev
        out[t] = prev
    return out


def ref_ema(x: list[float], n: int) -> list[float]:
    return ref_ema_seeded(x, n, n - 1)


def ref_rsi(close: list[float], n: int) -> list[float]:
    out = [NAN] * len(close)
    gains = [max(close[t] - close[t - 1], 0.0) for t in range(1, len(close))]
    losses = [max(close[t - 1] - close[t], 0.0) for t in range(1, len(close))]
    avg_gain, avg_loss = sum(gains[:n]) / n, sum(losses[:n]) / n
    for t in range(n, len(close)):
        if t > n:
            avg_gain = (avg_gain * (n - 1) + gains[t - 1]) / n
            avg_loss = (avg_loss * (n - 1) + losses[t - 1]) / n
        if avg_loss == 0:
            out[t] = 50.0 if avg_gain == 0 else 100.0
        else:
            out[t] = 100 - 100 / (1 + avg_gain / avg_loss)
    return out


def ref_macd(close: list[float], fast: int, slow: int, signal: int) -> tuple[list, list, list]:
    """TA-Lib MACD: both EMAs start at bar slow−1; the signal EMA starts at the line's start."""
    fast_ema = ref_ema_seeded(close, fast, slow - 1)
    slow_ema = ref_ema_seeded(close, slow, slow - 1)
    line = [f - s for f, s in zip(fast_ema, slow_ema, strict=True)]
    sig = [NAN] * (slow - 1) + ref_ema(line[slow - 1 :], signal)
    hist = [a - b for a, b in zip(line, sig, strict=True)]
    return line, sig, hist


def ref_bollinger(close: list[float], n: int, k: float) -> tuple[list, list, list]:
    middle, upper, lower = [NAN] * len(close), [NAN] * len(close), [NAN] * len(close)
    for t in range(n - 1, len(close)):
        window = close[t - n + 1 : t + 1]
        mean = sum(window) / n
        std = math.sqrt(sum((v - mean) ** 2 for v in window) / n)
        middle[t], upper[t], lower[t] = mean, mean + k * std, mean - k * std
    return middle, upper, lower


def ref_true_ranges(high: list, low: list, close: list) -> list[float]:
    return [NAN] + [
        max(high[t] - low[t], abs(high[t] - close[t - 1]), abs(low[t] - close[t - 1]))
        for t in range(1, len(close))
    ]


def ref_atr(high: list, low: list, close: list, n: int) -> list[float]:
    tr = ref_true_ranges(high, low, close)
    out = [NAN] * len(close)
    value = sum(tr[1 : n + 1]) / n
    out[n] = value
    for t in range(n + 1, len(close)):
        value = (value * (n - 1) + tr[t]) / n
        out[t] = value
    return out


def ref_stochastic(high: list, low: list, close: list, k: int, d: int) -> tuple[list, list]:
    pct_k = [NAN] * len(close)
    for t in range(k - 1, len(close)):
        hh, ll = max(high[t - k + 1 : t + 1]), min(low[t - k + 1 : t + 1])
        pct_k[t] = 50.0 if hh == ll else 100 * (close[t] - ll) / (hh - ll)
    pct_d = [NAN] * (k - 1) + ref_sma(pct_k[k - 1 :], d)
    return pct_k, pct_d


def ref_obv(close: list, volume: list) -> list[float]:
    out = [volume[0]]
    for t in range(1, len(close)):
        step = (
            volume[t] if close[t] > close[t - 1] else -volume[t] if close[t] < close[t - 1] else 0
        )
        out.append(out[-1] + step)
    return out


def ref_vwap(high: list, low: list, close: list, volume: list, n: int | None) -> list[float]:
    typical = [(h + lo + c) / 3 for h, lo, c in zip(high, low, close, strict=True)]
    out = []
    for t in range(len(close)):
        start = 0 if n is None else t - n + 1
        if start < 0:
            out.append(NAN)
            continue
        pv = sum(p * v for p, v in zip(typical[start : t + 1], volume[start : t + 1], strict=True))
        vol = sum(volume[start : t + 1])
        out.append(pv / vol if vol else NAN)
    return out


def assert_matches(
    actual: np.ndarray, expected: list[float], warmup: int, atol: float = 0.0
) -> None:
    """Same values (rtol 1e-10), NaN exactly on the first ``warmup`` bars and nowhere else."""
    assert np.isnan(actual[:warmup]).all()
    assert not np.isnan(actual[warmup:]).any()
    np.testing.assert_allclose(actual, np.array(expected), rtol=RTOL, atol=atol)


# --- hand-worked short series ---------------------------------------------------------------


def test_sma_matches_hand_worked_series():
    """SMA(3) of 1…5 is 2, 3, 4 after two warm-up NaNs."""
    np.testing.assert_array_equal(sma(np.array([1.0, 2, 3, 4, 5]), 3), [NAN, NAN, 2, 3, 4])


def test_ema_matches_hand_worked_series():
    """EMA(2) of 2,4,6,8,4: seed (2+4)/2 = 3, then 2/3·x + 1/3·prev = 5, 7, 5."""
    np.testing.assert_allclose(ema(np.array([2.0, 4, 6, 8, 4]), 2), [NAN, 3, 5, 7, 5], rtol=1e-15)


def test_rsi_matches_hand_worked_wilder_series():
    """RSI(2) of 10,11,10,12,12,11: 50, 250/3, 250/3, 250/7 (Wilder averages worked by hand)."""
    out = rsi(np.array([10.0, 11, 10, 12, 12, 11]), 2)
    np.testing.assert_allclose(out, [NAN, NAN, 50, 250 / 3, 250 / 3, 250 / 7], rtol=1e-14)


def test_rsi_is_100_without_losses_and_50_when_flat():
    """Only gains gives 100; no change at all gives 50 (the documented conventions)."""
    np.testing.assert_array_equal(rsi(np.arange(1.0, 7.0), 3)[3:], [100, 100, 100])
    np.testing.assert_array_equal(rsi(np.full(6, 7.5), 3)[3:], [50, 50, 50])


def test_macd_uses_talib_seeding_worked_with_fractions():
    """fast EMA seeded at bar slow−1 from the last `fast` closes; values worked exactly."""
    line, sig, hist = macd(np.array([1.0, 3, 2, 6, 4]), 2, 3, 2)
    expected_line = [NAN, NAN, 0.5, 5 / 6, 5 / 18]
    expected_sig = [NAN, NAN, NAN, 2 / 3, 11 / 27]
    np.testing.assert_allclose(line, expected_line, rtol=1e-14)
    np.testing.assert_allclose(sig, expected_sig, rtol=1e-14)
    np.testing.assert_allclose(hist, np.subtract(expected_line, expected_sig), rtol=1e-13)


def test_macd_line_converges_to_plain_ema_difference(goog):
    """The seeding transient decays: far from the start, macd = ema(fast) − ema(slow)."""
    close = goog["close"]
    plain = ema(close, 12) - ema(close, 26)
    np.testing.assert_allclose(macd_line(close, 12, 26)[500:], plain[500:], rtol=1e-9)
    assert macd_line(close, 12, 26)[25] != plain[25]


def test_sma_of_a_constant_window_is_exactly_the_constant():
    """Flat stretches give the exact value, so equal SMAs on them never cross by rounding."""
    x = np.array([0.1, 0.7, 0.2, 0.9, 0.3] + [0.3] * 10 + [1.1, 0.3, 0.3, 0.3])
    for n in (2, 3, 5, 7):
        out = sma(x, n)
        flat = [t for t in range(n - 1, len(x)) if len(set(x[t - n + 1 : t + 1])) == 1]
        assert flat and all(out[t] == x[t] for t in flat)
    assert stddev(x, 5)[10] == 0.0
    assert np.isnan(zscore(x, 5)[10])


def test_sma_is_nan_only_on_windows_holding_a_nan():
    """A NaN in the data blanks just the windows that contain it."""
    out = sma(np.array([NAN, 1.0, 2, NAN, 4, 5, 6]), 2)
    np.testing.assert_array_equal(out, [NAN, NAN, 1.5, NAN, NAN, 4.5, 5.5])


def test_ema_skips_leading_nans():
    """An EMA of a series with a warm-up starts at its first valid value."""
    np.testing.assert_array_equal(ema(np.array([NAN, NAN, 2.0, 4, 6]), 2), [NAN, NAN, NAN, 3, 5])


def test_stddev_and_zscore_match_hand_values():
    """Population std of 2,4,4,4,5,5,7,9 is 2; the last value is 2 std above the mean 5."""
    x = np.array([2.0, 4, 4, 4, 5, 5, 7, 9])
    assert stddev(x, 8)[-1] == pytest.approx(2.0, rel=1e-15)
    assert zscore(x, 8)[-1] == pytest.approx(2.0, rel=1e-15)


def test_roc_rolling_extremes_and_true_range_match_hand_values():
    """ROC in percent, rolling max/min over the window, TR with the previous close."""
    np.testing.assert_allclose(roc(np.array([100.0, 110, 99]), 1), [NAN, 10, -10], rtol=1e-14)
    x = np.array([1.0, 3, 2, 1, 0])
    np.testing.assert_array_equal(rolling_max(x, 3), [NAN, NAN, 3, 3, 2])
    np.testing.assert_array_equal(rolling_min(x, 3), [NAN, NAN, 1, 1, 0])
    tr = true_range(np.array([5.0, 6, 7]), np.array([4.0, 5, 6.5]), np.array([4.5, 5.5, 5]))
    np.testing.assert_array_equal(tr, [NAN, 1.5, 1.5])


def test_short_input_is_all_warm_up():
    """Fewer bars than the warm-up gives all-NaN outputs of the same length."""
    x = np.array([1.0, 2, 3])
    for out in (sma(x, 4), ema(x, 4), rsi(x, 3), stddev(x, 4), roc(x, 3), macd(x, 2, 4, 2)[1]):
        assert out.shape == (3,) and np.isnan(out).all()
    assert np.isnan(atr(x, x, x, 3)).all() and np.isnan(adx(x, x, x, 2)).all()


def test_empty_input_gives_empty_output():
    """Zero bars in, zero bars out, for every indicator."""
    x = np.empty(0)
    outputs = [
        sma(x, 2),
        ema(x, 2),
        rsi(x, 2),
        stddev(x, 2),
        zscore(x, 2),
        roc(x, 1),
        obv(x, x),
        rolling_max(x, 2),
        rolling_min(x, 2),
        true_range(x, x, x),
        atr(x, x, x, 2),
        adx(x, x, x, 2),
        vwap(x, x, x, x),
        vwap(x, x, x, x, 2),
        *macd(x, 2, 3, 2),
        *bollinger(x, 2, 2.0),
        *stochastic(x, x, x, 2, 2),
    ]
    assert all(out.shape == (0,) for out in outputs)


@pytest.mark.parametrize(
    "call",
    [
        lambda: sma(np.ones(5), 0),
        lambda: ema(np.ones(5), 2.5),
        lambda: rsi(np.ones(5), True),
        lambda: sma(np.ones((2, 5)), 2),
        lambda: macd_line(np.ones(5), 4, 4),
        lambda: ema_rows(np.ones((2, 5)), np.array([2])),
    ],
)
def test_bad_arguments_raise_value_error(call):
    """Non-integer or < 1 periods, 2-D series and fast >= slow are rejected."""
    with pytest.raises(ValueError):
        call()


def test_docstring_examples_hold():
    """Every >>> example in rules.indicators runs as written."""
    assert doctest.testmod(indicators).failed == 0


# --- reference implementations on real data (GOOG) ------------------------------------------


@pytest.mark.parametrize("n", [2, 10, 50, 200])
def test_sma_matches_reference_on_goog(goog, n):
    """SMA equals the textbook window mean."""
    assert_matches(sma(goog["close"], n), ref_sma(goog["close"].tolist(), n), n - 1)


@pytest.mark.parametrize("n", [2, 12, 26, 100])
def test_ema_matches_reference_on_goog(goog, n):
    """EMA equals the textbook recursion seeded with the first window's mean."""
    assert_matches(ema(goog["close"], n), ref_ema(goog["close"].tolist(), n), n - 1)


@pytest.mark.parametrize("n", [2, 14, 50])
def test_rsi_matches_wilder_reference_on_goog(goog, n):
    """RSI equals Wilder's 100 − 100/(1 + RS), first value at index n."""
    assert_matches(rsi(goog["close"], n), ref_rsi(goog["close"].tolist(), n), n)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (2, 3, 2), (5, 40, 20)])
def test_macd_matches_talib_reference_on_goog(goog, fast, slow, signal):
    """MACD line, signal and histogram equal the TA-Lib-seeded reference."""
    close = goog["close"]
    expected = ref_macd(close.tolist(), fast, slow, signal)
    atol = 1e-12 * close.max()  # the line and histogram cross zero
    warmups = (slow - 1, slow + signal - 2, slow + signal - 2)
    for out, ref, warmup in zip(macd(close, fast, slow, signal), expected, warmups, strict=True):
        assert_matches(out, ref, warmup, atol=atol)


@pytest.mark.parametrize(("n", "k"), [(20, 2.0), (5, 1.5), (100, 3.0)])
def test_bollinger_matches_population_std_reference_on_goog(goog, n, k):
    """Bands are SMA ± k · population std (ddof 0)."""
    expected = ref_bollinger(goog["close"].tolist(), n, k)
    for out, ref in zip(bollinger(goog["close"], n, k), expected, strict=True):
        assert_matches(out, ref, n - 1)


@pytest.mark.parametrize("n", [1, 14, 30])
def test_atr_matches_wilder_reference_on_goog(goog, n):
    """ATR equals Wilder's average of true ranges, first value at index n."""
    h, lo, c = goog["high"], goog["low"], goog["close"]
    assert_matches(atr(h, lo, c, n), ref_atr(h.tolist(), lo.tolist(), c.tolist(), n), n)


@pytest.mark.parametrize(("k", "d"), [(14, 3), (5, 1), (30, 10)])
def test_stochastic_matches_reference_on_goog(goog, k, d):
    """%K from the window's extremes, %D its simple average."""
    h, lo, c = goog["high"], goog["low"], goog["close"]
    pct_k, pct_d = stochastic(h, lo, c, k, d)
    ref_k, ref_d = ref_stochastic(h.tolist(), lo.tolist(), c.tolist(), k, d)
    assert_matches(pct_k, ref_k, k - 1)
    assert_matches(pct_d, ref_d, k + d - 2)


def test_obv_matches_reference_on_goog(goog):
    """OBV starts at the first volume and adds/subtracts each bar's volume."""
    c, v = goog["close"], goog["volume"]
    assert_matches(obv(c, v), ref_obv(c.tolist(), v.tolist()), 0)


@pytest.mark.parametrize("n", [None, 1, 20])
def test_vwap_matches_reference_on_goog(goog, n):
    """Cumulative and rolling VWAP of the typical price."""
    h, lo, c, v = goog["high"], goog["low"], goog["close"], goog["volume"]
    expected = ref_vwap(h.tolist(), lo.tolist(), c.tolist(), v.tolist(), n)
    assert_matches(vwap(h, lo, c, v, n), expected, 0 if n is None else n - 1)


def test_vwap_is_nan_where_volume_is_zero():
    """No volume, no price: 0/0 is reported as NaN."""
    ones = np.ones(3)
    out = vwap(ones, ones, ones, np.array([0.0, 0, 2]))
    np.testing.assert_array_equal(out, [NAN, NAN, 1])


# --- row-wise variants are bit-identical ----------------------------------------------------


def test_ema_rows_equal_ema_bit_for_bit(goog):
    """Each row of ema_rows is exactly ema of that row, with per-row leading NaNs."""
    rng = np.random.default_rng(7)
    x = np.repeat(goog["close"][None, :600], 6, axis=0) * rng.uniform(0.5, 2, (6, 1))
    x[1, :5] = NAN
    x[4, :40] = NAN
    periods = np.array([2, 3, 12, 26, 9, 700])
    out = ema_rows(x, periods)
    for row, n in enumerate(periods):
        np.testing.assert_array_equal(out[row], ema(x[row], int(n)))


def test_macd_line_rows_equal_macd_line_bit_for_bit(goog):
    """Each row of macd_line_rows is exactly macd_line for that (fast, slow)."""
    fast, slow = np.array([12, 2, 5, 12]), np.array([26, 3, 40, 30])
    out = macd_line_rows(goog["close"], fast, slow)
    for row in range(len(fast)):
        expected = macd_line(goog["close"], int(fast[row]), int(slow[row]))
        np.testing.assert_array_equal(out[row], expected)


def test_talib_reference_fractions_agree_with_hand_values():
    """The hand values used above, recomputed in exact rational arithmetic."""
    x = [Fraction(v) for v in (1, 3, 2, 6, 4)]
    fast = [(x[1] + x[2]) / 2]
    slow = [(x[0] + x[1] + x[2]) / 3]
    for t in (3, 4):
        fast.append(Fraction(2, 3) * x[t] + Fraction(1, 3) * fast[-1])
        slow.append(Fraction(1, 2) * x[t] + Fraction(1, 2) * slow[-1])
    line = [f - s for f, s in zip(fast, slow, strict=True)]
    signal = (line[0] + line[1]) / 2
    signal = Fraction(2, 3) * line[2] + Fraction(1, 3) * signal
    assert line == [Fraction(1, 2), Fraction(5, 6), Fraction(5, 18)]
    assert signal == Fraction(11, 27)


# --- speed ------------------------------------------------------------------------------------


def plain_window_sums(x: np.ndarray, n: int) -> np.ndarray:
    """Window sums written plainly, a new array at each step: the running sums of x (NaN
    read as 0) differenced n apart, NaN on windows holding a NaN."""
    valid = ~np.isnan(x)
    totals = np.concatenate([[0.0], np.cumsum(np.where(valid, x, 0.0))])
    sums = totals[n:] - totals[:-n]
    holes = np.concatenate([[0], np.cumsum(~valid)])
    sums[holes[n:] - holes[:-n] > 0] = NAN
    return sums


def plain_sma(x: np.ndarray, n: int) -> np.ndarray:
    """``sma``'s arithmetic written plainly: the window sums of the offsets from the first
    valid value, divided by n, plus that value; a flat window's value its own."""
    out = np.full(len(x), NAN)
    valid = ~np.isnan(x)
    first = int(valid.argmax()) if valid.any() else len(x)
    if len(x) - first < n:
        return out
    out[n - 1 :] = x[first] + plain_window_sums(x - x[first], n) / n
    for t in range(n - 1, len(x)):
        if np.all(x[t - n + 1 : t + 1] == x[t]):
            out[t] = x[t]
    return out


series = st.lists(
    st.one_of(
        st.sampled_from([NAN, 0.0, -0.0, 1.5, 100.25]),  # repeats: flat windows
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(series, st.integers(1, 12))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_sma_and_rolling_vwap_are_their_plain_arithmetic_bit_for_bit(values, n):
    """The in-place SMA (one buffer for the offsets and their running sums, the means
    divided and shifted where they lie), the SMAs of several windows from one running sum
    and the rolling VWAP's window sums give the plain arithmetic's numbers bit for bit,
    NaN holes and flat stretches included."""
    x = np.array(values, dtype=np.float64)
    assert sma(x, n).tobytes() == plain_sma(x, n).tobytes()
    windows = [n, n + 3, 1, n]  # the running sums taken once for all of them
    assert [line.tobytes() for line in sma_rows(x, windows)] == [
        plain_sma(x, w).tobytes() for w in windows
    ]
    volume = np.abs(x)
    expected = np.full(len(x), NAN)
    if len(x) >= n:
        num, den = plain_window_sums((x + x + x) / 3.0 * volume, n), plain_window_sums(volume, n)
        np.divide(num, den, out=expected[n - 1 :], where=den != 0)
    assert vwap(x, x, x, volume, n).tobytes() == expected.tobytes()
