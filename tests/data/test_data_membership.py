"""Membership files (``data.membership``): an index's members through time, each error
naming the file and line, and the catalog's ``members`` field that finds the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from data import load_catalog
from data.dataset import load_membership
from data.errors import CatalogError
from data.membership import MembershipError, parse_membership

FILE = "IX.members.csv"


def test_a_ticker_is_a_member_from_its_from_day_until_the_day_before_its_to():
    """from <= day < to; an empty to = still a member; a ticker may join again; a ticker
    the file never names is never a member."""
    text = (
        "ticker,from,to\n# comment\naaa,2024-01-03,2024-01-05\nAAA,2024-01-08,\n\nBBB,2024-01-02\n"
    )
    membership = parse_membership(text, FILE)
    assert membership.tickers() == ["AAA", "BBB"]
    assert [i.line for i in membership.intervals] == [3, 4, 6]
    days = np.array(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"], "M8[D]")
    mask = membership.mask(["AAA", "BBB", "CCC"], days)
    assert mask[:, 0].tolist() == [False, True, True, False, True]
    assert mask[:, 1].all() and not mask[:, 2].any()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "the file is empty"),
        ("ticker,start,end\n", 1, "the header must be ticker,from,to"),
        ("ticker,from,to\n", 1, "lists no member"),
        ("ticker,from,to\nAAA,2024-01-02,,x\n", 2, "expected ticker,from,to, found 4"),
        ("ticker,from,to\n\nA/B,2024-01-02,\n", 3, "is not a valid ticker"),
        ("ticker,from,to\nAAA,2024-13-02,\n", 2, "from '2024-13-02' is not an ISO date"),
        ("ticker,from,to\nAAA,2024-01-02,soon\n", 2, "to 'soon' is not an ISO date"),
        ("ticker,from,to\nAAA,2024-01-05,2024-01-05\n", 2, "must be after from"),
        (
            "ticker,from,to\nAAA,2024-01-02,2024-02-01\nBBB,2024-01-02,\nAAA,2024-01-20,\n",
            4,
            "AAA overlaps its interval of line 2",
        ),
        ("ticker,from,to\nAAA,2024-03-01,\nAAA,2024-01-01,\n", 3, "interval of line 2"),
    ],
)
def test_every_error_names_the_file_and_line(text: str, line: int, message: str):
    """Bad header, cells, ticker, dates, order and overlaps: '<file> line <n>: ...'."""
    with pytest.raises(MembershipError) as caught:
        parse_membership(text, FILE)
    assert caught.value.row == line
    assert str(caught.value).startswith(f"{FILE} line {line}: ")
    assert message in str(caught.value)


def test_a_non_utf8_file_names_the_line_of_the_bad_byte():
    """Bytes that are not UTF-8: the line they are on."""
    with pytest.raises(MembershipError, match=f"{FILE} line 2: the file is not UTF-8"):
        parse_membership(b"ticker,from,to\nA\xffA,2024-01-02,\n", FILE)


def _catalog(folder: Path, members: object) -> Path:
    entry = {"file": "IX.csv", "name": "Index", "index": True, "members": members}
    (folder / "catalog.json").write_text(json.dumps({"IX": entry}))
    return folder


@pytest.mark.parametrize("name", ["../x.csv", "IX.csv", 3, ""])
def test_a_catalog_entry_with_a_bad_members_name_is_invalid(tmp_path: Path, name: object):
    """A path, the bars' own file, a non-string, empty: the entry is refused."""
    with pytest.raises(CatalogError, match="invalid members file name"):
        load_catalog(_catalog(tmp_path, name), user_dir=None)


def test_the_catalog_finds_the_members_file_and_its_hash_changes_with_it(tmp_path: Path):
    """``members`` is a bare name beside the bars; the entry writes it back; the file's
    SHA-256 comes with its membership."""
    catalog = load_catalog(_catalog(tmp_path, FILE), user_dir=None)
    assert catalog.info("IX").to_json()["members"] == FILE
    (tmp_path / FILE).write_text("ticker,from,to\nAAA,2024-01-02,\n")
    first = load_membership("IX", tmp_path, catalog)
    (tmp_path / FILE).write_text("ticker,from,to\nAAA,2024-01-03,2025-01-01\n")
    second = load_membership("IX", tmp_path, catalog)
    assert first[0].intervals[0].start.isoformat() == "2024-01-02"
    assert second[0].intervals[0].start.isoformat() == "2024-01-03"
    assert first[1] != second[1]
