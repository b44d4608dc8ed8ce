"""The small comma-separated files kept beside the bars (a ticker's events, an index's
members): their text decoded, blank lines and ``#`` comments skipped, the header checked,
and every error naming the file and its 1-based line. Pure functions over text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from data.errors import DataQualityError


class SideFileError(DataQualityError):
    """A side file fails a check: ``file`` and ``row`` (1-based line) name where."""

    def __init__(self, file: str, row: int, message: str) -> None:
        ValueError.__init__(self, f"{file} line {row}: {message}")
        self.file = file
        self.row = row
        self.message = message


def data_rows(
    raw: bytes | str,
    file: str,
    error: type[SideFileError],
    headers: tuple[tuple[str, ...], ...],
    expected: str,
) -> Iterator[tuple[int, list[str]]]:
    """Each data row of side-file text ``raw`` with its line, after a header that is one
    of ``headers`` (cells compared stripped and lower-cased).

    :raise error: naming ``file`` and the line: not UTF-8, a header not in ``headers``
        ("the header must be ``expected``"), or no header at all (an empty file).
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise error(file, line, "the file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(raw.lstrip("\ufeff"), newline=""))
    header_seen = False
    for row in reader:
        line = reader.line_num
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if not header_seen:
            if tuple(cell.strip().lower() for cell in row) not in headers:
                raise error(file, line, f"the header must be {expected}")
            header_seen = True
            continue
        yield line, row
    if not header_seen:
        raise error(file, 1, f"the file is empty (expected the header {expected.split(' ')[0]})")
