"""The compiled kernels give the numpy path's numbers bit for bit (hypothesis, many random
markets, signals and trading parameters, the costs and the close at the end among them):
the one-pass evaluation of N runs against
``run_batch``'s paths with ``core_metrics``, ``equity_metrics`` and ``block_stats``, and
the compiled fill walk of one run against the Python walk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cscv import block_edges, block_stats
from adapters.metrics import curve_stats_metrics, equity_metrics
from engine import (
    Bars,
    TradingParams,
    bar_returns,
    compiled,
    kernel_stamp,
    run,
    run_batch,
    run_crossings,
)
from engine._pairwise import pairwise_sum
from engine.broker.costs import Costs
from tests.engine.test_engine_properties import trading_params


def _market(n: int, seed: int, density: float, rows: int, crash: bool = False):
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    if crash:  # a short can go bust
        close[n // 2 :] *= 6.0
    open_ = close * np.exp(rng.normal(0, 0.015, n))
    step = rng.choice([np.timedelta64(1, "D"), np.timedelta64(3600, "s")])
    bars = Bars(
        np.datetime64("2020-01-01", "s") + np.arange(n) * step,
        open_,
        np.maximum(open_, close) * 1.01,
        np.minimum(open_, close) * 0.99,
        close,
        rng.uniform(1e3, 1e6, n),
    )
    return bars, rng.random((rows, n)) < density, rng.random((rows, n)) < density


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a, b, equal_nan=True)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=2, max_value=400),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from([0.01, 0.1, 0.5]),
    st.integers(min_value=1, max_value=6),
    st.booleans(),
    trading_params(costs=True),
)
def test_one_pass_equals_the_numpy_path_bit_for_bit(n, seed, density, rows, crash, params):
    """Every core metric, curve reduction and block statistic of ``run_batch(one_pass)``
    equals what the equity curves give through numpy; the curves and bar returns it keeps
    are the numpy path's, in new arrays or in the first rows of larger ones."""
    bars, entries, exits = _market(n, seed, density, rows, crash)
    blocks = 4 if n - 1 >= 8 else 0
    edges = block_edges(n - 1, blocks) if blocks else None
    fast = run_batch(bars, entries, exits, params, one_pass=True, block_edges=edges)
    slow = run_batch(bars, entries, exits, params, keep_equity=True)
    for name, values in slow.metrics.items():
        assert _same(fast.metrics[name], values), name
    assert fast.equity is None and fast.returns is None
    returns = bar_returns(slow.equity)
    into = (np.full((rows + 2, n), -1.0), np.full((rows + 2, max(n - 1, 1)), -1.0))
    for space in (None, into):
        kept = run_batch(bars, entries, exits, params, one_pass=True, keep_equity=True, into=space)
        assert _same(kept.equity, slow.equity) and _same(kept.returns, returns)
        assert all(_same(kept.metrics[name], values) for name, values in fast.metrics.items())
    expected = equity_metrics(
        bars.timestamps, slow.equity, slow.metrics["max_drawdown_pct"], returns=returns
    )
    got = curve_stats_metrics(bars.timestamps, fast.curve, fast.metrics["max_drawdown_pct"])
    for name, values in expected.items():
        assert _same(got[name], values), name
    if blocks:
        stats = block_stats(returns, blocks)
        assert _same(fast.block_stats, np.hstack([stats.sums, stats.squares]))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(min_value=2, max_value=3000),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from([0.05, 0.3]),
    trading_params(costs=True),
)
def test_the_compiled_fill_walk_equals_the_python_walk(monkeypatch, n, seed, density, params):
    """A single run with its fills walked compiled has the same paths, trades and metrics
    as with the Python walk."""
    bars, entries, exits = _market(n, seed, density, 1)
    with monkeypatch.context() as patch:
        patch.setattr(compiled, "pays", lambda work, threshold: False)
        patch.setattr(compiled, "loaded", lambda: False)
        patch.setattr(compiled, "worth_loading", lambda work, threshold, in_all: False)
        python = run(bars, entries[0], exits[0], params)
    with monkeypatch.context() as patch:
        patch.setattr(compiled, "pays", lambda work, threshold: True)
        kernel = run(bars, entries[0], exits[0], params)
    assert _same(kernel.equity, python.equity) and _same(kernel.cash, python.cash)
    assert kernel.trades == python.trades
    assert kernel.metrics == python.metrics


