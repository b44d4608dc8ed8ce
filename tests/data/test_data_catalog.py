"""Tests for data.catalog: the catalog is the only way from a ticker to a file."""

from __future__ import annotations

import builtins
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest

import data
from data.catalog import (
    CATALOG_FILE,
    Catalog,
    TickerInfo,
    load_catalog,
    save_catalog,
    user_catalog_dir,
    validate_ticker,
)
from data.dataset import load_range
from data.demo_index import INDEX_TICKER
from data.demo_universe import DELISTED, PAYER, UNIVERSE
from data.errors import CatalogError, UnknownTickerError

CSV = "Date,Open,High,Low,Close,Volume\n2024-01-02,10,12,9,11,5\n"

BAD_TICKERS = [
    "../../etc/passwd",
    "../secret",
    "AAPL;rm",
    "AAPL;rm -rf /",
    "",
    " ACME",
    "ACME\n",
    "acme",
    "..",
    ".ACME",
    "A/B",
    "A\\B",
    "^",
    "A" * 21,
    "ACME\x00",
    "%2e%2e",
    None,
    42,
    b"ACME",
    ["ACME"],
]
"""Traversal, injection, malformed and non-string tickers."""


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data directory with one ticker, ONE, and a secret file beside it (outside it)."""
    root = tmp_path / "market"
    root.mkdir()
    (root / "ONE.csv").write_text(CSV)
    (tmp_path / "secret.csv").write_text(CSV)
    entry = {"file": "ONE.csv", "name": "One Inc", "synthetic": False, "description": "test"}
    (root / CATALOG_FILE).write_text(json.dumps({"ONE": entry}))
    return root


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path opened through builtins.open, io.open or os.open from now on."""
    paths: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def recording_open(file, *args, **kwargs):
        paths.append(os.fspath(file) if not isinstance(file, int) else f"fd:{file}")
        return real_open(file, *args, **kwargs)

    def recording_os_open(path, *args, **kwargs):
        paths.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    monkeypatch.setattr(os, "open", recording_os_open)
    return paths


def test_tickers_are_sorted_entries(data_root: Path) -> None:
    """tickers() lists TickerInfo entries sorted by ticker."""
    catalog = load_catalog(data_root).with_entry(TickerInfo("ABC", "Abc", "ABC.csv", True, "x"))
    assert [info.ticker for info in catalog.tickers()] == ["ABC", "ONE"]
    assert catalog.tickers()[1] == TickerInfo("ONE", "One Inc", "ONE.csv", False, "test")


def test_resolve_returns_the_catalog_file_inside_data_dir(data_root: Path) -> None:
    """A known ticker resolves to its file in DATA_DIR."""
    catalog = load_catalog(data_root)
    assert catalog.resolve("ONE") == (data_root / "ONE.csv").resolve()
    assert "ONE" in catalog and "TWO" not in catalog


@pytest.mark.parametrize("ticker", BAD_TICKERS, ids=repr)
def test_bad_tickers_are_rejected_without_opening_files(
    data_root: Path, opened: list[str], ticker: object
) -> None:
    """Traversal/injection/non-string tickers raise UnknownTickerError and read no file."""
    catalog = load_catalog(data_root)
    opened.clear()
    with pytest.raises(UnknownTickerError) as info:
        catalog.resolve(ticker)
    assert info.value.field == "ticker"
    assert info.value.message.startswith("invalid ticker")
    assert opened == []


@pytest.mark.parametrize("ticker", BAD_TICKERS, ids=repr)
def test_load_range_reads_only_the_catalog_for_bad_tickers(
    data_root: Path, opened: list[str], ticker: object
) -> None:
    """load_range opens nothing but the catalogs (DATA_DIR's, then the user catalog's)
    before rejecting a bad ticker."""
    with pytest.raises(UnknownTickerError):
        load_range(ticker, date(2024, 1, 1), date(2024, 1, 31), data_dir=data_root)  # type: ignore[arg-type]
    assert [Path(p).resolve() for p in opened] == [
        (data_root / CATALOG_FILE).resolve(),
        (user_catalog_dir() / CATALOG_FILE).resolve(),
    ]


def test_unknown_well_formed_ticker_is_rejected_without_a_file_read(
    data_root: Path, opened: list[str]
) -> None:
    """A valid-looking ticker that is not in the catalog is unknown, even if a file exists."""
    (data_root / "TWO.csv").write_text(CSV)
    catalog = load_catalog(data_root)
    opened.clear()
    with pytest.raises(UnknownTickerError, match="unknown ticker TWO"):
        catalog.resolve("TWO")
    assert opened == []


@pytest.mark.parametrize(
    "ticker", ["A", "AAPL", "BRK.B", "BRK-B", "^GSPC", "EURUSD=X", "7203.T", "A" * 20]
)
def test_real_world_ticker_shapes_are_valid(ticker: str) -> None:
    """Shares, classes, indices, currencies and foreign listings pass validation."""
    assert validate_ticker(ticker) == ticker


