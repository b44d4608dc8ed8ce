"""work/retry.py: a transaction is run again after a lost deadlock or a lost
connection (with backoff, for a bounded time); nothing else is retried."""

from __future__ import annotations

import pymysql
import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from work.retry import DatabaseUnavailable, retry_transaction


def _mysql_error(code: int, kind=OperationalError) -> Exception:
    return kind("UPDATE …", {}, pymysql.err.OperationalError(code, "message"))


def _failing(codes: list[int], calls: list[int]):
    """A transaction that raises the MySQL errors ``codes`` in turn, then commits."""

    def transaction() -> str:
        calls.append(1)
        if len(calls) <= len(codes):
            raise _mysql_error(codes[len(calls) - 1])
        return "committed"

    return transaction


def test_a_lost_deadlock_is_tried_again_until_it_commits():
    """Error 1213 twice, then success: the third attempt's value is returned."""
    calls: list[int] = []
    assert retry_transaction(_failing([1213, 1213], calls), sleep=lambda _: None) == "committed"
    assert len(calls) == 3


def test_a_deadlock_every_time_propagates_after_the_attempts():
    calls: list[int] = []
    with pytest.raises(OperationalError):
        retry_transaction(_failing([1205] * 5, calls), deadlock_attempts=2, sleep=lambda _: None)
    assert len(calls) == 2


def test_a_lost_connection_is_retried_with_growing_backoff_until_it_commits():
    """Gone away, lost connection, cannot connect: each is waited out, longer each time."""
    calls: list[int] = []
    sleeps: list[float] = []
    result = retry_transaction(
        _failing([2006, 2013, 2003], calls), budget_s=60, sleep=sleeps.append
    )
    assert result == "committed" and len(calls) == 4
    assert sleeps == sorted(sleeps) and sleeps[0] < sleeps[-1]


def test_a_database_that_stays_away_ends_in_database_unavailable_within_the_budget():
    calls: list[int] = []
    slept: list[float] = []
    with pytest.raises(DatabaseUnavailable) as caught:
        retry_transaction(_failing([2003] * 1000, calls), budget_s=0.2, sleep=slept.append)
    assert "database unavailable" in str(caught.value)
    assert sum(slept) <= 0.2 and len(calls) >= 1


def test_a_bad_statement_is_not_retried():
    """A programming error is the caller's bug, never a database blip."""
    calls: list[int] = []

    def bad() -> None:
        calls.append(1)
        raise _mysql_error(1064, ProgrammingError)

    with pytest.raises(ProgrammingError):
        retry_transaction(bad, sleep=lambda _: None)
    assert len(calls) == 1


def test_lost_deadlocks_are_tried_again_until_the_transaction_commits_within_the_budget():
    """Many lost deadlocks and lock-wait timeouts in a row (eight batches queueing for one
    study): tried again, with growing jittered pauses, until it commits — a computed result
    is not thrown away after a fixed number of attempts."""
    calls: list[int] = []
    slept: list[float] = []
    codes = [1213, 1205] * 6
    assert retry_transaction(_failing(codes, calls), budget_s=60, sleep=slept.append) == (
        "committed"
    )
    assert len(calls) == len(codes) + 1
    assert 0 < slept[0] < slept[-1] <= 2.0


def test_a_deadlock_that_outlasts_the_budget_propagates():
    calls: list[int] = []
    with pytest.raises(OperationalError):
        retry_transaction(_failing([1213] * 1000, calls), budget_s=0.2, sleep=lambda _: None)
    assert 1 < len(calls) < 1000
