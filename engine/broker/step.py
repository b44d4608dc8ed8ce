"""The broker's per-bar step, compiled (numba): units (``max_entries``) as the general case, a
single position as one unit. docs/execution.md, "The broker".

``step`` moves one run's book by one bar: the market order a signal asked for at the open,
the pending entry order against the bar (``engine.broker.orders.order_price``), each unit's
contingent stops (``engine.broker.stops``), the bar's signal (an entry order, a market order
for the next open, an ``on_close`` fill, a sale of ``exit_fraction`` of each unit), the
borrow fee and the bust rule at the close. Its state is a tuple of numpy arrays (``new_state``:
scalars, the units held, and the growing tables of fills, closed units, orders and corporate
actions applied), so the same compiled step runs from the compiled drivers (``walk_runs``,
``walk_acting``: N runs, a sweep's rows) and bar by bar from Python (``step`` called per
bar, ``make_room`` before it, ``finish`` at the end). Corporate actions act inside it, from
per-bar arrays (``_events_at_open``, ``_delist``). A size series and a position-aware exit
given as programs (``engine.broker.program``) are evaluated in the walk (``_program_exit``,
``_program_size``); given as Python callables, they are asked for by the resumable
``walk_run``, which returns to its caller (``engine._scaling``) at the bar that needs one
and resumes there. Every units run goes through it (``fastmath`` off). A compiled call
passes each array it is given word by word (7 words a vector, 9 a table: the whole book,
fifteen arrays, is ~120), so the functions called for every fill (``_close_unit``,
``_write_row``) take the arrays they change, behind inlined wrappers that take the book
(``_close``, ``_row``), and those run on every signal bar or every bar an order is pending
(``_signal``, ``_fill_order``) are inlined into the walk. The differential test holds its
fills, units, orders, corporate actions and paths bit-equal to the Python units walk it
replaced (tests/engine/test_engine_broker_step.py).

Every rule comes from the broker's modules, compiled here, not rewritten: the order rules
of ``engine.broker.orders``, the stop rules of ``engine.broker.stops``, and the fee and size
arithmetic of ``engine.broker.costs`` (the fee, the affordable and the size series' shares,
the borrow fee, the equity a size series reads, on ``Costs.as_array``'s layout), the split
of ``engine.corporate.split_holding``, all compiled in ``engine.broker.jitted``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import _liquidity_kernel, kernel_stamp
from engine._prefetch import prefetch as _prefetch
from engine.broker import jitted, orders, program, stops
from engine.broker.by_type import by_type
from engine.broker.costs import BORROW, BY_VALUE, FRACTION, POSITION_SIZE, SLIP
from engine.corporate import DELISTING as DELISTING_CODE
from engine.corporate import DIVIDEND as DIVIDEND_CODE
from engine.corporate import SPLIT as SPLIT_CODE
from engine.result import ADDED_FILL, EXIT_REASONS

# The state's scalars: floats ``fs`` ...
CASH, SHARES, O_LIMIT, O_STOP = range(4)
SIZE_NOW, SIZE_EQUITY, EXIT_ENTRY = range(4, 7)  # the size series' value, its equity; exit's entry
EXIT_BEST = 7  # an exit program's best open return on the closes read so far
# liquidity: the shares the bar's volume still allows, an entry's remainder (its shares,
# side, limit and stop prices), the shares the units have left to sell
AVAIL, REMAINING, REM_SIDE, REM_LIMIT, REM_STOP, LEAVING = range(8, 14)
TAKEN = 14  # liquidity: the shares the bar's fills took so far (the impact's ``filled``)
# liquidity: the shares the run's entries were sized for, and those they filled (every
# entry, a market one's included: the unfilled share of a capacity curve)
ENTERED, ENTRY_FILLED = 15, 16
N_FLOATS = 17
# ... and integers ``ns``.
N_HELD, N_DONE, N_ROWS, N_ORDERS, ORDER, TRIGGERED, PENDING, BUST, FRESH, NEXT_ID = range(10)
# the resumable walk's: the bar whose size was read, whether a position exit is on (its
# first bar, the bars its row covers), the events logged, the bar's open done
SIZE_BAR, EXIT_ON, EXIT_FROM, EXIT_HI, N_APPLIED, AT_CLOSE, EXIT_PRICED = range(10, 17)
ASKED = 17  # a single position: the side its signals asked for last (``_asks``)
# liquidity: an entry remainder's unit (-1: none opened yet), last bar, order type, order row
REM_UID, REM_UNTIL, REM_KIND, REM_ORDER = range(18, 22)
N_INTS = 22

# A unit's columns (``held`` and ``done``): its trade, and while held its stop levels.
ENTRY_BAR, ENTRY_PRICE, SIZE, ENTRY_FEE, EXIT_BAR, EXIT_PRICE, EXIT_FEE, REASON = range(8)
SIDE, UNIT_BORROW, LOSS, PROFIT, TRAIL_LEVEL, EXTREME, UID = range(8, 15)
DIVIDENDS, IN_LIEU = 15, 16  # what corporate actions paid the unit
LEAVE, LEAVE_REASON = 17, 18  # liquidity: the unit's shares still to sell, and why
UNIT_FIELDS = 19

# A fill row's columns (``engine._simulate.Events``' fields in order).
ROW_RUN, ROW_BAR, CLOSED, CLOSE_PRICE, CLOSE_FEE, OPENED, OPEN_PRICE, OPEN_FEE = range(8)
ROW_CASH, ROW_SHARES, ROW_REASON = range(8, 11)
ROW_FIELDS = 11

# An order's columns: ``engine.broker.orders.ORDER_FIELDS`` in order, then (liquidity) the
# shares it was sized for and those filled.
ORDERED, FILLED_QTY = 8, 9
ORDER_COLUMNS = 10

# The setup (ints): entry order type, valid bars, max entries, longshort, exit priority,
# whether stops are set, close at end, the size series' unit (``SIZE_UNITS``).
KIND, VALID, MAX_ENTRIES, LONGSHORT, EXIT_FIRST, STOPPED, CLOSE_AT_END, SIZED = range(8)
LIQUID = 8  # whether a liquidity field acts (``TradingParams.liquid``)
N_SETUP = 9
# The fractions (floats): exit_fraction, take_profit_fraction, the stops' fractions of the
# entry (NaN: off), the size series' cap.
EXIT_FRACTION, TP_FRACTION, STOP_LOSS_AT, TAKE_PROFIT_AT, TRAIL_AT, MAX_SIZE = range(6)
# liquidity: the impact model's code (``engine.broker.impact.MODELS``) and its coefficients
IMPACT_MODEL, PRICE_IMPACT, IMPACT_K = range(6, 9)
N_FRACTIONS = 9

# The rows of the liquidity series (``liquidity``'s first array, rows × T; 0 × 0: none):
# the shares a bar's fills may take in total (inf: no limit), its volume, the volatility and
# average volume before it, half the spread (a fraction of the price) paid on its fills.
CAP, VOLUME, SIGMA, ADV, HALF_SPREAD = range(5)
LIQUIDITY_ROWS = 5
# Without rows, the arrays the step computes a bar's values from
# (``engine.broker.liquid.series``, ``lazy``): the bars' volume and close, the half spread
# (T, or 1 for every bar), what was given (``GIVEN_LIMIT``: ``volume_limit``, NaN for none;
# ``GIVEN_WINDOW``: the impact window, 0 without the square-root model), the memo of the
# last bar computed (``MEMO_BAR``, -1 for none, its sigma and ADV), the sums' room.
L_ROWS, L_VOLUME, L_CLOSE, L_SPREAD, L_GIVEN, L_MEMO, L_NODES, L_SCRATCH = range(8)
GIVEN_LIMIT, GIVEN_WINDOW = 0, 1
MEMO_BAR, MEMO_SIGMA, MEMO_ADV = 0, 1, 2

N_SERIES = len(program.SERIES)

UNSIZED, BY_FRACTION, BY_SHARES = range(3)
"""``setup[SIZED]``: no size series, one in fractions of equity, one in shares
(``TradingParams.size_unit``)."""

# The event log's columns (``engine.corporate.EventLog``'s fields in order).
LOG_FIELDS = 8

DONE, ROOM, SIZE, EXIT_NEW, EXIT_REPRICE, EXIT_MORE = range(6)
"""What ``walk_run`` returns for: the run walked; its tables short of room; the size series'
value on the bar (``fs[SIZE_EQUITY]`` the equity it reads); a position exit for the long
held (first bar ``ns[EXIT_FROM]``, entry ``fs[EXIT_ENTRY]``), the long's entry changed
(``reprice``), or the exit's row read to its end (``ns[EXIT_HI]``)."""

SIGNAL_CODE, TAKE_PROFIT_CODE = stops.SIGNAL, stops.TAKE_PROFIT
LIQUIDATION_CODE = EXIT_REASONS.index("liquidation")
DELISTED_CODE = EXIT_REASONS.index("delisted")
CLOSED_AT_END_CODE = EXIT_REASONS.index("closed_at_end")

_bare = by_type(nogil=True, _nrt=False)
"""The step's functions: they allocate nothing, so they run without numba's reference
counting (whose atomic counts on every call cost more than a quiet bar's whole step)."""
_inlined = njit(cache=True, nogil=True, _nrt=False, inline="always")
_order_price = jitted.order_price
_order_prices = jitted.order_prices
_usable = jitted.usable
_fill_bar_stop = jitted.fill_bar_stop
_levels = jitted.levels
_stop_exit = jitted.stop_exit
_ratchet = jitted.ratchet
_split_holding = jitted.split_holding
_order_fee = jitted.order_fee
_affordable = jitted.affordable
_sized = jitted.sized
_borrow_charge = jitted.borrow_charge
_signal_equity = jitted.signal_equity
_evaluate = jitted.evaluate
_open_return = jitted.open_return
_running_max = jitted.running_max
_first_exit = jitted.first_exit
_program_size = jitted.program_size
_impact_fraction = jitted.impact_fraction
_liquidity_price = jitted.liquidity_price
_allowed = jitted.allowed
_volatility_and_adv_at = _liquidity_kernel.volatility_and_adv_at
MARKET, ON_CLOSE = orders.MARKET, orders.ON_CLOSE
PENDING_STATUS, FILLED, EXPIRED, CANCELLED = (
    orders.PENDING,
    orders.FILLED,
    orders.EXPIRED,
    orders.CANCELLED,
)


