"""The start-up checks of the web's entry points (``python -m web``, the launcher
``scripts.local_stack`` and gunicorn's ``served_app``, the image's CMD): the settings, and
the port it will listen on, checked before anything starts, so a mistake is one line naming
the variable and what to set, never a traceback or the framework's own message.
"""

from __future__ import annotations

import errno
import socket

from config.process import ConfigurationError, exit_code

APP_LOAD_ERROR = 4
"""gunicorn's exit code of a worker whose app failed to load: its master then stops ("App
failed to load") instead of starting worker after worker on the same mistake."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def checked_settings():
    """The web's ``Settings`` read from the environment now.

    :raise ConfigurationError: one line per refused variable.
    """
    from pydantic import ValidationError

    from config.settings import configuration_error, settings_from

    try:
        return settings_from()
    except ValidationError as exc:
        raise configuration_error(exc) from None


def check_port_free(host: str, port: int) -> None:
    """Bind ``host:port`` for a moment, as the server will.

    :raise ConfigurationError: naming PORT (or HOST) and what to set when the port is
        taken or the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                other = 5001 if port != 5001 else 5002
                raise ConfigurationError(
                    [
                        f"PORT {port} on {host} is in use by another program: stop it, or set "
                        f"PORT to a free port, e.g. PORT={other} bash scripts/run-local.sh"
                    ]
                ) from None
            if exc.errno == errno.EACCES:
                raise ConfigurationError(
                    [f"PORT {port} needs privileges: set PORT to 1024 or more, e.g. PORT=5000"]
                ) from None
            raise ConfigurationError(
                [
                    f"HOST {host} cannot be bound ({exc.strerror}): set HOST to an address of "
                    "this machine, e.g. HOST=127.0.0.1"
                ]
            ) from None


def served_app():
    """The app gunicorn serves (the image's CMD names ``web.startup:served_app()``):
    ``web.create_app()``, but a refused setting is one ``configuration error:`` line per
    variable on stderr and the worker's exit with ``APP_LOAD_ERROR``, not a traceback in
    every worker's log.
    """
    try:
        checked_settings()
    except ConfigurationError as exc:
        exit_code(exc)
        raise SystemExit(APP_LOAD_ERROR) from None
    from web import create_app

    return create_app()


def serving_address(settings) -> tuple[str, int]:
    """(HOST, PORT) of the settings, with the defaults 127.0.0.1 and 5000."""
    return settings.host or DEFAULT_HOST, settings.port or DEFAULT_PORT


__all__ = [
    "APP_LOAD_ERROR",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "check_port_free",
    "checked_settings",
    "served_app",
    "serving_address",
]
