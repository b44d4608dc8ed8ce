"""The liquidity models' inputs (engine.liquidity: the spread estimators, the trailing
volatility and average volume) and the price of liquidity (engine.broker.impact): small
cases computed by hand with the arithmetic written out, the estimators' defining property
(with no price variance they return the quoted spread exactly: Corwin & Schultz 2012;
Abdi & Ranaldo 2017), no look-ahead (a bar's data never changes the values at or before
it), and the compiled impact equal to the Python one bit for bit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import liquidity
from engine.broker import impact, jitted

# Three bars (the value at bar 3 reads bars 0 .. 2, window 3: two two-day pairs).
HIGH = [101.0, 102.0, 104.0, 200.0]
LOW = [99.0, 99.5, 103.0, 1.0]
CLOSE = [99.2, 101.5, 103.5, 50.0]


def test_corwin_schultz_by_hand():
    """Corwin & Schultz (2012)'s two-day estimator on the pairs (0, 1) and (1, 2):
    pair (0, 1): β = ln(101/99)² + ln(102/99.5)² = 0.00101582,
                 γ = ln(102/99)² = 0.000891199,
                 α = (√(2β) − √β)/(3 − 2√2) − √(γ/(3 − 2√2)) = 0.00487419,
                 S = 2(e^α − 1)/(1 + e^α) = 0.00487418;
    pair (1, 2): β = ln(102/99.5)² + ln(104/103)² = 0.000709145,
                 γ = ln(104/99.5)² = 0.00195658, α = −0.0424985, S = −0.0424922 → 0;
    at bar 3: (0.00487418 + 0) / 2 = 0.00243709. Bar 4 would need bar 3's pair."""
    spread = liquidity.corwin_schultz(np.array(HIGH), np.array(LOW), 3)
    assert np.isnan(spread[:3]).all()
    assert spread[3] == pytest.approx(0.0024370917304322812, rel=1e-12)


def test_corwin_schultz_overnight_adjustment_by_hand():
    """With the closes, the paper's adjustment for overnight returns first:
    pair (0, 1): day 1's low 99.5 is above day 0's close 99.2 (the price rose overnight), so
                 day 1's high and low are lowered by 99.5/99.2: H = 102 × 99.2/99.5 =
                 101.692, L = 99.2; β = 0.00101582, γ = ln(101.692/99)² = 0.000720028,
                 α = 0.0121642, S = 0.0121641;
    pair (1, 2): day 2's low 103 is above day 1's close 101.5: H = 104 × 101.5/103 =
                 102.485, L = 101.5; β = 0.000709145, γ = ln(102.485/99.5)² = 0.000873975,
                 α = −0.00708158, S = −0.00708155 → 0;
    at bar 3: 0.0121641 / 2 = 0.00608204."""
    spread = liquidity.spread_series(
        "corwin_schultz", np.array(HIGH), np.array(LOW), np.array(CLOSE), 3
    )
    assert np.isnan(spread[:3]).all()
    assert spread[3] == pytest.approx(0.006082037257087073, rel=1e-12)


def test_abdi_ranaldo_by_hand():
    """Abdi & Ranaldo (2017), the two-day corrected estimator, η = (ln H + ln L)/2:
    pair (0, 1): c₀ − η₀ = ln 99.2 − ln √(101 × 99) = −0.00798217,
                 c₀ − η₁ = ln 99.2 − ln √(102 × 99.5) = −0.0154272,
                 4 × product = 0.000492571, S = √0.000492571 = 0.0221939;
    pair (1, 2): c₁ − η₁ = 0.00749357, c₁ − η₂ = −0.0195011, 4 × product = −0.000584533
                 → 0;
    at bar 3: 0.0221939 / 2 = 0.0110970."""
    spread = liquidity.spread_series(
        "abdi_ranaldo", np.array(HIGH), np.array(LOW), np.array(CLOSE), 3
    )
    assert np.isnan(spread[:3]).all()
    assert spread[3] == pytest.approx(0.011096965163897113, rel=1e-12)


