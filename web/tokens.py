"""``python -m web tokens create --name NAME [--scope admin] | list | scope --name NAME --scope
SCOPE | revoke --name NAME``: the API tokens of AUTH_MODE=token and their scopes
(``store.tokens``; ``docs/security.md``).

``create`` prints the new token on stdout, alone on its line, once: only its SHA-256 digest
is stored, so it cannot be shown again (revoke it and create another if it is lost). Notes
go to stderr, so ``TOKEN=$(python -m web tokens create --name ci)`` captures the token only.
"""

from __future__ import annotations

import sys

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from store.models import TOKEN_NAME_MAX
from store.tokens import (
    USER,
    DuplicateTokenError,
    create_token,
    list_tokens,
    revoke_token,
    set_scope,
)
from web.db import get_database
from web.present import iso_utc


def _valid_name(name: str | None) -> str | None:
    """The stripped name, or None (after saying why on stderr) when it cannot be one."""
    name = (name or "").strip()
    if not name or len(name) > TOKEN_NAME_MAX or not name.isprintable():
        print(f"tokens: --name must be 1 to {TOKEN_NAME_MAX} printable characters", file=sys.stderr)
        return None
    return name


def tokens_command(app: Flask, action: str, name: str | None, scope: str | None = None) -> int:
    """Run one ``tokens`` action on the app's database (``scope``: of ``create``, default
    "user", and the new one of ``scope``); the process's exit code (1 when the database
    cannot be read: run ``init-db`` first)."""
    try:
        return _run(app, action, name, scope)
    except SQLAlchemyError as exc:
        print(f"tokens failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1


def _run(app: Flask, action: str, name: str | None, scope: str | None) -> int:
    with get_database(app).sessionmaker() as session:
        if action == "list":
            for row in list_tokens(session):
                state = f"revoked {iso_utc(row.revoked_at)}" if row.revoked_at else "live"
                print(f"{row.name}\tcreated {iso_utc(row.created_at)}\t{row.scope}\t{state}")
            return 0
        name = _valid_name(name)
        if name is None:
            return 2
        if action == "create":
            try:
                with session.begin():
                    _, token = create_token(session, name, scope or USER)
            except DuplicateTokenError:
                print(f'tokens: a token named "{name}" exists already', file=sys.stderr)
                return 1
            print(
                f'token "{name}" ({scope or USER}) created; it is shown this once:', file=sys.stderr
            )
            print(token)
            return 0
        if action == "scope":
            if scope is None:
                print("tokens: scope needs --scope user or --scope admin", file=sys.stderr)
                return 2
            with session.begin():
                changed = set_scope(session, name, scope)
            if not changed:
                print(f'tokens: no live token named "{name}"', file=sys.stderr)
                return 1
            print(f'token "{name}" is now {scope}', file=sys.stderr)
            return 0
        with session.begin():
            revoked = revoke_token(session, name)
        if not revoked:
            print(f'tokens: no live token named "{name}"', file=sys.stderr)
            return 1
        print(f'token "{name}" revoked', file=sys.stderr)
        return 0
