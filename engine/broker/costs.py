"""The broker's costs: the fee model (``fee_rate``, a fixed fee, a per-share fee bounded by
``fee_min`` and ``fee_max``), slippage, the size model (``position_size`` by value or percent,
or a size series), the cash limit, and the short's borrow fee, each written once.

``fill`` is the broker's one ``execute``: close what is held at a price, then open a side,
paying slippage and the fee model, sized within the cash. It is written once for Python floats
(``xp=FloatMath``: the walks) and numpy arrays (``xp=numpy``: the vectorised paths), and the
compiled kernels take the same parameters as ``Costs.as_array`` lays them out (``INITIAL`` ...);
``engine._kernel.fill`` is its compiled form, held bit-equal to it by the differential tests
(tests/engine/test_engine_broker_differential.py). docs/execution.md, "The broker".
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine.params import TradingParams


# The costs array ``costs`` holds the fill step's parameters, in this order (``costs_array``).
INITIAL, SLIP, FEE_RATE, FEE_FACTOR, BY_VALUE, POSITION_SIZE, FRACTION = range(7)
FEE_FIXED, FEE_PER_SHARE, FEE_MIN, FEE_MAX, EXTRA, BORROW, CLOSE_AT_END = range(7, 14)


def extra_fees(fee_fixed: float, fee_per_share: float, fee_min: float, fee_max: float) -> bool:
    """Whether an order pays more than ``fee_rate`` × notional (a fixed or per-share fee, or
    a maximum on the latter): without, the fill step is the 1.1.0 arithmetic unchanged."""
    return bool(fee_fixed or fee_per_share or fee_min or fee_max != math.inf)


def costs_array(
    initial_capital: float,
    slip: float,
    fee_rate: float,
    fee_factor: float,
    by_value: bool,
    position_size: float,
    fraction: float,
    *,
    fee_fixed: float = 0.0,
    fee_per_share: float = 0.0,
    fee_min: float = 0.0,
    fee_max: float = math.inf,
    borrow: float = 0.0,
    close_at_end: bool = False,
) -> np.ndarray:
    """The fill step's parameters as the kernels take them (``INITIAL`` ...)."""
    extra = extra_fees(fee_fixed, fee_per_share, fee_min, fee_max)
    return np.array(
        [
            initial_capital,
            slip,
            fee_rate,
            fee_factor,
            float(by_value),
            position_size,
            fraction,
            fee_fixed,
            fee_per_share,
            fee_min,
            fee_max,
            float(extra),
            borrow,
            float(close_at_end),
        ]
    )


_KERNEL_COSTS = tuple(inspect.signature(costs_array).parameters)
"""The fill costs the compiled kernels take (``Costs.as_array``)."""


@dataclass(frozen=True)
class Costs:
    initial_capital: float
    slip: float
    fee_rate: float
    fee_factor: float
    by_value: bool
    position_size: float
    fraction: float
    fee_fixed: float = 0.0
    fee_per_share: float = 0.0
    fee_min: float = 0.0
    fee_max: float = math.inf
    borrow: float = 0.0
    """The borrow fee per bar: ``borrow_rate`` / bars per year (0 when shorts pay none)."""
    close_at_end: bool = False
    size_unit: str | None = None
    """How a size series sizes the orders (``TradingParams.size_unit``); None: none does."""
    max_size: float = math.inf
    """The size series' cap: ``max_size``, or 1 for a fraction and none for shares."""
    extra: bool = False
    """Whether an order pays more than ``fee_rate`` × notional (a fixed or per-share fee):
    without, the fill step is 1.1.0's arithmetic, operation for operation."""

    @classmethod
    def of(cls, params: TradingParams) -> Costs:
        fees = {
            "fee_fixed": params.fee_fixed or 0.0,
            "fee_per_share": params.fee_per_share or 0.0,
            "fee_min": params.fee_min or 0.0,
            "fee_max": math.inf if params.fee_max is None else params.fee_max,
        }
        return cls(
            initial_capital=params.initial_capital,
            slip=params.slippage_bps / 10_000.0,
            fee_rate=params.fee_rate,
            fee_factor=1.0 + params.fee_rate,
            by_value=params.size_type == "value",
            position_size=params.position_size,
            fraction=params.position_size / 100.0,
            borrow=(params.borrow_rate or 0.0) / params.annual_bars if params.borrows else 0.0,
            close_at_end=bool(params.close_at_end),
            size_unit=params.size_unit,
            max_size=size_cap(params),
            extra=extra_fees(**fees),
            **fees,
        )

    def as_array(self) -> np.ndarray:
        """These costs as the compiled kernels take them: the fields ``costs_array``
        names (it derives ``extra``; a size series never reaches a kernel)."""
        return costs_array(**{name: getattr(self, name) for name in _KERNEL_COSTS})


def size_cap(params: TradingParams) -> float:
    if params.max_size is not None:
        return params.max_size
    return 1.0 if params.size_unit == "fraction" else math.inf


class FloatMath:
    """The few numpy functions the fill step uses, for Python floats (same IEEE results)."""

    @staticmethod
    def sign(x: float) -> float:
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)

    abs = abs
    minimum = min
    maximum = max

    @staticmethod
    def floor(x: float) -> float:
        return float(math.floor(x))

    @staticmethod
    def where(condition: bool, a: float, b: float) -> float:
        return a if condition else b


