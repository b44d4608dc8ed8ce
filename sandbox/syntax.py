"""A strategy's syntax error, found without running it: the web's 400 names its line.

``syntax_failure`` parses the source (``ast.parse``: no constant folding, nothing
executed, no import), so the web process may call it on any submitted text; the text's
size is the request's cap to enforce first. The sandboxed child reports the same errors
the same way when it compiles the module. The last few texts that parsed are remembered
(``_parses``): a sweep chunk checks each of its points' requests, which all carry the same
module (a 20 KB module took 10.5 ms to parse on a 2-core VM: 2.6 s for a chunk of 250).
"""

from __future__ import annotations

import ast
from functools import lru_cache

from sandbox.outcome import Failure

FILENAME = "strategy.py"
"""The file name a strategy's module has in messages and tracebacks."""


def message(text: str, line: int | None, column: int | None) -> str:
    """``"syntax error at line 3, column 7: invalid syntax"``."""
    where = (
        ""
        if line is None
        else f" at line {line}" + ("" if column is None else f", column {column}")
    )
    return f"syntax error{where}: {text}"


PARSED_KEPT = 8
"""How many texts that parsed are remembered (each at most the request's cap)."""


@lru_cache(maxsize=PARSED_KEPT)
def _parses(source: str, filename: str) -> bool:
    """True once ``source`` parsed (remembered); a text that does not parse raises, so no
    failure is remembered."""
    ast.parse(source, filename=filename)
    return True


def syntax_failure(source: str, filename: str = FILENAME) -> Failure | None:
    """The syntax error of ``source`` as a failure naming its line and column, or None."""
    try:
        _parses(source, filename)
    except SyntaxError as exc:
        return Failure(
            "syntax", message(exc.msg, exc.lineno, exc.offset), line=exc.lineno, column=exc.offset
        )
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, deep nesting
        return Failure("syntax", message(str(exc) or type(exc).__name__, None, None))
    return None
