"""Fuzzing the point-in-time fields: hostile ``membership`` and ``survivorship_audit``
values, broken membership files and broken events files never give a 5xx; a refusal is a
400 naming ``membership`` (with the file and line when the file is at fault), and a Job
reading a broken events file fails with an error naming that file and line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.demo_universe import DELISTED
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import load_universe
from tests.demo_data import copy_demo_data
from tests.portfolios.support import valid_portfolio
from tests.web.support import app_with_schema, serve
from work.errors import RequestError

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 60)
VALIDATE = "/api/schema/portfolio/validate"

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["DEMOIX", "demoix", "ACME", "^GSPC", "../catalog", "DEMOIX ", "", "NOPE"]),
)
HOSTILE = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
)

MEMBER_LINES = st.one_of(
    st.sampled_from(
        [
            "ticker,from,to",
            "ACME,2014-01-02,",
            "ACME,2016-01-04,2015-01-01",
            "GLOBEX,2014-01-02,2019-01-02",
            "GLOBEX,2018-01-02,",
            "HOOLI,2099-99-99,",
            "A/B,2014-01-02,",
            "INITECH,2014-01-02,,,",
            "# a comment",
            "",
            "\ufeffticker,from,to",
        ]
    ),
    st.text(max_size=30).map(lambda s: s.replace("\n", " ")),
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the demo data: the tests rewrite its membership and events files."""
    return copy_demo_data(tmp_path / "data")


@pytest.fixture
def app(sqlite_url: str, redis_url: str, folder: Path) -> Iterator[Flask]:
    yield from serve(app_with_schema(sqlite_url, redis_url, folder))


def _check(answer) -> None:
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    if answer.status_code == 400:
        assert answer.get_json()["field"], answer.get_json()


@pytest.mark.slow
def test_hostile_point_in_time_fields_never_give_a_5xx(app):
    """Any JSON value as ``membership`` or ``survivorship_audit``: 200 or a 400 naming a
    field, never a 5xx."""
    client = app.test_client()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(membership=HOSTILE, audit=HOSTILE, drop=st.sampled_from([None, "m", "a"]))
    def check(membership, audit, drop):
        body = valid_portfolio(membership=membership, survivorship_audit=audit)
        if drop == "m":
            del body["membership"]
        elif drop == "a":
            del body["survivorship_audit"]
        try:
            answer = client.post(VALIDATE, json=body)
        except (TypeError, ValueError):  # not JSON text (a lone surrogate): nothing to send
            return
        _check(answer)

    check()


@pytest.mark.slow
def test_a_broken_membership_file_is_a_400_naming_membership_the_file_and_line(app, folder):
    """Random membership files: each submission with ``membership`` DEMOIX is accepted or
    refused naming ``membership`` and, when the file is at fault, 'DEMOIX.members.csv line'."""
    client = app.test_client()
    path = folder / "DEMOIX.members.csv"
    version = iter(range(1, 10**6))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(lines=st.lists(MEMBER_LINES, max_size=6), raw=st.binary(max_size=8))
    def check(lines, raw):
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") + raw)
        os.utime(path, ns=(0, next(version)))  # a new file version for the per-file cache
        answer = client.post(VALIDATE, json=valid_portfolio(membership="DEMOIX"))
        _check(answer)
        if answer.status_code == 400:
            error = answer.get_json()
            assert error["field"] == "membership", error
            assert "DEMOIX.members.csv line " in error["error"], error

    check()


EVENT_ROWS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "date,type,value",
                "2021-06-15,delisting,0.4",
                "2021-06-15,delisting",
                "2021-06-15,delisting,-1",
                "2019-01-02,dividend,0.1",
                "2022-01-03,split,2",
                "2021-06-15,delisting,0.4,9",
                "2020-02-30,split,2",
            ]
        ),
        st.text(max_size=25).map(lambda s: s.replace("\n", " ")),
    ),
    max_size=5,
)


def test_a_job_on_a_broken_events_file_fails_naming_the_file_and_line(folder):
    """The Job's load of a universe holding the delisted company, its events file random:
    it loads, or fails with a request error naming the ticker and 'DNDR.events.csv line'."""
    path = folder / f"{DELISTED.ticker}.events.csv"
    body = valid_portfolio(tickers=["ACME", DELISTED.ticker], survivorship_audit=True)
    request = parse_portfolio(body)
    version = iter(range(1, 10**6))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rows=EVENT_ROWS)
    def check(rows):
        path.write_text("\n".join(rows) + "\n")
        os.utime(path, ns=(0, next(version)))  # a new file version for the per-file cache
        try:
            load_universe(request, folder)
        except RequestError as exc:
            assert exc.field == "tickers[1]", exc
            assert f"{DELISTED.ticker}.events.csv line " in exc.message, exc

    check()
