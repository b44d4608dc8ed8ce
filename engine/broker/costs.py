"""The broker's costs: the fee model (``fee_rate``, a fixed fee, a per-share fee bounded by
``fee_min`` and ``fee_max``), slippage, the size model (``position_size`` by value or percent,
or a size series), the cash limit, and the short's borrow fee, each written once.

``fill`` is the broker's one ``execute``: close what is held at a price, then open a side,
paying slippage and the fee model, sized within the cash. The arithmetic (``ARITHMETIC``:
the fee, the affordable shares, the size series' shares, the fill) is written once, as plain
Python on floats and on the parameters as ``Costs.as_array`` lays them out (``INITIAL`` ...):
the Python walks call it as it is, the vectorised paths on numpy arrays (``ARRAYS``), and
every compiled kernel its compiled form (``engine.broker.jitted``), all built from this one
source (``engine.broker.rebind``). docs/execution.md, "The broker".
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from engine.broker.rebind import rebind
from engine.result import EXIT_REASONS

if TYPE_CHECKING:  # pragma: no cover
    from engine.params import TradingParams


# The costs array ``costs`` holds the fill step's parameters, in this order (``costs_array``).
INITIAL, SLIP, FEE_RATE, FEE_FACTOR, BY_VALUE, POSITION_SIZE, FRACTION = range(7)
FEE_FIXED, FEE_PER_SHARE, FEE_MIN, FEE_MAX, EXTRA, BORROW, CLOSE_AT_END = range(7, 14)


def extra_fees(fee_fixed: float, fee_per_share: float, fee_min: float, fee_max: float) -> bool:
    """Whether an order pays more than ``fee_rate`` × notional (a fixed or per-share fee, or
    a maximum on the latter): without, the fill step is the 1.1.0 arithmetic unchanged."""
    return bool(fee_fixed or fee_per_share or fee_min or fee_max != math.inf)


def fee_model(
    fee_fixed: float | None,
    fee_per_share: float | None,
    fee_min: float | None,
    fee_max: float | None,
) -> dict[str, float]:
    """A request's fee fields as ``Costs`` takes them: an unset (None) field charges nothing
    (``fee_max``: no maximum)."""
    return {
        "fee_fixed": fee_fixed or 0.0,
        "fee_per_share": fee_per_share or 0.0,
        "fee_min": fee_min or 0.0,
        "fee_max": math.inf if fee_max is None else fee_max,
    }


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
        fees = fee_model(params.fee_fixed, params.fee_per_share, params.fee_min, params.fee_max)
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

    @classmethod
    def sized_elsewhere(
        cls, initial_capital: float, slip: float, fee_rate: float, **fees: float
    ) -> Costs:
        """The costs of orders whose size is decided elsewhere (a portfolio's weights, a
        Python strategy's own ``size``): slippage (a fraction) and the fee model
        (``fee_model``'s fields), the size fields the broker's neutral 100 %."""
        return cls(
            initial_capital=initial_capital,
            slip=slip,
            fee_rate=fee_rate,
            fee_factor=1.0 + fee_rate,
            by_value=False,
            position_size=100.0,
            fraction=1.0,
            extra=extra_fees(**fees),
            **fees,
        )

    def as_array(self) -> np.ndarray:
        """These costs as the compiled kernels take them: the fields ``costs_array``
        names (it derives ``extra``; a size series never reaches a kernel)."""
        return costs_array(**{name: getattr(self, name) for name in _KERNEL_COSTS})

    @cached_property
    def floats(self) -> tuple[float, ...]:
        """``as_array`` as a tuple of Python floats: the ``costs`` of the arithmetic below."""
        return tuple(self.as_array().tolist())

    @property
    def by_fraction(self) -> bool:
        """Whether a size series sizes in fractions of equity (else in shares)."""
        return self.size_unit == "fraction"


def size_cap(params: TradingParams) -> float:
    if params.max_size is not None:
        return params.max_size
    return 1.0 if params.size_unit == "fraction" else math.inf


def sign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def floor(x: float) -> float:
    return float(math.floor(x))


def where(condition: bool, a: float, b: float) -> float:
    return a if condition else b


minimum, maximum = min, max
"""The few numpy functions the arithmetic below calls, for Python floats (the same IEEE
results); ``ARRAYS`` and ``engine.broker.jitted`` bind numpy's and numba's instead."""


def order_fee(n: float, price: float, costs: Sequence[float]) -> float:
    """The fee of an order of ``n`` >= 0 shares at ``price`` (docs/execution.md,
    "Commissions and fees"): ``fee_rate`` × notional, plus, when the order trades, the fixed
    fee and the per-share fee bounded by ``fee_min`` and ``fee_max``. ``costs``: the
    ``costs_array`` layout (``Costs.floats``)."""
    fee = n * price * costs[FEE_RATE]
    if costs[EXTRA] == 0.0:
        return fee
    per_share = minimum(maximum(n * costs[FEE_PER_SHARE], costs[FEE_MIN]), costs[FEE_MAX])
    return fee + where(n > 0, costs[FEE_FIXED] + per_share, 0.0)


def affordable(budget: float, price: float, costs: Sequence[float]) -> float:
    """The most whole shares whose cost and fee fit ``budget``: fee(n) grows with n, so it
    is the larger of the count with the per-share fee at least its minimum and the count
    with it at its maximum; lowered by one when rounding would overspend."""
    rate_price = price * costs[FEE_FACTOR]
    if costs[EXTRA] == 0.0:
        qty = floor(budget / rate_price)
    else:
        base = budget - costs[FEE_FIXED]
        qty = minimum(
            floor(base / (rate_price + costs[FEE_PER_SHARE])),
            floor((base - costs[FEE_MIN]) / rate_price),
        )
        if costs[FEE_MAX] < math.inf:
            qty = maximum(qty, floor((base - costs[FEE_MAX]) / rate_price))
    return qty - where(qty * price + order_fee(qty, price, costs) > budget, 1.0, 0.0)


def close_out(cash: float, shares: float, price: float, costs: Sequence[float]) -> tuple:
    """Close ``shares`` at ``price`` (slippage against them, the fee model): (fill price,
    fee, cash after)."""
    close_price = price * (1.0 - sign(shares) * costs[SLIP])
    close_fee = order_fee(abs(shares), close_price, costs)
    return close_price, close_fee, cash + shares * close_price - close_fee


def open_side(cash: float, qty: float, price: float, side: float, costs) -> tuple:
    """Open ``qty`` shares of ``side`` at the fill ``price`` (none unless ``side`` and
    ``qty`` are): (shares, fee, cash after)."""
    qty = where((side != 0) & (qty > 0), qty, 0.0)
    open_fee = order_fee(qty, price, costs)
    return qty, open_fee, cash - side * (qty * price) - open_fee


def opening_price(price: float, side: float, costs: Sequence[float]) -> float:
    """The fill price of an order opening ``side`` at ``price``: slippage against it."""
    return price * (1.0 + side * costs[SLIP])


def fill(cash: float, shares: float, price: float, side: float, costs: Sequence[float]) -> tuple:
    """The broker's one execute: close ``shares`` at ``price``, then open ``side`` sized by
    ``position_size`` (by value: min(position_size, cash); in percent: that share of the
    cash) within the cash. Returns (close_price, close_fee, open_price, qty, open_fee, cash
    after). Floats here; numpy arrays through ``ARRAYS``; compiled through
    ``engine.broker.jitted``."""
    close_price, close_fee, cash_flat = close_out(cash, shares, price, costs)
    open_price = opening_price(price, side, costs)
    if costs[BY_VALUE] != 0.0:
        budget = minimum(costs[POSITION_SIZE], cash_flat)
    else:
        budget = cash_flat * costs[FRACTION]
    qty = affordable(budget, open_price, costs)
    qty, open_fee, after = open_side(cash_flat, qty, open_price, side, costs)
    return close_price, close_fee, open_price, qty, open_fee, after


def sized(
    size: float,
    cash_flat: float,
    price: float,
    equity: float,
    by_fraction: bool,
    cap: float,
    costs: Sequence[float],
) -> float:
    """The shares of an opening order sized by a size series' value ``size`` on the signal
    bar (docs/execution.md, "Position size as an expression"): a fraction f
    (``by_fraction``) buys what the budget cash × min(f, ``cap``) pays for (fees included,
    as ``position_size`` in percent), or, given the ``equity`` (not NaN: a unit added to a
    long), min(cash, equity × min(f, cap)); a share count n buys floor(min(n, cap)) shares,
    fewer when cash cannot pay for them with their fee. An undefined (NaN) or non-positive
    size opens nothing."""
    if not (size > 0.0 and cash_flat > 0.0):
        return 0.0
    if by_fraction:
        part = minimum(size, cap)
        budget = cash_flat * part if equity != equity else minimum(cash_flat, equity * part)
        return affordable(budget, price, costs)
    return minimum(floor(minimum(size, cap)), affordable(cash_flat, price, costs))


ARITHMETIC = (order_fee, affordable, close_out, open_side, opening_price, fill, sized)
"""The arithmetic above, which ``ARRAYS`` and ``engine.broker.jitted`` rebuild with other
names for ``sign`` ... (``engine.broker.rebind``): one source."""

ARRAYS = rebind(
    ARITHMETIC,
    {"sign": np.sign, "floor": np.floor, "where": np.where, "minimum": np.minimum,
     "maximum": np.maximum},
)  # fmt: skip
"""The arithmetic on numpy arrays (many runs' fills at once): ``ARRAYS["fill"]`` ..."""


def borrow_charge(shares: float, close: float, rate: float) -> float:
    """The borrow fee of ``shares`` held at a close after that close's fills (carried into
    the next bar): a short pays ``rate`` (``borrow_rate`` / bars per year) of its value at
    that close; a long pays none (docs/execution.md, "Short borrow fee"). Every walk charges
    it after the close's fills: an ``on_close`` short pays at the close it is sold at, not at
    the one it is bought back at."""
    return abs(shares) * close * rate if shares < 0.0 else 0.0


_CHARGED_AT_EXIT = tuple(
    EXIT_REASONS.index(name) for name in ("liquidation", "end", "closed_at_end", "delisted")
)
"""Exit reasons whose exit bar's close was charged the borrow fee (``held_borrow``)."""


def held_borrow(
    charges: np.ndarray, entry_bar: np.ndarray, exit_bar: np.ndarray, reason: np.ndarray
) -> np.ndarray:
    """The borrow fee of each trade of a single position: the sum (numpy's, pairwise) of
    the run's ``charges`` (its borrow fee at every close) at the closes it was held. A trade
    is charged from its entry bar up to the bar before its exit fill; one held at the end,
    closed at the end, liquidated or delisted, through its exit bar (that close was
    charged)."""
    through = np.isin(reason, _CHARGED_AT_EXIT)
    spans = zip(entry_bar.tolist(), (exit_bar + through).tolist(), strict=True)
    return np.array([float(charges[a:b].sum()) for a, b in spans], dtype=np.float64)


def signal_equity(cash: float, shares: float, close: float, rate: float, on_close: bool) -> float:
    """The equity a size series reads at its signal bar's close: cash + position × close,
    less the borrow fee the short held pays at that close (``borrow_charge``), except with
    ``on_close`` orders, whose fills at that close come before the fee."""
    charge = 0.0
    if rate != 0.0 and not on_close:
        charge = borrow_charge(shares, close, rate)
    return cash - charge + shares * close