@njit(cache=True, nogil=True)
def new_state(max_entries: int, capacity: int) -> tuple:
    """A book with no run started: (scalars ``fs``, ``ns``, the units ``held``
    (``max_entries`` rows), the tables ``done``, ``rows``, ``orders`` and the corporate
    actions' ``log`` of ``capacity`` rows to start with, grown by ``make_room``)."""
    fs = np.zeros(N_FLOATS)
    ns = np.zeros(N_INTS, dtype=np.int64)
    ns[ORDER] = -1
    ns[FRESH] = -1
    held = np.zeros((max(max_entries, 1), UNIT_FIELDS))
    done = np.zeros((capacity, UNIT_FIELDS))
    rows = np.zeros((capacity, ROW_FIELDS))
    book = np.zeros((capacity, ORDER_COLUMNS))
    log = np.zeros((capacity, LOG_FIELDS))
    return fs, ns, held, done, rows, book, log, no_liquidity()


@njit(cache=True, nogil=True)
def no_liquidity() -> tuple:
    """The liquidity of a run without a liquidity field (``engine.broker.liquid.series``'
    form, every array empty)."""
    empty = np.empty(0)
    return np.zeros((0, 0)), empty, empty, empty, empty, empty, np.empty((0, 0), np.int64), empty


@njit(cache=True, nogil=True)
def with_liquidity(state: tuple, liquidity: tuple) -> tuple:
    """``state`` reading the liquidity ``liquidity`` (``engine.broker.liquid.series``: its
    rows, or the arrays a bar's values are computed from where something fills; all empty:
    none) on every bar (docs/execution.md, "Liquidity")."""
    return state[0], state[1], state[2], state[3], state[4], state[5], state[6], liquidity


@_inlined
def _allowance(state, bar) -> float:
    """The shares the fills of ``bar`` may take in total (inf: no limit)."""
    liquidity = state[7]
    if liquidity[L_ROWS].shape[0] > 0:
        return liquidity[L_ROWS][CAP, bar]
    limit = liquidity[L_GIVEN][GIVEN_LIMIT]
    return np.inf if limit != limit else _allowed(liquidity[L_VOLUME][bar], limit)


@_inlined
def _half_spread(state, bar) -> float:
    """Half the spread paid on a fill on ``bar``, a fraction of its price."""
    liquidity = state[7]
    if liquidity[L_ROWS].shape[0] > 0:
        return liquidity[L_ROWS][HALF_SPREAD, bar]
    spread = liquidity[L_SPREAD]
    return spread[min(bar, spread.size - 1)]


@_inlined
def _impact_inputs(state, bar) -> tuple:
    """(volume, volatility, ADV) of ``bar`` for the impact of its fills: the rows', or
    computed here (the volatility and ADV once a bar: the memo), NaN for the two without
    the square-root model."""
    liquidity = state[7]
    if liquidity[L_ROWS].shape[0] > 0:
        rows = liquidity[L_ROWS]
        return rows[VOLUME, bar], rows[SIGMA, bar], rows[ADV, bar]
    volume, memo = liquidity[L_VOLUME], liquidity[L_MEMO]
    window = np.int64(liquidity[L_GIVEN][GIVEN_WINDOW])
    if window == 0:
        return volume[bar], np.nan, np.nan
    if memo[MEMO_BAR] != bar:
        memo[MEMO_SIGMA], memo[MEMO_ADV] = _volatility_and_adv_at(
            liquidity[L_CLOSE], volume, bar, window, liquidity[L_SCRATCH], liquidity[L_NODES]
        )
        memo[MEMO_BAR] = bar
    return volume[bar], memo[MEMO_SIGMA], memo[MEMO_ADV]


@_bare
def start_run(state: tuple, initial_capital: float) -> None:
    """Start a run on ``state``: its cash, no unit, no order (the tables keep the earlier
    runs' rows)."""
    fs, ns = state[0], state[1]
    fs[CASH], fs[SHARES], fs[SIZE_NOW] = initial_capital, 0.0, np.nan
    fs[AVAIL], fs[REMAINING], fs[LEAVING] = np.inf, 0.0, 0.0
    fs[ENTERED], fs[ENTRY_FILLED] = 0.0, 0.0
    ns[REM_UID], ns[REM_ORDER] = -1, -1
    ns[N_HELD], ns[ORDER], ns[TRIGGERED], ns[PENDING], ns[BUST], ns[FRESH] = 0, -1, 0, 0, 0, -1
    ns[NEXT_ID], ns[SIZE_BAR], ns[EXIT_ON], ns[AT_CLOSE], ns[ASKED] = 0, -1, 0, 0, 0


def _grown(table: np.ndarray, used: int, wanted: int) -> np.ndarray:
    if used + wanted <= table.shape[0]:
        return table
    bigger = np.zeros((max(2 * table.shape[0], used + wanted), table.shape[1]))
    bigger[:used] = table[:used]
    return bigger


_grown_jit = njit(cache=True, nogil=True)(_grown)


@njit(cache=True, nogil=True)
def make_room(state: tuple) -> tuple:
    """``state`` with room in its tables for one more bar (a bar closes each unit at most
    four times, places at most two orders and logs at most three corporate actions); the
    same arrays while they have it."""
    fs, ns, held, done, rows, book, log, liquidity = state
    wanted = _wanted(held)
    return (
        fs,
        ns,
        held,
        _grown_jit(done, ns[N_DONE], wanted),
        _grown_jit(rows, ns[N_ROWS], wanted),
        _grown_jit(book, ns[N_ORDERS], 2),
        _grown_jit(log, ns[N_APPLIED], 3),
        liquidity,
    )


@_inlined
def _wanted(held: np.ndarray) -> int:
    return 5 * held.shape[0] + 8


@_inlined
def _short_of_room(state: tuple) -> bool:
    ns, held, done, rows, book, log = state[1], state[2], state[3], state[4], state[5], state[6]
    wanted = _wanted(held)
    short = ns[N_DONE] + wanted > done.shape[0] or ns[N_ROWS] + wanted > rows.shape[0]
    return short or ns[N_ORDERS] + 2 > book.shape[0] or ns[N_APPLIED] + 3 > log.shape[0]


@_inlined
def _row(state, run, bar, closed, close_price, close_fee, opened, open_price, open_fee, reason):
    """A fill row (``_write_row``) on the book ``state``: inlined, so the call made passes
    the three arrays the row is written with, not the whole book (~120 words: each array a
    call is given is passed word by word, and the book has fifteen)."""
    fs, ns, rows = state[0], state[1], state[4]
    _write_row(fs, ns, rows, run, bar, closed, close_price, close_fee, opened, open_price,
               open_fee, reason)  # fmt: skip


@_bare
def _write_row(fs, ns, rows, run, bar, closed, close_price, close_fee, opened, open_price,
               open_fee, reason):  # fmt: skip
    r = rows[ns[N_ROWS]]
    r[ROW_RUN], r[ROW_BAR] = run, bar
    r[CLOSED], r[CLOSE_PRICE], r[CLOSE_FEE] = closed, close_price, close_fee
    r[OPENED], r[OPEN_PRICE], r[OPEN_FEE] = opened, open_price, open_fee
    r[ROW_CASH], r[ROW_SHARES], r[ROW_REASON] = fs[CASH], fs[SHARES], reason
    ns[N_ROWS] += 1


@_inlined
def _close(state, costs, j, qty, bar, price, reason, pay) -> float:
    """``_close_unit`` on the book ``state``, inlined as ``_row`` is: the call made passes
    the four arrays it changes."""
    fs, ns, held, done = state[0], state[1], state[2], state[3]
    return _close_unit(fs, ns, held, done, costs, j, qty, bar, price, reason, pay)


@_bare
def _close_unit(fs, ns, held, done, costs, j, qty, bar, price, reason, pay) -> float:
    """Close ``qty`` shares of held unit ``j`` at ``price``: the whole unit leaves ``held``;
    a part becomes a closed unit (``done``) with its share of the entry and borrow fees, the
    dividends and the cash in lieu. Returns the order's fee (none without ``pay``)."""
    unit = held[j]
    side = unit[SIDE]
    paid = _order_fee(qty, price, costs) if pay else 0.0
    fs[CASH] = fs[CASH] + side * qty * price - paid
    fs[SHARES] -= side * qty
    out = done[ns[N_DONE]]
    ns[N_DONE] += 1
    if qty == unit[SIZE]:
        for k in range(UNIT_FIELDS):
            out[k] = unit[k]
        n = ns[N_HELD]
        for k in range(j, n - 1):
            for f in range(UNIT_FIELDS):
                held[k, f] = held[k + 1, f]
        ns[N_HELD] = n - 1
    else:
        share = qty / unit[SIZE]
        part = unit[ENTRY_FEE] * share
        for k in range(UNIT_FIELDS):
            out[k] = unit[k]
        out[SIZE], out[ENTRY_FEE] = qty, part
        out[UNIT_BORROW] = unit[UNIT_BORROW] * share
        out[DIVIDENDS], out[IN_LIEU] = unit[DIVIDENDS] * share, unit[IN_LIEU] * share
        unit[SIZE] -= qty
        unit[ENTRY_FEE] -= part
        unit[UNIT_BORROW] -= out[UNIT_BORROW]
        unit[DIVIDENDS] -= out[DIVIDENDS]
        unit[IN_LIEU] -= out[IN_LIEU]
        out[LEAVE] = 0.0
    out[EXIT_BAR], out[EXIT_PRICE], out[EXIT_FEE], out[REASON] = bar, price, paid, reason
    return paid


@_bare
def _part(size: float, fraction: float) -> float:
    """max(1, round(size × fraction)) shares (halves to even, as Python's ``round``:
    backtesting.py's ``trade.close(portion)``), at most ``size``."""
    return min(size, max(1.0, np.rint(size * fraction)))


@_inlined
def _liquid_price(state, bar, price, side, qty, fractions, limit) -> float:
    """A fill's ``price`` (slipped by ``slippage_bps``) paying the bar's half spread and the
    impact of the bar's shares with these ``qty`` (``engine.broker.impact``), never worse
    than ``limit`` when the slipped price is not (NaN: no limit); NaN when the impact
    cannot be computed (no fill on this bar)."""
    volume, sigma, adv = _impact_inputs(state, bar)
    impact = _impact_fraction(
        np.int64(fractions[IMPACT_MODEL]),
        fractions[PRICE_IMPACT],
        fractions[IMPACT_K],
        state[0][TAKEN] + qty,
        volume,
        sigma,
        adv,
    )
    moved = _liquidity_price(price, side, impact, _half_spread(state, bar))
    if limit == limit and moved == moved:
        bound = max(limit, price) if side > 0.0 else min(limit, price)
        moved = min(moved, bound) if side > 0.0 else max(moved, bound)
    return moved