@pytest.mark.parametrize(
    "file", ["../secret.csv", "/etc/passwd", "sub/ONE.csv", "..", ".hidden", "a\\b.csv", ""]
)
def test_catalog_entries_must_name_a_bare_file(data_root: Path, file: str) -> None:
    """An entry whose file is a path (or empty, or hidden) makes the catalog invalid."""
    (data_root / CATALOG_FILE).write_text(json.dumps({"ONE": {"file": file}}))
    with pytest.raises(CatalogError, match="invalid file name"):
        load_catalog(data_root)


def test_symlink_escaping_data_dir_is_refused(data_root: Path) -> None:
    """A catalog file that is a symlink to outside DATA_DIR never resolves."""
    (data_root / "LINK.csv").symlink_to(data_root.parent / "secret.csv")
    catalog = load_catalog(data_root).with_entry(TickerInfo("LINK", "L", "LINK.csv", False))
    with pytest.raises(CatalogError, match="outside DATA_DIR"):
        catalog.resolve("LINK")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be an object"),
        ('{"one": {"file": "ONE.csv"}}', "invalid ticker key"),
        ('{"ONE": "ONE.csv"}', "must be an object"),
        ('{"ONE": {"file": "ONE.csv", "synthetic": "yes"}}', "synthetic must be true or false"),
        ('{"ONE": {"file": "ONE.csv", "name": 5}}', "must be strings"),
        ('{"ONE": {"file": "ONE.csv", "sector": 3}}', "sector must be a string"),
        ('{"ONE": {"file": "ONE.csv", "sector": ""}}', "sector must be a string"),
        ('{"ONE": {"file": "ONE.csv", "index": "yes"}}', "index must be true or false"),
    ],
)
def test_broken_catalog_is_a_catalog_error(data_root: Path, text: str, fragment: str) -> None:
    """Malformed catalog.json content raises CatalogError saying what is wrong."""
    (data_root / CATALOG_FILE).write_text(text)
    with pytest.raises(CatalogError, match=fragment):
        load_catalog(data_root)


def test_missing_catalog_is_an_empty_catalog(tmp_path: Path) -> None:
    """A data directory without catalog.json has no tickers."""
    catalog = load_catalog(tmp_path)
    assert catalog.tickers() == []
    with pytest.raises(UnknownTickerError, match="unknown ticker ACME"):
        catalog.resolve("ACME")


def test_optional_fields_have_defaults(data_root: Path) -> None:
    """name defaults to the ticker, synthetic to false, description to 'source' or ''."""
    (data_root / CATALOG_FILE).write_text(
        '{"ONE": {"file": "ONE.csv"}, "TWO": {"file": "TWO.csv", "source": "vendor X"}}'
    )
    catalog = load_catalog(data_root)
    assert catalog.info("ONE") == TickerInfo("ONE", "ONE", "ONE.csv", False, "")
    assert catalog.info("TWO").description == "vendor X"


def test_save_catalog_round_trips_sorted_json(tmp_path: Path) -> None:
    """save_catalog writes sorted, indented JSON that load_catalog reads back equal."""
    catalog = Catalog(tmp_path)
    for ticker in ("ZED", "ABC"):
        catalog = catalog.with_entry(TickerInfo(ticker, f"{ticker} Co", f"{ticker}.csv", False))
    path = save_catalog(catalog)
    text = path.read_text()
    assert text.index('"ABC"') < text.index('"ZED"')
    assert text.endswith("}\n")
    assert json.loads(text)["ZED"] == {
        "description": "",
        "file": "ZED.csv",
        "name": "ZED Co",
        "synthetic": False,
    }
    assert load_catalog(tmp_path).entries == catalog.entries


def test_a_sector_is_written_only_when_known_and_read_back(tmp_path: Path) -> None:
    """The additive ``sector`` field round-trips; an entry without one has no key and
    reads as None."""
    catalog = Catalog(tmp_path).with_entry(
        TickerInfo("ONE", "One", "ONE.csv", True, sector="Energy")
    )
    catalog = catalog.with_entry(TickerInfo("TWO", "Two", "TWO.csv", True))
    doc = json.loads(save_catalog(catalog).read_text())
    assert doc["ONE"]["sector"] == "Energy" and "sector" not in doc["TWO"]
    read = load_catalog(tmp_path, user_dir=None)
    assert (read.info("ONE").sector, read.info("TWO").sector) == ("Energy", None)


def test_with_entry_replaces_and_does_not_mutate(data_root: Path) -> None:
    """with_entry returns a new catalog; the original is unchanged."""
    catalog = load_catalog(data_root)
    updated = catalog.with_entry(TickerInfo("ONE", "Renamed", "ONE.csv", False))
    assert updated.info("ONE").name == "Renamed"
    assert catalog.info("ONE").name == "One Inc"
    with pytest.raises(CatalogError):
        catalog.with_entry(TickerInfo("TWO", "Two", "../x.csv", False))


