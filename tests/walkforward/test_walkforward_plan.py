"""The pure parts of a walk-forward: the fold plan (rolling, anchored, step ≠ test, not
fitting), the selection and its tie-break, stitching hand-made curves, WFE and parameter
stability, and the stitched curve's metrics against the engine's own and with a registered
metric."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.metrics import Curves, curve_metrics
from adapters.walkforward import Segment, efficiency, stability, stitch
from engine import Bars, TradingParams, run
from kinds.walkforward.outcome import outcome
from kinds.walkforward.plan import MAX_FOLDS, plan_folds
from kinds.walkforward.select import select_best
from metrics import MetricDef, register, unregister
from work.errors import RequestError


def _windows(folds):
    return [(f.train_start, f.train_stop, f.test_start, f.test_stop) for f in folds]


def test_rolling_folds_slide_by_the_step_and_keep_only_full_test_windows():
    """100 bars, train 40, test 20: folds test 40-60 and 60-80, 80-100; training is the 40
    bars before each."""
    folds = plan_folds(100, 40, 20, 20, anchored=False)
    assert _windows(folds) == [(0, 40, 40, 60), (20, 60, 60, 80), (40, 80, 80, 100)]


def test_anchored_folds_train_from_the_first_bar():
    folds = plan_folds(100, 40, 20, 20, anchored=True)
    assert _windows(folds) == [(0, 40, 40, 60), (0, 60, 60, 80), (0, 80, 80, 100)]
    assert [f.train_bars for f in folds] == [40, 60, 80]


def test_a_step_other_than_the_test_window_overlaps_or_leaves_gaps():
    """Step 10 < test 20: test windows overlap; step 30: a gap of 10 bars, and a last test
    window that would pass the end is dropped."""
    assert _windows(plan_folds(80, 40, 20, 10, anchored=False)) == [
        (0, 40, 40, 60),
        (10, 50, 50, 70),
        (20, 60, 60, 80),
    ]
    assert _windows(plan_folds(115, 40, 20, 30, anchored=False)) == [
        (0, 40, 40, 60),
        (30, 70, 70, 90),
    ]


def test_windows_that_do_not_fit_name_train_bars_and_too_many_folds_name_step_bars():
    with pytest.raises(RequestError) as error:
        plan_folds(59, 40, 20, 20, anchored=False)
    assert error.value.field == "train_bars"
    assert len(plan_folds(60, 40, 20, 20, anchored=False)) == 1
    with pytest.raises(RequestError) as error:
        plan_folds(40 + 20 + MAX_FOLDS, 40, 20, 1, anchored=False)
    assert error.value.field == "step_bars"


def test_the_best_row_wins_and_ties_go_to_the_lowest_combo_number():
    rows = [(0, {"p": 1}, 5, 1.0), (1, {"p": 2}, 5, 2.0), (2, {"p": 3}, 5, 2.0)]
    assert select_best(rows, "sharpe_ratio", 1).combo_no == 1
    assert select_best(list(reversed(rows)), "sharpe_ratio", 1).combo_no == 1


def test_rows_with_too_few_trades_or_no_value_are_not_eligible():
    rows = [(0, {}, 0, 9.0), (1, {}, 3, None), (2, {}, 3, float("nan")), (3, {}, 3, 0.5)]
    assert select_best(rows, "sharpe_ratio", 1).combo_no == 3
    assert select_best(rows, "sharpe_ratio", 0).combo_no == 0
    assert select_best(rows[:3], "sharpe_ratio", 1) is None


def test_lower_is_better_metrics_choose_the_smallest_value():
    rows = [(0, {}, 2, 12.0), (1, {}, 2, 3.0), (2, {}, 2, 3.0)]
    choice = select_best(rows, "max_drawdown_pct", 1)
    assert (choice.combo_no, choice.value) == (1, 3.0)


def _stamps(first_day: int, n: int) -> list[str]:
    days = np.datetime64("2020-01-01") + np.arange(first_day, first_day + n)
    return [f"{d}T00:00:00+00:00" for d in days.astype(str)]


def _segment(fold, start, equity, close, train=(100.0, 110.0)) -> Segment:
    return Segment(
        fold=fold,
        test_start=start,
        timestamps=_stamps(start, len(equity)),
        equity=equity,
        close=close,
        trades=1,
        train_timestamps=_stamps(start - len(train), len(train)),
        train_equity=list(train),
    )


def test_stitching_compounds_each_fold_from_where_the_last_ended():
    """Fold 0 is as run (+10%); fold 1's +20% starts at 110: 110 → 132; buy & hold divides
    by the first stitched close; the in-sample curve of fold 1 ends at 110."""
    out = stitch(
        [
            _segment(0, 10, [100.0, 105.0, 110.0], [10.0, 11.0, 12.0]),
            _segment(1, 13, [100.0, 120.0], [12.0, 15.0], train=(50.0, 80.0)),
        ],
        100.0,
    )
    assert out["equity_curve"]["equity"] == [100.0, 105.0, 110.0, 110.0, 132.0]
    assert out["equity_curve"]["timestamps"] == _stamps(10, 3) + _stamps(13, 2)
    assert out["benchmark"]["equity"] == pytest.approx([100.0, 110.0, 120.0, 120.0, 150.0])
    assert out["in_sample"][1]["equity"] == pytest.approx([68.75, 110.0])
    assert out["in_sample"][0]["equity"] == pytest.approx([100.0 / 1.1, 100.0])
    assert out["metrics"]["total_return_pct"] == pytest.approx(32.0)
    assert out["metrics"]["num_trades"] == 2


def test_overlapping_test_windows_contribute_bars_up_to_the_next_fold_only():
    """Step 2 < test 3: fold 0 gives its first 2 bars, fold 1 all of its 3."""
    out = stitch(
        [
            _segment(0, 10, [100.0, 110.0, 999.0], [1.0, 1.0, 1.0]),
            _segment(1, 12, [100.0, 90.0, 120.0], [1.0, 1.0, 1.0]),
        ],
        100.0,
    )
    assert out["equity_curve"]["equity"] == pytest.approx([100.0, 110.0, 110.0, 99.0, 132.0])


def test_the_stitched_metrics_of_one_run_equal_the_engines():
    """``curve_metrics`` on a run's own equity gives the engine's core metrics bit for bit
    (the same definitions, not a copy that drifted)."""
    rng = np.random.default_rng(7)
    n = 300
    close = 100 * np.cumprod(1 + rng.normal(0, 0.01, n))
    stamps = np.datetime64("2020-01-01") + np.arange(n)
    bars = Bars(stamps.astype("datetime64[s]"), close, close * 1.01, close * 0.99, close, close)
    entries = np.zeros(n, bool)
    exits = np.zeros(n, bool)
    entries[[5, 100, 200]] = True
    exits[[50, 150, 250]] = True
    result = run(bars, entries, exits, TradingParams())
    metrics = curve_metrics(bars.timestamps, result.equity, 100_000.0, 3)
    for name in ("total_return_pct", "sharpe_ratio", "max_drawdown_pct"):
        assert metrics[name] == result.metrics[name], name


WALK_METRIC = MetricDef(
    "toy_stitched_mix",
    "Toy stitched mix",
    function="tests.walkforward.test_walkforward_plan:stitched_mix",
)
"""A registered metric reading the curve, its returns and a metric computed before it."""


def stitched_mix(curves: Curves) -> np.ndarray:
    """``WALK_METRIC``'s function: final over first equity, plus the bar returns' sum, plus
    the total return (known) as a fraction; NaN for a curve under 3 bars."""
    value = curves.equity[:, -1] / curves.equity[:, 0] + curves.returns.sum(axis=1)
    value = value + curves.metrics["total_return_pct"] / 100.0
    return np.where(curves.equity.shape[1] >= 3, value, np.nan)


def _fold(fold: int, start: int, equity: list[float]) -> tuple[int, dict, dict]:
    """A SUCCEEDED fold as ``kinds.walkforward.outcome`` reads it."""
    curve = {"timestamps": _stamps(start, len(equity)), "equity": equity}
    train = {"timestamps": _stamps(start - 2, 2), "equity": [100.0, 110.0]}
    result = {
        "test_curve": {**curve, "close": [10.0] * len(equity)},
        "train_curve": train,
        "test_trades": 1,
        "train_metrics": {"cagr_pct": 5.0},
    }
    return fold, {"test": {"first": start}, "bars_per_year": 252.0}, result


def test_the_stitched_curve_gets_every_registered_metric():
    """With a metric registered (a row and its function), the stitched out-of-sample
    metrics hold it, computed on the stitched curve as for a run's; without, they do not."""
    folds = [_fold(0, 10, [100.0, 105.0, 110.0]), _fold(1, 13, [100.0, 120.0])]
    request = {"initial_capital": 100.0}
    assert WALK_METRIC.key not in outcome(request, folds)[0]["metrics"]
    register(WALK_METRIC)
    try:
        oos, _ = outcome(request, folds)
    finally:
        unregister(WALK_METRIC.key)
    metrics = oos["metrics"]
    assert oos["equity_curve"]["equity"] == [100.0, 105.0, 110.0, 110.0, 132.0]
    returns = (0.05, 110.0 / 105.0 - 1.0, 0.0, 0.2)
    expected = 132.0 / 100.0 + sum(returns) + metrics["total_return_pct"] / 100.0
    assert metrics[WALK_METRIC.key] == pytest.approx(expected, rel=1e-15)
    assert list(metrics)[-1] == WALK_METRIC.key  # after the stored metrics, in registry order


def test_efficiency_is_oos_cagr_over_the_mean_in_sample_cagr():
    assert efficiency(5.0, [10.0, 10.0]) == 0.5
    assert efficiency(5.0, [10.0, -10.0]) is None  # in-sample mean 0: no ratio
    assert efficiency(5.0, [10.0, None]) is None
    assert efficiency(None, [10.0]) is None


def test_stability_counts_distinct_values_and_the_most_common_share():
    chosen = [{"fast": 5}, {"fast": 10}, {"fast": 5}, None]
    assert stability(["fast"], chosen) == {
        "fast": {"values": [5, 10, 5, None], "distinct": 2, "most_common": 5, "share": 0.5}
    }
    tie = stability(["fast"], [{"fast": 10}, {"fast": 5}])["fast"]
    assert tie["most_common"] == 10  # a tie goes to the value chosen first