@_inlined
def _within_volume(state, bar, qty, side, slipped, free, costs, fractions, limit) -> tuple:
    """(shares, price) of a fill of up to ``qty`` shares at ``slipped`` on ``bar``: at most
    the shares its volume still allows (``fs[AVAIL]``), at most what ``free`` cash buys at
    the price they move to (a buy; ``free`` inf for a sale or a short's cover, which cash
    does not limit), none when the impact cannot be computed; taken from the bar's
    allowance."""
    fs = state[0]
    qty = min(qty, fs[AVAIL])
    price = _liquid_price(state, bar, slipped, side, qty, fractions, limit)
    if price != price:
        return 0.0, price
    if qty > 0.0 and side > 0.0 and qty * price + _order_fee(qty, price, costs) > free:
        qty = min(qty, _affordable(free, price, costs)) if free > 0.0 else 0.0
        price = _liquid_price(state, bar, slipped, side, qty, fractions, limit)
    if qty > 0.0:
        fs[AVAIL] -= qty
        fs[TAKEN] += qty
    return qty, price


@_inlined
def _pay_fill(fs, side, qty, price, fee) -> None:
    """The cash and shares of a fill adding ``qty`` shares of ``side`` at ``price`` paying
    ``fee``: a new unit's, or an entry remainder's added to its unit."""
    fs[CASH] = fs[CASH] - side * qty * price - fee
    fs[SHARES] = fs[SHARES] + side * qty


@_inlined
def _free_cash(cash, shares, at) -> float:
    """The cash an entry may spend at ``at``: the cash, less twice the shorts' value there
    (what a short sale's proceeds and the margin it ties up take)."""
    return cash if shares >= 0.0 else cash + 2.0 * shares * at


@_inlined
def _open_unit(state, run, bar, price, side, qty, fee, fractions, setup) -> None:
    """``_open`` on the book ``state``, inlined as ``_row`` is: the call made passes the four
    arrays it changes."""
    _open(state[0], state[1], state[2], state[4], run, bar, price, side, qty, fee, fractions,
          setup)  # fmt: skip


@_bare
def _open(fs, ns, held, rows, run, bar, price, side, qty, fee, fractions, setup) -> None:
    """A new unit of ``qty`` shares of ``side`` filled at ``price`` paying ``fee``: the cash,
    the shares, its stop levels, its fill row."""
    if ns[N_HELD] >= held.shape[0]:  # every caller checks max_entries: never, unless a rule
        raise IndexError("a unit opened past max_entries")  # is wrong; not a corrupt book
    _pay_fill(fs, side, qty, price, fee)
    unit = held[ns[N_HELD]]
    ns[N_HELD] += 1
    for k in range(UNIT_FIELDS):
        unit[k] = 0.0
    unit[ENTRY_BAR], unit[ENTRY_PRICE], unit[SIZE], unit[ENTRY_FEE] = bar, price, qty, fee
    unit[EXIT_BAR], unit[SIDE], unit[UID] = -1.0, side, ns[NEXT_ID]
    ns[NEXT_ID] += 1
    if setup[STOPPED]:
        loss, profit, trail_level, extreme = _levels(
            side, price, fractions[STOP_LOSS_AT], fractions[TAKE_PROFIT_AT], fractions[TRAIL_AT]
        )
        unit[LOSS], unit[PROFIT], unit[TRAIL_LEVEL], unit[EXTREME] = (
            loss,
            profit,
            trail_level,
            extreme,
        )
    _write_row(fs, ns, rows, run, bar, 0.0, 0.0, 0.0, side * qty, price, fee, SIGNAL_CODE)


@_bare
def _carry(state, bar, side, left, kind, limit, stop, order, setup) -> None:
    """An entry's ``left`` shares not filled on ``bar`` stay in the book: a market order's
    until filled or cancelled by a signal against it, an entry order's (row ``order``) up
    to its last bar (docs/execution.md, "Liquidity")."""
    fs, ns = state[0], state[1]
    fs[REMAINING], fs[REM_SIDE] = left, side
    carried = MARKET
    if kind == orders.LIMIT or kind == orders.STOP_LIMIT:
        carried = kind
    fs[REM_LIMIT], fs[REM_STOP] = limit, stop
    ns[REM_KIND], ns[REM_UID], ns[REM_ORDER] = carried, -1, order
    ns[REM_UNTIL] = np.int64(state[5][order, 4]) if order >= 0 else np.int64(2**62)


@_bare
def _drop_remainder(state, status) -> None:
    """The entry remainder cancelled, or expired past its order's last bar (``status``):
    its shares are no longer ordered; an entry order that filled none of them takes that
    status."""
    fs, ns, book = state[0], state[1], state[5]
    k = ns[REM_ORDER]
    if k >= 0 and book[k, 5] == PENDING_STATUS:
        book[k, 5] = status
    fs[REMAINING], ns[REM_UID], ns[REM_ORDER] = 0.0, -1, -1


@_inlined
def _no_unit_for(state, side, setup) -> bool:
    """Whether an entry of ``side`` can open no unit now, so is cancelled when it would
    fill: the other side is still held, or ``max_entries`` units are."""
    ns, held = state[1], state[2]
    return (ns[N_HELD] > 0 and held[0, SIDE] != side) or ns[N_HELD] >= setup[MAX_ENTRIES]


@_bare
def _fill_remainder(state, run, bar, o, h, lo, c, costs, fractions, setup) -> None:
    """The entry remainder against the bar, after its open's market order: at the open (a
    market order's), or at its limit order's price when the bar reaches it; the shares the
    volume and the cash allow, added to its unit (the entry price their share-weighted
    average) or opening it. Cancelled past its last bar, when its unit is gone, or when
    the other side is held."""
    fs, ns, held, book = state[0], state[1], state[2], state[5]
    if bar > ns[REM_UNTIL]:
        _drop_remainder(state, EXPIRED)
        return
    side = fs[REM_SIDE]
    j = -1
    if ns[REM_UID] >= 0:
        for k in range(ns[N_HELD]):
            if held[k, UID] == ns[REM_UID]:
                j = k
        if j < 0:
            _drop_remainder(state, CANCELLED)
            return
    elif _no_unit_for(state, side, setup):
        _drop_remainder(state, CANCELLED)
        return
    kind = ns[REM_KIND]
    limit = np.nan
    at = o
    if kind != MARKET:
        limit = fs[REM_LIMIT]
        at, _ = _order_price(kind, side, limit, fs[REM_STOP], True, o, h, lo, c)
        if at != at:
            return
    slipped = at * (1.0 + side * costs[SLIP])
    cash, shares = fs[CASH], fs[SHARES]
    free = _free_cash(cash, shares, at)
    qty, price = _within_volume(
        state, bar, fs[REMAINING], side, slipped, free, costs, fractions, limit
    )
    if not qty > 0.0:
        return
    fee = _order_fee(qty, price, costs)
    fs[REMAINING] -= qty
    fs[ENTRY_FILLED] += qty
    k = ns[REM_ORDER]
    if k >= 0:
        book[k, FILLED_QTY] += qty
        if book[k, 5] == PENDING_STATUS:  # its first fill (none on the bar it reached)
            book[k, 5], book[k, 6], book[k, 7] = FILLED, bar, price
    if j < 0:
        _open_unit(state, run, bar, price, side, qty, fee, fractions, setup)
        ns[REM_UID] = np.int64(held[ns[N_HELD] - 1, UID])
    else:
        unit = held[j]
        size = unit[SIZE]
        unit[ENTRY_PRICE] = (size * unit[ENTRY_PRICE] + qty * price) / (size + qty)
        unit[SIZE], unit[ENTRY_FEE] = size + qty, unit[ENTRY_FEE] + fee
        _pay_fill(fs, side, qty, price, fee)
        _row(state, run, bar, 0.0, 0.0, 0.0, side * qty, price, fee, ADDED_FILL)
    if not fs[REMAINING] > 0.0:
        _drop_remainder(state, CANCELLED)


@_bare
def _leave(state, run, bar, o, costs, fractions) -> None:
    """The units' shares left to sell from earlier bars (``LEAVE``), at this open, in the
    order the units were opened, as far as the bar's volume allows; one fill row."""
    fs, ns, held = state[0], state[1], state[2]
    side = held[0, SIDE]
    slipped = o * (1.0 - side * costs[SLIP])
    sold = fees = 0.0
    price = slipped
    reason = SIGNAL_CODE
    j = 0
    while j < ns[N_HELD] and fs[AVAIL] > 0.0:
        left = held[j, LEAVE]
        if not left > 0.0:
            j += 1
            continue
        qty, at = _within_volume(state, bar, left, -side, slipped, np.inf, costs, fractions, np.nan)
        if not qty > 0.0:  # the impact undefined on this bar: none sold
            break
        price = at
        reason = np.int64(held[j, LEAVE_REASON])
        held[j, LEAVE] = left - qty
        fs[LEAVING] -= qty
        whole = qty == held[j, SIZE]
        sold += side * qty
        fees += _close(state, costs, j, qty, bar, price, reason, True)
        if not whole:
            j += 1
    if sold != 0.0:
        _row(state, run, bar, sold, price, fees, 0.0, 0.0, 0.0, reason)


@_bare
def _sell_within(state, run, bar, j, qty, slipped, reason, costs, fractions) -> tuple:
    """Sell up to ``qty`` shares of unit ``j`` at ``slipped`` on ``bar`` as far as its
    volume allows, the rest left to sell at the next opens (``LEAVE``, reason ``reason``).
    Returns (shares sold, their price, the fee paid); a unit sold whole leaves ``held``."""
    fs, held = state[0], state[2]
    side = held[j, SIDE]
    sold, price = _within_volume(state, bar, qty, -side, slipped, np.inf, costs, fractions, np.nan)
    left = qty - sold
    if left > 0.0:
        held[j, LEAVE] += left
        held[j, LEAVE_REASON] = reason
        fs[LEAVING] += left
    if not sold > 0.0:
        return 0.0, price, 0.0
    return sold, price, _close(state, costs, j, sold, bar, price, reason, True)


@_inlined
def _buy(state, run, bar, at, side, costs, fractions, setup, carry, limit, stop, order) -> bool:
    """Open a unit of ``side`` at ``at`` (slippage against it) sized from the free cash, or
    by the size series' value read on its signal bar (``costs.sized``); False when it cannot buy
    one share. The free cash is the cash, less twice the shorts' value at ``at`` (what a
    short sale's proceeds and the margin it ties up take: the equity less the shorts'
    value). With a liquidity field (``setup[LIQUID]``) ``_buy_liquid``. Inlined, the
    shares reckoned in the walk: an entry that cannot buy one (a spent account's signals)
    makes no call, and one that can calls ``_open`` with the four arrays it changes, not the
    whole book."""
    if setup[LIQUID] != 0:
        return _buy_liquid(state, run, bar, at, side, costs, fractions, setup, carry, limit,
                           stop, order)  # fmt: skip
    fs = state[0]
    price = at * (1.0 + side * costs[SLIP])
    qty = _entry_shares(fs, at, price, costs, fractions, setup)
    if qty <= 0:
        return False
    fee = _order_fee(qty, price, costs)
    _open(fs, state[1], state[2], state[4], run, bar, price, side, qty, fee, fractions, setup)
    return True


