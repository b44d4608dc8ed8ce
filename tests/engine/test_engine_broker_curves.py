"""The broker's batch pass (``engine.broker.curves``) against the step walked on every bar:
the pass calls the step only on the bars where it can act and marks the others' equity
from the cash and shares it left, so on long runs with sparse signals (most bars quiet)
every run's equity on every bar and its core metrics must equal ``engine.run``'s (which
walks the step on every bar, ``engine.broker.step.walk_runs``) bit for bit: every entry-order
type, stops, the borrow fee, both directions, ``close_at_end`` and the bust rule.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine import backtest
from engine.param_specs import ENTRY_ORDER_TYPES
from tests.engine.test_engine_broker_differential import _equal, _inputs, requests, single_requests


@st.composite
def scaling_requests(draw, entry_types):
    """``requests`` that scale in or out (``max_entries`` above 1 or a fraction sold below 1)
    without a size series, position-aware exit or corporate actions."""
    case = draw(requests(entry_types))
    fields = dict(case["fields"], size_unit=None, max_size=None)
    fields["max_entries"] = draw(st.integers(min_value=1, max_value=4))
    fields["exit_fraction"] = draw(st.sampled_from([1.0, 0.5, 0.3]))
    if fields["take_profit_pct"] is not None:
        fields["take_profit_fraction"] = draw(st.sampled_from([1.0, 0.5]))
    assume(
        (fields["max_entries"], fields["exit_fraction"], fields["take_profit_fraction"])
        != (1, 1.0, 1.0)
    )
    return dict(case, fields=fields, held=None, sizes=None, actions=None)


@st.composite
def sparse_requests(draw):
    """``single_requests``' or ``scaling_requests``' fields over a longer market whose
    signals are sparse: long stretches where no order, stop or borrow fee acts, and some
    where they do."""
    made = draw(st.sampled_from([single_requests, scaling_requests]))
    case = draw(made(entry_types=ENTRY_ORDER_TYPES))
    n = draw(st.integers(min_value=3, max_value=400))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    vol = draw(st.sampled_from([0.005, 0.03, 0.12]))
    density = draw(st.sampled_from([0.003, 0.02, 0.1]))
    return _market(case, rng, n, vol, density, runs=4, bar=np.timedelta64(1, "D"))


def _market(case: dict, rng, n: int, vol: float, density: float, runs: int, bar) -> dict:
    """``case`` over ``n`` bars (one every ``bar``) of a random market moving ``vol`` a
    bar, with ``runs`` rows of signals on a ``density`` of the bars and entry-order prices
    around the close."""
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, vol, n)))
    open_ = close * np.exp(rng.normal(0, vol / 2, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, vol, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, vol, n))
    times = np.datetime64("2020-01-01", "s") + np.arange(n) * bar
    offset = rng.uniform(0.0, 2 * vol, (runs, n))
    return dict(
        case,
        ohlcv=(times, open_, high, low, close, rng.uniform(1e3, 1e6, n)),
        entries=rng.random((runs, n)) < density,
        exits=rng.random((runs, n)) < density,
        limit=close * (1 - offset),
        stop=close * (1 + offset),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_requests())
def test_the_batch_pass_equals_the_step_walked_on_every_bar(case):
    bars, params, _ = _inputs(case, engine)
    assume(params.walks_bars or params.has_orders or params.scales)  # the step walks these
    assert backtest._curves(bars, params, None, None, None) == (len(bars) >= 3)  # its route
    batch = engine.run_batch(
        bars,
        case["entries"],
        case["exits"],
        params,
        keep_equity=True,
        limit=case["limit"],
        stop=case["stop"],
    )
    for i in range(len(case["entries"])):
        single = engine.run(
            bars,
            case["entries"][i],
            case["exits"][i],
            params,
            limit=case["limit"][i],
            stop=case["stop"][i],
        )
        _equal(batch.equity[i], single.equity, f"equity of run {i}")
        for name, values in batch.metrics.items():
            value = single.metrics[name]
            same = values[i] == value or (value is None and np.isnan(values[i]))
            assert same, (name, i, values[i], value)


@st.composite
def long_requests(draw):
    """``sparse_requests``' fields over a market long enough that ``engine.run``'s walk
    looks ahead for the signal bars to come (``step.FETCH_FROM_BARS`` and more), one run."""
    from engine.broker import step

    case = draw(sparse_requests())
    n = step.FETCH_FROM_BARS + draw(st.integers(min_value=0, max_value=3_000))
    rng = np.random.default_rng(draw(st.integers(min_value=0, max_value=2**32 - 1)))
    density = draw(st.sampled_from([0.0005, 0.02, 0.2]))
    return _market(case, rng, n, 0.002, density, runs=1, bar=np.timedelta64(60, "s"))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_requests())
def test_a_run_whose_walk_looks_ahead_equals_the_batch_pass(case):
    """On a run of ``FETCH_FROM_BARS`` bars or more ``walk_run`` asks for the next signal
    bars' cache lines as it walks: the same equity on every bar and core metrics as the
    batch pass, which does not."""
    bars, params, _ = _inputs(case, engine)
    assume(params.walks_bars or params.has_orders or params.scales)
    batch = engine.run_batch(
        bars, case["entries"], case["exits"], params, keep_equity=True,
        limit=case["limit"], stop=case["stop"],
    )  # fmt: skip
    single = engine.run(
        bars, case["entries"][0], case["exits"][0], params, limit=case["limit"][0],
        stop=case["stop"][0],
    )  # fmt: skip
    _equal(batch.equity[0], single.equity, "equity")
    for name, values in batch.metrics.items():
        value = single.metrics[name]
        assert values[0] == value or (value is None and np.isnan(values[0])), name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_requests(), st.integers(min_value=0, max_value=30), st.booleans())
def test_walked_crossings_run_as_their_crossing_signals(case, offset, liquid):
    """``run_crossings`` of walked runs (stops, a borrow fee, entry orders, scaling, a
    volume limit) reads the crossings of two lines inside the step's pass: the same
    equity, metrics and curve statistics as the pass over ``cross_above``/``cross_below``
    of those lines (NaN warm-ups, equal stretches, any offset into the history)."""
    from rules import cross_above, cross_below

    case = dict(case, fields=dict(case["fields"], size_unit=None, max_size=None))
    if liquid:
        case["fields"] = dict(case["fields"], volume_limit=0.01, spread_bps=10.0)
    bars, params, _ = _inputs(case, engine)
    assume(len(bars) >= 3 and (params.walks_bars or params.has_orders or params.scales or liquid))
    n = len(bars)
    rng = np.random.default_rng(offset + n)
    lines = np.round(rng.normal(0, 1, (5, offset + n)).cumsum(axis=1), 1)
    lines[:, : rng.integers(0, offset + n)] = np.nan
    lines[3] = lines[2]
    line, other = rng.integers(0, 5, 6), rng.integers(0, 5, 6)
    prices = (case["limit"][0], case["stop"][0]) if params.has_orders else (None, None)
    work = 10**9  # the pass, however small
    crossed = engine.run_crossings(
        bars, lines, line, other, offset, params, keep_equity=True, prices=prices, work=work
    )
    entries = cross_above(lines[line], lines[other])[:, offset:]
    exits = cross_below(lines[line], lines[other])[:, offset:]
    limit, stop = prices
    batch = engine.run_batch(
        bars, entries, exits, params, keep_equity=True, limit=limit, stop=stop, work=work
    )
    assert batch.curve is not None  # the step's pass
    _equal(crossed.equity, batch.equity, "equity")
    for name, values in batch.metrics.items():
        _equal(crossed.metrics[name], values, name)
    for name, values in batch.curve.items():
        _equal(crossed.curve[name], values, name)


def test_read_only_arrays_reach_the_pass_without_compiling_a_variant_of_it():
    """Read-only lines, prices and bars (a frozen indicator row, pandas' copy-on-write
    columns) give the pass the numbers the writable ones give, through the signatures it
    already has: numba types a read-only array apart, and each variant of the pass costs
    tens of CPU-seconds to compile in a Job or a test worker."""
    from bench.broker_bench import random_walk_bars
    from engine.broker import curves

    bars = random_walk_bars(400, seed=3)
    close = bars.close
    lines = np.vstack([close, np.convolve(close, np.ones(20) / 20, mode="same")])
    limit = close * 0.99
    params = engine.TradingParams(stop_loss_pct=5.0, entry_type="limit", valid_bars=3)
    crossing = (np.array([0]), np.array([1]), 0)
    writable = backtest.run_crossings(bars, lines, *crossing, params, prices=(limit, None))
    kernels = (curves.evaluate_runs,)
    compiled_before = {kernel: len(kernel.signatures) for kernel in kernels}

    columns = (bars.open, bars.high, bars.low, bars.close, bars.volume)
    frozen = [np.array(a) for a in (lines, limit, *columns)]
    for array in frozen:
        array.setflags(write=False)
    lines_ro, limit_ro, *columns = frozen
    bars_ro = engine.Bars(bars.timestamps, *columns)
    read_only = backtest.run_crossings(
        bars_ro, lines_ro, *crossing, params, prices=(limit_ro, None)
    )

    assert {kernel: len(kernel.signatures) for kernel in compiled_before} == compiled_before
    for name, values in writable.metrics.items():
        _equal(read_only.metrics[name], values, name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sparse_requests(), st.integers(min_value=2, max_value=5), st.booleans())
def test_a_batch_spread_over_threads_gives_every_run_its_own_numbers(case, threads, crossing):
    """A parallel batch (``work`` that pays) is cut into ranges of whole books walked on as
    many threads (``engine.broker.curves.evaluate``): every run's equity, liquidity counts,
    metrics, curve and block statistics equal those of the same batch on one thread bit
    for bit, with signals and with crossings, in order."""
    import pytest

    from engine import _spread
    from engine.broker import curves

    case = dict(case, fields=dict(case["fields"], size_unit=None, max_size=None))
    bars, params, _ = _inputs(case, engine)
    assume(len(bars) >= 3 and (params.walks_bars or params.has_orders or params.scales))
    n = len(bars)
    runs = 3 * curves.RUNS_PER_BOOK + 5
    rng = np.random.default_rng(n + threads)
    prices = (case["limit"][0], case["stop"][0]) if params.has_orders else (None, None)
    edges = np.linspace(0, n - 1, 4).astype(np.int64) if n >= 4 else None

    def batch(work: int):
        if crossing:
            lines = np.round(rng_lines.normal(0, 1, (5, n)).cumsum(axis=1), 1)
            line, other = rng_lines.integers(0, 5, runs), rng_lines.integers(0, 5, runs)
            return engine.run_crossings(
                bars, lines, line, other, 0, params, keep_equity=True, prices=prices,
                work=work, block_edges=edges,
            )  # fmt: skip
        return engine.run_batch(
            bars, entries, exits, params, keep_equity=True, limit=prices[0], stop=prices[1],
            work=work, block_edges=edges,
        )  # fmt: skip

    rows = rng.integers(0, 4, runs)
    entries, exits = case["entries"][rows], case["exits"][rows]
    rng_lines = np.random.default_rng(7)
    alone = batch(work=1)
    assert alone.curve is not None  # the step's pass
    rng_lines = np.random.default_rng(7)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_spread, "threads", lambda: threads)
        spread = batch(work=10**12)
    _equal(spread.equity, alone.equity, "equity")
    for name, values in alone.metrics.items():
        _equal(spread.metrics[name], values, name)
    for name, values in alone.curve.items():
        _equal(spread.curve[name], values, name)
    if alone.block_stats is not None:
        _equal(spread.block_stats, alone.block_stats, "block_stats")


def test_runs_are_cut_into_whole_books_one_range_a_thread():
    """``run_ranges``: contiguous, in order, covering every run once, each range whole books
    but the last, at most one a thread, one range for one book."""
    from engine._spread import run_ranges
    from engine.broker.curves import RUNS_PER_BOOK

    assert run_ranges(0, 4, RUNS_PER_BOOK) == []
    assert run_ranges(RUNS_PER_BOOK, 4, RUNS_PER_BOOK) == [(0, RUNS_PER_BOOK)]
    for n_runs in (1, 33, 64, 65, 100, 1000):
        for threads in (1, 2, 3, 8):
            ranges = run_ranges(n_runs, threads, RUNS_PER_BOOK)
            assert len(ranges) <= threads
            assert ranges[0][0] == 0 and ranges[-1][1] == n_runs
            assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
            assert all((hi - lo) % RUNS_PER_BOOK == 0 for lo, hi in ranges[:-1])