def test_the_python_walks_of_a_process_add_up_to_loading_the_kernels(monkeypatch):
    """``worth_loading``: calls below the threshold stay on the Python path until their work
    in all reaches ``in_all`` (that call loads); one call at the threshold loads on its own;
    once loaded, every call runs compiled."""
    monkeypatch.setattr(compiled, "_spent", {})
    monkeypatch.setattr(compiled, "loaded", lambda: False)
    calls = [compiled.worth_loading(6_000, 20_000, 30_000) for _ in range(6)]
    assert calls == [False] * 4 + [True] * 2
    monkeypatch.setattr(compiled, "_spent", {})
    assert compiled.worth_loading(20_000, 20_000, 30_000)
    assert not compiled.worth_loading(19_999, 20_000, 30_000)
    monkeypatch.setattr(compiled, "loaded", lambda: True)
    assert compiled.worth_loading(1, 20_000, 30_000)


REPEATED_RUNS = """
import sys
import numpy as np
from engine import Bars, TradingParams, compiled, run
from engine._simulate import transitions
rng = np.random.default_rng(5)
n = 4_000
close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
bars = Bars(np.datetime64("2020-01-01", "s") + np.arange(n) * np.timedelta64(60, "s"),
            close, close * 1.01, close * 0.99, close, np.full(n, 1e6))
entries, exits = rng.random(n) < 0.3, rng.random(n) < 0.3
fills = transitions(entries[None], exits[None], "longonly")[0].size
params = TradingParams(fee_rate=0.001)
for _ in range(compiled.LOAD_FILLS // fills + 3):
    result = run(bars, entries, exits, params)
    print(fills, "engine._kernel" in sys.modules, result.equity.tobytes().hex()[-64:],
          len(result.trades), flush=True)
"""


def test_a_process_repeating_a_small_run_loads_the_kernels_once_its_walks_pay_same_results():
    """A fresh process running the same run again and again (a notebook's loop) walks its
    fills in Python until they reach ``LOAD_FILLS`` in all, then loads the kernels and walks
    them compiled from that run on, with the same equity and trades on every run."""
    lines = subprocess.run(
        [sys.executable, "-c", REPEATED_RUNS],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout.split()
    rows = [lines[i : i + 4] for i in range(0, len(lines), 4)]
    fills = int(rows[0][0])
    assert 0 < fills < compiled.LOAD_FILLS // 20
    first = -(-compiled.LOAD_FILLS // fills)  # the run whose fills bring the total to it
    assert [row[1] for row in rows] == ["False"] * (first - 1) + ["True"] * (len(rows) - first + 1)
    assert len({(row[2], row[3]) for row in rows}) == 1


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from([0.0, 0.05, 0.5, 2.0]),
    st.booleans(),
)
def test_compiled_paths_equal_the_numpy_paths_bit_for_bit(n, runs, seed, density, bust):
    """``engine._simulate.paths``' compiled pass (``engine._kernel.fill_paths``) writes the
    numpy path's cash, position, equity and bust bars bit for bit, on random fills (several
    on one bar, none, a first on bar 0, shorts and cash that take the equity to 0 or below,
    NaN closes), for a block of runs inside a larger batch."""
    from engine import _simulate

    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.05, n)))
    if n and rng.random() < 0.2:
        close[rng.integers(n)] = np.nan
    total = runs + 2  # the block is runs 1 .. runs of the batch
    counts = rng.poisson(density * max(n, 1), total) if n else np.zeros(total, dtype=np.int64)
    offsets = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    size = int(offsets[-1])
    bars = np.concatenate([np.sort(rng.integers(0, max(n, 1), c)) for c in counts])
    shares = rng.choice([0.0, 10.0, -10.0, 3.5], size)
    cash = rng.normal(1e3 if not bust else -500.0, 800.0, size)
    fills = {name: np.zeros(size) for name in _simulate.EVENT_FIELDS}
    events = _simulate.Events(
        offsets=offsets,
        run=np.repeat(np.arange(total), counts),
        bar=bars.astype(np.int64),
        **{**fills, "cash": cash, "shares": shares},
    )
    first, last = 1, 1 + runs
    ours = _simulate._compiled_paths(events, first, last, close, 1e3)
    numpy = _simulate._numpy_paths(events, first, last, close, 1e3)
    for name in ("cash", "position", "equity", "bust_bar"):
        assert _same(getattr(ours, name), getattr(numpy, name)), name
    assert ours.bust_bar.dtype == numpy.bust_bar.dtype


