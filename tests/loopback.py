"""Serving something on a loopback port for the length of a ``with`` block: the real Flask
app (``wsgi``) or a stand-in request handler (``handler``). Yields the base URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from werkzeug.serving import make_server


@contextmanager
def _serving(server: Any) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def wsgi(app: Any) -> Any:
    """``with wsgi(app) as url``: the app behind werkzeug's threaded server."""
    return _serving(make_server("127.0.0.1", 0, app, threaded=True))


def handler(handler_class: type[BaseHTTPRequestHandler]) -> Any:
    """``with handler(Handler) as url``: a stand-in answering through ``Handler``."""
    return _serving(ThreadingHTTPServer(("127.0.0.1", 0), handler_class))
