"""Names for the numba-compiled code in Linux ``perf``'s profiles: ``write_map`` writes the
process's ``/tmp/perf-<pid>.map``, the file ``perf report`` reads for code it cannot
symbolise itself (docs/benchmarks.md, "Profiling the compiled code").

numba's machine code lives in memory its JIT allocated, with no symbol table ``perf`` can
read, so a profile of the broker's step shows bare addresses. Each code library numba
compiled in this process keeps its final LLVM module, whose functions' addresses the
library answers; a library loaded from numba's on-disk cache keeps an empty one, so the code
to be profiled must be compiled in the profiled process (an empty ``NUMBA_CACHE_DIR``).

    NUMBA_CACHE_DIR=$(mktemp -d) .venv/bin/python my_profile.py &  # calls write_map()
    perf record -g -p <its pid> -- sleep 20 && perf report --no-children --sort symbol
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

MAX_SIZE = 1 << 20
"""The most bytes one function is said to span: the last one's, whose end is not known."""


def compiled_functions() -> tuple[list[tuple[int, str]], int]:
    """(address, mangled name) of every function numba compiled in this process, by
    address; and the number of code libraries that have no module to read (loaded from the
    cache)."""
    from numba.core.codegen import CodeLibrary

    found: set[tuple[int, str]] = set()
    cached = 0
    for library in [o for o in gc.get_objects() if isinstance(o, CodeLibrary)]:
        module = getattr(library, "_final_module", None)
        defined = [f.name for f in module.functions if not f.is_declaration] if module else []
        if not defined:  # loaded from the cache: its module is empty
            cached += 1
            continue
        for name in defined:
            address = library.get_pointer_to_function(name)
            if address:
                found.add((address, name))
    return sorted(found), cached


def write_map(path: Path | None = None) -> tuple[Path, int, int]:
    """Write ``perf``'s map of this process's compiled functions (``path``, by default
    ``/tmp/perf-<pid>.map``): one line per function, its start, its size up to the next
    function's start, its name. Returns (the path, the functions written, the libraries
    skipped because they came from the cache)."""
    path = path or Path(f"/tmp/perf-{os.getpid()}.map")
    functions, cached = compiled_functions()
    lines = []
    for i, (address, name) in enumerate(functions):
        end = functions[i + 1][0] if i + 1 < len(functions) else address + MAX_SIZE
        lines.append(f"{address:x} {min(end - address, MAX_SIZE):x} {name}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path, len(functions), cached
