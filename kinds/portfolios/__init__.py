"""Portfolio backtests as a kind of queued work: a universe of tickers on one cash ledger,
rebalanced to target weights (equal, fixed, or ranked by a strategy-language score).

``request_model`` checks a request; ``universe`` loads and aligns its files; ``compute``
turns them into a result with the pure core (``engine.portfolio``) and the metric adapters;
``state`` (a Job's plain SQL) and ``store`` (the web's queries) keep its row; ``kind`` is
its ``WorkKind``. docs/portfolios.md is the user's guide, docs/execution.md "Portfolios"
the semantics.
"""
