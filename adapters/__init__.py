"""Adapters: everything derived from an engine result, as JSON-ready values and charts.

Curves, trade records (and CSV), the buy-and-hold benchmark (and the same at a run's
exposure), candles and signal markers, a rule's indicators on a run's window, enhanced
metrics, and PNG charts; the run report
(monthly returns, rolling risk, drawdown episodes, benchmark statistics) is imported from
``adapters.report``; and, from a rule's signals alone (no engine run), the signal analyzer
(``adapters.signal_analysis``). Pure functions: no I/O, no backtest is re-run. Outputs are
plain Python values (``None`` where a number is undefined) that ``json.dumps`` takes with
``allow_nan=False``. Importing this package does not import matplotlib; only
``render_charts`` and ``render_stored_chart`` do, when called.
"""

from adapters.benchmark import buy_and_hold
from adapters.charts import CHART_KEYS, CHART_NAMES, render_charts, render_stored_chart
from adapters.curves import drawdown_curve, equity_curve, portfolio_curve
from adapters.exposure import at_exposure
from adapters.indicators import indicator_view
from adapters.market import price_candles, signal_markers
from adapters.metrics import METRIC_KEYS, enhanced_metrics
from adapters.timestamps import iso_utc
from adapters.trades import TRADE_FIELDS, trade_records, trades_csv

__all__ = [
    "CHART_KEYS",
    "CHART_NAMES",
    "METRIC_KEYS",
    "TRADE_FIELDS",
    "at_exposure",
    "buy_and_hold",
    "drawdown_curve",
    "enhanced_metrics",
    "equity_curve",
    "indicator_view",
    "iso_utc",
    "portfolio_curve",
    "price_candles",
    "render_charts",
    "render_stored_chart",
    "signal_markers",
    "trade_records",
    "trades_csv",
]
