"""Who a request is, as the per-client limits count it: the API token's name in
AUTH_MODE=token (bearer or signed-in session), else the client address (behind a proxy the
client's only when PROXY_FIX_HOPS is set). One identity for the submission rate limit
(``web.ratelimit``) and the fair shares of the queues (``web.submit``, ``work.fair``).
"""

from __future__ import annotations

from dataclasses import dataclass

from web.auth import current_user
from web.windows import client_address


@dataclass(frozen=True)
class Client:
    """The client of a request: ``key`` (``token:<name>`` or ``addr:<address>``) and the
    request field a refusal names (``Authorization`` or ``remote_addr``)."""

    key: str
    field: str


def current_client() -> Client:
    """The client this request counts against."""
    user = current_user()
    if user is not None:
        return Client(f"token:{user}", "Authorization")
    return Client(client_address(), "remote_addr")
