"""adapters._plot: the Axes-free chart panel (reuse, legend layout, vectorised artists)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.text import Text

from adapters._plot import Panel
from adapters._ticks import date_ticks
from tests.adapters.support import make_bars

TICKS = date_ticks(make_bars([1.0] * 10).timestamps)


@pytest.fixture
def panel():
    panel = Panel(10)
    yield panel
    panel.close()


def _texts(panel: Panel) -> dict[str, Text]:
    return {a.get_text(): a for a in panel.figure.artists if isinstance(a, Text)}


def test_render_returns_png_bytes_and_clears_the_previous_chart(panel):
    """Rendering twice on one panel gives a PNG each time and does not pile up artists."""

    def paint(p: Panel) -> None:
        p.line(np.arange(10), np.arange(10.0), "#ffffff", label="up")
        p.finish("Chart", (0.0, 9.0), TICKS)

    first = panel.render(paint)
    count = len(panel.figure.artists)
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert panel.render(paint) == first
    assert len(panel.figure.artists) == count


def test_close_drops_the_figure_and_can_be_repeated():
    """close() clears and releases the figure; a second close() is harmless."""
    panel = Panel(3)
    panel.render(lambda p: p.finish("t", (0.0, 1.0), ([], [])))
    figure = panel.figure
    panel.close()
    panel.close()
    assert panel.figure is None and figure.artists == []


def test_strokes_are_one_line_broken_by_nan(panel):
    """k strokes become one Line2D of 3k points: (x, y0), (x, y1), NaN gap."""

    def paint(p: Panel) -> None:
        p.strokes(np.array([0.0, 1.0]), np.array([1.0, 2.0]), np.array([3.0, 4.0]), "#fff", 1)
        p.finish("t", (0.0, 5.0), ([], []))

    panel.render(paint)
    (line,) = [a for a in panel.figure.artists if isinstance(a, Line2D)]
    x, y = line.get_data()
    assert np.array_equal(x, [0, 0, np.nan, 1, 1, np.nan], equal_nan=True)
    assert np.array_equal(y, [1, 3, np.nan, 2, 4, np.nan], equal_nan=True)


def test_legend_sits_in_the_title_row_and_drops_below_a_long_title(panel):
    """Legend labels share the title's baseline when they fit, else move into the plot."""

    def paint(title: str):
        def draw(p: Panel) -> None:
            p.line(np.arange(10), np.arange(10.0), "#ff0000", label="Alpha")
            p.markers(np.arange(3), np.arange(3.0), "^", "#00ff00", label="Beta")
            p.finish(title, (0.0, 9.0), TICKS)

        return draw

    panel.render(paint("Short"))
    texts = _texts(panel)
    assert texts["Alpha"].get_position()[1] == texts["Short"].get_position()[1]
    assert texts["Alpha"].get_position()[0] < texts["Beta"].get_position()[0]

    long_title = "A very long title " * 8  # ~650 px of the 720
    panel.render(paint(long_title))
    texts = _texts(panel)
    assert texts["Alpha"].get_position()[1] < texts[long_title].get_position()[1]


def test_finish_labels_round_y_values_with_the_suffix(panel):
    """y tick labels come from value_ticks with the suffix; x labels from the date ticks."""
    panel.render(lambda p: p.finish("t", (0.0, 100.0), ([2, 7], ["Jan", "Feb"]), suffix="%"))
    labels = set(_texts(panel))
    assert {"0%", "25%", "50%", "75%", "100%", "Jan", "Feb", "t"} <= labels
