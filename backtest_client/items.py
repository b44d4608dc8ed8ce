"""``Item``: a handle on one submitted thing of any kind, by its resource name (``toys``,
``portfolios``…) and id: its status document at ``/api/<resource>/<id>`` and ``wait``.
The client learns what kinds the platform has from ``GET /api/kinds`` (``Client.kinds``)
and needs no code of its own for a new one (docs/client.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backtest_client.polling import Handle

if TYPE_CHECKING:
    from backtest_client.transport import Transport

FINISHED = ("SUCCEEDED", "FAILED", "CANCELLED")
"""The statuses a work item stops changing in."""


class Item(Handle):
    """One item of ``resource`` on the platform, by ``item_id``. ``wait`` polls until it
    has finished; ``last`` is its latest status document (``item["status"]`` reads it)."""

    FINISHED = FINISHED
    NOUN = "item"

    def __init__(self, http: Transport, resource: str, item_id: str) -> None:
        super().__init__(http, item_id)
        self.resource = resource
        self.item_id = item_id

    @property
    def status_url(self) -> str:
        return f"/api/{self.resource}/{self.item_id}"

    @property
    def what(self) -> str:
        return f"{self.resource} {self.item_id}"

    def wait(self, timeout: float | None = None, poll: float = 1.0) -> Item:
        """Poll until SUCCEEDED; this handle (``item["status"]``, ``item.last``: its final
        status document).

        :raise ItemFailed: it FAILED or was CANCELLED (its error message).
        :raise WaitTimeout: not finished after ``timeout`` seconds (None: no limit).
        """
        self._wait_succeeded(timeout, poll)
        return self