@_bare
def _buy_at(state, run, bar, at, side, costs, fractions, setup, carry, limit, stop,
            order) -> bool:  # fmt: skip
    """``_buy`` as a call, where entries are few (an entry order's fill, once an order): one
    compiled copy for every walk instead of one inlined into each, which the step's cold
    compile pays for."""
    return _buy(state, run, bar, at, side, costs, fractions, setup, carry, limit, stop, order)


@_inlined
def _entry_shares(fs, at, price, costs, fractions, setup) -> float:
    """The shares an entry at ``price`` (its order's price ``at``) buys: by the size series'
    value read on its signal bar, else from the free cash (``_free_cash``)."""
    cash, shares = fs[CASH], fs[SHARES]
    free = _free_cash(cash, shares, at)
    if setup[SIZED] != UNSIZED:
        by_fraction = setup[SIZED] == BY_FRACTION
        equity = cash + shares * at
        return _sized(fs[SIZE_NOW], free, price, equity, by_fraction, fractions[MAX_SIZE], costs)
    by_value = costs[BY_VALUE] != 0.0
    budget = min(costs[POSITION_SIZE], free) if by_value else free * costs[FRACTION]
    return _affordable(budget, price, costs) if free > 0.0 else 0.0


@_bare
def _buy_liquid(state, run, bar, at, side, costs, fractions, setup, carry, limit, stop,
                order) -> bool:  # fmt: skip
    """``_buy`` with a liquidity field: the price pays the spread and the impact (never
    worse than the order's ``limit``), the shares the bar's volume allows fill and, unless
    ``carry`` is -1, the rest stays in the book as an order of type ``carry`` (``_carry``;
    ``order``: its row, -1 for a market order); False when none filled."""
    fs = state[0]
    slipped = at * (1.0 + side * costs[SLIP])
    # sized at the spread's price; the impact of its shares checked after
    price = _liquidity_price(slipped, side, 0.0, _half_spread(state, bar))
    qty = _entry_shares(fs, at, price, costs, fractions, setup)
    if qty <= 0:
        return False
    free = _free_cash(fs[CASH], fs[SHARES], at)
    ordered = qty
    qty, price = _within_volume(state, bar, qty, side, slipped, free, costs, fractions, limit)
    if order >= 0:
        state[5][order, ORDERED], state[5][order, FILLED_QTY] = ordered, qty
    fs[ENTERED] += ordered
    fs[ENTRY_FILLED] += qty
    carried = carry >= 0 and qty < ordered
    if carried:
        _carry(state, bar, side, ordered - qty, carry, limit, stop, order, setup)
    if not qty > 0.0:
        return False
    fee = _order_fee(qty, price, costs)
    _open_unit(state, run, bar, price, side, qty, fee, fractions, setup)
    if carried:
        state[1][REM_UID] = np.int64(state[2][state[1][N_HELD] - 1, UID])
    return True


@_inlined
def _sell_part(state, run, bar, at, costs, fractions, setup) -> None:
    """An exit signal's sale at ``at`` of ``exit_fraction`` of each unit, each its own
    order, one fill row for them all (``_sell_liquid`` with a liquidity field). Inlined, the
    call made passes the five arrays the sale changes (``_sell_units``), not the book."""
    if setup[LIQUID] != 0:
        _sell_liquid(state, run, bar, at, costs, fractions)
        return
    _sell_units(state[0], state[1], state[2], state[3], state[4], run, bar, at, costs,
                fractions)  # fmt: skip


@_bare
def _sell_units(fs, ns, held, done, rows, run, bar, at, costs, fractions) -> None:
    """``_sell_part`` without a liquidity field."""
    side = held[0, SIDE]
    price = at * (1.0 - side * costs[SLIP])
    fraction = fractions[EXIT_FRACTION]
    sold = fees = 0.0
    j = 0
    while j < ns[N_HELD]:
        size = held[j, SIZE]
        qty = size if fraction == 1.0 else _part(size, fraction)
        sold += side * qty
        fees += _close_unit(fs, ns, held, done, costs, j, qty, bar, price, SIGNAL_CODE, True)
        if qty != size:
            j += 1
    _write_row(fs, ns, rows, run, bar, sold, price, fees, 0.0, 0.0, 0.0, SIGNAL_CODE)


@_bare
def _sell_liquid(state, run, bar, at, costs, fractions) -> None:
    """``_sell_part`` within the bar's volume: of each unit, ``exit_fraction`` of the
    shares not already left to sell, as many as the volume allows now, the rest at the
    next opens (``_leave``); one fill row when any sold."""
    ns, held = state[1], state[2]
    side = held[0, SIDE]
    slipped = at * (1.0 - side * costs[SLIP])
    fraction = fractions[EXIT_FRACTION]
    sold = fees = 0.0
    price = slipped
    j = 0
    while j < ns[N_HELD]:
        size = held[j, SIZE]
        free = size - held[j, LEAVE]
        if not free > 0.0:
            j += 1
            continue
        qty = free if fraction == 1.0 else _part(free, fraction)
        got, at_price, fee = _sell_within(state, run, bar, j, qty, slipped, SIGNAL_CODE, costs,
                                          fractions)  # fmt: skip
        if got > 0.0:
            sold += side * got
            fees += fee
            price = at_price
        if got != size:
            j += 1
    if sold != 0.0:
        _row(state, run, bar, sold, price, fees, 0.0, 0.0, 0.0, SIGNAL_CODE)


@_bare
def _place(state, bar, side, limit, stop, setup) -> None:
    """Place the entry order of a unit of ``side`` at ``bar``'s close, good for
    ``valid_bars`` bars; cancelled at once when a price it needs (or the size series'
    value) is undefined or not above 0."""
    fs, ns, book = state[0], state[1], state[5]
    kind = setup[KIND]
    lim, stp = _order_prices(kind, limit, stop)
    k = ns[N_ORDERS]
    ns[N_ORDERS] += 1
    o = book[k]
    o[0], o[1], o[2], o[3], o[4] = bar, side, lim, stp, bar + setup[VALID]
    o[5], o[6], o[7], o[ORDERED], o[FILLED_QTY] = PENDING_STATUS, -1.0, np.nan, 0.0, 0.0
    fs[O_LIMIT], fs[O_STOP] = lim, stp
    ns[ORDER], ns[TRIGGERED] = k, 0
    unsized = setup[SIZED] != UNSIZED and not fs[SIZE_NOW] > 0.0
    if unsized or not _usable(kind, lim, stp):  # a single position asks for no side then
        o[5], ns[ORDER], ns[ASKED] = CANCELLED, -1, 0


@_bare
def _buy_on_close(state, run, bar, close, side, costs, fractions, setup) -> None:
    """An ``on_close`` order's unit filled at its signal bar's close, recorded as an order
    (cancelled when it buys none; with an undefined size it was never placed, so a single
    position asks for no side then, as after ``_place``'s cancel)."""
    ns, held, book = state[1], state[2], state[5]
    k = ns[N_ORDERS]
    book[k, ORDERED], book[k, FILLED_QTY] = 0.0, 0.0
    bought = _buy(state, run, bar, close, side, costs, fractions, setup, -1, np.nan, np.nan, k)
    ns[N_ORDERS] += 1
    o = book[k]
    o[0], o[1], o[2], o[3], o[4] = bar, side, np.nan, np.nan, bar
    if bought:
        o[5], o[6], o[7] = FILLED, bar, held[ns[N_HELD] - 1, ENTRY_PRICE]
    else:
        o[5], o[6], o[7] = CANCELLED, -1.0, np.nan
        if setup[SIZED] != UNSIZED and not state[0][SIZE_NOW] > 0.0:
            ns[ASKED] = 0  # cancelled when placed (an undefined size), as ``_place`` does


@_inlined
def _signal(state, run, bar, side, close, limit, stop, costs, fractions, setup) -> int:
    """What a signal for ``side`` on ``bar``'s close asks for: it cancels an entry order
    pending for the other side; against the units held, a sale of ``exit_fraction`` of each
    at the next open (at this close with ``on_close``) and, in ``longshort``, a unit of
    ``side`` once none is left; else a unit of ``side`` while fewer than ``max_entries`` are
    held, by a market order, at this close (``on_close``) or by an entry order when none is
    pending. Returns the side of the market order at the next open (0: none)."""
    ns, held, book = state[1], state[2], state[5]
    kind = setup[KIND]
    opens_side = side > 0 or setup[LONGSHORT] != 0
    if ns[ORDER] >= 0 and book[ns[ORDER], 1] != side:
        book[ns[ORDER], 5], ns[ORDER] = CANCELLED, -1
    if state[0][REMAINING] > 0.0 and state[0][REM_SIDE] != side:
        _drop_remainder(state, CANCELLED)  # a signal against an entry's remainder cancels it
    if ns[N_HELD] > 0 and held[0, SIDE] == -side:  # against the units held
        if kind == ON_CLOSE:
            _sell_part(state, run, bar, close, costs, fractions, setup)
            if ns[N_HELD] == 0 and opens_side:
                _buy_on_close(state, run, bar, close, float(side), costs, fractions, setup)
            return 0
        if kind != MARKET and opens_side:
            leaves_none = True
            for j in range(ns[N_HELD]):
                if _part(held[j, SIZE], fractions[EXIT_FRACTION]) < held[j, SIZE]:
                    leaves_none = False
            if leaves_none:
                _place(state, bar, float(side), limit, stop, setup)
        return side
    if not opens_side or ns[N_HELD] >= setup[MAX_ENTRIES]:
        return 0
    if kind != MARKET and kind != ON_CLOSE and ns[ORDER] >= 0:
        return 0  # one order pending at a time
    if kind == MARKET:
        return side
    if kind == ON_CLOSE:
        _buy_on_close(state, run, bar, close, float(side), costs, fractions, setup)
    else:
        _place(state, bar, float(side), limit, stop, setup)
    return 0


