"""Entry orders' public table types: ``Orders`` (a run's or a batch's orders) and
``ORDER_STATUSES`` (their status names), which live in the broker's order module
(``engine.broker.orders``) and are imported from here by the adapters and results.

docs/execution.md, "Entry orders": every run with entry orders is walked by the broker's
compiled step (``engine.broker.step``).
"""

from __future__ import annotations

from engine.broker.orders import ORDER_STATUSES, Orders

__all__ = ["ORDER_STATUSES", "Orders"]
