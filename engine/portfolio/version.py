"""The portfolio core's contract version, recorded with every stored portfolio result.

Bump it whenever the numbers ``simulate_portfolio`` (or ``target_weights`` /
``rebalance_schedule``) produces for the same input could change: fills, sizing, order of
orders, fees, slippage, drift, the benchmark. On a bump, regenerate the portfolio golden
files (``python -m tests.golden --only portfolio``), review the diff and commit both together;
the golden tests fail when output changes while this stays the same.
"""

PORTFOLIO_ENGINE_VERSION = "1.6.1"
"""1.1.0: the first bar of the window is a decision on every schedule (invested from the
start, like the benchmark); risk weightings, caps, a minimum trade, a volatility target and
leverage added (their defaults leave ``equal``/``score``/``fixed`` outputs unchanged).
1.2.0: a borrow fee on short positions (``PortfolioConfig.borrow_rate``, annual, charged
at each close on the shorts' value, rate / bars per year); at its default 0 every output
is unchanged.
1.3.0: forced closes (``ForcedCloses``: a delisting, a point-in-time index's non-member
days): a holding is closed where a blocked run begins and never bought inside one; without
them (no delisted ticker in the window, no ``membership``) every output is unchanged, byte
for byte. Splits and dividends on the holdings (``PortfolioActions``: whole shares, cash in
lieu, a short charged its dividends) joined 1.3.0 before its release; without an event
meeting a holding every output is unchanged, byte for byte.
1.3.1: a risk weighting's window with fewer returns than tickers is solved on the factored
Ledoit-Wolf covariance (``engine.portfolio.covariance``): its target weights move by
rounding only (equal to 1.3.0's to 1e-12, about 3e-16 measured); the definitions and every
other output are unchanged, byte for byte.
1.4.0: a portfolio of rules (``simulate_signals``): each ticker traded by its own entry and
exit signals and stops on the one ledger, through the broker's fills; an addition, every
output of ``simulate_portfolio`` is unchanged, byte for byte.
1.5.0: the bust rule of a rebalancing portfolio (``simulate_portfolio``): when the equity
at a close is <= 0 every holding is closed at that close (no slippage, the fee), the
deficit written off (``written_off``) and the book trades no more (``bust_bar``); a buy is
never cut against cash already below its floor, and cash moves by the logged orders alone
(1.4.0 kept cash at the floor with ``max``, so a short book past 0 moved less cash than
its orders logged). Every fee model (``fee_fixed``, ``fee_per_share``, ``fee_min``,
``fee_max``) charged through the broker (``order_fee``, ``affordable``); a sale whose fee
exceeds its proceeds is not sent. A book that never reaches 0 with the fee fields at their
defaults is unchanged, byte for byte.
1.6.0: liquidity (``PortfolioConfig`` ``volume_limit``, ``slippage_model``,
``price_impact``, ``impact_k``, ``impact_window``, ``spread_bps``, ``spread_model``,
``spread_window``, ``max_adv_participation`` with ``PortfolioLiquidity`` inputs): targets
capped at a multiple of each ticker's ADV in shares, each fill on a bar limited to a share
of its volume with the remainder carried to the next opens until superseded, and the
broker's impact and half spread on the price; ``rebalance_orders`` records each order's
fate. Without a liquidity field every output is unchanged, byte for byte.
1.6.1: the spread models' logarithms and exponentials are the C library's (``engine.libm``),
the same bits on every CPU: numpy's own, taken before, differ in the last bit on a CPU with
AVX-512, and a spread estimate with them. A portfolio without ``spread_model`` is unchanged,
byte for byte; with one, unchanged on a CPU without AVX-512."""