def test_pairwise_sum_adds_in_numpys_order():
    """Sums over lengths around numpy's blocks (8, 128) and long ones equal ``ndarray.sum``
    to the last bit, where a plain loop does not."""
    rng = np.random.default_rng(7)
    plain_differs = False
    for n in [*range(0, 300), 2515, 8191, 8193, 100_003, 5_000_000]:
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5)
        assert pairwise_sum(a, 0, n) + 0.0 == a.sum(), n
        plain_differs |= float(np.cumsum(a)[-1]) != a.sum() if n else False
    assert plain_differs


def test_the_largest_fall_equals_numpys_whichever_block_passes_the_peak():
    """The compiled largest fall from a running peak (``engine._kernel._largest_fall``,
    which reduces blocks of bars at once) equals numpy's ``max((peak - equity) / peak)``
    to the last bit: curves of every length around a block, rising, falling and flat
    (an equity unchanged between fills), a new peak on any bar of a block."""
    from engine._kernel import FALL_BLOCK, _largest_fall

    rng = np.random.default_rng(3)
    lengths = [*range(1, 5 * FALL_BLOCK), 1_001, 100_003]
    for n in lengths:
        for drift in (-2e-3, 0.0, 2e-3):
            curve = 1e5 * np.exp(np.cumsum(rng.normal(drift, 1e-2, n)))
            changed = np.where(rng.random(n) < 0.4, np.arange(n), 0)  # fills on 40 % of bars
            held = curve[np.maximum.accumulate(changed)]  # between them the value held
            for values in (curve, held, np.full(n, 7.0), np.linspace(1.0, 2.0, n)):
                peak = np.maximum.accumulate(values)
                assert _largest_fall(values) == ((peak - values) / peak).max(), (n, drift)


def test_one_pass_refuses_stops_and_curve_space_that_does_not_fit():
    """Stops are walked bar by bar in Python; kept curves need room for every run and bar."""
    bars, entries, exits = _market(20, 1, 0.2, 2)
    cases = (
        (TradingParams(stop_loss_pct=5.0), None),
        (TradingParams(), (np.empty((1, 20)), np.empty((2, 19)))),  # one run short
        (TradingParams(), (np.empty((2, 20)), np.empty((2, 20)))),  # returns one bar long
        (TradingParams(), (np.empty((2, 20), dtype=np.float32), np.empty((2, 19)))),
    )
    for params, into in cases:
        with pytest.raises(ValueError):
            run_batch(bars, entries, exits, params, keep_equity=True, one_pass=True, into=into)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=2, max_value=300),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.booleans(),
    trading_params(),
)
def test_crossing_lines_run_as_their_crossing_signals(n, offset, seed, crash, params):
    """``run_crossings`` over lines (NaN warm-ups, equal stretches, any offset into the
    history) equals ``run_batch`` on ``cross_above``/``cross_below`` of the same lines."""
    from rules import cross_above, cross_below

    bars, _, _ = _market(n, seed, 0.1, 1, crash)
    rng = np.random.default_rng(seed)
    lines = np.round(rng.normal(0, 1, (5, offset + n)).cumsum(axis=1), 1)
    lines[:, : rng.integers(0, offset + n)] = np.nan
    lines[3] = lines[2]
    line = rng.integers(0, 5, 7)
    other = rng.integers(0, 5, 7)
    blocks = 2 if n - 1 >= 4 else 0
    edges = block_edges(n - 1, blocks) if blocks else None
    fast = run_crossings(
        bars, lines, line, other, offset, params, block_edges=edges, keep_equity=True
    )
    entries = cross_above(lines[line], lines[other])[:, offset:]
    exits = cross_below(lines[line], lines[other])[:, offset:]
    slow = run_batch(bars, entries, exits, params, one_pass=True, block_edges=edges)
    numpy = run_batch(bars, entries, exits, params, keep_equity=True)
    assert _same(fast.equity, numpy.equity) and _same(fast.returns, bar_returns(numpy.equity))
    for name, values in slow.metrics.items():
        assert _same(fast.metrics[name], values), name
    for name, values in slow.curve.items():
        assert _same(fast.curve[name], values), name
    if blocks:
        assert _same(fast.block_stats, slow.block_stats)