@_inlined
def _fill_order(state, run, bar, o, h, lo, c, costs, fractions, setup) -> None:
    """The pending entry order against the bar; the unit it opens is marked ``FRESH``."""
    fs, ns, held, book = state[0], state[1], state[2], state[5]
    k = ns[ORDER]
    order = book[k]
    side = order[1]
    if _no_unit_for(state, side, setup):  # max_entries: a remainder may have filled first
        order[5], ns[ORDER] = CANCELLED, -1
        return
    price, triggered = _order_price(
        setup[KIND], side, fs[O_LIMIT], fs[O_STOP], ns[TRIGGERED] != 0, o, h, lo, c
    )
    ns[TRIGGERED] = 1 if triggered else 0
    if price == price and setup[LIQUID] != 0 and not fs[AVAIL] > 0.0:
        price = np.nan  # no volume left on the bar: the order stays pending
    if price == price:
        kind = setup[KIND]
        if _buy_at(state, run, bar, price, side, costs, fractions, setup, kind, fs[O_LIMIT],
                   fs[O_STOP], k):  # fmt: skip
            j = ns[N_HELD] - 1
            order[5], order[6], order[7] = FILLED, bar, held[j, ENTRY_PRICE]
            ns[FRESH] = np.int64(held[j, UID])
        elif setup[LIQUID] != 0 and ns[REM_ORDER] == k and fs[REMAINING] > 0.0:
            pass  # none filled on this bar (its impact undefined): its remainder waits
        else:
            order[5], order[6], order[7] = CANCELLED, -1.0, np.nan
            ns[ASKED] = 0
        ns[ORDER] = -1
        return
    if bar == order[4]:
        order[5], ns[ORDER], ns[ASKED] = EXPIRED, -1, 0


@_bare
def _stopped(state, run, bar, j, level, code, fresh, h, lo, costs, fractions, setup) -> bool:
    """Held unit ``j`` hit a stop at ``level`` (reason ``code``): sold whole at the stop's
    fill, or ``take_profit_fraction`` of it at a take-profit, the rest keeping its
    stop-loss and trailing level (ratcheted by this bar) without a take-profit. Returns
    whether a rest is held."""
    held = state[2]
    side = held[j, SIDE]
    price = level * (1.0 - side * costs[SLIP])
    size = held[j, SIZE]
    qty = size
    fraction = fractions[TP_FRACTION]
    if code == TAKE_PROFIT_CODE and fraction != 1.0:
        qty = _part(size, fraction)
    rest = qty < size
    if setup[LIQUID] != 0:  # as far as the volume allows, the rest at the next opens
        sold, price, fee = _sell_within(state, run, bar, j, qty, price, code, costs, fractions)
        if sold > 0.0:
            _row(state, run, bar, side * sold, price, fee, 0.0, 0.0, 0.0, code)
        if sold == size:
            return False
        if not rest:
            return True
    else:
        fee = _close(state, costs, j, qty, bar, price, code, True)
        _row(state, run, bar, side * qty, price, fee, 0.0, 0.0, 0.0, code)
    if rest:
        held[j, PROFIT] = np.inf
        if not fresh:
            held[j, TRAIL_LEVEL], held[j, EXTREME] = _ratchet(
                side, fractions[TRAIL_AT], held[j, TRAIL_LEVEL], held[j, EXTREME], h, lo
            )
    return rest


@_inlined
def _check_stops(state, run, bar, o, h, lo, costs, fractions, setup) -> None:
    """Each unit's contingent stops against the bar, in the order the units were opened
    (``_stopped`` for a unit hit); a unit an entry order opened within this bar is checked
    as ``engine.broker.orders.fill_bar_stop`` checks it."""
    ns, held = state[1], state[2]
    fresh_id = ns[FRESH]
    trail = fractions[TRAIL_AT]
    j = 0
    while j < ns[N_HELD]:
        if held[j, LEAVE] > 0.0:  # being sold (liquidity): no stop until that sale is done
            j += 1
            continue
        side = held[j, SIDE]
        fresh = held[j, UID] == fresh_id
        if fresh:
            level, code = _fill_bar_stop(
                setup[KIND], side, held[j, LOSS], held[j, PROFIT], held[j, TRAIL_LEVEL], o, h, lo
            )
        else:
            level, code, held[j, TRAIL_LEVEL], held[j, EXTREME] = _stop_exit(
                side,
                held[j, LOSS],
                held[j, PROFIT],
                held[j, TRAIL_LEVEL],
                held[j, EXTREME],
                trail,
                o,
                h,
                lo,
            )
        if level != level or _stopped(
            state, run, bar, j, level, code, fresh, h, lo, costs, fractions, setup
        ):
            j += 1


@_inlined
def _at_open(state, run, bar, ohlc, costs, fractions, setup) -> None:
    """A bar up to its close: the market order a signal asked for at this open (the sale of
    part of each unit of the other side, then with market entries a unit of its side when
    none of the other is left and fewer than ``max_entries`` are held), the pending entry
    order, the units' stops."""
    fs, ns = state[0], state[1]
    o, h, lo, c = ohlc
    liquid = setup[LIQUID] != 0
    if liquid:
        fs[AVAIL], fs[TAKEN] = _allowance(state, bar), 0.0
        if fs[LEAVING] > 0.0 and ns[N_HELD] > 0:
            _leave(state, run, bar, o, costs, fractions)
    pending = ns[PENDING]
    if pending != 0:
        side = float(pending)
        if ns[N_HELD] > 0 and state[2][0, SIDE] == -side:
            _sell_part(state, run, bar, o, costs, fractions, setup)
        same = not (ns[N_HELD] > 0 and state[2][0, SIDE] != side)
        opens = (side > 0 or setup[LONGSHORT] != 0) and ns[N_HELD] < setup[MAX_ENTRIES]
        if setup[KIND] == MARKET and same and opens:
            _buy(state, run, bar, o, side, costs, fractions, setup, MARKET, np.nan, np.nan, -1)
    ns[PENDING] = 0
    ns[FRESH] = -1
    if liquid and fs[REMAINING] > 0.0:
        _fill_remainder(state, run, bar, o, h, lo, c, costs, fractions, setup)
    if ns[ORDER] >= 0:
        _fill_order(state, run, bar, o, h, lo, c, costs, fractions, setup)
    if setup[STOPPED] and ns[N_HELD] > 0:
        _check_stops(state, run, bar, o, h, lo, costs, fractions, setup)
        if ns[N_HELD] == 0:  # stopped out: a single position asks for no side
            ns[ASKED] = 0


@_inlined
def _signal_side(state, bar, last, entry, leave, fractions, setup) -> int:
    """The side a bar's signals ask for on its close (0: none): the entry or the exit, and
    with ``exit_priority`` a bar where both hold the exit while long (``_asks``, which for a
    single position also keeps the side asked for: ``walk_run`` puts it back when it
    returns for a size, so that the close resumed asks again)."""
    if bar >= last:
        return 0
    if entry != leave or (entry and setup[EXIT_FIRST]):
        return _asks(state, entry, leave, fractions, setup)
    return 0


@_inlined
def _at_close(state, run, bar, side, c, limit, stop, costs, fractions, setup) -> None:
    """A bar's close: the signal for ``side`` (``_signal``), then the short units' borrow
    fee (docs/execution.md, "Short borrow fee": after the close's fills), each unit's share
    kept with it."""
    fs, ns = state[0], state[1]
    if side != 0:
        ns[PENDING] = _signal(state, run, bar, side, c, limit, stop, costs, fractions, setup)
    rate = costs[BORROW]
    if rate != 0.0 and fs[SHARES] < 0.0:
        fs[CASH] -= _borrow_charge(fs[SHARES], c, rate)
        held = state[2]
        for j in range(ns[N_HELD]):
            held[j, UNIT_BORROW] += held[j, SIZE] * c * rate


@_inlined
def _busts(state, c) -> bool:
    """Whether the equity reached zero at the close ``c`` (only shorts can): ``_bust``
    follows. A test on every close walked, so inlined: the call it saves passes the whole
    state (a fifth of a held bar's walk)."""
    fs = state[0]
    return fs[SHARES] < 0.0 and fs[CASH] + fs[SHARES] * c <= 0.0


@_bare
def _bust(state, run, bar, c, costs) -> None:
    """The equity reached zero at the close (``_busts``): every unit closed at that close
    paying its fee, no slippage (``liquidation``); the run trades no more."""
    ns = state[1]
    before, fees = state[0][SHARES], 0.0
    while ns[N_HELD] > 0:
        fees += _close(state, costs, 0, state[2][0, SIZE], bar, c, LIQUIDATION_CODE, True)
    _row(state, run, bar, before, c, fees, 0.0, 0.0, 0.0, LIQUIDATION_CODE)
    ns[BUST] = 1


@_inlined
def _asks(state, entry, leave, fractions, setup) -> int:
    """The side a bar's signals ask for (+1, -1), or 0 for nothing; a bar where both hold
    (with ``exit_priority``) is the exit while long, the entry otherwise. Units resolve it
    against the units held and ask for a unit at every signal. A single position
    (``max_entries`` 1, whole exits and take-profits) follows the execution convention: it
    resolves against the side asked for last, and a signal asks only when it changes that
    side (flat in ``longonly`` for an exit); a stop, an order expired or cancelled unfilled
    resets it to flat, an order that buys no share at the open or close does not."""
    ns = state[1]
    single = setup[MAX_ENTRIES] == 1 and fractions[EXIT_FRACTION] == 1.0
    single = single and fractions[TP_FRACTION] == 1.0
    if not single:
        if entry != leave:
            return 1 if entry else -1
        return -1 if ns[N_HELD] > 0 and state[2][0, SIDE] > 0 else 1
    side = (1 if entry else -1) if entry != leave else (-1 if ns[ASKED] > 0 else 1)
    asked = side if setup[LONGSHORT] != 0 else max(side, 0)
    if asked == ns[ASKED]:
        return 0
    ns[ASKED] = asked
    return side


@_inlined
def step(
    state: tuple,
    run: int,
    bar: int,
    last: int,
    entry: bool,
    leave: bool,
    ohlc: tuple,
    limit: float,
    stop: float,
    costs: np.ndarray,
    fractions: np.ndarray,
    setup: np.ndarray,
) -> None:
    """Move run ``run``'s book through ``bar`` (``last``: the run's last bar) whose
    signals are ``entry`` and ``leave`` and whose entry-order prices are ``limit`` and
    ``stop``; ``ohlc`` = (open, high, low, close) of the bar. The order of a bar
    (docs/execution.md, "Scaling in and out"): the open's market order, the pending entry
    order, the units' stops, the close's signal, the borrow fee, the bust rule. A bar
    without a size series, position-aware exit or corporate action (``walk_run`` walks
    those)."""
    if state[1][BUST]:
        return
    _at_open(state, run, bar, ohlc, costs, fractions, setup)
    side = _signal_side(state, bar, last, entry, leave, fractions, setup)
    _at_close(state, run, bar, side, ohlc[3], limit, stop, costs, fractions, setup)
    if _busts(state, ohlc[3]):
        _bust(state, run, bar, ohlc[3], costs)


