"""adapters.report: the run report assembled from a stored equity curve and a benchmark."""

from __future__ import annotations

import json

import pytest

from adapters.report import run_report


def iso(day: int) -> str:
    return f"2024-01-{day:02d}T21:00:00+00:00"


EQUITY = {"timestamps": [iso(d) for d in range(1, 7)], "equity": [100.0, 110, 99, 120, 90, 130]}


def test_the_benchmark_is_put_on_the_runs_bars_and_scaled_to_its_first_common_equity():
    """A benchmark with bars on days 3..8 at 10, 11, 12, 13: on the run's bars it is null on
    days 1-2 and starts at the run's equity on day 3 (99); stats over the 4 common bars."""
    bench = {"timestamps": [iso(d) for d in range(3, 9)], "equity": [10.0, 11, 12, 13, 14, 15]}
    report = run_report(EQUITY, bench, window=2)
    assert report["benchmark"]["equity"][:2] == [None, None]
    assert report["benchmark"]["equity"][2:] == pytest.approx([99.0, 108.9, 118.8, 128.7])
    stats = report["benchmark"]["stats"]
    assert (stats["bars"], stats["return_pairs"], stats["first"], stats["last"]) == (
        4, 3, iso(3), iso(6),
    )  # fmt: skip
    assert stats["strategy_return_pct"] == pytest.approx((130 / 99 - 1) * 100)
    assert stats["benchmark_return_pct"] == pytest.approx(30.0)


def test_the_report_holds_every_view_aligned_with_the_bars_as_plain_json():
    """Rolling, underwater and benchmark series have one value per bar; drawdowns carry ISO
    timestamps (110 → 99 recovered on day 4; 120 → 90 recovered on day 6)."""
    report = run_report(EQUITY, EQUITY, window=3)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    for series in (report["rolling"]["sharpe"], report["underwater_pct"], report["equity"]):
        assert len(series) == 6
    assert report["rolling"]["window"] == 3
    assert report["rolling"]["volatility_pct"][:3] == [None] * 3
    assert [(d["peak"], d["trough"], d["recovery"]) for d in report["drawdowns"]] == [
        (iso(4), iso(5), iso(6)),
        (iso(2), iso(3), iso(4)),
    ]
    assert report["monthly"][0]["months_pct"][0] == pytest.approx(30.0)
    assert report["benchmark"]["stats"]["beta"] == pytest.approx(1.0)


def test_a_benchmark_without_a_common_bar_has_every_statistic_key_and_no_curve():
    """A benchmark dated after the run: bars 0, every statistic present and null."""
    bench = {"timestamps": ["2024-02-01T21:00:00+00:00"], "equity": [5.0]}
    stats = run_report(EQUITY, bench)["benchmark"]["stats"]
    assert stats == {**dict.fromkeys(stats), "bars": 0, "return_pairs": 0}
    assert set(stats) >= {"alpha_pct", "beta", "first", "benchmark_return_pct"}
    assert run_report(EQUITY, bench)["benchmark"]["equity"] == [None] * 6