@pytest.mark.parametrize("spread", [0.001, 0.01, 0.05])
def test_the_estimators_return_the_spread_when_prices_do_not_move(spread):
    """Both papers' starting point: a constant true price P quoted with a spread s (every
    bar trades at the bid P(1 − s/2) and at the ask P(1 + s/2)) and no variance. Corwin-
    Schultz: β = 2k², γ = k² with k = ln((1 + s/2)/(1 − s/2)), so α = k and S = s exactly.
    Abdi-Ranaldo works in logs: with the high and low P·e^(±s/2) and the close at either,
    c − η = ±s/2 and S = s."""
    n, price = 30, 50.0
    high = np.full(n, price * (1 + spread / 2))
    low = np.full(n, price * (1 - spread / 2))
    close = np.where(np.arange(n) % 2 == 0, high, low)
    cs = liquidity.spread_series("corwin_schultz", high, low, close, 20)
    np.testing.assert_allclose(cs[20:], spread, rtol=1e-9)
    high_log, low_log = np.full(n, price * math.exp(spread / 2)), np.full(n, price)
    low_log = low_log * math.exp(-spread / 2)
    close_log = np.where(np.arange(n) % 3 == 0, high_log, low_log)
    ar = liquidity.spread_series("abdi_ranaldo", high_log, low_log, close_log, 20)
    np.testing.assert_allclose(ar[20:], spread, rtol=1e-9)
    assert np.isnan(cs[:20]).all() and np.isnan(ar[:20]).all()


def test_trailing_volatility_by_hand():
    """Closes 100, 110, 99, 108.9: returns 0.1, −0.1, 0.1 (bars 1 .. 3); window 3 at bar 4:
    mean 1/30, squared deviations (1/15)², (2/15)², (1/15)² sum to 6/225; ddof=1 divides
    by 2: variance 1/75, σ = √(1/75) = 0.115470 (ddof=0 would give 0.0942809)."""
    close = np.array([100.0, 110.0, 99.0, 108.9, 1.0])
    sigma = liquidity.trailing_volatility(close, 3)
    assert np.isnan(sigma[:4]).all()
    assert sigma[4] == pytest.approx(math.sqrt(1 / 75), rel=1e-12)


def test_trailing_adv_by_hand():
    """Volumes 100, 200, 600, 50, 7: window 3 at bar 3: (100 + 200 + 600)/3 = 300; at bar
    4: (200 + 600 + 50)/3 = 283.333; a NaN or negative volume makes NaN the windows holding
    it."""
    adv = liquidity.trailing_adv(np.array([100.0, 200.0, 600.0, 50.0, 7.0]), 3)
    assert np.isnan(adv[:3]).all()
    assert adv[3] == 300.0
    assert adv[4] == pytest.approx(850 / 3, rel=1e-15)
    gap = liquidity.trailing_adv(np.array([100.0, np.nan, 600.0, 50.0, 7.0, 8.0]), 2)
    assert np.isnan(gap[:4]).all() and gap[4] == 325.0 and gap[5] == 28.5
    short = liquidity.trailing_adv(np.array([100.0, -1.0, 600.0, 50.0]), 2)
    assert np.isnan(short[:4]).all()  # a negative volume is no volume count: unknown


@pytest.mark.parametrize(
    ("function", "window"),
    [
        (liquidity.corwin_schultz, 1),
        (liquidity.trailing_volatility, 1),
        (liquidity.trailing_adv, 0),
        (liquidity.trailing_adv, 2.5),
    ],
)
def test_a_window_too_short_is_refused(function, window):
    args = (np.ones(5), np.ones(5)) if function is liquidity.corwin_schultz else (np.ones(5),)
    with pytest.raises(ValueError, match="window"):
        function(*args, window)


def test_an_unknown_spread_model_is_refused():
    with pytest.raises(ValueError, match="spread model"):
        liquidity.spread_series("roll", np.ones(3), np.ones(3), np.ones(3), 2)


def _series(draw, n: int) -> tuple[np.ndarray, ...]:
    closes = draw(st.lists(st.floats(1.0, 1_000.0, allow_nan=False), min_size=n, max_size=n))
    spans = draw(st.lists(st.floats(0.0, 0.2), min_size=n, max_size=n))
    volume = draw(st.lists(st.floats(0.0, 1e9), min_size=n, max_size=n))
    close = np.array(closes)
    high = close * (1.0 + np.array(spans))
    low = close * (1.0 - np.array(spans) / 2)
    return high, low, close, np.array(volume)


