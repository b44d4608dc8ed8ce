"""backtest_client: the stock-backtest platform from Python, over its HTTP API only.

    from backtest_client import Client

    client = Client("http://127.0.0.1:5000")          # or BACKTEST_URL / BACKTEST_TOKEN
    result = client.run("ACME", "RSI", {"period": 14, "oversold": 30, "overbought": 70},
                        "2016-01-01", "2020-12-31", fee_rate=0.001).wait()
    result.equity          # pandas Series indexed by timestamp
    result.trades          # DataFrame, one row per trade
    result.orders          # DataFrame, one row per entry order (a run with entry_order)
    result.stats           # Series: start, end, …, sharpe_ratio, max_drawdown_pct, …

    sweep = client.sweep("SMA_CROSS", {"fast": "5:50:5", "slow": "20:200:10"}, "ACME",
                         "2016-01-01", "2020-12-31").wait()
    sweep.results          # DataFrame, one row per combo: ticker, params, metrics

It imports nothing of the platform (an import-linter contract), so it installs on its own:
``python -m pip install ./backtest_client`` from the repository (docs/client.md).
"""

from backtest_client.client import Client
from backtest_client.errors import (
    BacktestAuthError,
    BacktestError,
    BacktestNotFound,
    BacktestRequestError,
    BacktestServerError,
    BacktestUnavailable,
    ItemFailed,
    RunCancelled,
    RunFailed,
    SweepFailed,
    WaitTimeout,
)
from backtest_client.items import Item
from backtest_client.portfolios import Portfolio
from backtest_client.results import Result
from backtest_client.runs import Run
from backtest_client.studies import Study
from backtest_client.sweeps import Sweep

__version__ = "0.1.0"

__all__ = [
    "BacktestAuthError",
    "BacktestError",
    "BacktestNotFound",
    "BacktestRequestError",
    "BacktestServerError",
    "BacktestUnavailable",
    "Client",
    "Item",
    "ItemFailed",
    "Portfolio",
    "Result",
    "Run",
    "RunCancelled",
    "RunFailed",
    "Study",
    "Sweep",
    "SweepFailed",
    "WaitTimeout",
    "__version__",
]
