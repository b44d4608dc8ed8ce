"""What the portfolio core takes and returns: its configuration, orders and result."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from engine import param_specs as specs
from engine.broker.costs import Costs
from engine.params import LIQUIDITY_FIELDS as RUN_LIQUIDITY_FIELDS
from engine.params import check_liquidity, liquidity_acts
from engine.portfolio.corporate import ActionTable

MAX_LEVERAGE = 16.0
"""The highest ``PortfolioConfig.max_leverage``: holdings worth 16 times the portfolio
value (a gross exposure of 4 levered 4 times)."""


@dataclass(frozen=True)
class PortfolioConfig:
    """Capital, costs and the optional drift threshold of one portfolio simulation.

    ``fee_rate`` is charged on each order's traded value; ``slippage_bps`` moves each fill
    against the trader; ``drift_threshold`` (absolute weight, ``None`` = off) rebalances on
    a non-scheduled bar when a holding drifts that far from its last target;
    ``min_trade`` (an addition; a fraction of the portfolio value, 0 = off) skips an order
    whose value is below that share of the value it is sized from; ``max_leverage`` (an
    addition; 1 = none) lets buys borrow until the holdings are worth that many times the
    portfolio value (cash down to -(max_leverage - 1) x value); ``cash_rate`` (an
    addition; annual, 0 = none) grows cash at each close by (1 + cash_rate) ** (1 /
    ``bars_per_year``), and a negative balance (borrowed) by the same rate
    ``allow_short`` (an addition) accepts negative target weights (a long-short book; the
    absolute weights then sum to at most ``max_leverage``); ``borrow_rate`` (an addition;
    annual, 0 = none) charges the short holdings' value at each close times
    ``borrow_rate / bars_per_year`` to cash at that close; ``fee_fixed``, ``fee_per_share``,
    ``fee_min`` and ``fee_max`` (additions; 0, 0, 0 and no maximum = none) are the run's
    fee model beyond ``fee_rate``, charged on each order by the broker (``broker_costs``;
    docs/execution.md, "Portfolios"). The liquidity fields (additions; their defaults act
    not at all, ``liquid``) are the run's (``volume_limit``, ``slippage_model``,
    ``price_impact``, ``impact_k``, ``impact_window``, ``spread_bps``, ``spread_model``,
    ``spread_window``: each ticker's fills on a bar take at most ``volume_limit`` of its
    volume and pay the impact and half the spread) and ``max_adv_participation``: no target
    holding above that many times the ticker's average daily volume (of the
    ``impact_window`` bars before the fill bar), in shares.
    """

    initial_capital: float
    fee_rate: float = 0.0
    slippage_bps: float = 0.0
    drift_threshold: float | None = None
    min_trade: float = 0.0
    max_leverage: float = 1.0
    cash_rate: float = 0.0
    bars_per_year: float = 252.0
    allow_short: bool = False
    borrow_rate: float = 0.0
    fee_fixed: float = 0.0
    fee_per_share: float = 0.0
    fee_min: float = 0.0
    fee_max: float = math.inf
    volume_limit: float | None = specs.VOLUME_LIMIT.default
    slippage_model: str = specs.DEFAULT_SLIPPAGE_MODEL
    price_impact: float = specs.PRICE_IMPACT.default  # type: ignore[assignment]
    impact_k: float = specs.IMPACT_K.default  # type: ignore[assignment]
    impact_window: int = specs.IMPACT_WINDOW.default  # type: ignore[assignment]
    spread_bps: float | None = specs.SPREAD_BPS.default
    spread_model: str | None = None
    spread_window: int = specs.SPREAD_WINDOW.default  # type: ignore[assignment]
    max_adv_participation: float | None = specs.ADV_PARTICIPATION.default

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial_capital) and self.initial_capital > 0):
            raise ValueError("initial_capital: must be a finite number > 0")
        if not (math.isfinite(self.fee_rate) and 0 <= self.fee_rate < 1):
            raise ValueError("fee_rate: must be >= 0 and < 1")
        if not (math.isfinite(self.slippage_bps) and 0 <= self.slippage_bps < 10_000):
            raise ValueError("slippage_bps: must be >= 0 and < 10000")
        drift = self.drift_threshold
        if drift is not None and not (math.isfinite(drift) and 0 < drift <= 1):
            raise ValueError("drift_threshold: must be > 0 and <= 1 (or None)")
        if not (math.isfinite(self.min_trade) and 0 <= self.min_trade < 1):
            raise ValueError("min_trade: must be >= 0 and < 1")
        if not (math.isfinite(self.max_leverage) and 1 <= self.max_leverage <= MAX_LEVERAGE):
            raise ValueError(f"max_leverage: must be >= 1 and <= {MAX_LEVERAGE:g}")
        if not (math.isfinite(self.cash_rate) and -0.5 < self.cash_rate <= 1):
            raise ValueError("cash_rate: must be > -0.5 and <= 1")
        if not (math.isfinite(self.borrow_rate) and 0 <= self.borrow_rate <= 1):
            raise ValueError("borrow_rate: must be >= 0 and <= 1")
        if not (math.isfinite(self.bars_per_year) and self.bars_per_year > 0):
            raise ValueError("bars_per_year: must be > 0")
        for name in ("fee_fixed", "fee_per_share", "fee_min"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name}: must be a finite number >= 0")
        if math.isnan(self.fee_max) or self.fee_max < self.fee_min:
            raise ValueError("fee_max: must be >= fee_min (inf = no maximum)")
        self._check_liquidity()

    def _check_liquidity(self) -> None:
        """The run's liquidity fields in their domains (``engine.params.check_liquidity``:
        docs/execution.md, "Liquidity") and ``max_adv_participation`` in its."""
        check_liquidity(self)
        cap, spec = self.max_adv_participation, specs.ADV_PARTICIPATION
        if cap is not None and not (math.isfinite(cap) and spec.contains(cap)):
            raise ValueError(f"{spec.name}: {spec.message} (or None)")

    @property
    def liquid(self) -> bool:
        """Whether a liquidity field acts (a volume limit, an impact model, a spread, the
        ADV cap): the fills then read ``PortfolioLiquidity`` inputs; else every order fills
        whole at the open with ``slippage_bps`` alone, as before these fields."""
        return liquidity_acts(self) or self.max_adv_participation is not None

    def broker_costs(self) -> Costs:
        """The broker's costs of these settings (``engine.broker.costs``): the fee model
        and slippage every order of a rebalancing portfolio pays (its sizing is the
        portfolio's own, so the size fields are the broker's neutral 100 %)."""
        fees = {
            "fee_fixed": float(self.fee_fixed),
            "fee_per_share": float(self.fee_per_share),
            "fee_min": float(self.fee_min),
            "fee_max": float(self.fee_max),
        }
        slip = float(self.slippage_bps) / 10_000.0
        return Costs.sized_elsewhere(
            float(self.initial_capital), slip, float(self.fee_rate), **fees
        )


LIQUIDITY_FIELDS = (*RUN_LIQUIDITY_FIELDS, specs.ADV_PARTICIPATION.name)
"""``PortfolioConfig``'s liquidity fields, in the request's order: the run's and the ADV
cap."""

LIQUIDITY_DEFAULTS = {
    field.name: field.default
    for field in dataclasses.fields(PortfolioConfig)
    if field.name in LIQUIDITY_FIELDS
}
"""Each liquidity field's default, which acts not at all (``PortfolioConfig.liquid``)."""