def test_committed_catalog_lists_the_synthetic_demo_tickers() -> None:
    """The shipped catalog has the six daily demo tickers (MOSS the thinly traded one),
    the hourly one, the 30 of
    the demo universe, the delisted company, the dividend payer and the index, all
    synthetic, all resolvable."""
    catalog = load_catalog(Path(data.__file__).parent)
    infos = catalog.tickers()
    demo = ["ACME", "GLOBEX", "HOOLI", "INITECH", "MOSS", "UMBRELLA", "VANDELAY", INDEX_TICKER]
    members = [member.ticker for member in UNIVERSE]
    assert [info.ticker for info in infos] == sorted(
        [*demo, *members, DELISTED.ticker, PAYER.ticker]
    )
    assert [info.ticker for info in infos if info.index] == [INDEX_TICKER]
    for info in infos:
        assert info.synthetic is True
        assert "synthetic" in info.description.lower() and "demo data" in info.description
        assert catalog.resolve(info.ticker).is_file()


# -- the user catalog overlaid on the shipped one -------------------------------------------


def _user_catalog(root: Path, ticker: str) -> Path:
    """A user catalog folder at ``root`` with one entry, ``ticker``, and its file."""
    root.mkdir(parents=True)
    (root / f"{ticker}.csv").write_text(CSV)
    entry = {"file": f"{ticker}.csv", "name": ticker, "synthetic": False}
    (root / CATALOG_FILE).write_text(json.dumps({ticker: entry}))
    return root


def test_user_entries_are_overlaid_and_resolve_in_the_user_folder(
    data_root: Path, tmp_path: Path
) -> None:
    """Both catalogs' tickers are listed; a user entry's file is in the user folder, a
    shipped one's in the data directory; saving writes only the shipped entries back."""
    user = _user_catalog(tmp_path / "home" / "data", "MINE")
    catalog = load_catalog(data_root, user_dir=user)
    assert [info.ticker for info in catalog.tickers()] == ["MINE", "ONE"]
    assert catalog.resolve("MINE") == user.resolve() / "MINE.csv"
    assert catalog.resolve("ONE") == data_root.resolve() / "ONE.csv"
    assert json.loads(catalog.to_json_bytes()) == {
        "ONE": json.loads((data_root / CATALOG_FILE).read_text())["ONE"]
    }


def test_the_user_catalog_is_read_from_user_data_dir(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default the overlay is $USER_DATA_DIR/data; a missing one adds nothing."""
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "home"))
    assert "MINE" not in load_catalog(data_root)
    _user_catalog(tmp_path / "home" / "data", "MINE")
    assert "MINE" in load_catalog(data_root)
    assert "MINE" not in load_catalog(data_root, user_dir=None)


def test_a_user_entry_cannot_shadow_a_shipped_ticker(data_root: Path, tmp_path: Path) -> None:
    """A user catalog holding a shipped ticker is refused loudly, naming both files, never
    silently replacing the data the ticker means."""
    user = _user_catalog(tmp_path / "home" / "data", "ONE")
    with pytest.raises(CatalogError) as refused:
        load_catalog(data_root, user_dir=user)
    message = str(refused.value)
    assert str(user.resolve() / CATALOG_FILE) in message
    assert str(data_root.resolve() / CATALOG_FILE) in message
    assert "ONE is a ticker of" in message


def test_a_reader_skips_an_invalid_entry_and_refuses_its_ticker(data_root: Path, caplog) -> None:
    """``skip_invalid``: the valid entries load, the invalid one is logged by name and its
    ticker is a BadEntryError (an UnknownTickerError, so a 400 on ``ticker``); a symbolic
    link out of the folder is refused the same way when resolved."""
    from data import BadEntryError, UnknownTickerError

    (data_root / "LINK.csv").symlink_to(data_root.parent / "secret.csv")
    entries = {
        "ONE": {"file": "ONE.csv"},
        "EVIL": {"file": "../secret.csv"},
        "LINK": {"file": "LINK.csv"},
    }
    (data_root / CATALOG_FILE).write_text(json.dumps(entries))
    catalog = load_catalog(data_root, skip_invalid=True)
    assert [info.ticker for info in catalog.tickers()] == ["LINK", "ONE"]
    assert "'EVIL' skipped" in caplog.text and "invalid file name" in caplog.text
    assert catalog.resolve("ONE") == (data_root / "ONE.csv").resolve()
    for ticker in ("EVIL", "LINK"):
        with pytest.raises(BadEntryError, match=f"entry of {ticker} cannot be used"):
            catalog.resolve(ticker)
    assert issubclass(BadEntryError, UnknownTickerError)
    assert "'LINK' skipped" in caplog.text
