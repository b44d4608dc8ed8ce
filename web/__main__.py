"""``python -m web``: serve the app on $HOST:$PORT (default 127.0.0.1:5000) with a threaded
server; ``python -m web init-db``: create the database schema and say what was created.

Schema creation is the explicit operator step; serving never creates tables. Logs go to
stderr (``work.logs.configure_logging``). In containers, gunicorn serves the same factory:
``gunicorn 'web:create_app()'``.
"""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, then serve or initialise the database; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    parser.add_argument(
        "command",
        nargs="?",
        choices=("serve", "init-db"),
        default="serve",
        help="serve the app (default) or create the database schema",
    )
    args = parser.parse_args(argv)

    from web import create_app
    from web.db import get_engine, init_db
    from work.logs import configure_logging

    configure_logging()
    app = create_app()
    if args.command == "init-db":
        from sqlalchemy.exc import SQLAlchemyError

        from store.migrate import UnknownSchemaError

        try:
            print(init_db(get_engine(app)))
        except (SQLAlchemyError, UnknownSchemaError) as exc:
            print(f"init-db failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            return 1
        return 0
    host = os.environ.get("HOST") or DEFAULT_HOST
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    app.run(host=host, port=port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