@dataclass(frozen=True)
class OrderTable:
    """The fills, one row per order in execution order (fill bar, then sells before buys).

    ``bar`` is the fill bar, ``asset`` the column, ``shares`` signed (+ buy, - sell),
    ``price`` the fill price with slippage, ``fee`` the fee paid, ``value`` = shares x price
    (signed like shares; cash moves by -value - fee); ``forced`` (an addition) True for a
    forced close (``ForcedCloses``), None when the table was built without that column;
    ``reason`` (an addition, a portfolio of rules only) why each order was sent: an index
    into ``engine.result.EXIT_REASONS`` (0 = a signal, then the stops) or -1 for a forced
    close; None for a rebalancing portfolio, unless it went bust: then 0 for a rebalance's
    order, -1 for a forced close and ``liquidation`` for the bust's.
    """

    bar: np.ndarray
    asset: np.ndarray
    shares: np.ndarray
    price: np.ndarray
    fee: np.ndarray
    value: np.ndarray
    forced: np.ndarray | None = None
    reason: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.bar.size)


@dataclass(frozen=True)
class PortfolioResult:
    """Per-bar paths, the orders and the per-ticker attribution of one simulation.

    ``equity`` = cash + sum(shares x last known close) at each close; ``weights`` = each
    holding's value / equity at each close (cash = 1 - row sum); ``contribution`` = each
    ticker's P&L in currency, fees included (sums to equity[-1] - initial capital);
    ``turnover`` = traded value / the portfolio value the orders were sized from, on each
    fill bar (0 elsewhere); ``benchmark`` = the equal-weight buy-and-hold of the universe;
    ``decisions`` (addition) = True on the bars whose close decided a rebalance (scheduled
    or by drift); ``events`` (addition) = the splits and dividends that met a holding
    (``ActionTable``), None when none did; ``bust_bar`` (addition) = the close at which
    the equity reached 0 and everything was sold (the book trades no more; None: never);
    ``written_off`` (addition) = the deficit that bust absorbed, the cash below 0 after its
    liquidation (0 without one): the contributions then sum to the P&L minus it.
    """

    equity: np.ndarray
    cash: np.ndarray
    shares: np.ndarray
    weights: np.ndarray
    orders: OrderTable
    contribution: np.ndarray
    turnover: np.ndarray
    benchmark: np.ndarray
    decisions: np.ndarray
    events: ActionTable | None = None
    bust_bar: int | None = None
    written_off: float = 0.0
    rebalance_orders: RebalanceOrders | None = None


@dataclass(frozen=True)
class RebalanceOrders:
    """A liquid portfolio's rebalance orders (an addition, None without liquidity fields):
    one row per order a rebalance sent, ``bar`` its fill bar (the rebalance's), ``asset``,
    ``ordered`` its signed whole shares (after the ADV cap), ``filled`` the signed shares
    its fills took on that bar and the bars its remainder was carried to, and ``last`` the
    last bar it could fill on (the bar before the next rebalance's fill, the bust's, or the
    window's last): ``ordered - filled`` was never filled (cut by cash, not sent, or left
    when superseded, cancelled or at the end)."""

    bar: np.ndarray
    asset: np.ndarray
    ordered: np.ndarray
    filled: np.ndarray
    last: np.ndarray

    def __len__(self) -> int:
        return int(self.bar.size)
