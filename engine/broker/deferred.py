"""A Python strategy's book worked only as far as the strategy reads it (``Deferred``).

Each bar the strategy decides at the close, but most bars it reads nothing of the book (a
moving-average cross reads its indicators) and nothing acts on the book: no order is
pending, no corporate action falls on the bar, no borrow fee is charged and the close
leaves the equity above zero. Working such a bar only records its equity and position,
which ``Book.advance_to`` writes for a whole run of bars at once, bit for bit as bar by bar.
So the bar loops (``engine.broker.book.drive`` in a notebook, ``engine.broker.
decision_log.driven`` in the sandbox's child) work a bar before the strategy decides only
when it is ``due``, and the strategy's first read of the book on a bar (``state``) works
the bars left; a decision works them before it is booked. The strategy reads, and the book
records, exactly what working every bar gives.

Pure Python: the sandbox's child imports it with the book.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the sandbox's child imports this module
if TYPE_CHECKING:
    from engine.broker.book import Book


class Deferred:
    """``book`` from bar ``start`` on, worked through ``worked - 1`` so far."""

    __slots__ = ("_cash", "_closes", "_ended", "_entered", "_size", "_until", "book", "worked")

    def __init__(self, book: Book, start: int) -> None:
        self.book = book
        self.worked = start
        self._closes = book.close_floats
        self._cash, self._size, self._entered = 0.0, 0, 0.0
        self._ended: dict | None = None
        self.settle()

    def due(self, bar: int) -> bool:
        """Whether ``bar`` must be worked before the strategy decides on it: from the first
        bar on which something may act (an order pending, a borrow fee on a trade held, a
        corporate action), and on a bar whose close takes the equity to zero (the book goes
        broke there: ``Book.advance``'s equity, by the same operations)."""
        return bar >= self._until or (
            self._cash + (self._closes[bar] * self._size - self._entered) <= 0
        )

    def through(self, bar: int) -> None:
        """Work every bar not worked yet up to ``bar`` included (``Book.advance_to``: it
        stops on the bar the book goes broke)."""
        if bar >= self.worked:
            self.book.advance_to(self.worked, bar + 1)
            self.worked = bar + 1
            self.settle()

    def state(self, bar: int) -> dict:
        """The state the strategy reads at ``bar``'s close (``Book.state``), the bars before
        it worked first; after ``end``, the state the run ended on."""
        if self._ended is not None:
            return self._ended
        self.through(bar)
        return self.book.state()

    def settle(self) -> None:
        """Take the book as it is now (worked, or given decisions): the next bar on which
        something may act, and the holding that values the bars until then."""
        book = self.book
        self._until = book.acting_from(self.worked)
        if self._until > self.worked:
            self._size, self._entered = book.holding()
            self._cash = book.cash

    def end(self, bar: int) -> None:
        """The run is over after ``bar`` (before ``Book.finish``): every bar through it is
        worked, and a strategy that reads the book from now on reads the state of the last
        bar it ran on."""
        self.through(bar)
        if self._ended is None:
            self._ended = self.book.state()