_INPUTS = {
    "corwin_schultz": lambda h, lo, c, v, w: liquidity.corwin_schultz(h, lo, w),
    "corwin_schultz_adjusted": lambda h, lo, c, v, w: liquidity.spread_series(
        "corwin_schultz", h, lo, c, w
    ),
    "abdi_ranaldo": lambda h, lo, c, v, w: liquidity.abdi_ranaldo(h, lo, c, w),
    "volatility": lambda h, lo, c, v, w: liquidity.trailing_volatility(c, w),
    "adv": lambda h, lo, c, v, w: liquidity.trailing_adv(v, w),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(_INPUTS)))
def test_no_input_looks_ahead(data, name):
    """Changing bar t's data (and every later bar's) never changes a value at bars <= t:
    each is known before its bar opens."""
    n = data.draw(st.integers(4, 40))
    window = data.draw(st.integers(2, n))
    t = data.draw(st.integers(0, n - 1))
    bars = _series(data.draw, n)
    other = _series(data.draw, n)
    changed = [np.concatenate([a[:t], b[t:]]) for a, b in zip(bars, other, strict=True)]
    before = _INPUTS[name](*bars, window)
    after = _INPUTS[name](*changed, window)
    np.testing.assert_array_equal(before[: t + 1], after[: t + 1])


@settings(max_examples=40, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(_INPUTS)))
def test_every_input_is_defined_once_warmed_up(data, name):
    """On finite positive prices and volumes, each input is a finite number from its first
    full window on (the spreads and the volatility from bar window, resp. window + 1) and
    NaN before; the spreads are never negative."""
    n = data.draw(st.integers(4, 40))
    window = data.draw(st.integers(2, n - 2))
    values = _INPUTS[name](*_series(data.draw, n), window)
    first = window + 1 if name == "volatility" else window
    assert np.isnan(values[:first]).all()
    assert np.isfinite(values[first:]).all()
    if name not in ("volatility", "adv"):
        assert (values[first:] >= 0.0).all()


# ---- engine.broker.impact ----


@pytest.mark.parametrize(
    ("model", "filled", "volume", "sigma", "adv", "expected"),
    [
        # zipline's defaults: 0.1 × (250 / 10,000)² = 0.1 × 0.025² = 0.0000625
        (impact.VOLUME_SHARE, 250.0, 10_000.0, math.nan, math.nan, 6.25e-5),
        # 1.0 × 0.02 × √(10,000 / 1,000,000) = 0.02 × 0.1 = 0.002
        (impact.SQUARE_ROOT, 10_000.0, math.nan, 0.02, 1_000_000.0, 0.002),
        (impact.FIXED, 10_000.0, 0.0, math.nan, math.nan, 0.0),
        # infinite volume: nothing moves the price
        (impact.VOLUME_SHARE, 250.0, math.inf, math.nan, math.nan, 0.0),
        (impact.SQUARE_ROOT, 250.0, math.nan, 0.02, math.inf, 0.0),
    ],
    ids=["volume_share", "square_root", "fixed", "volume_share_inf", "square_root_inf"],
)
def test_impact_by_hand(model, filled, volume, sigma, adv, expected):
    for function in (impact.impact_fraction, jitted.impact_fraction):
        got = function(model, 0.1, 1.0, filled, volume, sigma, adv)
        assert got == pytest.approx(expected, rel=1e-15, abs=0.0)


