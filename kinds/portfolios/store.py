"""Portfolio rows read and written with the ORM (the web): the INSERT of a submission, one
portfolio, the list and sharing. The Job's transition is ``kinds.portfolios.state``'s.
Nothing here commits."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import Session, defer

from store.models import Portfolio
from work.transitions import new_item

LIST_LIMIT = 100
"""Most portfolios ``GET /api/portfolios`` lists."""


def insert_portfolio(
    session: Session,
    request: dict[str, Any],
    queue: str,
    *,
    created_by: str | None,
    image_tag: str | None,
) -> None:
    """Record a validated portfolio request PENDING (its message is the request)."""
    session.add(
        Portfolio(
            portfolio_id=request["portfolio_id"],
            name=request.get("name"),
            tickers=len(request["tickers"]),
            method=request["allocation"]["method"],
            payload_json=json.dumps(request, allow_nan=False),
            **new_item(queue),
            created_by=created_by,
            image_tag=image_tag,
        )
    )
    session.flush()


def get_portfolio(session: Session, portfolio_id: str) -> Portfolio | None:
    """The portfolio, or None."""
    return session.get(Portfolio, portfolio_id)


def list_portfolios(
    session: Session, limit: int = LIST_LIMIT, visible: ColumnElement[bool] | None = None
) -> list[Portfolio]:
    """The newest portfolios first, without their results; ``visible``: the rows the viewer
    may see (``web.ownership``)."""
    return list(
        session.scalars(
            select(Portfolio)
            .options(defer(Portfolio.result_json))
            .where(true() if visible is None else visible)
            .order_by(Portfolio.created_at.desc(), Portfolio.portfolio_id.desc())
            .limit(limit)
        ).all()
    )


def set_portfolio_shared(session: Session, portfolio_id: str, shared: bool) -> bool:
    """Share the portfolio read-only (or stop) in the caller's transaction; False if there
    is no such portfolio."""
    statement = (
        update(Portfolio).where(Portfolio.portfolio_id == portfolio_id).values(shared=shared)
    )
    return session.execute(statement).rowcount == 1
