"""What one adversary scenario measured: goals with their figure and limit (``Goal``), and
the scenario's report (``ScenarioReport``) that ``bench.adversary.__main__`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Goal:
    """One figure against its limit: ``ok`` is whether the figure meets the limit."""

    name: str
    figure: float
    limit: float
    unit: str = ""
    at_most: bool = True
    """True: the figure must be <= limit (executions, MB, stuck); False: >= limit."""

    @property
    def ok(self) -> bool:
        return self.figure <= self.limit if self.at_most else self.figure >= self.limit

    def line(self) -> str:
        sign = "<=" if self.at_most else ">="
        verdict = "ok" if self.ok else "MISSED"
        goal = f"goal {sign} {self.limit:g}{self.unit}"
        return f"{self.name}: {self.figure:g}{self.unit} ({goal}) {verdict}"


@dataclass
class ScenarioReport:
    """A scenario's goals and free-text notes (what it did, timings)."""

    scenario: str
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(goal.ok for goal in self.goals)

    def lines(self) -> list[str]:
        return [f"== {self.scenario}", *(f"   {note}" for note in self.notes)] + [
            f"   {goal.line()}" for goal in self.goals
        ]
