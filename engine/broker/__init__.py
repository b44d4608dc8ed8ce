"""The broker: every fill, fee, stop, order rule and borrow charge of the engine, each
written once (docs/execution.md, "The broker"; docs/architecture.md, "Engine").

A strategy (signals, a position-aware exit, a size series) only *places* orders; the
broker fills them:

* ``engine.broker.orders`` — the entry-order types and the rule by which a pending order
  fills against a bar (the Python walks call it, the compiled kernels compile it);
* ``engine.broker.stops`` — stop-loss, take-profit and trailing stop as contingent orders
  of their trade;
* ``engine.broker.costs`` — ``fill`` (the one execute: slippage, the fee model, the size
  model and the cash limit) and the borrow fee;
* ``engine.broker.jitted`` — the costs, order and stop rules compiled once (numba) from
  their one source (``engine.broker.rebind``), which every compiled walk inlines;
* ``engine.broker.step`` — the book's per-bar step compiled (numba): units as the general
  case, a single position as one unit, driven by its compiled loop ``walk_runs`` or bar by
  bar from Python (imported only by a run that walks bars: this package's ``__init__``
  does not import it).

Corporate actions act on the position through ``engine.corporate``. Every run that walks
bars (stops, a borrow fee, entry orders, a size series, a position-aware exit, corporate
actions, scaling, liquidity), whatever its size, goes through ``engine.broker.step`` (a
single position as one unit; a size series or a position-aware exit that carries a
program, ``engine.broker.program``, is evaluated inside the step, and for any other the
step returns to ``engine._scaling`` for its values). Runs that walk nothing (market
entries without stops or a borrow fee) fill vectorised or through ``engine._kernel``'s
one pass.
"""
