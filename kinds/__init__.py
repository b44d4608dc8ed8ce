"""Every kind of queued work, one package each: ``runs`` (one backtest), ``sweeps`` (a
parameter grid in chunks), ``walkforward`` (a sweep per fold, then the fold's test run).

A kind is a plugin on the work-item protocol (``work.kind.WorkKind``): its package owns its
request contract, its computation, its store functions, its ``WorkKind`` declaration and its
web blueprint; the registry (``kinds.registry``) names it once, and the consumer, the reaper,
the local scaler, the web's queues, rate limits and telemetry iterate over that registry
(docs/work-kinds.md). Kinds live under this one package so that a new kind adds a folder
here, not beside the design's top-level web/ consumer/ engine/ rules/ adapters/ data/
(docs/architecture.md).
"""
