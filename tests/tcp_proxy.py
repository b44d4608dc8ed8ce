"""A TCP proxy the test controls, to cut a database (or any server) off without touching it.

``TcpProxy(target_port)`` listens on a free local port and forwards every connection to
``127.0.0.1:target_port``. ``cut()`` drops every open connection and refuses new ones (what
a failover or a network cut looks like to a client: "lost connection", then "can't
connect"); ``restore()`` accepts again. Used by the outage tests and bench/fault_campaign.py;
the shared MariaDB server itself is never stopped.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from tests.stack import free_port


class TcpProxy:
    """A threaded forwarder 127.0.0.1:<port> → 127.0.0.1:<target_port> that can be cut."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._cut = False
        self.restore()

    def url_for(self, url: str) -> str:
        """``url`` (a SQLAlchemy URL to the target) pointed at the proxy instead."""
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        return parsed.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    @property
    def is_cut(self) -> bool:
        return self._cut

    def restore(self) -> None:
        """Accept and forward connections (again)."""
        with self._lock:
            self._cut = False
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones until ``restore``."""
        with self._lock:
            self._cut = True
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with suppress(OSError):
                listener.close()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by cut()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._cut:
                    client.close()
                    upstream.close()
                    continue
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
            with suppress(OSError):
                source.close()
