"""The commands that submit searches over a portfolio from JSON files
(``scripts.bulk_portfolio_sweep``, ``scripts.bulk_portfolio_walkforward``): one row of
``SEARCHES`` each, and one runner. A file's request goes to its ``Client`` method with the
fields the method names by position (``by_position``), the rest as they are."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from scripts.bulk_client import command_parser
from scripts.bulk_portfolio import add_file_options, by_position, submit_each
from scripts.bulk_sweep import accepted_line as sweep_line
from scripts.bulk_sweep import follow_sweep
from scripts.bulk_walkforward import accepted_line as walkforward_line
from scripts.bulk_walkforward import follow_walkforward


@dataclass(frozen=True)
class PortfolioSearch:
    """A search's command: its ``noun`` in texts, the ``Client`` ``method`` submitting it
    and the fields that method takes by position (``named``), the line announcing an
    accepted one and the follower that waits for it (the exit code)."""

    noun: str
    method: str
    named: tuple[str, ...]
    announce: Callable[[Any], str]
    follow: Callable[[Any, argparse.Namespace, TextIO], int]


SEARCHES = {
    "sweep": PortfolioSearch(
        "sweep", "sweep_portfolio", ("base", "grid", "random"), sweep_line, follow_sweep
    ),
    "walkforward": PortfolioSearch(
        "walk-forward",
        "portfolio_walkforward",
        ("base", "grid", "train_bars", "test_bars", "random"),
        walkforward_line,
        follow_walkforward,
    ),
}
"""Each search over a portfolio, by its command's name (``scripts.bulk_portfolio_<name>``)."""


def search_parser(name: str, description: str | None) -> argparse.ArgumentParser:
    """The options of the ``name`` search's command (its help text ``description``)."""
    parser = command_parser(f"python -m scripts.bulk_portfolio_{name}", description)
    add_file_options(parser, f"JSON {SEARCHES[name].noun} request(s) over a portfolio")
    return parser


def submit_searches(name: str, args: argparse.Namespace, out: TextIO | None) -> int:
    """Submit every ``name`` search the files of ``args`` hold, announce and follow each
    (``submit_each``); the worst exit code."""
    search = SEARCHES[name]
    return submit_each(
        args,
        f"{search.noun} request over a portfolio",
        lambda client, body: by_position(getattr(client, search.method), search.named, body),
        lambda handle, _body: search.announce(handle),
        search.follow,
        out,
    )
