"""What each built-in metric is, and how the figures a quant compares it with differ: the
hover note of a metric's label on the run page and the table of docs/execution.md
("Compared with backtesting.py and quantstats").

Each note says our definition first, then backtesting.py's (0.6, ``compute_stats``) and
quantstats' where they differ; "the same" where a peer's equals ours. B is the bars per
year (252 for daily equity bars).
"""

from __future__ import annotations

NOTES: dict[str, str] = {
    "total_return_pct": (
        "(final equity / initial capital - 1) x 100; an open trade is marked at the last "
        "close. backtesting.py and quantstats: the same."
    ),
    "benchmark_return_pct": (
        "Buy & hold 100% invested, from the window's first close to its last. backtesting.py "
        "starts its buy & hold after the indicators' warm-up bars."
    ),
    "benchmark_exposed_return_pct": (
        "Buy & hold at the run's average exposure: that share of the capital held, the rest "
        "in cash. No peer reports it."
    ),
    "cagr_pct": (
        "(final / initial)^(365.25 / calendar days from first to last bar) - 1, as "
        "backtesting.py's CAGR. quantstats counts years as bars / 252."
    ),
    "sharpe_ratio": (
        "Arithmetic mean / sample std (ddof 1) of bar returns x sqrt(B), risk-free 0; "
        "quantstats: the same. backtesting.py divides its geometric annual return by its "
        "geometric annual volatility."
    ),
    "psr": (
        "Probability that the true Sharpe ratio is above 0, given the bar returns' count, "
        "skewness and kurtosis (Bailey & Lopez de Prado). backtesting.py has none."
    ),
    "sortino_ratio": (
        "mean(r) / sqrt(mean(min(r, 0)^2)) x sqrt(B) (empyrical's; quantstats: the same). "
        "backtesting.py puts its geometric annual return over the same downside deviation."
    ),
    "calmar_ratio": (
        "CAGR / max drawdown (quantstats: the same). backtesting.py divides its geometric "
        "annual return by the max drawdown."
    ),
    "max_drawdown_pct": (
        "The largest fall from a running equity peak, in percent. backtesting.py and "
        "quantstats: the same."
    ),
    "max_drawdown_duration_days": (
        "The longest peak-to-recovery span in calendar days; an unrecovered one runs to the "
        "last bar, as backtesting.py's."
    ),
    "volatility_pct": (
        "Sample std (ddof 1) of bar returns x sqrt(B) x 100 (quantstats: the same). "
        "backtesting.py annualises geometrically from the mean and variance of daily returns."
    ),
    "num_trades": (
        "Round trips opened, one still open at the end included. backtesting.py counts "
        "closed trades only, unless finalize_trades closes the open one on the last bar; "
        "close_open_trades_at_end does the same here."
    ),
    "win_rate_pct": (
        "Closed trades with a profit / closed trades x 100. backtesting.py: the same over its "
        "closed trades."
    ),
    "profit_factor": (
        "Gross profit / gross loss of closed trades, in currency. backtesting.py sums the "
        "trades' returns in percent instead; quantstats sums bar returns."
    ),
    "avg_trade_return_pct": (
        "Arithmetic mean of closed trades' returns. backtesting.py's Avg. Trade is their "
        "geometric mean (its Expectancy is the arithmetic one)."
    ),
    "best_trade_pct": "The best closed trade's return, in percent, as backtesting.py's.",
    "worst_trade_pct": "The worst closed trade's return, in percent, as backtesting.py's.",
    "exposure_pct": (
        "Bars holding a position after their fills / all bars x 100 (Time in market). "
        "backtesting.py's Exposure Time also counts each trade's exit bar."
    ),
    "avg_exposure_pct": (
        "Time-weighted average of |position value| / equity at each close, x 100: how much "
        "of the capital was at work. No peer reports it."
    ),
}
"""Each built-in metric's note, by key (``metrics.registry.METRICS``; a test keeps both
lists equal)."""


