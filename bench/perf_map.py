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

``perf annotate`` cannot read that code either (it reads instructions from the files it
names), so ``annotate`` (``python -m bench.perf_map annotate PID perf.data SYMBOL``, while
the process still runs) counts the samples on each instruction of one function and reads
the instructions from the process's memory (``/proc/<pid>/mem``, disassembled by binutils'
``objdump``): where inside a function its time goes.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
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


def samples_within(map_lines: Iterable[str], symbol: str, ips: Iterable[int]) -> tuple:
    """(start, size, samples by offset from the start) of the first function of a perf map
    (``write_map``'s lines) whose name starts with ``symbol``, over the sampled instruction
    addresses ``ips`` (those outside it not counted). Raises ``LookupError`` when no
    function is so named."""
    for line in map_lines:
        start, size, name = line.split(" ", 2)
        if name.strip().startswith(symbol):
            first, span = int(start, 16), int(size, 16)
            counts = Counter(ip - first for ip in ips if first <= ip < first + span)
            return first, span, counts
    raise LookupError(f"no function named {symbol}... in the map")


def disassemble(pid: int, start: int, size: int) -> dict[int, str]:
    """The instructions of ``size`` bytes of process ``pid``'s memory from ``start``, by
    offset from it, as binutils' ``objdump`` reads them (reading another process's memory
    takes the right to trace it: the same user where ptrace allows it, or root)."""
    with open(f"/proc/{pid}/mem", "rb") as memory:
        memory.seek(start)
        code = memory.read(size)
    with tempfile.NamedTemporaryFile(suffix=".bin") as raw:  # objdump seeks in its file
        raw.write(code)
        raw.flush()
        command = ["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", raw.name]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    instructions = {}
    for line in done.stdout.splitlines():
        offset, sep, text = line.partition(":\t")
        if sep and offset.strip():
            instructions[int(offset.strip(), 16)] = " ".join(text.split("\t")[1:]).strip()
    return instructions


def sampled_ips(perf_data: Path) -> list[int]:
    """The instruction address of each sample of a ``perf record`` file."""
    done = subprocess.run(
        ["perf", "script", "-i", str(perf_data), "-F", "ip", "--hide-call-graph"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [int(word, 16) for word in done.stdout.split()]


def annotate(pid: int, perf_data: Path, symbol: str, top: int = 20) -> list[str]:
    """The ``top`` instructions of ``symbol`` (a name's start, as in the map) by samples in
    ``perf_data``, each with its share of the function's samples, its offset and its text;
    the first line the function's samples against the file's."""
    ips = sampled_ips(perf_data)
    map_lines = Path(f"/tmp/perf-{pid}.map").read_text(encoding="utf-8").splitlines()
    start, size, counts = samples_within(map_lines, symbol, ips)
    inside = sum(counts.values())
    text = disassemble(pid, start, size)
    lines = [f"{symbol}: {inside:,} of {len(ips):,} samples"]
    for offset, n in counts.most_common(top):
        share = 100 * n / max(inside, 1)
        lines.append(f"{n:7,} {share:5.1f} %  +{offset:#06x}  {text.get(offset, '?')}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.perf_map", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    each = commands.add_parser("annotate", help="the samples on each instruction of a function")
    each.add_argument("pid", type=int, help="the profiled process, still running")
    each.add_argument("perf_data", type=Path, help="its perf record file")
    each.add_argument("symbol", help="the start of the function's name in the map")
    each.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    print("\n".join(annotate(args.pid, args.perf_data, args.symbol, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
