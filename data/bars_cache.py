"""Binary copies of checked CSV files, so a file's bars are read at memory speed instead of
parsed again: one file per CSV version, named by the SHA-256 of the CSV's bytes (its
``data_hash``), in the bars cache directory (``BARS_CACHE_DIR``, else ``<user data dir>/bars``).

A copy holds what ``data.loader.parse_series`` gave for those bytes: a 64-byte header (magic,
the CSV's SHA-256, the bar count, the timeframe, the CRC-32 of the columns), then the int64
UTC epoch seconds and the float64 open, high, low, close and volume columns, little-endian,
as raw bits (so NaN and every float read back exactly). A copy is written on import
(``data.register``) and on the first read of a file without one (``data.dataset``), to a temp
file renamed into place: concurrent writers of one copy each rename a whole file of the same
bytes. A copy that is missing, truncated or fails its checks is ignored (and rewritten); an
unwritable directory (a read-only root filesystem) only means the CSV is parsed each time.

``python -m data.build_bars`` writes the missing copies of every file of the catalog: the
image builds those of its shipped data this way.
"""

from __future__ import annotations

import logging
import struct
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from config import process
from data.files import atomic_write
from data.loader import Series
from data.location import user_data_dir
from data.timeframe import TIMEFRAMES
from engine import Bars

logger = logging.getLogger(__name__)

MAGIC = b"BTBARS\x00\x01"
"""The first 8 bytes of a copy; the last byte is the layout's version."""

SUFFIX = ".bars"
"""A copy's name: ``<SHA-256 of the CSV>.bars``."""

_HEADER = struct.Struct("<8s32sQ8sI4x")
"""magic, the CSV's SHA-256 (raw), bar count, timeframe (ASCII, NUL-padded), CRC-32 of the
columns; 64 bytes, so every column starts 8-byte aligned."""

_COLUMNS = 6
"""Timestamps, open, high, low, close, volume: 8 bytes a bar each."""


def cache_dir() -> Path:
    """The bars cache directory: ``$BARS_CACHE_DIR`` if set, else ``<user data dir>/bars``.
    Read on every call, so tests can change the env; not created here."""
    return _cache_dir(process.BARS_CACHE_DIR.value(), process.USER_DATA_DIR.value())


@lru_cache(maxsize=8)
def _cache_dir(value: str | None, _user_data: str | None) -> Path:
    """``cache_dir`` per setting: resolving a path costs syscalls, and a Job asks per file."""
    return Path(value).expanduser().resolve() if value else user_data_dir() / "bars"


def copy_path(data_hash: str) -> Path:
    """Where the copy of the CSV whose bytes hash to ``data_hash`` lives."""
    return cache_dir() / f"{data_hash}{SUFFIX}"


def encode(data_hash: str, series: Series) -> bytes:
    """The bytes of the copy of ``series``, parsed from a CSV hashing to ``data_hash``."""
    bars = series.bars
    columns = b"".join(
        np.ascontiguousarray(column, dtype=dtype).tobytes()
        for column, dtype in (
            (bars.timestamps.astype("datetime64[s]").view(np.int64), "<i8"),
            (bars.open, "<f8"),
            (bars.high, "<f8"),
            (bars.low, "<f8"),
            (bars.close, "<f8"),
            (bars.volume, "<f8"),
        )
    )
    header = _HEADER.pack(
        MAGIC,
        bytes.fromhex(data_hash),
        len(bars),
        series.timeframe.encode("ascii"),
        zlib.crc32(columns),
    )
    return header + columns


def decode(data_hash: str, raw: bytes) -> Series | None:
    """The series a copy holds, or None unless ``raw`` is a whole, intact copy of the CSV
    hashing to ``data_hash`` (magic, hash, length, timeframe and CRC-32 all checked)."""
    if len(raw) < _HEADER.size:
        return None
    magic, digest, count, timeframe, crc = _HEADER.unpack_from(raw)
    timeframe = timeframe.rstrip(b"\x00").decode("ascii", errors="replace")
    if (
        magic != MAGIC
        or digest.hex() != data_hash
        or len(raw) != _HEADER.size + _COLUMNS * 8 * count
        or timeframe not in TIMEFRAMES
        or zlib.crc32(memoryview(raw)[_HEADER.size :]) != crc
    ):
        return None
    stamps = np.frombuffer(raw, "<i8", count, _HEADER.size).view("datetime64[s]")
    prices = [
        np.frombuffer(raw, "<f8", count, _HEADER.size + 8 * count * k) for k in range(1, _COLUMNS)
    ]
    return Series(Bars(stamps, *prices), timeframe)


def read_copy(data_hash: str) -> Series | None:
    """The series of the copy of ``data_hash``, or None when there is no intact one."""
    try:
        raw = copy_path(data_hash).read_bytes()
    except OSError:
        return None
    return decode(data_hash, raw)


def write_copy(data_hash: str, series: Series) -> bool:
    """Store the copy of ``series`` (temp file + rename); whether it was written. An OSError
    is logged and ignored: without a copy the CSV is parsed again next time."""
    path = copy_path(data_hash)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, encode(data_hash, series), sync=False)  # a torn copy fails its CRC
    except OSError as exc:
        logger.debug("no bars copy written for %s: %s", data_hash, exc)
        return False
    return True