def test_sma_cross_lines_give_its_batch_signals():
    """``rules.crossing_lines`` of SMA_CROSS: the crossings of its rows are the signals of
    ``generate_signals_batch``, row for row."""
    from rules import cross_above, cross_below, crossing_lines, generate_signals_batch

    bars, _, _ = _market(400, 3, 0.1, 1)
    params = [{"fast": f, "slow": s} for f in (2, 5, 9) for s in (10, 30, 31) if f < s]
    crossing = crossing_lines("SMA_CROSS", params, bars)
    entries, exits = generate_signals_batch("SMA_CROSS", params, bars)
    assert np.array_equal(
        cross_above(crossing.lines[crossing.line], crossing.lines[crossing.other]), entries
    )
    assert np.array_equal(
        cross_below(crossing.lines[crossing.line], crossing.lines[crossing.other]), exits
    )
    assert crossing_lines("RSI", [{"period": 14}], bars) is None


def _engine_imports(path: Path, root: Path) -> set[Path]:
    """The engine's source files ``path`` imports from at module level (``from engine.x
    import y``: the module y, or x when y is a name in it)."""
    import ast

    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine"):
            parts = node.module.split(".")[1:]
            for alias in node.names:
                module = root.joinpath(*parts, f"{alias.name}.py")
                found.add(module if module.exists() else root.joinpath(*parts).with_suffix(".py"))
    return {module for module in found if module.exists()}


def test_the_stamp_covers_every_source_a_kernel_compiles_in():
    """A kernel module's cache is forgotten when a file in ``kernel_stamp._SOURCES``
    changes: every engine module the kernel modules import, directly or through each
    other, at module level (their functions and constants are compiled in) is there."""
    root = Path(kernel_stamp.__file__).parent
    kernels = [
        path
        for path in root.rglob("*.py")
        if "kernel_stamp.forget_stale(__name__" in path.read_text(encoding="utf-8")
    ]
    assert len(kernels) >= 5, kernels
    reached, todo = set(), list(kernels)
    while todo:
        for module in _engine_imports(todo.pop(), root) - reached:
            reached.add(module)
            todo.append(module)
    stamped = {root / name for name in kernel_stamp._SOURCES}
    missing = reached - stamped - {Path(kernel_stamp.__file__)}
    assert not missing, sorted(str(path.relative_to(root)) for path in missing)


def test_a_kernel_stampd_from_other_broker_sources_is_compiled_again():
    """numba keys a cached kernel by its own file: a portfolio of rules' kernel compiles in
    the broker's stop rules, so a cache written from other broker sources is forgotten at
    import (its index emptied, the stamp rewritten) and a kept one is not. (That kernel,
    not the broker's step every walked run loads, so that no other test's processes
    compile the step again.)"""
    from pathlib import Path

    from engine import _signals_kernel

    kernel = _signals_kernel.walk_signals
    module = "engine._signals_kernel"
    stamp = Path(kernel._cache.cache_path) / f"{module}.broker-stamp"
    kernel_stamp.forget_stale(module, vars(_signals_kernel))
    current = stamp.read_text()
    prices = np.linspace(10.0, 12.0, 8)
    grid = np.ascontiguousarray(np.vstack([prices, prices]).T)
    bars = np.ones(grid.shape, dtype=bool)
    buy = np.zeros(grid.shape, dtype=bool)
    buy[1] = True
    sell = np.ascontiguousarray(buy[::-1])
    costs = Costs.of(TradingParams()).as_array()
    kernel(grid, grid, grid, bars, buy, sell, grid, costs, np.full(3, np.nan), 1e5)
    assert kernel._cache._cache_file._load_index()
    kernel_stamp.forget_stale(module, vars(_signals_kernel))
    assert kernel._cache._cache_file._load_index()  # the same sources: kept
    stamp.write_text("other broker sources")
    kernel_stamp.forget_stale(module, vars(_signals_kernel))
    assert not kernel._cache._cache_file._load_index()
    assert stamp.read_text() == current


