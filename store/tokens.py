"""API tokens: create, find, list and revoke them (AUTH_MODE=token; ``docs/security.md``).

A token is ``bt_`` + 43 URL-safe characters of ``secrets.token_urlsafe`` (256 bits). Only
its SHA-256 hex digest is stored; the token itself exists once, in ``create_token``'s answer.
A presented token is found by its digest and the match confirmed in constant time. A token
has a scope (``SCOPES``): "user" or "admin" (``web.ownership``). Functions take the caller's
session and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import ApiToken, utcnow

TOKEN_PREFIX = "bt_"
"""Every token starts with this (so a leaked one is recognisable in logs and scanners)."""

TOKEN_BYTES = 32
"""Random bytes in a token (256 bits of entropy)."""

USER, ADMIN = "user", "admin"
SCOPES = (USER, ADMIN)
"""A token's scopes: a "user" sees and manages its own rows and reads the shared ones; an
"admin" sees and manages every row (docs/security.md "Tenancy")."""


class DuplicateTokenError(ValueError):
    """A token with this name exists already (revoked names stay taken)."""


def hash_token(token: str) -> str:
    """The stored form of ``token``: its SHA-256 digest in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str, scope: str = USER) -> tuple[ApiToken, str]:
    """Add a token named ``name`` of ``scope`` (one of ``SCOPES``; flushed at once); its row
    and the token, which is not stored anywhere and cannot be shown again.

    :raise DuplicateTokenError: the name is taken.
    :raise ValueError: ``scope`` is not one of ``SCOPES``.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    row = ApiToken(name=name, token_hash=hash_token(token), scope=scope, created_at=utcnow())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise DuplicateTokenError(name) from None
    return row, token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live (not revoked) token row ``token`` belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.token_hash, digest) else None


def get_live_token(session: Session, token_id: int) -> ApiToken | None:
    """The token with this id unless it is revoked (a signed-in session names its token by
    id, so revoking the token ends the session too)."""
    row = session.get(ApiToken, token_id)
    return row if row is not None and row.revoked_at is None else None


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)).all())


def set_scope(session: Session, name: str, scope: str) -> bool:
    """Give the live token named ``name`` the scope ``scope`` (its sessions and bearer
    requests have it from their next request); False if there is no such live token.

    :raise ValueError: ``scope`` is not one of ``SCOPES``.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    row = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None or row.revoked_at is not None:
        return False
    row.scope = scope
    return True


def revoke_token(session: Session, name: str) -> bool:
    """Revoke the live token named ``name``; False if there is none."""
    row = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
