"""``python -m web``: serve the app on $HOST:$PORT (default 127.0.0.1:5000) with a threaded
server; ``python -m web init-db``: create the database schema and say what was created;
``python -m web tokens create --name NAME [--scope admin] | list | scope --name NAME --scope
SCOPE | revoke --name NAME``: the API tokens of AUTH_MODE=token and their scopes
(``web.tokens``). A refused setting, or a busy port, is one ``configuration error:`` line
naming the variable and what to set, and exit code 2 (``web.startup``), never a traceback.

Schema creation is the explicit operator step; serving never creates tables. Logs go to
stderr (``work.logs.configure_logging``). In containers, gunicorn serves the same factory:
``gunicorn 'web.startup:served_app()'`` (the image's CMD), which checks the settings as
``python -m web`` does.
"""

from __future__ import annotations

import argparse
import sys

INIT_DB_RETRY_SECONDS = 2.0
NOT_READY_CODES = frozenset({2002, 2003, 2005, 2006, 2013, 1045, 1049})
"""MySQL client/server errors of a database that is not up yet (cannot connect, gone away,
users or the database not created yet by the image's first start); any other is final."""


def _not_ready(exc: Exception) -> bool:
    orig = getattr(exc, "orig", None)
    code = orig.args[0] if orig is not None and orig.args else None
    return code in NOT_READY_CODES


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m web``."""
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=("serve", "init-db", "tokens"),
        default="serve",
        help="serve the app (default), create the database schema, or manage API tokens",
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("create", "list", "scope", "revoke"),
        help="tokens: create a token (printed once), list them, change one's scope, or revoke one",
    )
    parser.add_argument("--name", help="tokens create/scope/revoke: the token's name")
    parser.add_argument(
        "--scope",
        choices=("user", "admin"),
        help="tokens create (default user) and scope: user (own and shared rows) or admin "
        "(every row)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="init-db: retry every 2 s while the database is unreachable, up to SECONDS "
        "(compose starts it beside a database still initialising; podman ignores health "
        "conditions)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then serve or initialise the database; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.command == "tokens") != (args.action is not None):
        parser.error(
            "tokens needs an action (create, list, scope or revoke); other commands take none"
        )

    from config.process import ConfigurationError, exit_code
    from web import create_app
    from web.db import get_engine, init_db
    from web.startup import check_port_free, checked_settings, serving_address
    from work.logs import configure_logging

    try:
        settings = checked_settings()
        if args.command == "serve":
            host, port = serving_address(settings)
            check_port_free(host, port)
        configure_logging(settings.log_level, settings.log_format)
        app = create_app()
    except ConfigurationError as exc:
        return exit_code(exc)
    if args.command == "tokens":
        from web.tokens import tokens_command

        return tokens_command(app, args.action, args.name, args.scope)
    if args.command == "init-db":
        import time

        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        from store.migrate import UnknownSchemaError

        deadline = time.monotonic() + args.wait
        while True:
            try:
                print(init_db(get_engine(app)))
                return 0
            except OperationalError as exc:
                if not _not_ready(exc) or time.monotonic() + INIT_DB_RETRY_SECONDS > deadline:
                    print(f"init-db failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
                    return 1
                print(f"init-db: database not reachable yet ({exc.orig})", file=sys.stderr)
                time.sleep(INIT_DB_RETRY_SECONDS)
            except (SQLAlchemyError, UnknownSchemaError) as exc:
                print(f"init-db failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
                return 1
    app.run(host=host, port=port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