def order_fee(n, price, c: Costs, xp):
    """The fee of an order of ``n`` >= 0 shares at ``price`` (docs/execution.md,
    "Commissions and fees"): ``fee_rate`` × notional, plus, when the order trades, the fixed
    fee and the per-share fee bounded by ``fee_min`` and ``fee_max``."""
    fee = n * price * c.fee_rate
    if not c.extra:
        return fee
    per_share = xp.minimum(xp.maximum(n * c.fee_per_share, c.fee_min), c.fee_max)
    return fee + xp.where(n > 0, c.fee_fixed + per_share, 0.0)


def affordable(budget, price, c: Costs, xp):
    """The most whole shares whose cost and fee fit ``budget``: fee(n) grows with n, so it
    is the larger of the count with the per-share fee at least its minimum and the count
    with it at its maximum; lowered by one when rounding would overspend."""
    rate_price = price * c.fee_factor
    if not c.extra:
        qty = xp.floor(budget / rate_price)
    else:
        base = budget - c.fee_fixed
        qty = xp.minimum(
            xp.floor(base / (rate_price + c.fee_per_share)),
            xp.floor((base - c.fee_min) / rate_price),
        )
        if c.fee_max < math.inf:
            qty = xp.maximum(qty, xp.floor((base - c.fee_max) / rate_price))
    notional = qty * price
    return qty - (notional + order_fee(qty, price, c, xp) > budget)


def fill(cash, shares, price, side, c: Costs, xp, size: float | None = None):
    """One fill, written once for floats (xp=FloatMath) and arrays (xp=numpy): close
    ``shares`` at ``price``, then open ``side``. Returns (close_price, close_fee,
    open_price, qty, open_fee, cash after). ``size`` (floats only): the value of a size
    series for the opening order (``sized``), instead of ``position_size``."""
    if xp is FloatMath and size is None and not c.extra:
        return fill_at_rate(cash, shares, price, side, c)
    close_price = price * (1.0 - xp.sign(shares) * c.slip)
    close_fee = order_fee(xp.abs(shares), close_price, c, xp)
    cash_flat = cash + shares * close_price - close_fee
    open_price = price * (1.0 + side * c.slip)
    if size is not None:
        qty = sized(size, cash_flat, open_price, c)
    else:
        budget = xp.minimum(c.position_size, cash_flat) if c.by_value else cash_flat * c.fraction
        qty = affordable(budget, open_price, c, xp)
    qty = xp.where((side != 0) & (qty > 0), qty, 0.0)
    notional = qty * open_price
    open_fee = order_fee(qty, open_price, c, xp)
    return close_price, close_fee, open_price, qty, open_fee, cash_flat - side * notional - open_fee


def fill_at_rate(cash: float, shares: float, price: float, side: float, c: Costs) -> tuple:
    """``_fill`` in floats for a fee of ``fee_rate`` alone and ``position_size`` (the fill of
    every Python walk without further costs): ``order_fee`` and ``_shares`` inlined, the
    same operations in the same order (bit for bit), without their five calls a fill."""
    close_price = price * (1.0 - (1.0 if shares > 0 else (-1.0 if shares < 0 else 0.0)) * c.slip)
    close_fee = abs(shares) * close_price * c.fee_rate
    cash_flat = cash + shares * close_price - close_fee
    open_price = price * (1.0 + side * c.slip)
    budget = min(c.position_size, cash_flat) if c.by_value else cash_flat * c.fraction
    qty = float(math.floor(budget / (open_price * c.fee_factor)))
    qty -= qty * open_price + qty * open_price * c.fee_rate > budget
    if not (side != 0 and qty > 0):
        qty = 0.0
    notional = qty * open_price
    open_fee = notional * c.fee_rate
    return close_price, close_fee, open_price, qty, open_fee, cash_flat - side * notional - open_fee


def sized(
    size: float, cash_flat: float, price: float, c: Costs, equity: float | None = None
) -> float:
    """The shares of an opening order sized by a size series' value ``size`` on the signal
    bar (docs/execution.md, "Position size as an expression"): a fraction f buys what the
    budget cash × min(f, cap) pays for (fees included, as ``position_size`` in percent),
    or, given the ``equity`` (a unit added to a long, ``engine._scaling``), min(cash,
    equity × min(f, cap)); a share count n buys floor(min(n, cap)) shares, fewer when cash
    cannot pay for them with their fee. An undefined (NaN) or non-positive size opens
    nothing."""
    if not (size > 0.0 and cash_flat > 0.0):
        return 0.0
    if c.size_unit == "fraction":
        part = min(size, c.max_size)
        budget = cash_flat * part if equity is None else min(cash_flat, equity * part)
        return affordable(budget, price, c, FloatMath)
    wanted = math.floor(min(size, c.max_size))
    return float(min(wanted, affordable(cash_flat, price, c, FloatMath)))


def borrow_charge(shares: float, close: float, rate: float) -> float:
    """The borrow fee of ``shares`` held at a close after that close's fills (carried into
    the next bar): a short pays ``rate`` (``borrow_rate`` / bars per year) of its value at
    that close; a long pays none (docs/execution.md, "Short borrow fee"). Every walk charges
    it after the close's fills: an ``on_close`` short pays at the close it is sold at, not at
    the one it is bought back at."""
    return abs(shares) * close * rate if shares < 0.0 else 0.0


def signal_equity(cash: float, shares: float, close: float, rate: float, on_close: bool) -> float:
    """The equity a size series reads at its signal bar's close: cash + position × close,
    less the borrow fee the short held pays at that close (``borrow_charge``), except with
    ``on_close`` orders, whose fills at that close come before the fee."""
    charge = 0.0
    if rate and not on_close:
        charge = borrow_charge(shares, close, rate)
    return cash - charge + shares * close