@_bare
def finish(state: tuple, run: int, last: int, open_last: float, costs, fractions, setup) -> None:
    """The run's end: with ``close_at_end`` every unit held sold at the last bar's open."""
    ns, held = state[1], state[2]
    if not (setup[CLOSE_AT_END] and ns[N_HELD] > 0 and last >= 0):
        return
    side = held[0, SIDE]
    price = open_last * (1.0 - side * costs[SLIP])
    if setup[LIQUID] != 0:  # within what the last bar's volume still allows; the rest held
        sold = fees = 0.0
        at = price
        j = 0
        while j < ns[N_HELD]:
            size = held[j, SIZE]
            got, at, fee = _sell_within(state, run, last, j, size, price, CLOSED_AT_END_CODE,
                                        costs, fractions)  # fmt: skip
            sold, fees = sold + side * got, fees + fee
            if got != size:
                j += 1
        if sold != 0.0:
            _row(state, run, last, sold, at, fees, 0.0, 0.0, 0.0, SIGNAL_CODE)
        return
    sold = fees = 0.0
    while ns[N_HELD] > 0:
        size = held[0, SIZE]
        sold += side * size
        fees += _close(state, costs, 0, size, last, price, CLOSED_AT_END_CODE, True)
    _row(state, run, last, sold, price, fees, 0.0, 0.0, 0.0, SIGNAL_CODE)


# -- corporate actions, size series and position-aware exits: the resumable walk ----------


@_bare
def _log(state, run, bar, kind, value, before, after, cash, price) -> None:
    """One corporate action that met the units (``engine.corporate.EventLog.add``)."""
    ns, log = state[1], state[6]
    r = log[ns[N_APPLIED]]
    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = (
        run,
        bar,
        kind,
        value,
        before,
        after,
        cash,
        price,
    )
    ns[N_APPLIED] += 1


@_bare
def _events_at_open(state, run, bar, o, ratio, amount, setup) -> None:
    """The split then the dividend of ``bar`` at its open, before its fills
    (docs/execution.md, "Corporate actions on a position"): each unit of n shares becomes
    floor(n × r) (``engine.corporate.split_holding``), its fraction paid in cash at the
    open, its entry price and stop levels divided by r; a unit left without a whole share is
    closed by that cash; a dividend d pays every share held d (a short pays it). A pending
    entry order's prices are divided by r too (they are in the old shares' units)."""
    fs, ns, held, done, book = state[0], state[1], state[2], state[3], state[5]
    if ns[N_HELD] > 0 and ratio != 1.0:
        before, paid = fs[SHARES], 0.0
        j = 0
        while j < ns[N_HELD]:
            unit = held[j]
            side = unit[SIDE]
            after, in_lieu = _split_holding(side * unit[SIZE], ratio, o)
            after = abs(after)
            paid += in_lieu
            fraction = max(unit[SIZE] * ratio - after, 0.0)
            unit[ENTRY_PRICE] /= ratio
            unit[IN_LIEU] += side * fraction * (o - unit[ENTRY_PRICE])
            unit[SIZE] = after
            if unit[LEAVE] > 0.0:  # liquidity: the shares still to sell, in the new shares
                fs[LEAVING] -= unit[LEAVE]
                unit[LEAVE] = min(np.floor(unit[LEAVE] * ratio), after)
                fs[LEAVING] += unit[LEAVE]
            if setup[STOPPED]:
                unit[LOSS] /= ratio
                unit[PROFIT] /= ratio
                unit[TRAIL_LEVEL] /= ratio
                unit[EXTREME] /= ratio
            if after != 0.0:
                j += 1
                continue
            out = done[ns[N_DONE]]  # settled whole in cash: a trade of no shares left
            ns[N_DONE] += 1
            for k in range(UNIT_FIELDS):
                out[k] = unit[k]
            out[EXIT_BAR], out[EXIT_PRICE] = bar, o
            n = ns[N_HELD]
            for k in range(j, n - 1):
                for f in range(UNIT_FIELDS):
                    held[k, f] = held[k + 1, f]
            ns[N_HELD] = n - 1
        fs[CASH] += paid
        shares = 0.0
        for j in range(ns[N_HELD]):
            shares += held[j, SIDE] * held[j, SIZE]
        fs[SHARES] = shares
        _log(state, run, bar, SPLIT_CODE, ratio, before, shares, paid, o)
    if ns[N_HELD] > 0 and amount != 0.0 and fs[SHARES] != 0.0:
        for j in range(ns[N_HELD]):
            held[j, DIVIDENDS] += held[j, SIDE] * held[j, SIZE] * amount
        paid = fs[SHARES] * amount
        fs[CASH] += paid
        _log(state, run, bar, DIVIDEND_CODE, amount, fs[SHARES], fs[SHARES], paid, 0.0)
    if ns[ORDER] >= 0 and ratio != 1.0:
        k = ns[ORDER]
        book[k, 2], book[k, 3] = book[k, 2] / ratio, book[k, 3] / ratio
        fs[O_LIMIT], fs[O_STOP] = book[k, 2], book[k, 3]
    if fs[REMAINING] > 0.0 and ratio != 1.0:  # an entry's remainder, in the new shares
        fs[REMAINING] = np.floor(fs[REMAINING] * ratio)
        fs[REM_LIMIT], fs[REM_STOP] = fs[REM_LIMIT] / ratio, fs[REM_STOP] / ratio


@_bare
def _delist(state, run, bar, price, costs) -> None:
    """A delisting at the last bar's close (after its borrow fee): every unit closed at its
    cash per share ``price``, without slippage or fee (exit reason ``delisted``)."""
    fs, ns = state[0], state[1]
    before = fs[SHARES]
    while ns[N_HELD] > 0:
        _close(state, costs, 0, state[2][0, SIZE], bar, price, DELISTED_CODE, False)
    _log(state, run, bar, DELISTING_CODE, price, before, 0.0, before * price, 0.0)
    _row(state, run, bar, before, price, 0.0, 0.0, 0.0, 0.0, DELISTED_CODE)


@_inlined
def _long_held(state) -> bool:
    """Whether long units are held (what the position series describe); else the exit is
    off (``ns[EXIT_ON]`` 0) until one is."""
    ns, held = state[1], state[2]
    if ns[N_HELD] == 0 or held[0, SIDE] < 0.0:
        ns[EXIT_ON] = 0
        return False
    return True


@_inlined
def _long_entry(state) -> float:
    """The long units' share-weighted average entry price (the first's when one)."""
    ns, held = state[1], state[2]
    n = ns[N_HELD]
    if n == 1:
        return held[0, ENTRY_PRICE]
    value = size = 0.0
    for j in range(n):
        value += held[j, SIZE] * held[j, ENTRY_PRICE]
        size += held[j, SIZE]
    return value / size


@_bare
def _long_opened(state, entry: float) -> None:
    """A long's exit starts: from its units' first fill bar (``ns[EXIT_FROM]``), at
    ``entry``."""
    fs, ns, held = state[0], state[1], state[2]
    first = held[0, ENTRY_BAR]
    for j in range(1, ns[N_HELD]):
        first = min(first, held[j, ENTRY_BAR])
    ns[EXIT_FROM], fs[EXIT_ENTRY] = np.int64(first), entry


@_bare
def _position_exit(state, bar, outside, exit_row) -> tuple:
    """(what the walk needs from Python first, or ``DONE``; the exit on ``bar``'s close):
    while long units are held, the position-aware exit of the long their first opened,
    priced at their share-weighted average entry, read from ``exit_row``; else
    ``outside`` (the exit outside a long)."""
    fs, ns = state[0], state[1]
    if not _long_held(state):  # the names describe a long
        return DONE, outside
    entry = _long_entry(state)
    if ns[EXIT_ON] == 0:
        _long_opened(state, entry)
        return EXIT_NEW, False
    if entry != fs[EXIT_ENTRY]:
        fs[EXIT_ENTRY] = entry
        if ns[EXIT_PRICED]:  # else the exit reads no entry price: it stays as it is
            return EXIT_REPRICE, False
    if bar >= ns[EXIT_HI]:
        return EXIT_MORE, False
    return DONE, exit_row[bar]


@_inlined
def _program_exit(state, bar, outside, programs, reads) -> bool:
    """The exit on ``bar``'s close of a position-aware exit given as a program
    (``programs``' exit part, ``walk_run``): while long units are held, its value with the
    long's series read from the state as ``rules.expr.position`` computes them — the bars
    since the first unit's fill bar, their share-weighted average entry (a split or a unit
    added or sold changes it from that close on), the return at this close from it, and the
    best such return on the closes from the fill bar on, each read at the entry of its own
    close (``_held_exit_from`` over this one bar); else ``outside``. ``reads``: the last
    series the program reads (``_series_read``)."""
    fs, ns = state[0], state[1]
    if not _long_held(state):
        return outside
    if ns[EXIT_ON] == 0:
        priced = reads >= program.ENTRY_PRICE  # else bars_held alone: no entry, no return
        entry = _long_entry(state) if priced else np.nan
        _long_opened(state, entry)
        ns[EXIT_ON] = 1
        if priced:
            close, best = programs[7], -np.inf
            for t in range(ns[EXIT_FROM], bar):  # the closes held before this one's (on_close)
                best = _running_max(best, _open_return(close[t], entry))
            fs[EXIT_BEST] = best
    return _held_exit_from(state, bar, bar + 1, programs, reads) == bar


@_inlined
def _skips_held(state, reads_long, exit_program) -> bool:
    """Whether the walk may skip bars (``walk_run``) as far as a position-aware exit goes:
    none is read (no long held, or no such exit), or it is a program whose long has
    started (``ns[EXIT_ON]``), which ``_held_exit_from`` evaluates over the bars skipped."""
    if not (reads_long and _long_held(state)):
        return True
    return exit_program and state[1][EXIT_ON] != 0


@_inlined
def _held_exit_from(state, bar, end, programs, reads) -> int:
    """The first of bars ``bar`` .. ``end`` - 1 on whose close the exit program of the long
    held holds (``end``: none), its series kept in the state through that bar: the one bar
    ``_program_exit`` asks for, or a stretch ``walk_run`` skips, idle and without signals,
    on which the units, so their first fill bar and entry, do not change."""
    fs, ns = state[0], state[1]
    code, constants, leaves, close, series, stack = programs[4:]
    entry = np.nan
    if reads >= program.ENTRY_PRICE:
        entry = _long_entry(state)
        fs[EXIT_ENTRY] = entry
    found, best = _first_exit(
        code, constants, leaves, series, stack, close, bar, end, ns[EXIT_FROM], entry,
        fs[EXIT_BEST], reads,
    )  # fmt: skip
    if reads >= program.ENTRY_PRICE:
        fs[EXIT_BEST] = best
    return found


