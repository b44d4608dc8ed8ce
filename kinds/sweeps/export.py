"""A sweep's ``results.csv`` as stored bytes: each chunk's rows as CSV, compressed, written by
the chunk's own Job (docs/sweeps.md, "CSV"), and the file the web serves from them.

The file is a header line (``combo_no, ticker``, the swept parameters in the request's order,
every metric a sweep stores) and, in chunk order, each finished chunk's **part**: its rows'
lines, floats as ``adapters.cells`` writes them (formatted a column at a time from the
chunk's arrays, ``adapters.csv_columns``). A part is stored as one raw-deflate segment
ended by a sync flush (``encode_part``), with its uncompressed length, CRC-32 and the
digest of the header line it was written under (``header_sha``). Segments so ended join into one
deflate stream, so the web serves either representation without compressing anything:

- identity: the header, then each part inflated (``inflated``); its length is the header's
  plus the parts' stored lengths, known before the first byte (``Content-Length``);
- gzip: a gzip header, the header line deflated, the parts' segments as stored, a final
  empty block and the trailer, whose CRC-32 is the parts' CRCs combined (``crc32_combine``).

Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.csv_columns import Coded, column_lines
from kinds.sweeps.grid import Points

LEVEL = 5
"""zlib's compression level of a stored part: on a 50,251-combination chunk of the 1 M RSI
sweep (3.4 MB of lines) the same 470 kB as its default 6 in 27 ms instead of 46 (level 1:
11 ms, 15 % more bytes); 8.4 bytes a combination over the whole sweep of
``bench.adversary.sweep_csv``, whose lines average 63 bytes."""

PIECE = 256 * 1024
"""The most bytes ``inflated`` yields at once."""

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""A gzip member's header: deflate, no name, no time, unknown OS (RFC 1952)."""

FINAL_BLOCK = b"\x03\x00"
"""An empty fixed-Huffman deflate block with BFINAL set: ends the joined segments."""


@dataclass(frozen=True)
class CsvPart:
    """One chunk's stored part: its rows' CSV lines as a sync-flushed raw-deflate segment
    (``data``), their length (``size``) and CRC-32 uncompressed, and the digest of the header
    it was written under (``header_sha``)."""

    header_sha: str
    size: int
    crc: int
    data: bytes


@dataclass(frozen=True)
class PartInfo:
    """What serving a stored part needs before reading it: its chunk, uncompressed length,
    CRC-32 and stored (compressed) length."""

    chunk_no: int
    size: int
    crc: int
    stored: int


def header(names: Sequence[str], keys: Sequence[str]) -> bytes:
    """The CSV's header line: ``combo_no, ticker``, the swept ``names``, the metric ``keys``."""
    return csv_lines([["combo_no", "ticker", *names, *keys]])


def header_sha(head: bytes) -> str:
    """The ``header_sha`` of a part written under header line ``head``: its SHA-256, hex."""
    return hashlib.sha256(head).hexdigest()


def csv_lines(rows: Iterable[Sequence[Any]]) -> bytes:
    """``rows`` as CSV lines (``\\n``-terminated, cells by ``adapters.cells.csv_row``), UTF-8."""
    return column_lines(list(zip(*rows, strict=True)))


@dataclass(frozen=True)
class ChunkCells:
    """Every combination of an evaluated chunk by column: the first one's number, the
    ticker, the points (swept values) and each metric's values (an array, or a list with
    None where undefined), row i for the chunk's i-th combination."""

    combo_first: int
    ticker: str
    points: Sequence[Mapping[str, Any]]
    metrics: Mapping[str, Sequence[Any] | np.ndarray]

    def columns(self, names: Sequence[str], keys: Sequence[str]) -> list:
        """The columns of ``header(names, keys)``: combo_no, ticker, the swept ``names``,
        the metric ``keys`` (a point or metric without one: empty cells)."""
        count = len(self.points)
        points = self.points
        if isinstance(points, Points):  # by column: each distinct value formatted once
            swept = [
                Coded(*points.coded(name)) if name in points.names else Coded([None], _zeros(count))
                for name in names
            ]
        else:
            swept = [[point.get(name) for point in points] for name in names]
        return [
            np.arange(self.combo_first, self.combo_first + count),
            Coded([self.ticker], _zeros(count)),
            *swept,
            *(self.metrics.get(key, Coded([None], _zeros(count))) for key in keys),
        ]