REPORT_NOTES: dict[str, str] = {
    "omega_ratio": (
        "Sum of the bar returns above 0 / minus the sum of those below, threshold 0. "
        "quantstats and empyrical: the same."
    ),
    "smart_sharpe": (
        "The Sharpe ratio with its std multiplied by the autocorrelation penalty "
        "sqrt(1 + 2 x sum over k of (n - k) / n x |lag-1 autocorrelation|^k). "
        "quantstats: the same."
    ),
    "gain_to_pain_ratio": (
        "Sum of daily returns / |sum of the losing days' returns| (Schwager's, a day's "
        "return the sum of its bars'). quantstats: the same; Schwager sums months."
    ),
    "tail_ratio": (
        "|95th percentile| / |5th percentile| of bar returns (linear interpolation). "
        "quantstats and empyrical: the same."
    ),
    "var_95_pct": (
        "Historical one-bar value at risk: the 5th percentile of bar returns, in percent "
        "(empyrical's). quantstats' is parametric: mean + std x the normal 5% quantile."
    ),
    "cvar_95_pct": (
        "Mean of the worst floor((n - 1) x 0.05) + 1 bar returns, in percent (empyrical's). "
        "quantstats' is parametric by default: the normal expected shortfall."
    ),
    "ulcer_index_pct": (
        "sqrt(sum of squared drawdowns below the running peak / (bar returns - 1)) x 100. "
        "quantstats: the same, as a fraction."
    ),
    "avg_drawdown_pct": (
        "Mean depth of every drawdown episode, an unrecovered one included. quantstats' "
        "Avg. Drawdown: the same, but none for a curve under water from first bar to last."
    ),
    "kelly_pct": (
        "p - (1 - p) / b over closed trades' profit in currency, p the win rate, b average "
        "win / average loss, as backtesting.py's. quantstats uses bar returns, zeros left out."
    ),
    "sqn": (
        "Van Tharp's System Quality Number: sqrt(N) x mean / sample std of N closed trades' "
        "profit in currency, as backtesting.py's. quantstats has none."
    ),
    "win_month_pct": (
        "Calendar months (UTC) with a gain / months with a non-zero return x 100, each "
        "compounded from its bars. quantstats' win rate by month: the same."
    ),
    "win_year_pct": (
        "Calendar years (UTC) with a gain / years with a non-zero return x 100. quantstats' "
        "win rate by year: the same."
    ),
    "best_day_pct": (
        "The best calendar day's compounded return. quantstats' best (its bar's, equal "
        "for daily bars)."
    ),
    "worst_day_pct": (
        "The worst calendar day's compounded return. quantstats' worst (its bar's, equal "
        "for daily bars)."
    ),
    "best_month_pct": "The best calendar month's compounded return. quantstats: the same.",
    "worst_month_pct": "The worst calendar month's compounded return. quantstats: the same.",
    "best_year_pct": "The best calendar year's compounded return. quantstats: the same.",
    "worst_year_pct": "The worst calendar year's compounded return. quantstats: the same.",
    "total_fees": (
        "What the trades paid the broker, in currency: entry and exit fees (rate, fixed and "
        "per-share) plus the short borrow fee, the open trade's entry fee included. "
        "backtesting.py's Commissions [$]: closed trades only, no borrow fee."
    ),
}
"""Each report-depth metric's note, by key (``metrics.registry.REPORT_METRICS``; a test keeps
both lists equal): its definition and how quantstats', empyrical's or backtesting.py's
differs."""


PORTFOLIO_NOTES: dict[str, str] = {
    "num_orders": (
        "Orders filled over the window, sells and buys (a sweep's or a study's Trades column "
        "of a portfolio counts the same). No peer reports it."
    ),
    "num_rebalances": (
        "Closes that decided a rebalance: the scheduled ones (the window's first included) "
        "and those a drift threshold triggered. A portfolio of rules: the closes whose "
        "entries or exits gave at least one order."
    ),
    "fees_paid": "The fees of every order, in the capital's currency (fee rate x traded value).",
    "turnover_pct": (
        "Traded value / the portfolio value the orders were sized from, summed over the "
        "rebalances, in %: 100 % is the whole book traded once."
    ),
    "annual_turnover_pct": "Turnover per year of the window (turnover / (bars / B)), in %.",
    "avg_cash_pct": (
        "Mean share of the value held in cash at the closes (1 - the sum of the weights; "
        "a long-short book's short proceeds count as cash)."
    ),
}


def note(key: str) -> str:
    """The note of metric ``key``, a report-depth or a portfolio one too (empty for a
    registered metric without one)."""
    return NOTES.get(key) or REPORT_NOTES.get(key) or PORTFOLIO_NOTES.get(key, "")


__all__ = ["NOTES", "PORTFOLIO_NOTES", "REPORT_NOTES", "note"]
