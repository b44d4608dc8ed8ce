"""An import reads the layouts spreadsheets and brokers write: ``;`` with decimal commas,
tabs, ``|``, and newest-first files with ``--sort``; each stored in the loader's layout,
the bars equal to the comma-separated, oldest-first file's."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from data.csv_layout import delimiter_of, to_canonical
from data.errors import DataQualityError
from data.import_csv import main
from data.loader import parse_bars
from tests.bars import GOOG_CSV as GOOG

HEAD = 40
"""Rows of GOOG.csv the tests use (enough for a daily timeframe)."""


def goog_head() -> str:
    return "\n".join(GOOG.read_text().splitlines()[: HEAD + 1]) + "\n"


def same_bars(a: bytes, b: bytes) -> None:
    left, right = parse_bars(a), parse_bars(b)
    assert np.array_equal(left.timestamps, right.timestamps)
    for name in ("open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(left, name), getattr(right, name))


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_a_file_separated_otherwise_is_read_and_stored_comma_separated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], delimiter: str
) -> None:
    text = goog_head()
    source = tmp_path / "in.csv"
    source.write_text(text.replace(",", delimiter))
    folder = tmp_path / "data"
    assert main([str(source), "--ticker", "G", "--data-dir", str(folder)]) == 0
    stored = (folder / "G.csv").read_bytes()
    same_bars(stored, text.encode())
    out = capsys.readouterr().out
    assert "(stored as comma-separated)" in out
    assert hashlib.sha256(stored).hexdigest() in out


def test_decimal_commas_of_a_semicolon_file_are_read_as_points(tmp_path: Path) -> None:
    text = goog_head()
    header, *rows = text.splitlines()
    european = "\n".join(
        [header.replace(",", ";")]
        + [";".join(cell.replace(".", ",") for cell in row.split(",")) for row in rows]
    )
    same_bars(to_canonical(european.encode()), text.encode())


def test_a_semicolon_cell_with_thousands_marks_names_its_line() -> None:
    header, *rows = goog_head().replace(",", ";").splitlines()
    cells = rows[0].split(";")
    cells[1] = "1.234,5"
    text = "\n".join([header, ";".join(cells), *rows[1:]])
    with pytest.raises(DataQualityError) as info:
        to_canonical(text.encode())
    assert info.value.row == 2
    assert "'1.234,5' is not a number" in str(info.value)


def test_a_comma_separated_file_is_stored_byte_for_byte() -> None:
    raw = GOOG.read_bytes()
    assert to_canonical(raw) is raw
    assert delimiter_of(raw.decode()) == ","


def test_a_newest_first_file_is_refused_pointing_to_sort_and_taken_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header, *rows = goog_head().splitlines()
    source = tmp_path / "newest.csv"
    source.write_text("\n".join([header, *reversed(rows)]) + "\n")
    folder = tmp_path / "data"
    assert main([str(source), "--ticker", "G", "--data-dir", str(folder)]) == 2
    assert "import it with --sort" in capsys.readouterr().err
    assert main([str(source), "--ticker", "G", "--data-dir", str(folder), "--sort"]) == 0
    assert "(stored as oldest first)" in capsys.readouterr().out
    same_bars((folder / "G.csv").read_bytes(), goog_head().encode())


def test_the_loader_says_when_a_header_is_separated_by_semicolons() -> None:
    with pytest.raises(DataQualityError) as info:
        parse_bars(goog_head().replace(",", ";").encode())
    assert "separated by ';', not commas" in str(info.value)
    assert "python -m data.import_csv" in str(info.value)