def _zeros(count: int) -> np.ndarray:
    return np.zeros(count, dtype=np.int64)


def deflated(text: bytes) -> bytes:
    """``text`` as a raw-deflate segment ended by a sync flush (joins with others)."""
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)


def encode_part(lines: bytes, head_sha: str) -> CsvPart:
    """A part of ``lines`` written under the header whose digest is ``head_sha``."""
    return CsvPart(head_sha, len(lines), zlib.crc32(lines), deflated(lines))


def part_of(cells: ChunkCells, names: Sequence[str], keys: Sequence[str]) -> CsvPart:
    """The stored part of an evaluated chunk's ``cells`` under ``header(names, keys)``."""
    lines = column_lines(cells.columns(names, keys))
    return encode_part(lines, header_sha(header(names, keys)))


def inflated(data: bytes, piece: int = PIECE) -> Iterator[bytes]:
    """A stored part's lines, at most ``piece`` bytes at a time."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pending = data
    while pending:
        out = inflater.decompress(pending, piece)
        pending = inflater.unconsumed_tail
        if out:
            yield out


def crc32_combine(first: int, second: int, length: int, zeros: bytes | None = None) -> int:
    """The CRC-32 of A followed by B, from A's CRC (``first``), B's (``second``) and B's
    ``length``: CRC-32 is affine in (initial value, data), so
    crc(B, start=c) = crc(0ᴸ, start=c) ⊕ crc(B) ⊕ crc(0ᴸ) with 0ᴸ ``length`` zero bytes
    (zlib's C speed; ``zeros``: a buffer of at least ``length`` zero bytes to reuse).

    >>> import zlib
    >>> crc32_combine(zlib.crc32(b"ab"), zlib.crc32(b"cde"), 3) == zlib.crc32(b"abcde")
    True
    """
    window = memoryview(zeros if zeros is not None else bytes(length))[:length]
    return zlib.crc32(window, first) ^ second ^ zlib.crc32(window)


@dataclass(frozen=True)
class StoredCsv:
    """A sweep's CSV as served from its stored parts: its header line and the parts, in
    chunk order."""

    head: bytes
    parts: tuple[PartInfo, ...]

    @property
    def size(self) -> int:
        """The identity body's length."""
        return len(self.head) + sum(part.size for part in self.parts)

    @property
    def gzip_size(self) -> int:
        """The gzip body's length (``gzip_head`` + the segments + ``gzip_tail``)."""
        return len(self.gzip_head()) + sum(p.stored for p in self.parts) + len(FINAL_BLOCK) + 8

    def etag(self) -> str:
        """The identity body's entity tag: a digest of the header and every part's chunk,
        length and CRC-32 (a finished chunk's part never changes)."""
        digest = hashlib.sha256(self.head)
        for part in self.parts:
            digest.update(struct.pack("<qqQ", part.chunk_no, part.size, part.crc))
        return digest.hexdigest()[:32]

    def gzip_head(self) -> bytes:
        """The gzip body up to the first part: the gzip header, the header line deflated."""
        return GZIP_HEADER + deflated(self.head)

    def gzip_tail(self, crc: int) -> bytes:
        """The gzip body after the last part: the final block, then the whole file's CRC-32
        (``crc``) and its length mod 2³²."""
        return FINAL_BLOCK + struct.pack("<II", crc, self.size & 0xFFFFFFFF)

    def body(self, read: Callable[[int], bytes], *, gzip: bool) -> Iterator[bytes]:
        """The file, identity or gzip: ``read(chunk_no)`` gives a part's stored segment."""
        if not gzip:
            yield self.head
            for part in self.parts:
                yield from inflated(read(part.chunk_no))
            return
        yield self.gzip_head()
        crc = zlib.crc32(self.head)
        zeros = bytes(max((part.size for part in self.parts), default=0))
        for part in self.parts:
            yield read(part.chunk_no)
            crc = crc32_combine(crc, part.crc, part.size, zeros)
        yield self.gzip_tail(crc)


__all__ = [
    "ChunkCells",
    "CsvPart",
    "PartInfo",
    "StoredCsv",
    "crc32_combine",
    "csv_lines",
    "encode_part",
    "header",
    "header_sha",
    "inflated",
    "part_of",
]
