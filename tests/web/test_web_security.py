"""web/security.py: the app sets the security headers once, on every response — pages, the
JSON API, errors and static files alike."""

from __future__ import annotations

import pytest

from web.security import SECURITY_HEADERS


@pytest.mark.parametrize(
    "path",
    [
        "/",  # a page
        "/sweeps",  # a page of the other page blueprint
        "/api/rules",  # the JSON API
        "/status/not-a-run",  # a JSON error
        "/health",  # a probe
        "/static/dashboard/common.js",  # a static file
    ],
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from disk
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