def test_a_plain_run_loads_no_numba_and_a_walked_one_of_any_size_loads_the_step():
    """In a fresh process (nothing compiled loaded): a small run with market entries and no
    stop fills vectorised without numba (a plain Job's imports); a 6-bar run with a
    stop-loss goes through the broker's step (no Python walk is left), after which numba
    counts as loaded, but its core metrics load no run kernel (``engine._kernel``: numpy
    reduces a small curve in far less than the kernel's code takes to load)."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from engine import Bars, TradingParams, compiled, run\n"
        "close = np.array([10.0, 10.0, 11.0, 9.0, 12.0, 12.0])\n"
        "bars = Bars(np.arange(6).astype('datetime64[D]'), close, close, close, close, close)\n"
        "entries, exits = close < 0, close < 0\n"
        "entries[0], exits[3] = True, True\n"
        "plain = run(bars, entries, exits, TradingParams())\n"
        "print(len(plain.trades), 'numba' in sys.modules, compiled.loaded())\n"
        "stopped = run(bars, entries, exits, TradingParams(stop_loss_pct=5.0))\n"
        "print(stopped.trades[0].exit_reason, 'engine.broker.step' in sys.modules,"
        " compiled.loaded(), compiled.kernels_loaded())\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:2] == ["1 False False", "stop_loss True True False"]


def test_no_two_kernels_of_one_function_differ_in_their_options():
    """Two of the engine's compiled kernels made from one function (the same module, name
    and line) are compiled with the same options, but for ``inline``, which only their
    callers read: numba keys a cached kernel by its function and signature, not by its
    options, so a second kernel of the function with other options (a serial twin of a
    parallel one) would load the first one's machine code from the cache."""
    import importlib

    from numba.core.dispatcher import Dispatcher

    root = Path(kernel_stamp.__file__).parent
    options: dict[tuple, set] = {}
    for path in root.rglob("*.py"):
        if "njit" not in path.read_text(encoding="utf-8") or "legacy" in path.parts:
            continue
        parts = path.relative_to(root.parent).with_suffix("").parts
        module = importlib.import_module(".".join(parts))
        for value in vars(module).values():
            if isinstance(value, Dispatcher):
                code = value.py_func.__code__
                key = (value.py_func.__module__, value.py_func.__qualname__, code.co_firstlineno)
                kept = {k: v for k, v in value.targetoptions.items() if k != "inline"}
                options.setdefault(key, set()).add(tuple(sorted(kept.items())))
    assert len(options) > 20
    shared = {key: found for key, found in options.items() if len(found) > 1}
    assert not shared, shared


