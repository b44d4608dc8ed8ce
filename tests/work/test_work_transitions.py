"""work/transitions.py: retrying a transaction that lost an InnoDB deadlock."""

from __future__ import annotations

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from work.transitions import retry_deadlocks


def _mysql_error(code: int) -> OperationalError:
    return OperationalError("UPDATE …", {}, pymysql.err.OperationalError(code, "message"))


def test_a_lost_deadlock_is_tried_again_until_it_commits():
    """Error 1213 twice, then success: the third attempt's value is returned."""
    calls = []

    def transaction():
        calls.append(1)
        if len(calls) < 3:
            raise _mysql_error(1213)
        return "committed"

    assert retry_deadlocks(transaction) == "committed" and len(calls) == 3


def test_other_database_errors_and_a_last_deadlock_propagate():
    """Only deadlocks/lock-wait timeouts are retried, and only so many times."""
    with pytest.raises(OperationalError):
        retry_deadlocks(lambda: (_ for _ in ()).throw(_mysql_error(2006)))
    attempts = []

    def always_deadlocks():
        attempts.append(1)
        raise _mysql_error(1205)

    with pytest.raises(OperationalError):
        retry_deadlocks(always_deadlocks, attempts=2)
    assert len(attempts) == 2
