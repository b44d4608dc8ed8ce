"""Tests for data.bars_cache: a file's binary copy gives exactly the bars parsing it gives,
is found by the file's content hash only, is built on import and on first read, and a
damaged copy is never trusted."""

from __future__ import annotations

import hashlib
import threading
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from data import bars_cache, dataset
from data.build_bars import build_copies
from data.catalog import load_catalog
from data.events import EVENTS_SUFFIX
from data.loader import Series, parse_series
from data.location import data_dir
from data.membership import MEMBERS_SUFFIX
from data.register import register_csv
from engine import Bars
from tests.demo_data import tracked_data_files

HOURLY_WITH_OFFSETS = b"Datetime,Open,High,Low,Close,Adj Close,Volume\r\n" + b"".join(
    f"2024-03-{day:02d}T{hour:02d}:30:00-05:00,{10 + hour / 7},{11 + hour / 3},"
    f"{9 - hour / 11},{10.1 + hour / 13},1,{1000 * hour + day}\r\n".encode()
    for day in (4, 5, 6)
    for hour in range(9, 16)
)
"""A user's hourly file: datetimes with a -05:00 offset (UTC at load), CRLF, Adj Close,
a volume column and prices that are not short decimals."""


def _csv(closes: list[str]) -> bytes:
    rows = "".join(f"2024-01-{2 + i:02d},10,20,5,{c},{i}\n" for i, c in enumerate(closes))
    return ("Date,Open,High,Low,Close,Volume\n" + rows).encode()


def _bits(bars: Bars) -> list[bytes]:
    """Every column's raw bytes: equal only if every float is the same bit pattern."""
    return [
        np.ascontiguousarray(column).tobytes()
        for column in (bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume)
    ]


def _same(copy: Series | None, parsed: Series) -> None:
    assert copy is not None
    assert copy.timeframe == parsed.timeframe
    assert copy.bars.timestamps.dtype == parsed.bars.timestamps.dtype
    assert _bits(copy.bars) == _bits(parsed.bars)


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bars cache directory of this test's own, and no bars remembered in-process."""
    folder = tmp_path / "bars-cache"
    monkeypatch.setenv("BARS_CACHE_DIR", str(folder))
    monkeypatch.setattr(dataset, "_PARSED", {})
    return folder


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(raw: bytes) -> Series:
        raise AssertionError("the CSV was parsed although its copy is there")

    monkeypatch.setattr(dataset, "parse_series", refuse)


SIDE_FILES = (EVENTS_SUFFIX, MEMBERS_SUFFIX)
"""The files beside the bars (events, an index's membership): not bars."""


@pytest.mark.parametrize(
    "csv",
    [p for p in tracked_data_files() if p.suffix == ".csv" and not p.name.endswith(SIDE_FILES)],
    ids=lambda p: p.name,
)
def test_a_copy_of_every_demo_file_reads_back_the_parsed_bars_bit_for_bit(
    csv: Path, demo_data_dir: Path
) -> None:
    """Each shipped file (daily and hourly): the copy holds the very floats parsing gives."""
    raw = (demo_data_dir / csv).read_bytes()
    parsed = parse_series(raw)
    data_hash = hashlib.sha256(raw).hexdigest()
    bars_cache.write_copy(data_hash, parsed)
    _same(bars_cache.read_copy(data_hash), parsed)


def test_demo_files_are_never_written_to_and_their_copies_go_to_the_cache(cache: Path) -> None:
    """Loading a shipped ticker writes its copy into the cache directory only."""
    before = sorted(p.name for p in data_dir().iterdir())  # the session's demo data
    history = dataset.load_history("ACME", date(2020, 1, 1), date(2020, 12, 31))
    assert sorted(p.name for p in data_dir().iterdir()) == before
    assert [p.name for p in cache.iterdir()] == [f"{history.data_hash}.bars"]


