"""Which runs a request may reach (``web.ownership`` applied to runs): a run id that is
malformed, missing or not readable by the viewer is one and the same 404 ``run not found``,
so ids do not leak; a change to a run shared with the viewer is 403 read-only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinds.runs.query import is_run_id
from store.models import BacktestRun
from web.errors import ApiError
from web.ownership import check_manage, check_read


def run_not_found() -> ApiError:
    """The answer to a run id that is not there (or not the viewer's to see)."""
    return ApiError(404, "run not found")


def check_run_read(session: Session, run_id: str) -> None:
    """:raise ApiError 404: ``run_id`` is no run id, or names no run the viewer may read."""
    if not is_run_id(run_id):
        raise run_not_found()
    check_read(session, BacktestRun, run_id, run_not_found)


def check_run_manage(session: Session, run_id: str) -> None:
    """:raise ApiError 404: as ``check_run_read``; 403: the run is shared with the viewer,
    who may only read it."""
    if not is_run_id(run_id):
        raise run_not_found()
    check_manage(session, BacktestRun, run_id, run_not_found)
