"""The error of a refused expression: a short sentence and where in the text it points."""

from __future__ import annotations


class ExprError(ValueError):
    """An expression text is refused. ``message`` is user-safe and says what is wrong;
    ``line`` and ``column`` (1-based) point at the culprit in the text; ``where`` reads
    "column 12" (or "line 2, column 3" in a text of several lines)."""

    def __init__(self, message: str, line: int = 1, column: int = 1, multiline: bool = False):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.multiline = multiline

    @property
    def where(self) -> str:
        if self.multiline:
            return f"line {self.line}, column {self.column}"
        return f"column {self.column}"

    def describe(self) -> str:
        """Position and message: "column 1: unknown name 'clse' (did you mean close?)"."""
        return f"{self.where}: {self.message}"