def test_an_import_builds_the_copy_and_runs_read_it_without_parsing(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's hourly file with offsets, Adj Close and volumes: the import writes the copy,
    and a load then gives the parsed bars (and the file's own hash) without parsing."""
    folder = tmp_path / "user"
    registered = register_csv(HOURLY_WITH_OFFSETS, "HRLY", data_dir=folder)
    assert registered.data_hash == hashlib.sha256(HOURLY_WITH_OFFSETS).hexdigest()
    assert (cache / f"{registered.data_hash}.bars").is_file()
    _no_parsing(monkeypatch)
    history = dataset.load_history("HRLY", date(2024, 3, 4), date(2024, 3, 6), folder)
    assert history.data_hash == registered.data_hash
    assert history.timeframe == "1h"
    assert str(history.bars.timestamps[0]) == "2024-03-04T14:30:00"  # 09:30-05:00 in UTC
    _same(Series(history.bars, "1h"), parse_series(HOURLY_WITH_OFFSETS))


def test_the_first_read_of_a_file_without_a_copy_builds_it(tmp_path: Path, cache: Path) -> None:
    """A file put in a data folder by hand has no copy until it is first loaded."""
    raw = _csv(["10.1", "10.2", "10.3"])
    (tmp_path / "HAND.csv").write_bytes(raw)
    (tmp_path / "catalog.json").write_text('{"HAND": {"file": "HAND.csv"}}')
    data_hash = hashlib.sha256(raw).hexdigest()
    assert bars_cache.read_copy(data_hash) is None
    dataset.load_history("HAND", date(2024, 1, 1), date(2024, 1, 31), tmp_path)
    _same(bars_cache.read_copy(data_hash), parse_series(raw))


def test_a_changed_file_never_reads_the_copy_of_its_old_bytes(tmp_path: Path) -> None:
    """Rewriting a ticker's file (same size, one close changed) gives the new bars: the copy
    is found by the bytes' hash, not by the path."""
    old, new = _csv(["10.1", "10.2", "10.3"]), _csv(["10.1", "10.9", "10.3"])
    register_csv(old, "CHG", data_dir=tmp_path)
    first = dataset.load_history("CHG", date(2024, 1, 1), date(2024, 1, 31), tmp_path)
    path = tmp_path / "CHG.csv"
    path.write_bytes(new)
    dataset._PARSED.clear()  # a new process, as every Job is
    second = dataset.load_history("CHG", date(2024, 1, 1), date(2024, 1, 31), tmp_path)
    assert first.bars.close.tolist() == [10.1, 10.2, 10.3]
    assert second.bars.close.tolist() == [10.1, 10.9, 10.3]
    assert second.data_hash == hashlib.sha256(new).hexdigest()


def _damage_by_truncating(raw: bytes) -> bytes:
    return raw[:-8]


def _damage_by_flipping_a_close_bit(raw: bytes) -> bytes:
    damaged = bytearray(raw)
    damaged[-8 * 3 - 1] ^= 0x01  # inside the close column
    return bytes(damaged)


def _damage_by_emptying(raw: bytes) -> bytes:
    return b""


@pytest.mark.parametrize(
    "damage",
    [_damage_by_truncating, _damage_by_flipping_a_close_bit, _damage_by_emptying],
    ids=["truncated", "one-bit-flipped", "empty"],
)
def test_a_damaged_copy_is_not_trusted_and_is_rebuilt(tmp_path: Path, cache: Path, damage) -> None:
    """A truncated or corrupted copy is ignored: the CSV is parsed and the copy rewritten."""
    raw = _csv(["10.1", "10.2", "10.3"])
    registered = register_csv(raw, "DMG", data_dir=tmp_path)
    copy = cache / f"{registered.data_hash}.bars"
    intact = copy.read_bytes()
    copy.write_bytes(damage(intact))
    assert bars_cache.read_copy(registered.data_hash) is None
    history = dataset.load_history("DMG", date(2024, 1, 1), date(2024, 1, 31), tmp_path)
    assert history.bars.close.tolist() == [10.1, 10.2, 10.3]
    assert copy.read_bytes() == intact


def test_a_copy_of_other_bytes_under_this_hash_is_not_trusted(cache: Path) -> None:
    """A whole, intact copy of another file placed under this file's name is refused."""
    this, other = _csv(["10.1", "10.2"]), _csv(["9.9", "9.8"])
    this_hash, other_hash = (hashlib.sha256(raw).hexdigest() for raw in (this, other))
    bars_cache.write_copy(other_hash, parse_series(other))
    (cache / f"{other_hash}.bars").rename(cache / f"{this_hash}.bars")
    assert bars_cache.read_copy(this_hash) is None


def test_nan_and_its_bits_survive_a_copy() -> None:
    """Floats are stored as raw bits: NaN (with a payload), -0.0 and subnormals read back."""
    odd = np.array([np.nan, -0.0, 5e-324, 1.0]).view(np.int64)
    odd[0] |= 0x5A5A  # a NaN payload
    values = odd.view(np.float64)
    stamps = np.array([0, 3600, 7200, 10800], dtype="datetime64[s]")
    series = Series(Bars(stamps, values, values, values, values, values), "1h")
    data_hash = "ab" * 32
    bars_cache.write_copy(data_hash, series)
    _same(bars_cache.read_copy(data_hash), series)


def test_an_unwritable_cache_only_means_parsing(tmp_path: Path, monkeypatch) -> None:
    """With the cache directory impossible to create, a load still gives the bars."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("BARS_CACHE_DIR", str(blocker / "bars"))
    raw = _csv(["10.1", "10.2"])
    register_csv(raw, "RO", data_dir=tmp_path / "user")
    history = dataset.load_history("RO", date(2024, 1, 1), date(2024, 1, 31), tmp_path / "user")
    assert history.bars.close.tolist() == [10.1, 10.2]


def test_concurrent_writers_and_readers_of_one_copy_see_it_whole_or_not_at_all(
    cache: Path,
) -> None:
    """Jobs writing the same copy at once: every read finds no copy or the whole one, and
    no temp file is left behind."""
    raw = _csv([f"{10 + i / 100}" for i in range(25)])
    parsed = parse_series(raw)
    data_hash = hashlib.sha256(raw).hexdigest()
    seen: list[Series | None] = []

    def write() -> None:
        for _ in range(20):
            bars_cache.write_copy(data_hash, parsed)

    def read() -> None:
        for _ in range(40):
            seen.append(bars_cache.read_copy(data_hash))

    threads = [threading.Thread(target=f) for f in (write, write, write, read, read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for copy in seen:
        if copy is not None:
            _same(copy, parsed)
    assert [p.name for p in cache.iterdir()] == [f"{data_hash}.bars"]


def test_the_cache_directory_defaults_to_the_user_data_dir(monkeypatch, tmp_path: Path) -> None:
    """Unset BARS_CACHE_DIR: copies live in <USER_DATA_DIR>/bars, never beside the data."""
    monkeypatch.delenv("BARS_CACHE_DIR")
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "var"))
    assert bars_cache.cache_dir() == (tmp_path / "var" / "bars").resolve()
    assert load_catalog().data_dir != bars_cache.cache_dir().parent


def test_build_copies_writes_each_missing_copy_once_and_skips_a_bad_file(
    tmp_path: Path, cache: Path
) -> None:
    """``python -m data.build_bars`` (as the image runs it): a copy for every good file of
    the catalog, nothing for a file failing its checks, nothing again on a second pass."""
    good = _csv(["10.1", "10.2"])
    (tmp_path / "GOOD.csv").write_bytes(good)
    (tmp_path / "BAD.csv").write_bytes(b"Date,Open,High,Low,Close,Volume\n2024-01-02,x,1,1,1,1\n")
    (tmp_path / "catalog.json").write_text(
        '{"GOOD": {"file": "GOOD.csv"}, "BAD": {"file": "BAD.csv"}}'
    )
    assert build_copies(tmp_path) == 1
    _same(bars_cache.read_copy(hashlib.sha256(good).hexdigest()), parse_series(good))
    assert build_copies(tmp_path) == 0
    assert len(list(cache.iterdir())) == 1


def test_a_copy_is_readable_by_every_user(cache: Path) -> None:
    """The web (an import) and the consumers may run as different users: a copy is 0644."""
    raw = _csv(["10.1", "10.2"])
    data_hash = hashlib.sha256(raw).hexdigest()
    bars_cache.write_copy(data_hash, parse_series(raw))
    assert (cache / f"{data_hash}.bars").stat().st_mode & 0o777 == 0o644
