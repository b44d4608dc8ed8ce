"""Tests for data.split_gaps: a split planted in real data is flagged, real and demo data are
not, and a split event silences the flag."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from data.adjust import split_adjusted
from data.catalog import load_catalog
from data.dataset import load_events
from data.demo_universe import PAYER
from data.events import NO_EVENTS, SPLIT, Event, Events
from data.loader import load_bars
from data.split_gaps import COMMON_RATIOS, find_split_gaps, find_unmoved_splits
from engine import Bars
from tests.bars import GOOG_CSV, daily_bars


def planted(bars: Bars, at: int, ratio: float) -> Bars:
    """``bars`` as traded across a split of ``ratio`` at bar ``at``: earlier prices are
    multiplied by it (the file had been split-adjusted): adjusting for a split of 1 / ratio."""
    day = bars.timestamps[at].astype("datetime64[D]").astype(object)
    return split_adjusted(bars, Events((Event(day, SPLIT, 1 / ratio),)))


@pytest.mark.parametrize("ratio", COMMON_RATIOS, ids=str)
def test_a_split_planted_in_goog_is_flagged_with_its_date_and_ratio(ratio: Fraction) -> None:
    goog = load_bars(GOOG_CSV)
    gaps = find_split_gaps(planted(goog, 1000, float(ratio)), NO_EVENTS)
    assert [(gap.index, gap.day, gap.ratio) for gap in gaps] == [(1000, date(2008, 8, 8), ratio)]
    message = gaps[0].message()
    assert message.startswith("2008-08-08: ")
    assert f"like a {ratio.numerator}:{ratio.denominator} split" in message
    assert "--events" in message


def test_a_split_event_on_the_date_silences_the_flag() -> None:
    goog = planted(load_bars(GOOG_CSV), 1000, 4.0)
    events = Events((Event(date(2008, 8, 8), SPLIT, 4.0),))
    assert find_split_gaps(goog, events) == []


def test_the_real_goog_file_has_no_split_like_gap() -> None:
    assert find_split_gaps(load_bars(GOOG_CSV), NO_EVENTS) == []


def test_no_demo_file_has_a_split_like_gap_its_events_do_not_explain(demo_data_dir: Path) -> None:
    """The demo files' one split (the dividend payer's) is in its events file; without them
    it is flagged, and nothing else in any demo file is."""
    catalog = load_catalog(demo_data_dir, user_dir=None)
    assert len(catalog.tickers()) >= 36
    flagged = []
    for info in catalog.tickers():
        bars = load_bars(catalog.resolve(info.ticker))
        events = load_events(info.ticker, demo_data_dir)
        assert find_split_gaps(bars, events) == [], info.ticker
        flagged += [info.ticker for _ in find_split_gaps(bars, NO_EVENTS)]
    assert flagged == [PAYER.ticker]


def test_a_crash_of_twenty_percent_is_not_a_split() -> None:
    closes = [100.0, 100.0, 80.0, 81.0]
    bars = Bars(
        np.arange(4).astype("datetime64[D]"),
        np.array(closes),
        np.array(closes) + 1,
        np.array(closes) - 1,
        np.array(closes),
        np.ones(4),
    )
    assert find_split_gaps(bars, NO_EVENTS) == []


def test_a_split_event_on_bars_already_adjusted_for_it_is_found() -> None:
    """GOOG's file holds no split on 2008-08-08: a 2:1 split event there shows no jump."""
    goog = load_bars(GOOG_CSV)
    event = Event(date(2008, 8, 8), SPLIT, 2.0, 3)
    (found,) = find_unmoved_splits(goog, Events((event,), "e.csv"))
    assert (found.event, found.index) == (event, 1000)
    assert found.message().startswith("the 2:1 split on 2008-08-08 shows no jump in the bars:")


@pytest.mark.parametrize("ratio", COMMON_RATIOS, ids=str)
def test_a_split_event_on_its_jump_is_not_found(ratio: Fraction) -> None:
    goog = planted(load_bars(GOOG_CSV), 1000, float(ratio))
    events = Events((Event(date(2008, 8, 8), SPLIT, float(ratio)),))
    assert find_unmoved_splits(goog, events) == []


def test_a_split_is_told_by_the_nearer_of_one_and_its_ratio() -> None:
    """Across a 2:1 split the ex-bar may rise up to 41 % (the geometric middle of 1 and 2)
    and still show the split, across a 1:2 one fall up to 29 %; open and close must both
    look unsplit to be found, and a split nearer 1 than 3:2 is not checked."""

    def found(ratio: float, open_: float, close: float) -> int:
        bars = daily_bars([100.0, close], open_=[100.0, open_])
        return len(find_unmoved_splits(bars, Events((Event(date(1970, 1, 2), SPLIT, ratio),))))

    assert found(2.0, 70.0, 70.0) == 0
    assert found(2.0, 100.0, 70.0) == found(2.0, 70.0, 100.0) == 0
    assert found(2.0, 100.0, 72.0) == found(2.0, 72.0, 100.0) == 1
    assert found(0.5, 145.0, 145.0) == 0
    assert found(0.5, 138.0, 138.0) == 1
    assert found(1.25, 100.0, 100.0) == 0
