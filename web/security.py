"""The security headers of every response, set once by the app (``init_app``): pages and
JSON alike get a Content-Security-Policy that lets scripts come from this origin only (on top
of Jinja's autoescaping), ``nosniff`` and a same-origin referrer policy. A view that sets
one of them itself keeps its own value.

One exception: a blueprint this app does not write (rq-dashboard, whose pages run an inline
script) can be exempted from the CSP with ``exempt_from_csp``; it still gets the others.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""No inline or third-party script can run; no page can be framed."""

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Every response's security headers (a view's own value of one wins)."""

EXTENSION = "web.security"
"""Key in ``app.extensions`` of the names of the blueprints exempted from the CSP."""


def exempt_from_csp(app: Flask, blueprint_name: str) -> None:
    """Send no Content-Security-Policy on the responses of blueprint ``blueprint_name``
    (for a third-party UI whose pages need inline script); the other headers stay."""
    app.extensions.setdefault(EXTENSION, set()).add(blueprint_name)


def _security_headers(response: Response) -> Response:
    exempt = request.blueprint in current_app.extensions[EXTENSION]
    for name, value in SECURITY_HEADERS.items():
        if not (exempt and name == "Content-Security-Policy"):
            response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Send ``SECURITY_HEADERS`` with every response of ``app``."""
    app.extensions.setdefault(EXTENSION, set())
    app.after_request(_security_headers)
