"""scripts/bulk_progress.py: the bulk commands' one progress bar, tqdm's on a terminal and
whole paced lines on a pipe (a CI log)."""

from __future__ import annotations

import io

from scripts.bulk_progress import ProgressBar


class Tty(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_it_is_a_tqdm_bar_redrawn_in_place():
    """A TTY gets tqdm's bar (its percentage, counts and rate), redrawn after a carriage
    return, with the detail after it; close() leaves the final state on its line."""
    stream = Tty()
    bar = ProgressBar(4, "runs", stream)
    bar.update(1, detail="failed 0")
    bar.update(4, detail="failed 1")
    bar.close()
    text = stream.getvalue()
    # tqdm pads a redraw with blanks over a longer line before it: when the final rate has a
    # digit fewer than the one drawn a moment earlier (9,300 runs/s after 10,234), the last
    # line ends in a blank. The line's content is what is checked.
    last = text.rstrip("\n").split("\r")[-1].rstrip(" ")
    assert last.startswith("100%|") and "4/4" in last and "runs/s" in last
    assert last.endswith("failed 1]")
    assert text.count("\r") >= 2 and text.endswith("\n")


def test_on_a_pipe_it_writes_whole_lines_at_most_every_few_seconds():
    """Not a TTY: no carriage returns; a line only when the counts changed and the interval
    passed, and close() writes the last state when it was not written yet."""
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(2, "runs", stream, every=5.0, clock=lambda: now[0])
    bar.update(0, detail="submitted 1/2")
    now[0] = 1.0
    bar.update(1, detail="submitted 2/2")
    now[0] = 6.0
    bar.update(1, detail="submitted 2/2")  # unchanged: nothing
    now[0] = 7.0
    bar.update(2, detail="submitted 2/2")
    bar.close()
    assert stream.getvalue().splitlines() == [
        "0/2 runs (0.0%)  submitted 1/2",
        "2/2 runs (100.0%)  submitted 2/2",
    ]
    assert "\r" not in stream.getvalue()


def test_a_total_learnt_later_replaces_the_first():
    """A sweep's total comes with its first status: update() may give it."""
    stream = io.StringIO()
    bar = ProgressBar(0, "combos", stream)
    bar.update(3, 12, "RUNNING")
    bar.close()
    assert stream.getvalue() == "3/12 combos (25.0%)  RUNNING\n"
