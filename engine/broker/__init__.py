"""The broker: every fill, fee, stop, order rule and borrow charge of the engine, each
written once (docs/execution.md, "The broker"; docs/architecture.md, "Engine").

A strategy (signals, a position-aware exit, a size series) only *places* orders; the
broker fills them:

* ``engine.broker.orders`` — the entry-order types and the rule by which a pending order
  fills against a bar (the Python walks call it, the compiled kernels compile it);
* ``engine.broker.stops`` — stop-loss, take-profit and trailing stop as contingent orders
  of their trade;
* ``engine.broker.costs`` — ``fill`` (the one execute: slippage, the fee model, the size
  model and the cash limit) and the borrow fee.

Corporate actions act on the position through ``engine.corporate``. The walks that drive
the broker bar by bar are ``engine._simulate`` (market entries), ``engine.orders`` (entry
orders), ``engine._scaling`` (units) and their compiled forms ``engine._kernel`` and
``engine._order_kernel``.
"""
