"""The bulk commands' one progress bar: tqdm's on a terminal, plain lines on a pipe.

Runs (``scripts.bulk_submit``), sweeps (``scripts.bulk_sweep``) and walk-forwards
(``scripts.bulk_walkforward``) all show "done out of total, and a few words" while they
wait. On a terminal that is a tqdm bar redrawn in place (rate, elapsed and remaining time
included); on a pipe or a CI log, where a redrawn line is a wall of ``\\r``, it is one whole
line when the counts changed and at least ``every`` seconds passed, and the last state once
more on ``close`` so a log always ends with the final counts.

    >>> import io
    >>> bar = ProgressBar(10, "runs", io.StringIO())
    >>> bar.line(4, 10, "failed 1")
    '4/10 runs (40.0%)  failed 1'
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from tqdm import tqdm


class ProgressBar:
    """Progress of ``total`` items named ``unit`` written to ``stream``.

    ``interactive`` (default: whether ``stream`` is a TTY) chooses the tqdm bar; ``every``
    and ``clock`` pace the plain lines written otherwise.
    """

    def __init__(
        self,
        total: int,
        unit: str,
        stream: TextIO,
        *,
        interactive: bool | None = None,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.unit = unit
        self.stream = stream
        self.interactive = _isatty(stream) if interactive is None else interactive
        self.every = every
        self.clock = clock
        self._state: tuple[int, int, str] | None = None
        self._written: tuple[int, int, str] | None = None
        self._last_time = -float("inf")
        self._bar = (
            tqdm(total=total, unit=f" {unit}", file=stream, leave=True, mininterval=0.2)
            if self.interactive
            else None
        )

    def line(self, done: int, total: int, detail: str = "") -> str:
        """The plain text of a state, e.g. ``4/10 runs (40.0%)  failed 1``."""
        percent = 100.0 * done / total if total else 100.0
        text = f"{done:,}/{total:,} {self.unit} ({percent:.1f}%)"
        return f"{text}  {detail}" if detail else text

    def update(self, done: int, total: int | None = None, detail: str = "") -> None:
        """Show ``done`` of ``total`` (default: the total given before) and ``detail``."""
        if total is not None:
            self.total = total
        state = (done, self.total, detail)
        if state == self._state:
            return
        self._state = state
        if self._bar is not None:
            self._bar.total = self.total
            self._bar.n = done
            self._bar.set_postfix_str(detail, refresh=False)
            self._bar.refresh()
        elif self.clock() - self._last_time >= self.every:
            self._write_line()

    def close(self) -> None:
        """End the bar (a terminal keeps it); on a pipe write the last state if it is not
        the last line written."""
        if self._bar is not None:
            self._bar.close()
        elif self._state is not None and self._state != self._written:
            self._write_line()

    def _write_line(self) -> None:
        assert self._state is not None
        self.stream.write(self.line(*self._state) + "\n")
        self.stream.flush()
        self._written = self._state
        self._last_time = self.clock()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or bare stream
        return False