@pytest.mark.parametrize(
    ("model", "volume", "sigma", "adv", "filled"),
    [
        (impact.VOLUME_SHARE, 0.0, 0.02, 1e6, 100.0),
        (impact.VOLUME_SHARE, math.nan, 0.02, 1e6, 100.0),
        (impact.VOLUME_SHARE, -5.0, 0.02, 1e6, 100.0),
        (impact.SQUARE_ROOT, 1e6, math.nan, 1e6, 100.0),
        (impact.SQUARE_ROOT, 1e6, 0.02, math.nan, 100.0),
        (impact.SQUARE_ROOT, 1e6, 0.02, 0.0, 100.0),
        (impact.SQUARE_ROOT, 1e6, -0.02, 1e6, 100.0),
        (impact.VOLUME_SHARE, 1e6, 0.02, 1e6, -100.0),
        (impact.SQUARE_ROOT, 1e6, 0.02, 1e6, -100.0),
    ],
    ids=["zero_volume", "nan_volume", "negative_volume", "warming_sigma", "warming_adv",
         "zero_adv", "negative_sigma", "negative_filled", "negative_filled_root"],
)  # fmt: skip
def test_an_impact_that_cannot_be_computed_is_nan_meaning_no_fill(
    model, volume, sigma, adv, filled
):
    for function in (impact.impact_fraction, jitted.impact_fraction):
        assert math.isnan(function(model, 0.1, 1.0, filled, volume, sigma, adv))


@pytest.mark.parametrize(
    ("side", "impact_", "half_spread", "expected"),
    [
        (1.0, 0.002, 0.0005, 100.25),  # 100 × (1 + 0.0025)
        (-1.0, 0.002, 0.0005, 99.75),  # 100 × (1 − 0.0025)
        (-1.0, 1.5, 0.0, 0.0),  # 100 × (1 − 1.5) = −50: a sell gets nothing, pays nothing
        (1.0, 1.5, 0.0, 250.0),
    ],
)
def test_liquidity_price_by_hand(side, impact_, half_spread, expected):
    for function in (impact.liquidity_price, jitted.liquidity_price):
        assert function(100.0, side, impact_, half_spread) == pytest.approx(expected, rel=1e-15)


def _bits(x: float) -> int:
    return int(np.array(x, dtype=np.float64).view(np.int64))


_ANY = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=500, deadline=None)
@given(
    model=st.sampled_from([impact.FIXED, impact.VOLUME_SHARE, impact.SQUARE_ROOT, 7]),
    price_impact=_ANY,
    impact_k=_ANY,
    filled=_ANY,
    volume=_ANY,
    sigma=_ANY,
    adv=_ANY,
    price=_ANY,
    side=st.sampled_from([1.0, -1.0]),
    half_spread=_ANY,
)
def test_the_compiled_impact_is_the_python_one_bit_for_bit(
    model, price_impact, impact_k, filled, volume, sigma, adv, price, side, half_spread
):
    """engine.broker.jitted compiles impact.py's source: on any floats (NaN, ±inf, ±0
    included) both give the same bits."""
    args = (model, price_impact, impact_k, filled, volume, sigma, adv)
    python, compiled = impact.impact_fraction(*args), jitted.impact_fraction(*args)
    assert _bits(python) == _bits(compiled) or (math.isnan(python) and math.isnan(compiled))
    python = impact.liquidity_price(price, side, python, half_spread)
    compiled = jitted.liquidity_price(price, side, compiled, half_spread)
    assert _bits(python) == _bits(compiled) or (math.isnan(python) and math.isnan(compiled))


def test_hostile_prices_give_nan_where_they_reach_and_no_warning():
    """A zero low (bar 3) and a negative close (bar 6) make NaN the windows holding them
    (the spreads from bar 4 resp. 7 for the next W bars, σ for the returns they touch),
    and nothing else; numpy raises no warning (none reaches a Job's log)."""
    n, w = 14, 3
    close = np.linspace(10.0, 12.0, n)
    high, low = close * 1.02, close * 0.99
    low[3], close[6] = 0.0, -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cs = liquidity.spread_series("corwin_schultz", high, low, close, w)
        ar = liquidity.spread_series("abdi_ranaldo", high, low, close, w)
        sigma = liquidity.trailing_volatility(close, w)
    # pairs touching bar 3 are (2, 3) and (3, 4): NaN in the windows of bars 4 .. 6
    assert np.isnan(cs[4:7]).all() and np.isfinite(cs[[3, 11, 12, 13]]).all()
    assert np.isnan(ar[4:7]).all() and np.isfinite(ar[[3, 11, 12, 13]]).all()
    # returns 6 and 7 read close 6: σ NaN at bars 7 .. 10, finite again from 11
    assert np.isnan(sigma[7:11]).all() and np.isfinite(sigma[[4, 5, 6, 11]]).all()
