"""The cube kind: an item cubes ``n`` (or ``-n``: its ``sign``) and stores it in its row's
``cube`` column; its search (``search``) varies both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from work.kind import Claim, WorkKind
from work.transitions import ItemTable, succeed_item

TABLE = "cubes"

PAGE = """{% extends "dashboard/base.html" %}{% block content %}
<h1>Cubes</h1>
<ul>{% for item in items %}
<li>{{ item.cube_id }} {{ item.status }} {{ item.cube }}</li>
{% endfor %}</ul>
{% endblock %}"""
"""Its page: the items the viewer may see, in the dashboard's layout."""


@dataclass(frozen=True)
class Cubed:
    """A computed cube."""

    cube_id: str
    cube: int

    def store(self, tx: Any) -> bool:
        return succeed_item(tx, TABLE, "cube_id", self.cube_id, cube=self.cube)

    def summary(self, elapsed_ms: float) -> str:
        return f"cubed in {elapsed_ms:.0f} ms"


def cubed(message: dict[str, Any]) -> int:
    """The cube of a request's signed ``n`` (what an item stores, and a search's point)."""
    side = int(message["n"])
    return (-side if message.get("sign") == "-" else side) ** 3


def compute(claim: Claim, message: dict[str, Any]) -> Cubed:
    """Cube ``n``."""
    return Cubed(claim.item_id, cubed(message))


CUBE = WorkKind(
    name="cube",
    function="tests.work.cubes.kind.run_cube",
    items=ItemTable(name=TABLE, id_field="cube_id"),
    compute=compute,
    describe=lambda message: f"cube {message['cube_id']}",
    resource="cubes",
    noun="cube",
    request="tests.work.cubes.request:CubeRequest",
    result_columns=("cube",),
    page="tests.work.cubes.kind:PAGE",
    search="tests.work.cubes.search:SEARCH",
)
"""The cube kind: on the shared queue, every transition and route derived."""
