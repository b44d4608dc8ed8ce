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
