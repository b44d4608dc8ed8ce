"""The compiled walk of a rebalancing portfolio (numba): ``engine.portfolio.simulate``'s
walk without forced closes, corporate actions, a cash rate or a borrow fee, operation for
operation, so its numbers equal the Python walk's bit for bit
(tests/engine/test_portfolio_compiled.py).

Every order's fee and a cut buy's whole shares are the broker's compiled ``order_fee`` and
``affordable``, a liquid fill's price the broker's ``impact_fraction`` and
``liquidity_price`` (``engine.broker.jitted``); sums of a row of tickers are numpy's
pairwise sums (``engine._pairwise``), as the Python walk's ``sum`` adds them. Imported only
when a caller asks for it (``simulate_portfolio``'s ``compiled``: a capacity curve's
books); cached on disk like the other kernels and warmed with them
(``engine.compiled.warm``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine import kernel_stamp
from engine._pairwise import pairwise
from engine.broker import jitted
from engine.broker.costs import EXTRA

ORDER, LIQUIDATION = 0, 1
"""An order row's kind: a rebalance's (or a carried remainder's) fill; a bust's sale."""
_fee, _affordable = jitted.order_fee, jitted.affordable
_impact, _priced = jitted.impact_fraction, jitted.liquidity_price


@njit(cache=True, nogil=True)
def _grown(rows: np.ndarray, count: int, more: int) -> np.ndarray:
    """``rows`` with room for ``more`` rows after its first ``count`` (doubled as needed)."""
    if count + more <= rows.shape[0]:
        return rows
    bigger = np.empty((max(2 * rows.shape[0], count + more), rows.shape[1]), dtype=rows.dtype)
    bigger[:count] = rows[:count]
    return bigger


@njit(cache=True, nogil=True)
def _supersede(records, n_records, open_bar, ordered, filled, pending, last) -> tuple:
    """Close the record of every rebalance order still open, ``last`` the last bar it could
    fill on, and drop the remainders (``simulate._Fills.supersede``); (records, count)."""
    records = _grown(records, n_records, open_bar.size)
    for j in range(open_bar.size):
        if open_bar[j] >= 0:
            records[n_records, 0], records[n_records, 1] = open_bar[j], j
            records[n_records, 2], records[n_records, 3] = ordered[j], filled[j]
            records[n_records, 4] = last
            n_records += 1
        open_bar[j] = -1
        pending[j] = 0
    return records, n_records


@njit(cache=True, nogil=True, inline="always")
def _clip(x: float, low: float, high: float) -> float:
    """numpy's ``clip`` of one float: max(x, low) then min(that, high), each keeping its
    first operand when it is NaN and the second when the comparison fails (a NaN bound)."""
    if x == x:
        x = x if x > low else low
    if x == x:
        x = x if x < high else high
    return x


@njit(cache=True, nogil=True)
def walk_rebalance(
    open_,
    close,
    targets,
    scheduled,
    mark,
    costs,
    floats,
    bust_at,
    liquid,
    priced,
    model,
    allowed,
    cap,
    volume,
    sigma,
    adv,
    half,
):
    """The walk of ``engine.portfolio.simulate._simulate`` (no forced closes, corporate
    actions, cash rate or borrow fee). ``floats``: slippage, min_trade, max_leverage, drift
    threshold (NaN: none), capital, price_impact, impact_k. ``bust_at``: the close where the
    book goes bust (-1: not known). Liquid inputs (T, N) are read only when ``liquid``.
    Returns (shares (T, N), cash (T,), decisions (T,), turnover (T,), order ints (K, 4):
    bar, asset, signed shares, kind; order floats (K, 3): price, fee, value; records (R, 5):
    bar, asset, ordered, filled, last; bust bar (-1: none), written off)."""
    slippage, min_trade, leverage, drift_limit, capital = (
        floats[0],
        floats[1],
        floats[2],
        floats[3],
        floats[4],
    )
    price_impact, impact_k = floats[5], floats[6]
    n_bars, n_assets = close.shape
    now_shares = np.zeros(n_assets, dtype=np.int64)
    now_cash = capital
    shares_out = np.zeros((n_bars, n_assets), dtype=np.int64)
    cash_out = np.zeros(n_bars)
    decisions = np.zeros(n_bars, dtype=np.bool_)
    turnover = np.zeros(n_bars)
    ints = np.empty((max(4 * n_assets, 16), 4), dtype=np.int64)
    reals = np.empty((ints.shape[0], 3))
    count = 0
    records = np.empty((max(2 * n_assets, 16), 5), dtype=np.int64)
    n_records = 0
    pending = np.zeros(n_assets, dtype=np.int64)
    open_bar = np.full(n_assets, -1, dtype=np.int64)
    ordered = np.zeros(n_assets, dtype=np.int64)
    filled = np.zeros(n_assets, dtype=np.int64)
    bust_bar = -1
    written_off = 0.0
    # scratch rows, allocated once
    nodes, left = np.empty((3, 64), dtype=np.int64), np.empty(64)
    worth = np.empty(n_assets)
    price = np.empty(n_assets)
    tradable = np.empty(n_assets, dtype=np.bool_)
    weights = np.empty(n_assets)
    sells = np.empty(n_assets, dtype=np.int64)
    sell_n = np.empty(n_assets, dtype=np.int64)
    buys = np.empty(n_assets, dtype=np.int64)
    buy_n = np.empty(n_assets, dtype=np.int64)
    keys = np.empty(n_assets)
    candidates = np.empty(n_assets, dtype=np.int64)
    # per order of a fill bar: sells then buys
    s_px = np.empty(n_assets)
    s_fee = np.empty(n_assets)
    b_px = np.empty(n_assets)
    b_fee = np.empty(n_assets)
    b_cost = np.empty(n_assets)
    slipped = np.empty(n_assets)
    wanted_s = np.empty(n_assets, dtype=np.int64)
    wanted_b = np.empty(n_assets, dtype=np.int64)
    traded = np.empty(2 * n_assets)

    last_row = -1  # the decision bar whose targets were traded last
    start = 0
    at = 0  # scheduled[at] is the first decision bar >= start
    while True:
        while at < scheduled.size and scheduled[at] < start:
            at += 1
        nxt = scheduled[at] if at < scheduled.size else -1
        stop = n_bars - 1 if nxt < 0 else nxt
        waiting = False
        if liquid:
            for j in range(n_assets):
                if pending[j] != 0:
                    waiting = True
                    break
        event = start + 1 if waiting and start + 1 < n_bars else -1
        if event >= 0:
            stop = min(stop, event)
        drift = -1
        if last_row >= 0 and drift_limit == drift_limit and stop > start and not waiting:
            for t in range(start, stop):
                for j in range(n_assets):
                    worth[j] = mark[t, j] * now_shares[j]
                equity = now_cash + pairwise(worth, 0, n_assets, 0, 0.0, nodes, left)
                hit = False
                for j in range(n_assets):
                    w = worth[j] / equity if equity > 0 else 0.0
                    if abs(w - targets[last_row, j]) > drift_limit:
                        hit = True
                        break
                if hit:
                    drift = t
                    break
        carry = False
        if drift >= 0:
            bar, row = drift, last_row
        elif nxt >= 0 and (event < 0 or nxt < event):
            bar, row = nxt, nxt
            last_row = nxt
        elif event >= 0:
            bar, row = event, -1
            carry = True
        else:
            bar, row = n_bars - 1, -1
        end = bar if carry else bar + 1
        # hold bars start..end-1 (no cash rate, no borrow fee: the cash stays)
        for t in range(start, end):
            cash_out[t] = now_cash
            for j in range(n_assets):
                shares_out[t, j] = now_shares[j]
        if start <= bust_at < end:
            # the bust at that close: every holding closed there, the deficit written off
            k = 0
            for j in range(n_assets):
                if now_shares[j] != 0:
                    k += 1
            ints = _grown(ints, count, k)
            reals = _grown(reals, count, k)
            for j in range(n_assets):
                if now_shares[j] == 0:
                    continue
                signed = -now_shares[j]
                px = mark[bust_at, j]
                fee = _fee(abs(signed), px, costs)
                value = signed * px
                now_cash -= value + fee
                ints[count, 0], ints[count, 1] = bust_at, j
                ints[count, 2], ints[count, 3] = signed, LIQUIDATION
                reals[count, 0], reals[count, 1], reals[count, 2] = px, fee, value
                count += 1
            written_off = -now_cash
            now_cash = 0.0
            now_shares[:] = 0
            shares_out[bust_at:] = 0
            cash_out[bust_at:] = 0.0
            bust_bar = bust_at
            break
        if row < 0 and not carry:
            break
        fill_bar = bar if carry else bar + 1
        if not carry:
            decisions[bar] = True
        for j in range(n_assets):
            tradable[j] = np.isfinite(close[fill_bar, j])
            price[j] = open_[fill_bar, j] if tradable[j] else mark[fill_bar - 1, j]
        n_sells = 0
        n_buys = 0
        if carry:
            for j in range(n_assets):
                worth[j] = now_shares[j] * price[j]
            value = now_cash + pairwise(worth, 0, n_assets, 0, 0.0, nodes, left)
            k = 0
            for j in range(n_assets):
                if pending[j] != 0 and tradable[j]:
                    candidates[k] = j
                    keys[k] = pending[j] * price[j]
                    k += 1
            if value > 0 and k:
                order = np.argsort(keys[:k], kind="mergesort")
                for m in range(k):
                    j = candidates[order[m]]
                    if pending[j] < 0:
                        sells[n_sells], sell_n[n_sells] = j, -pending[j]
                        n_sells += 1
                    elif pending[j] > 0:
                        buys[n_buys], buy_n[n_buys] = j, pending[j]
                        n_buys += 1
            else:
                start = fill_bar
                continue
            floor_trade = 0.0
        else:
            if liquid:  # the orders still open end on this fill bar's eve
                records, n_records = _supersede(
                    records, n_records, open_bar, ordered, filled, pending, fill_bar - 1
                )
            for j in range(n_assets):
                worth[j] = now_shares[j] * price[j]
            value = now_cash + pairwise(worth, 0, n_assets, 0, 0.0, nodes, left)
            start = fill_bar
            if not value > 0:
                continue
            capped = False
            if liquid:
                for j in range(n_assets):
                    if np.isfinite(cap[fill_bar, j]):
                        capped = True
                        break
            k = 0
            for j in range(n_assets):
                w = targets[row, j] * value
                if capped and tradable[j]:
                    most = cap[fill_bar, j] * price[j]
                    w = _clip(w, -most, most)
                weights[j] = w
                if tradable[j]:
                    order_value = w - now_shares[j] * price[j]
                    if min_trade > 0 and not abs(order_value) >= min_trade * value:
                        continue
                    candidates[k] = j
                    keys[k] = order_value
                    k += 1
            order = np.argsort(keys[:k], kind="mergesort")
            for m in range(k):
                j = candidates[order[m]]
                delta = weights[j] / price[j] - now_shares[j]
                if delta <= -1.0:
                    sells[n_sells], sell_n[n_sells] = j, np.int64(math.floor(-delta))
                    n_sells += 1
                elif delta >= 1.0:
                    buys[n_buys], buy_n[n_buys] = j, np.int64(math.floor(delta))
                    n_buys += 1
            if liquid:
                for m in range(n_sells):
                    j = sells[m]
                    open_bar[j], ordered[j], filled[j] = fill_bar, -sell_n[m], 0
                for m in range(n_buys):
                    j = buys[m]
                    open_bar[j], ordered[j], filled[j] = fill_bar, buy_n[m], 0
            floor_trade = min_trade
        # the fill bar's trade: sells, then buys cut to the cash above the floor
        cash = now_cash
        for m in range(n_sells):
            wanted_s[m] = sell_n[m]
            s_px[m] = price[sells[m]] * (1.0 - slippage)
        if liquid:
            kept = 0
            for m in range(n_sells):
                j = sells[m]
                take, px = _limit(
                    fill_bar, j, sell_n[m], s_px[m], -1.0, priced, model, price_impact,
                    impact_k, allowed, volume, sigma, adv, half,
                )  # fmt: skip
                if take > 0:
                    pending[j] = -(wanted_s[m] - take)
                    sells[kept], sell_n[kept], s_px[kept] = j, take, px
                    kept += 1
                else:
                    pending[j] = -wanted_s[m]
            n_sells = kept
        extra = costs[EXTRA] != 0.0
        kept = 0
        for m in range(n_sells):
            fee = _fee(sell_n[m], s_px[m], costs)
            if extra and not (sell_n[m] * s_px[m] >= fee):
                if liquid:
                    pending[sells[m]] = 0
                continue
            sells[kept], sell_n[kept], s_px[kept], s_fee[kept] = sells[m], sell_n[m], s_px[m], fee
            kept += 1
        n_sells = kept
        for m in range(n_sells):
            cash += sell_n[m] * s_px[m] - s_fee[m]
        floor = -(leverage - 1.0) * value if leverage > 1 else 0.0
        for m in range(n_buys):
            wanted_b[m] = buy_n[m]
            b_px[m] = price[buys[m]] * (1.0 + slippage)
        if liquid:
            for m in range(n_buys):
                j = buys[m]
                slipped[m] = b_px[m]
                take, px = _limit(
                    fill_bar, j, buy_n[m], b_px[m], 1.0, priced, model, price_impact,
                    impact_k, allowed, volume, sigma, adv, half,
                )  # fmt: skip
                buy_n[m], b_px[m] = take, px
                pending[j] = wanted_b[m] - take
        covered = n_buys  # the buys before the first whose running total passes the cash
        spent = 0.0  # their running total
        for m in range(n_buys):
            b_cost[m] = buy_n[m] * b_px[m]
            b_fee[m] = _fee(buy_n[m], b_px[m], costs)
            if spent + (b_cost[m] + b_fee[m]) > cash - floor:
                covered = m
                break
            spent += b_cost[m] + b_fee[m]
        if covered:
            cash -= spent
        for m in range(covered, n_buys):
            if m > covered:
                b_cost[m] = buy_n[m] * b_px[m]
                b_fee[m] = _fee(buy_n[m], b_px[m], costs)
            total = b_cost[m] + b_fee[m]
            if total > cash - floor:
                price_k, budget = b_px[m], cash - floor
                n = np.int64(_affordable(budget, price_k, costs)) if budget > 0 else 0
                if n <= 0 or n * price_k < floor_trade * value:
                    n = 0
                if liquid and priced and n > 0:
                    _, paid = _limit(
                        fill_bar, buys[m], n, slipped[m], 1.0, priced, model, price_impact,
                        impact_k, allowed, volume, sigma, adv, half,
                    )  # fmt: skip
                    price_k = paid
                    b_px[m] = paid
                buy_n[m] = n
                b_fee[m] = _fee(n, price_k, costs)
                total = n * price_k + b_fee[m]
            cash -= total
        n_traded = 0
        ints = _grown(ints, count, n_sells + n_buys)
        reals = _grown(reals, count, n_sells + n_buys)
        for m in range(n_sells + n_buys):
            if m < n_sells:
                j, signed, px, fee = sells[m], -sell_n[m], s_px[m], s_fee[m]
            else:
                b = m - n_sells
                if buy_n[b] <= 0:
                    continue
                j, signed, px, fee = buys[b], buy_n[b], b_px[b], b_fee[b]
            value_k = signed * px
            now_shares[j] += signed
            if liquid:
                filled[j] += signed
            traded[n_traded] = abs(value_k)
            n_traded += 1
            ints[count, 0], ints[count, 1] = fill_bar, j
            ints[count, 2], ints[count, 3] = signed, ORDER
            reals[count, 0], reals[count, 1], reals[count, 2] = px, fee, value_k
            count += 1
        now_cash = cash
        turnover[fill_bar] = pairwise(traded, 0, n_traded, 0, 0.0, nodes, left) / value
        start = fill_bar
    if liquid:
        last = n_bars - 1 if bust_bar < 0 else bust_bar
        records, n_records = _supersede(
            records, n_records, open_bar, ordered, filled, pending, last
        )
    return (
        shares_out,
        cash_out,
        decisions,
        turnover,
        ints[:count].copy(),
        reals[:count].copy(),
        records[:n_records].copy(),
        bust_bar,
        written_off,
    )


@njit(cache=True, nogil=True)
def _limit(
    bar, asset, n, base, side, priced, model, price_impact, impact_k, allowed, volume, sigma,
    adv, half,
):  # fmt: skip
    """(shares, price) of an order of ``n`` shares at ``base`` (slipped) a liquid bar
    fills: ``simulate._Fills._limit`` for one order."""
    take = np.int64(min(float(n), allowed[bar, asset]))
    if not priced or take <= 0:
        return take, base
    impact = _impact(
        model, price_impact, impact_k, float(take), volume[bar, asset], sigma[bar, asset],
        adv[bar, asset],
    )  # fmt: skip
    paid = _priced(base, side, impact, half[bar, asset])
    if paid != paid:  # NaN: no fill on this bar
        return np.int64(0), base
    return take, paid


kernel_stamp.forget_stale(__name__, globals())
