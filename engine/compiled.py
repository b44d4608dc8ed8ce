"""When the engine runs its compiled kernels (``engine._kernel``), and the calls into them.

A kernel gives the numpy path's numbers bit for bit, so choosing one is a matter of cost
only: ``import numba`` and loading the cached machine code cost ~0.2-0.3 CPU-s, more than a
small backtest's whole engine, so a process imports it only when the work is large enough
to pay for it (``pays``; also when numba is loaded already: a compiled call has a fixed cost,
a parallel one waits for its threads), or, for a single run's fill walk, once the process's
Python walks have done that much work in all (``worth_loading``: a notebook or a worker
running many runs). Runs that walk bars (stops, a borrow fee, entry
orders, position-aware exits, size series, corporate actions, scaling, liquidity) have no
Python path: they always load the broker's compiled step (``engine.broker.step``), whatever
their size. ``warm`` compiles every kernel into the cache (``NUMBA_CACHE_DIR``): the image
does it at build time, so no Job compiles (a Job's root filesystem is read-only;
``consumer.kernel_cache`` seeds a writable copy).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from engine.kernel_stamp import kernel_array  # noqa: F401  (the kernels' one array type)

MIN_FILLS = 20_000
"""Fills of one run from which its fill walk runs compiled (the Python walk takes ~1-3 µs a
fill: 20,000 fills 20-60 ms, a fifth of the import or less; the kernels also take such a
run's paths and metrics)."""

LOAD_FILLS = 100_000
"""Fills of a process's single runs below ``MIN_FILLS`` in all from which their fill walk
runs compiled (``worth_loading``): 0.1-0.3 CPU-s of Python walks, about what loading the
kernels costs, so a process that loads them has paid at most about twice the cheaper
choice's price, however many runs it goes on to make."""

MIN_BAR_UPDATES = 5_000_000
"""Runs × bars of one batch from which it runs as one compiled pass (the numpy path does
~35 M bar-updates a second: 5 M take ~0.15 s, about the import)."""


MIN_SIGNAL_BAR_UPDATES = 250_000
"""Bars x tickers of a portfolio of rules from which its walk runs compiled
(``engine._signals_kernel``): the Python walk takes ~0.6-0.8 us a bar-ticker (100 tickers
x 2,520 bars ~0.2 s), about numba's import and the kernel's load."""


def pays(work: int, threshold: int) -> bool:
    """Whether a kernel call pays for ``work`` (fills or bar-updates) against ``threshold``."""
    return work >= threshold


_spent: dict[int, int] = {}
"""The work this process's calls left on the Python path (``worth_loading``), summed by the
threshold they were held to."""


def worth_loading(work: int, threshold: int, in_all: int) -> bool:
    """Whether a call of ``work`` (fills or bar-updates) runs compiled, loading the kernels
    if they are not: they are loaded already, or the call pays for the load on its own
    (``pays`` against ``threshold``), or the calls of this process that stayed on the
    Python path have done ``in_all`` work in all (this one included: about a load's cost).
    A one-run Job never loads them for a small run; a process running many (a notebook, a
    study's or walk-forward's worker) stops paying the Python path's price once it has paid
    about a load's worth, as one would rent skis until the rent reaches their price. The
    paths give the same numbers bit for bit, so the choice moves costs, never results."""
    if loaded() or pays(work, threshold):
        return True
    _spent[in_all] = _spent.get(in_all, 0) + work
    return _spent[in_all] >= in_all


def loaded() -> bool:
    """Whether numba and compiled machine code are loaded in this process already (a walked
    run, a warm worker): the kernels (``engine._kernel``) or the broker's step
    (``engine.broker.step``). A call into a kernel then costs microseconds, or ~10 ms for
    the first call of one whose code is not loaded yet, whatever the work."""
    import sys

    return "engine._kernel" in sys.modules or "engine.broker.step" in sys.modules


def kernels_loaded() -> bool:
    """Whether the run kernels' module (``engine._kernel``) is loaded in this process already:
    a small run's core metrics take its reductions then, not merely because the broker's
    step is loaded (a small walked run's Job would load their code, ~10 ms, for a reduction
    numpy does in well under one)."""
    import sys

    return "engine._kernel" in sys.modules


MIN_WALKED_KERNEL_BARS = 50_000
"""Bar-updates of a run the broker's step walked (numba loaded) from which its paths and
core metrics take the run kernels (``walked_kernels``): loading their code costs a process
~10 ms once, and at 100,000 bars they save ~3 ms a run against numpy (a 2,500-bar run
saves well under one: a small Job keeps numpy)."""


def walked_kernels(work: int) -> bool:
    """Whether a run's paths and core metrics of ``work`` bar-updates take the run kernels
    (the same floats as numpy's): they are loaded already, or numba is (a run the step
    walked, a warm worker) and the run is long enough to pay for loading them."""
    return kernels_loaded() or (loaded() and pays(work, MIN_WALKED_KERNEL_BARS))


def kernels() -> ModuleType:
    """``engine._kernel``, imported (and numba with it) on first use."""
    from engine import _kernel

    return _kernel


def warm() -> None:
    """Compile every kernel for the argument types the engine passes, into the cache."""
    warm_runs_and_portfolios()
    warm_steps()


def warm_runs_and_portfolios() -> None:
    """``warm``'s first half, which a second process can run beside the other (the
    broker's step, the longest to compile, ~90 CPU-s cold): the run kernels of
    ``engine._kernel`` (one run's fill walk, batches of runs, their curves), the portfolio
    kernels (``engine._signals_kernel``, ``engine._rebalance_kernel``) and the liquidity
    inputs' windows (``engine._liquidity_kernel``), ~30 CPU-s cold."""
    from engine.broker.costs import costs_array

    kernel = kernels()
    costs = costs_array(100_000.0, 0.0, 0.001, 1.001, False, 100.0, 1.0)
    prices = np.linspace(10.0, 20.0, 8)
    kernel.walk_one(prices, np.array([1.0, 0.0] * 4), costs)
    entries = np.zeros((2, 8), dtype=bool)
    entries[:, 1] = True
    exits = np.zeros((2, 8), dtype=bool)
    exits[:, 5] = True
    seconds = np.arange(8, dtype=np.int64) * 86_400
    lines = np.vstack([prices, prices[::-1]])
    pair = np.array([0, 1], dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    no_signals = np.empty((0, 8), dtype=bool)
    priced = costs_array(1e5, 0.0, 0.001, 1.001, False, 100.0, 1.0, fee_fixed=1.0, borrow=1e-4)
    kernel.walk_one(prices, np.array([1.0, 0.0] * 4), priced)
    for edges in (np.array([0], dtype=np.int64), np.array([0, 3, 7], dtype=np.int64)):
        common = (prices, prices, seconds, 86_400.0, costs, True, edges)
        for kept in (0, 2):  # no curves kept, and two kept
            into = (np.empty((kept, 8)), np.empty((kept, 7)))
            kernel.evaluate_runs(entries, exits, np.empty((0, 0)), none, none, 0, *into, *common)
            crossings = (no_signals, no_signals, lines, pair, pair[::-1].copy(), 0, *into)
            kernel.evaluate_runs(*crossings, *common)
    curves = np.vstack([prices, prices])
    kernel.reduce_curves(curves)
    kernel.reduce_curves_into(curves, np.empty(7))
    paths = (np.empty((2, 8)), np.empty((2, 8)), np.empty((2, 8)), np.empty(2, dtype=np.int64))
    fills = (np.array([1, 5], dtype=np.int64), np.array([1e5, 2e5]), np.array([1.0, 0.0]))
    kernel.fill_paths(np.array([0, 1, 2], dtype=np.int64), *fills, prices, 1e5, *paths)
    kernel.gather_rows(curves, np.array([1, 0], dtype=np.int64), np.arange(8))  # a table's columns
    within = np.asfortranarray(np.vstack([curves, curves]))[:2]  # one run's of several
    for rows in (curves, np.asfortranarray(curves), within):  # the step's book, unit tables
        kernel.trade_key(rows, 0, 4, 7)
    flat = np.empty(0)  # a unit table's trades, with and without dividends and borrow
    for added, borrow in (((flat, flat), flat), ((prices, prices), prices)):
        kernel.unit_trade_columns(*[prices] * 9, added, borrow, (7, 20.0, 6))
    _warm_portfolios(costs, prices)
    from engine import _liquidity_kernel

    plan = _liquidity_kernel.halves(2)  # the liquidity inputs' windows
    _liquidity_kernel.trailing_mean(prices, 2, plan)
    _liquidity_kernel.trailing_std(prices, 2, plan)
    _liquidity_kernel.volatility_and_adv(prices, prices, 2, plan)
    from engine import _libm_kernel  # the spread estimators' logarithms and exponentials

    _libm_kernel.logs(prices)
    _libm_kernel.exps(prices)


def _warm_portfolios(costs: np.ndarray, prices: np.ndarray) -> None:
    """The portfolio kernels: a portfolio of rules' walk (``engine._signals_kernel``), with
    and without stops, and a rebalancing book's (``_warm_rebalance``)."""
    from engine import _signals_kernel

    grid = np.ascontiguousarray(np.vstack([prices, prices]).T)
    bars = np.ones(grid.shape, dtype=bool)
    buy = np.zeros(grid.shape, dtype=bool)
    buy[1] = True
    sell = np.ascontiguousarray(buy[::-1])
    for levels in (np.full(3, np.nan), np.array([0.05, 0.1, 0.05])):
        _signals_kernel.walk_signals(grid, grid, grid, bars, buy, sell, grid, costs, levels, 1e5)
    _warm_rebalance(grid, costs)


def _warm_rebalance(grid: np.ndarray, costs: np.ndarray) -> None:
    """A rebalancing portfolio's compiled walk (``engine._rebalance_kernel``), plain and
    liquid, with the argument types ``engine.portfolio.simulate`` passes: its one
    signature."""
    from engine import _rebalance_kernel

    scheduled = np.array([0, 3], dtype=np.int64)
    targets = np.full(grid.shape, 0.5)
    floats = np.array([0.0, 0.0, 1.0, np.nan, 1e5, 0.1, 1.0])
    none = np.empty((0, 0))
    volume = np.full(grid.shape, 1e4)
    for liquid in (False, True):
        inputs = (volume, volume, volume, volume, volume, volume * 0.0) if liquid else (none,) * 6
        _rebalance_kernel.walk_rebalance(
            grid, grid, targets, scheduled, grid, costs, floats, -1, liquid, liquid, 2, *inputs
        )


def warm_steps() -> None:
    """``warm``'s second half: the broker's step (``engine.broker.step``, its compiled
    drivers and the batch pass ``engine.broker.curves``)."""
    from engine.broker.costs import costs_array

    prices = np.linspace(10.0, 20.0, 8)
    entries = np.zeros((2, 8), dtype=bool)
    entries[:, 1] = True
    exits = np.zeros((2, 8), dtype=bool)
    exits[:, 5] = True
    priced = costs_array(1e5, 0.0, 0.001, 1.001, False, 100.0, 1.0, fee_fixed=1.0, borrow=1e-4)
    from engine.broker import step

    grid = np.full((2, 8), np.nan)
    setup = np.array([0, 1, 2, 1, 0, 1, 0, step.UNSIZED, 0], dtype=np.int64)
    fractions = np.array([0.5, 1.0, 0.05, np.nan, np.nan, np.inf, 0.0, 0.1, 1.0])
    ohlc = (prices, prices, prices, prices)
    no_liquidity = step.no_liquidity()  # both forms of the liquidity have its types
    events = (np.ones(8), np.full(8, 0.5), 12.0, no_liquidity)
    for keep in (False, True):
        step.walk_runs(entries, exits, grid, grid, *ohlc, priced, fractions, setup, keep)
        step.walk_acting(entries, exits, grid, grid, ohlc, events, priced, fractions, setup, keep)
        kept = step.reset(step.new_state(2, 4), 2, no_liquidity)  # a thread's kept book
        no_price = np.empty((2, 0))  # a price series not given
        step.walk_on(kept, entries, exits, grid, no_price, ohlc, events, priced, fractions,
                     setup, keep)  # fmt: skip
    sized = setup.copy()
    sized[step.SIZED] = step.BY_FRACTION
    signals = (entries[0], exits[0], grid[0], grid[0])
    from engine.broker import program

    code = np.array([[program.PUSH_SERIES, program.BARS_HELD], [program.PUSH_CONST, 0],
                     [program.GE, 0]])  # fmt: skip
    size = (np.array([[program.PUSH_SERIES, program.EQUITY]]), np.zeros(0), np.zeros((0, 0)))
    programs = step.programs_of(*size, np.zeros(0), code, np.ones(1), np.zeros((0, 0)), prices)
    for paths, given in (((np.empty(8), np.empty(8)), programs), ((np.empty(0),) * 2, None)):
        state = step.new_state(2, 4)  # a run walked from Python (size series, position exit)
        step.start_run(state, 1e5)
        state = step.make_room(state)
        step.walk_run(
            state, 0, np.int64(0), signals, ohlc, events, np.zeros(8, dtype=np.bool_), priced,
            fractions, sized, paths, step.no_programs() if given is None else given,
        )  # fmt: skip
        step.end_run(state, 0, prices, priced, fractions, sized, paths)
    state = step.new_state(2, 4)  # the step driven bar by bar from Python
    step.start_run(state, 1e5)
    state = step.make_room(state)
    step.step(
        state, 0, 0, 1, True, False, (10.0, 11.0, 9.0, 10.5), 1.0, 1.0, priced, fractions, setup
    )
    step.finish(state, 0, 1, 10.0, priced, fractions, setup)
    from engine.broker import curves

    rows = np.zeros(2, dtype=np.int64)
    seconds, edges = np.arange(8, dtype=np.int64), np.array([0, 3, 7], dtype=np.int64)
    for kept in (0, 2):  # a batch's single positions, reduced in the step's pass
        into = (np.empty((kept, 8)), np.empty((kept, 7)))
        no_line = np.empty(0, dtype=np.int64)  # signals given, not crossings
        crossing = (np.empty((0, 0)), no_line, no_line, 0)
        arguments = (entries, exits, *crossing, grid, grid, rows, *[prices] * 4)
        arguments = (*arguments, seconds, 1.0, priced)
        curves.evaluate(
            *arguments,
            fractions,
            setup,
            edges,
            *into,
            no_liquidity,
            np.zeros((0, 2)),
            parallel=False,
        )
