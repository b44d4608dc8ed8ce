"""Tests for importing a file with its events (``data.import_csv --events``,
``--events-from-adjusted``, ``--strict``) and loading them back with the bars."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from data.adjust import total_return_adjusted
from data.catalog import load_catalog
from data.dataset import load_history, load_range
from data.events import SPLIT
from data.import_csv import main
from tests.bars import GOOG_CSV

EVENTS = "date,type,value\n2008-08-08,split,2\n2009-01-02,dividend,0.5\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """GOOG.csv as traded across a 2:1 split on 2008-08-08 (earlier prices doubled)."""
    lines = GOOG_CSV.read_text().splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        if i < 1000:
            cells = [cells[0], *(repr(float(x) * 2) for x in cells[1:5]), cells[5]]
        out.append(",".join(cells))
    path = tmp_path / "planted.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_split_like_gap_is_a_warning_naming_date_ratio_and_events(
    tmp_path: Path, planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(planted), "--ticker", "PLNT", "--data-dir", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: 2008-08-08: the price jumps from a close of 958.24")
    assert "like a 2:1 split" in err and "--events" in err
    assert load_catalog(tmp_path / "s").info("PLNT").events is None


def test_strict_refuses_a_split_like_gap_and_stores_nothing(
    tmp_path: Path, planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s"
    assert main([str(planted), "--ticker", "PLNT", "--data-dir", str(store), "--strict"]) == 2
    assert "like a 2:1 split" in capsys.readouterr().err
    assert not store.exists()


def test_an_events_file_is_stored_beside_the_bars_and_loaded_with_them(
    tmp_path: Path, planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The split event silences the gap; the events file is stored byte for byte, named in
    the catalog entry, returned with the bars, and the data hash covers it."""
    store = tmp_path / "s"
    events = write(tmp_path / "ev.csv", EVENTS)
    argv = [str(planted), "--ticker", "PLNT", "--data-dir", str(store)]
    assert main([*argv, "--strict", "--events", str(events)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "events: 1 split, 1 dividend -> PLNT.events.csv" in out
    assert (store / "PLNT.events.csv").read_text() == EVENTS
    assert load_catalog(store).info("PLNT").events == "PLNT.events.csv"
    history = load_history("PLNT", date(2004, 1, 1), date(2014, 1, 1), store)
    assert [(e.day, e.type, e.value) for e in history.events] == [
        (date(2008, 8, 8), SPLIT, 2.0),
        (date(2009, 1, 2), "dividend", 0.5),
    ]
    csv_sha = hashlib.sha256(planted.read_bytes()).hexdigest()
    events_sha = hashlib.sha256(EVENTS.encode()).hexdigest()
    expected = hashlib.sha256(f"bars {csv_sha}\nevents {events_sha}\n".encode()).hexdigest()
    assert history.data_hash == expected
    assert load_range("PLNT", date(2009, 1, 1), date(2009, 2, 1), store).events == history.events
    assert f"(sha256 {expected})" in out

    # imported again without events: the hash is the CSV's again and the file is removed
    assert main(argv) == 0
    assert not (store / "PLNT.events.csv").exists()
    again = load_history("PLNT", date(2004, 1, 1), date(2014, 1, 1), store)
    assert (again.data_hash, len(again.events)) == (csv_sha, 0)


def test_a_bad_events_line_exits_2_naming_the_events_file_and_line(
    tmp_path: Path, planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "s"
    events = write(tmp_path / "ev.csv", "date,type,value\n2008-08-08,split,2\n2009-01-02,div,1\n")
    argv = [str(planted), "--ticker", "PLNT", "--data-dir", str(store), "--events", str(events)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"error: {events} line 3: unknown event type 'div'; expected split, dividend, delisting\n"
    )
    assert not store.exists()


def test_an_event_after_the_last_bar_is_refused_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(tmp_path / "ev.csv", "date,type,value\n2020-01-02,dividend,1\n")
    argv = [str(GOOG_CSV), "--ticker", "G", "--data-dir", str(tmp_path / "s")]
    assert main([*argv, "--events", str(events)]) == 2
    assert f"error: {events} line 2: the dividend on 2020-01-02 is after the last bar" in (
        capsys.readouterr().err
    )


def test_a_hand_edited_events_file_that_breaks_fails_the_load_naming_it(
    tmp_path: Path, planted: Path
) -> None:
    store = tmp_path / "s"
    events = write(tmp_path / "ev.csv", EVENTS)
    main([str(planted), "--ticker", "PLNT", "--data-dir", str(store), "--events", str(events)])
    (store / "PLNT.events.csv").write_text("date,type,value\n2008-08-08,split,x\n")
    with pytest.raises(ValueError, match=r"^PLNT\.events\.csv line 2: split ratio 'x'"):
        load_history("PLNT", date(2004, 1, 1), date(2014, 1, 1), store)


def test_events_derived_from_adj_close_are_stored_and_reproduce_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Yahoo-style file: traded closes, a 4:1 split and a dividend in its Adj Close."""
    closes = [100.0, 104.0, 26.0, 27.0, 25.0, 26.0]
    adjusted = [100 / 4 * (1 - 0.5 / 27), 104 / 4 * (1 - 0.5 / 27), 26 * (1 - 0.5 / 27)]
    adjusted += [27 * (1 - 0.5 / 27), 25.0, 26.0]
    days = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"]
    rows = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    rows += [
        f"{d},{c},{c},{c},{c},{a:.6f},100" for d, c, a in zip(days, closes, adjusted, strict=True)
    ]
    source = write(tmp_path / "y.csv", "\n".join(rows) + "\n")
    store = tmp_path / "s"
    argv = [str(source), "--ticker", "Y", "--data-dir", str(store), "--events-from-adjusted"]
    assert main([*argv, "--strict"]) == 0
    assert "events: 1 split, 1 dividend -> Y.events.csv" in capsys.readouterr().out
    text = (store / "Y.events.csv").read_text()
    assert text.startswith("date,type,value\n2024-01-04,split,4\n2024-01-08,dividend,0.5")
    history = load_history("Y", date(2024, 1, 1), date(2024, 2, 1), store)
    np.testing.assert_allclose(
        total_return_adjusted(history.bars, history.events).close, adjusted, rtol=1e-6
    )


def test_events_from_adjusted_needs_an_adj_close_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(GOOG_CSV), "--ticker", "G", "--data-dir", str(tmp_path), "--events-from-adjusted"]
    assert main(argv) == 2
    assert "line 1: no Adj Close column to derive events from" in capsys.readouterr().err


def test_events_and_events_from_adjusted_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main([str(GOOG_CSV), "--ticker", "G", "--events", "x", "--events-from-adjusted"])


AAPL_AUGUST_2020 = [
    ("2020-08-24", 514.79, 503.43),
    ("2020-08-25", 498.79, 499.30),
    ("2020-08-26", 504.72, 506.09),
    ("2020-08-27", 508.57, 500.04),
    ("2020-08-28", 504.05, 499.23),
    ("2020-08-31", 127.58, 129.04),
    ("2020-09-01", 132.76, 134.18),
    ("2020-09-02", 137.59, 131.40),
    ("2020-09-03", 126.91, 120.88),
]
"""(date, open, close) of Apple's bars as traded around its 4:1 split of 2020-08-31."""


def apple(tmp_path: Path, *, split_adjusted: bool, adj_close: list[float] | None = None) -> Path:
    """A Yahoo-style file of ``AAPL_AUGUST_2020``, the prices before the split divided by 4
    when ``split_adjusted`` (what Yahoo's exports hold), with ``adj_close`` as its
    ``Adj Close`` (default: the Close)."""
    rows = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for k, (day, open_, close) in enumerate(AAPL_AUGUST_2020):
        if split_adjusted and day < "2020-08-31":
            open_, close = round(open_ / 4, 4), round(close / 4, 4)
        adjusted = close if adj_close is None else adj_close[k]
        high, low = max(open_, close) + 1, min(open_, close) - 1
        rows.append(f"{day},{open_},{high},{low},{close},{adjusted},1000000")
    return write(tmp_path / "AAPL.csv", "\n".join(rows) + "\n")


SPLIT_EVENT = "date,type,value\n2020-08-31,split,4\n"
"""Apple's 4:1 split of 2020-08-31, line 2."""


def import_apple(
    tmp_path: Path, events_text: str, *flags: str, split_adjusted: bool
) -> tuple[int, Path, Path]:
    """(exit status, data folder, events file) of importing ``apple`` as AAPL with an events
    file of ``events_text`` and ``flags``."""
    store = tmp_path / "s"
    events = write(tmp_path / "ev.csv", events_text)
    source = apple(tmp_path, split_adjusted=split_adjusted)
    argv = [str(source), "--ticker", "AAPL", "--data-dir", str(store), "--events", str(events)]
    return main([*argv, *flags]), store, events


def test_a_split_event_on_bars_already_adjusted_for_it_is_refused_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Yahoo's prices are split-adjusted: with the split event too, an adjusted run would
    divide the earlier prices by 4 twice. The import refuses it, naming the events file,
    its line and the option that imports it anyway, and stores nothing."""
    status, store, events = import_apple(tmp_path, SPLIT_EVENT, split_adjusted=True)
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"error: {events} line 2: the 4:1 split on 2020-08-31 shows no jump in the bars: the "
        "close before it is 124.808 and its bar opens at 127.58 and closes at 129.04, where a "
        "4:1 split would open near 31.2019; the bars look split-adjusted already"
    )
    assert err.endswith("or give --splits-without-jump if the bars are as traded\n")
    assert not store.exists()


def test_splits_without_jump_imports_the_split_with_a_warning_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flag = "--splits-without-jump"
    status, store, events = import_apple(tmp_path, SPLIT_EVENT, flag, split_adjusted=True)
    assert status == 0
    out, err = capsys.readouterr()
    assert "events: 1 split -> AAPL.events.csv" in out
    assert err.startswith(f"warning: {events} line 2: the 4:1 split on 2020-08-31 shows no jump")
    assert err.endswith("imported (--splits-without-jump)\n")
    assert load_catalog(store).info("AAPL").events == "AAPL.events.csv"


def test_bars_as_traded_import_with_their_split_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, store, _ = import_apple(tmp_path, SPLIT_EVENT, "--strict", split_adjusted=False)
    assert status == 0
    out, err = capsys.readouterr()
    assert "events: 1 split -> AAPL.events.csv" in out and err == ""
    history = load_history("AAPL", date(2020, 8, 1), date(2020, 9, 30), store)
    assert [(e.day, e.type, e.value) for e in history.events] == [(date(2020, 8, 31), SPLIT, 4.0)]


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (
            "2020-08-26,split,1e300\n2020-08-27,split,1e300\n2020-08-31,split,1e300\n",
            2,
            "split ratio 1e+300 is beyond what a real split is: a ratio lies between "
            "1:10,000 (0.0001) and 10,000:1 (10000)",
        ),
        ("2020-08-26,split,1e-300\n2020-08-31,split,1e-300\n", 2, "split ratio 1e-300 is beyond"),
        (
            "2020-08-25,split,1000\n2020-08-26,split,1,10\n2020-08-27,split,1000\n"
            "2020-08-28,split,20\n",
            5,
            "the splits of lines 2 to 5 multiply to 2e+06, beyond what a real share has: "
            "consecutive splits multiply to between 1:1,000,000 and 1,000,000:1",
        ),
    ],
    ids=["1e300", "1e-300", "product"],
)
def test_absurd_split_ratios_are_refused_naming_the_events_file_and_line(
    tmp_path: Path, rows: str, line: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ratio past 10,000 either way, or consecutive splits multiplying past 1,000,000
    either way, is no share's: refused before an adjusted run could divide by it."""
    text = "date,type,value\n" + rows
    flag = "--splits-without-jump"
    status, store, events = import_apple(tmp_path, text, flag, split_adjusted=False)
    assert status == 2
    assert capsys.readouterr().err.startswith(f"error: {events} line {line}: {message}")
    assert not store.exists()


def test_a_stored_events_file_multiplying_past_the_bound_fails_the_load_naming_it(
    tmp_path: Path,
) -> None:
    _, store, _ = import_apple(tmp_path, SPLIT_EVENT, split_adjusted=False)
    (store / "AAPL.events.csv").write_text(
        "date,type,value\n2020-08-27,split,5000\n2020-08-31,split,5000\n"
    )
    with pytest.raises(ValueError, match=r"^AAPL\.events\.csv line 3: the splits of lines 2 to 3"):
        load_history("AAPL", date(2020, 8, 1), date(2020, 9, 30), store)


def test_an_adj_close_unlike_the_close_imported_without_events_is_a_warning_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Yahoo export's Adj Close holds its dividends: imported without --events-from-adjusted
    (or --events) they are not imported, which the import says, naming the flag; with the
    flag the dividend is imported and nothing is said."""
    closes = [close / 4 if day < "2020-08-31" else close for day, _, close in AAPL_AUGUST_2020]
    factor = 1 - 0.82 / closes[6]  # a dividend of 0.82 going ex on 2020-09-02
    adjusted = [round(c * factor, 6) if k < 7 else c for k, c in enumerate(closes)]
    store = tmp_path / "s"
    source = apple(tmp_path, split_adjusted=True, adj_close=adjusted)
    assert main([str(source), "--ticker", "AAPL", "--data-dir", str(store)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("imported AAPL: 9 bars") and "events:" not in out
    assert err == (
        "warning: line 2: the Adj Close (125.088) differs from the Close (125.858): the "
        "dividends (and splits) it adjusts for are not imported, and runs see the Close as "
        "traded only; give --events-from-adjusted to import them as events (or give them with "
        "--events)\n"
    )
    argv = [str(source), "--ticker", "AAPL", "--data-dir", str(store), "--events-from-adjusted"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "events: 1 dividend -> AAPL.events.csv" in out and err == ""


def test_an_adj_close_equal_to_the_close_gives_no_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = apple(tmp_path, split_adjusted=True)
    assert main([str(source), "--ticker", "AAPL", "--data-dir", str(tmp_path / "s")]) == 0
    assert capsys.readouterr().err == ""