@pytest.mark.parametrize("crossing", [False, True], ids=["signals", "crossings"])
def test_a_one_pass_batch_spread_over_threads_gives_every_run_its_own_numbers(
    crossing, monkeypatch
):
    """A one-pass batch large enough (``engine._spread.MIN_SPREAD_WORK``) is cut into
    ranges of its runs walked on as many threads: every run's metrics, curve statistics,
    block statistics and kept equity and returns equal those of the same batch walked on
    one thread, bit for bit, with signals and with crossings (walked in their cache
    order)."""
    from engine import _spread

    bars, entries, exits = _market(300, 11, 0.05, 67, crash=True)
    params = TradingParams(fee_rate=0.001, direction="longshort")
    n = len(bars)
    edges = block_edges(n - 1, 4)
    rng = np.random.default_rng(5)
    lines = np.round(rng.normal(0, 1, (9, n + 10)).cumsum(axis=1), 1)
    line, other = rng.integers(0, 9, 67), rng.integers(0, 9, 67)

    def batch():
        if crossing:
            return run_crossings(
                bars, lines, line, other, 10, params, block_edges=edges, keep_equity=True
            )
        return run_batch(
            bars, entries, exits, params, one_pass=True, block_edges=edges, keep_equity=True
        )

    monkeypatch.setattr(_spread, "MIN_SPREAD_WORK", 10**18)
    alone = batch()
    monkeypatch.setattr(_spread, "MIN_SPREAD_WORK", 0)
    monkeypatch.setattr(_spread, "threads", lambda: 3)
    spread = batch()
    assert _same(spread.equity, alone.equity) and _same(spread.returns, alone.returns)
    for name, values in alone.metrics.items():
        assert _same(spread.metrics[name], values), name
    for name, values in alone.curve.items():
        assert _same(spread.curve[name], values), name
    assert _same(spread.block_stats, alone.block_stats)
    assert len(_spread.run_ranges(67, 3)) == 3


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=0, max_value=80),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.booleans(),
    st.booleans(),
)
def test_unit_trades_gathered_compiled_equal_numpys(units, n, seed, events, borrows):
    """A unit table's trades (``engine._scaling.unit_trades``) are the same bit for bit
    whether its rows are gathered in trade order by the compiled pass
    (``engine._kernel.gather_rows``, once the run kernels are loaded) and, in that order
    already, computed by one (``engine._kernel.unit_trade_columns``), or by numpy: random
    tables with units held at the end, parts of one unit, corporate actions' columns and a
    single position's borrow charges."""
    from engine import _scaling

    rng = np.random.default_rng(seed)
    table = np.zeros((units, _scaling.UNIT_COLUMNS))
    entry = np.sort(rng.integers(0, n, units)).astype(np.float64)
    if units and rng.random() < 0.5:  # parts of one unit share its entry bar
        entry[rng.integers(units)] = entry[0]
    table[:, _scaling.ENTRY_BAR] = entry
    exit_bar = np.minimum(entry + rng.integers(0, 5, units), n - 1)
    table[:, _scaling.EXIT_BAR] = np.where(rng.random(units) < 0.2, -1.0, exit_bar)
    for k in (_scaling.ENTRY_PRICE, _scaling.EXIT_PRICE):
        table[:, k] = rng.uniform(10.0, 200.0, units)
    for k in (_scaling.ENTRY_FEE, _scaling.EXIT_FEE, _scaling.UNIT_BORROW, _scaling.DIVIDENDS):
        special = rng.choice([0.0, -0.0, 0.37, 1e-9], units)  # and any: rounding tells order
        table[:, k] = np.where(rng.random(units) < 0.5, special, rng.uniform(0.0, 3.0, units))
    table[:, _scaling.IN_LIEU] = rng.normal(0.0, 1.0, units)
    table[:, _scaling.SIZE] = rng.integers(1, 500, units)
    table[:, _scaling.SIDE] = rng.choice([1.0, -1.0], units)
    table[:, _scaling.REASON] = rng.integers(0, 4, units)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    params = TradingParams(direction="longshort", borrow_rate=0.05 if borrows else None)
    charges = rng.uniform(0.0, 2.0, n) if borrows else None
    given = (table, close, params, events, charges)
    loaded = compiled.kernels_loaded
    try:
        compiled.kernels_loaded = lambda: False
        numpy_trades = _scaling.unit_trades(*given)
        compiled.kernels_loaded = lambda: True
        compiled_trades = _scaling.unit_trades(*given)
    finally:
        compiled.kernels_loaded = loaded
    for name in numpy_trades.__dataclass_fields__:
        want, got = getattr(numpy_trades, name), getattr(compiled_trades, name)
        if want is None:
            assert got is None, name
            continue
        assert want.dtype == got.dtype and want.tobytes() == got.tobytes(), name


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_unit_tables_come_off_the_book_in_trade_order_compiled_or_not(counts, n, seed):
    """The step's unit table of one run or several (``engine._scaling._unit_table``) comes
    off the book with each run's units in the order of its trades, the same bits gathered
    compiled, one run's order found by a compiled pass (``engine._kernel.trade_key``), or
    all by numpy; and a run's trades (``unit_trades``) are the same from that table, read
    as it is, as from the step's rows in the order the step wrote them."""
    from engine import _scaling
    from engine.broker import step

    rng = np.random.default_rng(seed)
    rows = sum(counts)
    units = rng.uniform(0.5, 200.0, (rows, step.LEAVE_REASON + 1))
    units[:, step.ENTRY_BAR] = rng.integers(0, n, rows)
    exit_bar = np.minimum(units[:, step.ENTRY_BAR] + rng.integers(0, 5, rows), n - 1)
    units[:, step.EXIT_BAR] = np.where(rng.random(rows) < 0.2, -1.0, exit_bar)
    units[:, step.SIZE] = rng.integers(1, 500, rows)
    units[:, step.SIDE] = rng.choice([1.0, -1.0], rows)
    units[:, step.REASON] = rng.integers(0, 4, rows)
    unit_counts = np.array(counts, dtype=np.int64)
    tables = [_scaling._unit_table(units, unit_counts, n - 1, pays) for pays in (False, True)]
    assert tables[0].shape == tables[1].shape == (rows, _scaling.UNIT_COLUMNS)
    assert tables[0].tobytes() == np.ascontiguousarray(tables[1]).tobytes()
    kept = [*range(step.UNIT_BORROW + 1), step.DIVIDENDS, step.IN_LIEU]
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n)))
    params = TradingParams(direction="longshort", borrow_rate=0.05)
    ends = np.cumsum(unit_counts)
    for count, end in zip(counts, ends, strict=True):
        ordered = tables[1][end - count : end]
        keys = ordered[:, _scaling.ENTRY_BAR] * (n + 1) + np.where(
            ordered[:, _scaling.EXIT_BAR] < 0, n, ordered[:, _scaling.EXIT_BAR]
        )
        assert (np.diff(keys) >= 0).all()
        as_written = np.ascontiguousarray(units[end - count : end][:, kept])
        want = _scaling.unit_trades(as_written, close, params, True)
        got = _scaling.unit_trades(ordered, close, params, True)
        for name in want.__dataclass_fields__:
            a, b = getattr(want, name), getattr(got, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=2, max_value=300),
    st.integers(min_value=0, max_value=2**32 - 1),
    st.sampled_from([0.02, 0.1, 0.4]),
    trading_params(costs=True),
    st.sampled_from([(1, 1.0), (3, 0.5), (2, 1.0)]),
    st.booleans(),
)
def test_a_walked_run_is_the_same_with_the_run_kernels_loaded_or_not(
    n, seed, density, params, scaling, stops
):
    """A run the broker's step walks (single positions and units, stops, every cost) gives
    the same equity, trades and metrics bit for bit whether its fills, paths and unit
    trades are read off the step's tables by the run kernels (``engine._kernel``:
    ``gather_rows``, ``fill_paths``) or by numpy: each kernel is an optimisation of the
    numpy path, chosen by whether it is loaded or pays."""
    import dataclasses

    bars, entries, exits = _market(n, seed, density, 1)
    max_entries, fraction = scaling
    params = dataclasses.replace(
        params,
        max_entries=max_entries,
        exit_fraction=fraction,
        stop_loss_pct=5.0 if stops else None,
        take_profit_pct=8.0 if stops else None,
    )
    switches = ("walked_kernels", "kernels_loaded")
    saved = {name: getattr(compiled, name) for name in switches}
    results = []
    try:
        for on in (False, True):
            for name in switches:
                setattr(compiled, name, lambda *_, on=on: on)
            results.append(run(bars, entries[0], exits[0], params))
    finally:
        for name, switch in saved.items():
            setattr(compiled, name, switch)
    numpy_run, compiled_run = results
    for name in ("cash", "position", "equity"):
        assert getattr(numpy_run, name).tobytes() == getattr(compiled_run, name).tobytes()
    assert numpy_run.bust_bar == compiled_run.bust_bar
    for name in numpy_run.trades.__dataclass_fields__:
        want, got = getattr(numpy_run.trades, name), getattr(compiled_run.trades, name)
        assert (want is None and got is None) or want.tobytes() == got.tobytes(), name
    assert str(numpy_run.metrics) == str(compiled_run.metrics)