@_inlined
def _series_read(code: np.ndarray) -> int:
    """The last of the walk's series (``program.SERIES``' order) a program reads, -1 for
    none: an exit program that reads no more than ``bars_held`` has its long's entry
    and returns left uncomputed (``_program_exit``)."""
    last = -1
    for i in range(code.shape[0]):
        if code[i, 0] == program.PUSH_SERIES:
            last = max(last, code[i, 1])
    return last


@_inlined
def _reads_size(state, side, setup) -> bool:
    """Whether the signal for ``side`` opens a unit, so reads the size series: against the
    units held when it may open its side; else while fewer than ``max_entries`` are held
    and no entry order for its side is pending."""
    ns, held, book = state[1], state[2], state[5]
    opens_side = side > 0 or setup[LONGSHORT] != 0
    if ns[N_HELD] > 0 and held[0, SIDE] == -side:
        return opens_side
    if not opens_side or ns[N_HELD] >= setup[MAX_ENTRIES]:
        return False
    kind = setup[KIND]
    pending = ns[ORDER] >= 0 and book[ns[ORDER], 1] == side
    return not (kind != MARKET and kind != ON_CLOSE and pending)


@_inlined
def _program_size_at(state, bar, programs) -> None:
    """The size program's value on signal bar ``bar`` with the equity it reads
    (``fs[SIZE_EQUITY]``), as the walk's caller writes a size series' (``SIZE``)."""
    fs, ns = state[0], state[1]
    code, constants, leaves, scale, series, stack = programs[:4] + programs[8:]
    series[program.EQUITY] = fs[SIZE_EQUITY]
    value = _evaluate(code, constants, leaves, bar, series, stack)
    fs[SIZE_NOW], ns[SIZE_BAR] = _program_size(value, scale, bar), bar


@_bare
def walk_run(
    state: tuple,
    run: int,
    first: int,
    signals: tuple,
    bars: tuple,
    events: tuple,
    exit_row: np.ndarray,
    costs: np.ndarray,
    fractions: np.ndarray,
    setup: np.ndarray,
    paths: tuple,
    programs: tuple,
) -> tuple:
    """Walk run ``run`` from bar ``first`` until it is done or needs Python: returns
    (bar, ``DONE``, ``ROOM``, ``SIZE``, ``EXIT_NEW``, ``EXIT_REPRICE`` or ``EXIT_MORE``).
    The caller grows the tables (``make_room``), or writes what was asked for into the
    state (``fs[SIZE_NOW]`` and ``ns[SIZE_BAR]``; the exit on the closes from the bar into
    ``exit_row`` and its end into ``ns[EXIT_HI]``, ``ns[EXIT_ON]`` set, ``ns[EXIT_PRICED]``
    whether it reads the entry price), then calls again
    from the bar returned: the walk resumes where it stopped (``ns[AT_CLOSE]``: the bar's
    open is done). So a size series or a position-aware exit costs a call per unit, not
    per bar.

    ``signals`` = (entries, exits, limit prices, stop prices) of the run's T bars (a price
    series empty: NaN on every bar, as without an entry order); ``bars``
    = (open, high, low, close); ``events`` = (split ratios, dividends: T each or empty for
    none; the delisting's cash per share, NaN for none; the liquidity series, which
    ``walk_acting`` puts in the state: ``with_liquidity``); ``exit_row`` (T bools, or empty:
    the run has no position-aware exit, or it is a program); ``paths`` = (cash, shares)
    arrays written at every close, or empty. ``programs`` = (the size program's code,
    constants, leaves and scale; the exit program's code, constants, leaves and closes;
    the series and stack they are evaluated on, ``engine.broker.program``): a program given
    (its code not empty) is evaluated here, so the walk never returns for it."""
    enter, leave, limits, stops_at = signals
    open_, high, low, close = bars
    split, dividend, delisting = events[0], events[1], events[2]
    cash_path, shares_path = paths
    acting = split.size > 0
    held_exit = exit_row.size > 0
    exit_program = programs[4].shape[0] > 0
    exit_reads = _series_read(programs[4])
    size_program = programs[0].shape[0] > 0
    keep = cash_path.size > 0
    sized = setup[SIZED] != UNSIZED
    priced_limit, priced_stop = limits.size > 0, stops_at.size > 0  # empty: NaN on every bar
    n_bars = close.size
    last = n_bars - 1
    fs, ns = state[0], state[1]
    reads_long = held_exit or exit_program  # a position exit: read on every bar long held
    trail = fractions[TRAIL_AT]
    bar = first
    fetched = bar  # the last signal bar whose lines were asked for (``_fetch_ahead``)
    fetching = n_bars >= FETCH_FROM_BARS
    while bar < n_bars:  # a while loop: a skip jumps, not a test on every bar it skips
        if (
            not acting and ns[AT_CLOSE] == 0 and not (enter[bar] | leave[bar])
            and _idle(state, setup) and _skips_held(state, reads_long, exit_program)
        ):  # fmt: skip
            watch = setup[STOPPED] != 0 and ns[N_HELD] > 0
            if not (watch and _stops_act(state, trail, high[bar], low[bar])):
                skip_to = bar + 1  # the bars up to the next signal or stop leave the book
                if watch:
                    bounds = _stop_bounds(state, trail)  # the units' levels: none change
                    while skip_to < n_bars and not (enter[skip_to] | leave[skip_to]):
                        if _reaches(bounds, high[skip_to], low[skip_to]):
                            break
                        skip_to += 1
                else:
                    skip_to = _next_signal(enter, leave, skip_to, n_bars)
                end = skip_to
                if exit_program and ns[EXIT_ON] != 0:  # a long held: up to its exit's close
                    end = _held_exit_from(state, bar, skip_to, programs, exit_reads)
                if end > bar:
                    _skip(state, bar, end, setup, paths)
                bar = end
                if end == skip_to:
                    continue
        c = close[bar]
        if ns[AT_CLOSE] == 0:
            if _short_of_room(state):
                return bar, ROOM
            if not ns[BUST]:
                if acting:
                    _events_at_open(state, run, bar, open_[bar], split[bar], dividend[bar], setup)
                ohlc = (open_[bar], high[bar], low[bar], c)
                _at_open(state, run, bar, ohlc, costs, fractions, setup)
            ns[AT_CLOSE] = 1
        if not ns[BUST]:
            exit_now = leave[bar]
            if exit_program:
                exit_now = _program_exit(state, bar, exit_now, programs, exit_reads)
            elif held_exit:
                need, exit_now = _position_exit(state, bar, exit_now, exit_row)
                if need != DONE:
                    return bar, need
            asked = ns[ASKED]
            side = _signal_side(state, bar, last, enter[bar], exit_now, fractions, setup)
            if sized and side != 0 and ns[SIZE_BAR] != bar and _reads_size(state, side, setup):
                on_close = setup[KIND] == ON_CLOSE
                fs[SIZE_EQUITY] = _signal_equity(fs[CASH], fs[SHARES], c, costs[BORROW], on_close)
                if not size_program:
                    ns[ASKED] = asked  # the side is asked again when the walk resumes here
                    return bar, SIZE
                _program_size_at(state, bar, programs)
            limit = limits[bar] if priced_limit else np.nan
            stop = stops_at[bar] if priced_stop else np.nan
            _at_close(state, run, bar, side, c, limit, stop, costs, fractions, setup)
            if acting and bar == last and delisting == delisting and ns[N_HELD] > 0:
                _delist(state, run, bar, delisting, costs)
            if _busts(state, c):
                _bust(state, run, bar, c, costs)
        ns[AT_CLOSE] = 0
        if keep:
            cash_path[bar], shares_path[bar] = fs[CASH], fs[SHARES]
        while fetching and fetched < n_bars and fetched < bar + FETCH_LEAD:  # signals to come
            fetched = _next_signal(enter, leave, fetched + 1, n_bars)
            _fetch_ahead(fetched, bars, limits, stops_at, programs)
        bar += 1
    return n_bars, DONE


@_inlined
def _next_signal(enter, leave, bar, n_bars) -> int:
    """The first bar from ``bar`` on with an entry or exit signal (``n_bars``: none): eight
    bars at a time (a word of each signal row) while they hold none, then one test a bar
    (``|``, not ``or``, which branches twice and more than doubles the scan)."""
    words = (n_bars - bar) // 8
    if words > 0:
        entering = enter[bar : bar + 8 * words].view(np.uint64)
        leaving = leave[bar : bar + 8 * words].view(np.uint64)
        k = 0
        while k < words and (entering[k] | leaving[k]) == 0:
            k += 1
        bar += 8 * k
    while bar < n_bars and not (enter[bar] | leave[bar]):
        bar += 1
    return bar


FETCH_LEAD = 32
"""How far ahead of the bar it walks ``walk_run`` asks for the signal bars' lines: a few
signal bars' walks, time enough for memory to answer (~0.1 µs) before they are read."""
FETCH_FROM_BARS = 250_000
"""The bars from which ``walk_run`` asks for lines ahead: a run whose series (2 MB each
from here) outgrow the caches. A shorter run's stay cached between its reads; asking
would only cost (measured: 100 k bars 5-15 % slower with it, 1 M bars 30 % faster)."""


@_inlined
def _fetch_ahead(bar, bars, limits, stops_at, programs) -> None:
    """Ask the caches for what ``bar`` (a signal bar a skip will land on, ``n_bars``:
    none) reads, two lines of each (its bar and the next eight: the stretch of bars held
    or with an order pending that follows a signal): its prices, entry-order prices, the
    programs' leaves and closes (``engine._prefetch``: timing only, no result changes)."""
    n_bars = bars[3].size
    if bar >= n_bars:
        return
    then = min(bar + 8, n_bars - 1)
    for values in bars:
        _fetch_lines(values, bar, then)
    _fetch_lines(limits, bar, then)  # each of these three empty when not read
    _fetch_lines(stops_at, bar, then)
    _fetch_lines(programs[7], bar, then)
    for leaves in (programs[2], programs[6]):
        for k in range(leaves.shape[0]):
            _fetch_lines(leaves[k], bar, then)


@_inlined
def _fetch_lines(values, bar, then) -> None:
    """``_fetch_ahead``'s two lines of one series (none of a series not given: empty)."""
    if values.size > 0:
        _prefetch(values, bar)
        _prefetch(values, then)


@_inlined
def _idle(state, setup) -> bool:
    """Whether a bar without a signal leaves the book as it is, but for the units' stops
    (``walk_run`` then skips to the next signal, or the next bar whose high or low moves a
    unit's stops: ``_stops_act``): no order pending (a market order for the open, an entry
    order, a remainder, a sale over several bars), no short (no borrow fee, no bust), not
    bust. Its open only resets the bar's scalars (``_skip``)."""
    fs, ns = state[0], state[1]
    return (
        ns[BUST] == 0 and ns[PENDING] == 0 and ns[ORDER] < 0 and not fs[REMAINING] > 0.0
        and not (fs[LEAVING] > 0.0 and ns[N_HELD] > 0) and fs[SHARES] >= 0.0
    )  # fmt: skip


