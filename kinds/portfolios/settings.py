"""The portfolio kind's own settings (``WorkKind.settings`` of
``kinds.portfolios.kind.PORTFOLIO``), read by config's one reader of the environment; the
web puts them into its config by name (``web.create_app``)."""

from __future__ import annotations

from config.process import Variable, positive_int

PORTFOLIO_MAX_MEMORY_MB = Variable(
    "PORTFOLIO_MAX_MEMORY_MB",
    positive_int,
    512,
    "memory (MB) a portfolio Job may use for its universe; a larger universe is refused at "
    "submission (half the consumer Job's 1 GiB limit in keda/)",
)
PORTFOLIO_MAX_ORDERS = Variable(
    "PORTFOLIO_MAX_ORDERS",
    positive_int,
    20_000,
    "orders a portfolio result lists (the first ones; counts and costs cover all)",
)

SETTINGS = (PORTFOLIO_MAX_MEMORY_MB, PORTFOLIO_MAX_ORDERS)
"""Every setting of the portfolio kind."""