@_inlined
def _stops_act(state, trail, h, lo) -> bool:
    """Whether a bar (high ``h``, low ``lo``) without a signal or order moves a held
    unit's stops: reaches its adverse stop or its take-profit, or moves its trailing level
    (``trail``: the trailing fraction, NaN: none) — the conditions of
    ``engine.broker.stops.stop_exit``, NaN levels compared as there. On any other bar
    ``_check_stops`` changes nothing (no unit is fresh: none filled on it). The one
    predicate of both skips: ``walk_run``'s and the batch pass's
    (``engine.broker.curves``), which take the levels once (``_stop_bounds``) for the bars
    they skip, on which the units do not change."""
    return _reaches(_stop_bounds(state, trail), h, lo)


@_inlined
def _stop_bounds(state, trail) -> tuple:
    """The held units' stops as four levels of a bar's prices, which ``_reaches`` compares:
    (a high at or above, a high above, a low at or below, a low below): a long's adverse
    stop (its stop-loss or trailing level, the higher) and take-profit, its best price
    when it trails; a short's mirrored. Each the level nearest the bar of all the units
    (NaN where no unit has one: a comparison with it never holds), so a bar reaches one
    exactly when it reaches a unit's (``_stops_act``)."""
    ns, held = state[1], state[2]
    trailing = trail == trail
    high_at = high_past = low_at = low_past = np.nan
    for j in range(ns[N_HELD]):
        unit = held[j]
        if unit[SIDE] > 0:
            low_at = _highest(low_at, max(unit[LOSS], unit[TRAIL_LEVEL]))
            high_at = _lowest(high_at, unit[PROFIT])
            if trailing:
                high_past = _lowest(high_past, unit[EXTREME])
        else:
            high_at = _lowest(high_at, min(unit[LOSS], unit[TRAIL_LEVEL]))
            low_at = _highest(low_at, unit[PROFIT])
            if trailing:
                low_past = _highest(low_past, unit[EXTREME])
    return high_at, high_past, low_at, low_past


@_inlined
def _highest(kept: float, level: float) -> float:
    """The higher of two levels, a NaN one none (NaN: neither is one)."""
    return level if (level > kept or kept != kept) else kept


@_inlined
def _lowest(kept: float, level: float) -> float:
    """The lower of two levels, a NaN one none (NaN: neither is one)."""
    return level if (level < kept or kept != kept) else kept


@_inlined
def _reaches(bounds: tuple, h: float, lo: float) -> bool:
    """Whether a bar's high ``h`` and low ``lo`` reach ``_stop_bounds``' levels."""
    high_at, high_past, low_at, low_past = bounds
    return h >= high_at or h > high_past or lo <= low_at or lo < low_past


@_inlined
def _skip(state, bar, end, setup, paths) -> None:
    """What bars ``bar`` .. ``end`` - 1, idle (``_idle``) and without signals, leave: the
    scalars their opens reset (the last one's volume allowance), the cash and shares kept
    at each close."""
    fs, ns = state[0], state[1]
    if setup[LIQUID] != 0:
        fs[AVAIL], fs[TAKEN] = _allowance(state, end - 1), 0.0
    ns[FRESH] = -1
    cash_path, shares_path = paths
    if cash_path.size > 0:
        cash_path[bar:end], shares_path[bar:end] = fs[CASH], fs[SHARES]


@njit(cache=True, nogil=True)
def no_programs() -> tuple:
    """``walk_run``'s ``programs`` without a size or exit program."""
    return programs_of(
        np.empty((0, 2), dtype=np.int64), np.empty(0), np.empty((0, 0)), np.empty(0),
        np.empty((0, 2), dtype=np.int64), np.empty(0), np.empty((0, 0)), np.empty(0),
    )  # fmt: skip


@njit(cache=True, nogil=True)
def programs_of(size_code, size_constants, size_leaves, scale, code, constants, leaves, close):
    """``walk_run``'s ``programs``: the size program's arrays, the exit program's, and the
    series and stack both are evaluated on (one float an instruction)."""
    depth = max(size_code.shape[0], code.shape[0], 1)
    return (
        size_code, size_constants, size_leaves, scale, code, constants, leaves, close,
        np.zeros(N_SERIES), np.zeros(depth),
    )  # fmt: skip


@njit(cache=True, nogil=True)
def end_run(
    state: tuple, run: int, open_: np.ndarray, costs, fractions, setup, paths: tuple
) -> tuple:
    """After ``walk_run`` is done: ``finish`` (the last close's cash and shares then written
    into ``paths`` when kept), and the units still held appended to the closed ones.
    Returns the state (its tables grown when short)."""
    last = open_.size - 1
    state = make_room(state)
    finish(state, run, last, open_[last] if last >= 0 else 0.0, costs, fractions, setup)
    cash_path, shares_path = paths
    if cash_path.size > 0 and last >= 0:
        cash_path[last], shares_path[last] = state[0][CASH], state[0][SHARES]
    ns = state[1]
    for j in range(ns[N_HELD]):  # the units still held follow the closed ones
        state = make_room(state)
        state[3][ns[N_DONE]] = state[2][j]
        ns[N_DONE] += 1
    return state


@njit(cache=True, nogil=True)
def walk_acting(
    entries: np.ndarray,
    exits: np.ndarray,
    limits: np.ndarray,
    stops_at: np.ndarray,
    bars: tuple,
    events: tuple,
    costs: np.ndarray,
    fractions: np.ndarray,
    setup: np.ndarray,
    keep_paths: bool,
) -> tuple:
    """``walk_runs`` with corporate actions (``events`` as ``walk_run`` takes them; no size
    series nor position-aware exit: their runs are walked by ``walk_run`` from Python, which
    calls them). Returns ``walk_runs``' tuple, the corporate actions' log (rows of
    ``engine.corporate.EventLog``'s fields, run-major) and, per run, the shares its entries
    were sized for and those they filled (N × 2: ``entered``; 0 without a liquidity
    field)."""
    state = with_liquidity(new_state(setup[MAX_ENTRIES], 64), events[3])
    args = (entries, exits, limits, stops_at, bars, events, costs, fractions, setup)
    return walk_on(state, *args, keep_paths)[0]


@njit(cache=True, nogil=True)
def walk_on(
    state: tuple,
    entries: np.ndarray,
    exits: np.ndarray,
    limits: np.ndarray,
    stops_at: np.ndarray,
    bars: tuple,
    events: tuple,
    costs: np.ndarray,
    fractions: np.ndarray,
    setup: np.ndarray,
    keep_paths: bool,
) -> tuple:
    """``walk_acting`` on a book ``state`` that has no run on it (``new_state``'s, or one
    ``reset`` for another walk: a worker's book kept between runs, whose tables have the
    room of its earlier runs, so a run neither grows nor touches new memory). Returns
    (``walk_acting``'s tuple, whose tables are views of the book's: copied before the
    book is reset; the book, its tables grown)."""
    n_runs, n_bars = entries.shape
    row_counts = np.zeros(n_runs, dtype=np.int64)
    unit_counts = np.zeros(n_runs, dtype=np.int64)
    order_counts = np.zeros(n_runs, dtype=np.int64)
    shares = np.zeros((n_runs, 2))
    kept = n_runs if keep_paths else 0
    cash_path = np.empty((kept, n_bars))
    shares_path = np.empty((kept, n_bars))
    no_exit = np.empty(0, dtype=np.bool_)
    no_path = np.empty(0)
    programs = no_programs()
    for i in range(n_runs):
        ns = state[1]
        rows_before, done_before, orders_before = ns[N_ROWS], ns[N_DONE], ns[N_ORDERS]
        start_run(state, costs[0])
        paths = (cash_path[i], shares_path[i]) if keep_paths else (no_path, no_path)
        signals = (entries[i], exits[i], limits[i], stops_at[i])
        bar, need = 0, ROOM
        while need == ROOM:  # the bars until the tables are short of room, then grown
            state = make_room(state)
            bar, need = walk_run(
                state, i, bar, signals, bars, events, no_exit, costs, fractions, setup, paths,
                programs,
            )  # fmt: skip
        if need != DONE:
            raise ValueError("a size series or position exit needs walk_run's caller")
        state = end_run(state, i, bars[0], costs, fractions, setup, paths)
        ns = state[1]
        row_counts[i] = ns[N_ROWS] - rows_before
        unit_counts[i] = ns[N_DONE] - done_before
        order_counts[i] = ns[N_ORDERS] - orders_before
        shares[i, 0], shares[i, 1] = entered(state)
    ns = state[1]
    out = (
        state[4][: ns[N_ROWS]],
        row_counts,
        state[3][: ns[N_DONE]],
        unit_counts,
        state[5][: ns[N_ORDERS]],
        order_counts,
        cash_path,
        shares_path,
        state[6][: ns[N_APPLIED]],
        shares,
    )
    return out, state


@njit(cache=True, nogil=True)
def reset(state: tuple, max_entries: int, liquidity: tuple) -> tuple:
    """``state``'s tables (their rows left as they are: every row a walk reads it writes
    first) under new scalars and units, as ``new_state`` starts them, reading
    ``liquidity`` (``with_liquidity``): a book kept between walks, ready for the next."""
    fresh = new_state(max_entries, 0)
    return fresh[0], fresh[1], fresh[2], state[3], state[4], state[5], state[6], liquidity


@njit(cache=True, nogil=True, _nrt=False)
def entered(state: tuple) -> tuple:
    """(the shares the run's entries were sized for, those they filled) with a liquidity
    field (``ENTERED``, ``ENTRY_FILLED``; 0, 0 without one)."""
    fs = state[0]
    return fs[ENTERED], fs[ENTRY_FILLED]


@njit(cache=True, nogil=True)
def walk_runs(
    entries: np.ndarray,
    exits: np.ndarray,
    limits: np.ndarray,
    stops_at: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    costs: np.ndarray,
    fractions: np.ndarray,
    setup: np.ndarray,
    keep_paths: bool,
) -> tuple:
    """N runs (``entries``/``exits`` N × T; entry-order prices ``limits``/``stops_at``,
    N × T) through ``step``, run-major. Returns (fill rows, their count per run; units
    (closed ones, then the ones held at the end), their count per run; orders, their count
    per run; the cash and shares at every close, N × T, when ``keep_paths``, else 0 × T)."""
    none = np.empty(0)
    out = walk_acting(
        entries,
        exits,
        limits,
        stops_at,
        (open_, high, low, close),
        (none, none, np.nan, no_liquidity()),
        costs,
        fractions,
        setup,
        keep_paths,
    )
    return out[:8]


kernel_stamp.forget_stale(__name__, globals())
