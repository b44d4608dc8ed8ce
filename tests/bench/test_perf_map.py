"""``bench.perf_map`` names the code numba compiled in the process at the addresses the
code runs from, and says how many libraries came from the cache without a module; its
``annotate`` counts a function's samples by instruction, read from the process's memory."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.perf_map import disassemble, samples_within

CHILD = """
import sys
from pathlib import Path
from numba import njit

from bench.perf_map import write_map

@njit(cache=True)
def profiled_sum_of_squares(n):
    s = 0.0
    for i in range(n):
        s += i * i
    return s

profiled_sum_of_squares(10)
path, written, cached = write_map(Path(sys.argv[1]))
signature = profiled_sum_of_squares.signatures[0]
library = profiled_sum_of_squares.overloads[signature].library
name = profiled_sum_of_squares.overloads[signature].fndesc.llvm_func_name
print(written, cached, f"{library.get_pointer_to_function(name):x}")
"""


def _child(tmp_path: Path, cache: Path, name: str) -> tuple[list[str], list[str]]:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(root)}
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    out = tmp_path / name
    done = subprocess.run(
        [sys.executable, str(script), str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), out.read_text(encoding="utf-8").splitlines()


def test_a_function_compiled_in_the_process_is_named_at_its_address(tmp_path):
    (written, _, address), lines = _child(tmp_path, tmp_path / "cache", "fresh.map")
    assert int(written) == len(lines) >= 1
    rows = [line.split(" ", 2) for line in lines]
    starts = [int(start, 16) for start, _, _ in rows]
    assert starts == sorted(starts) and all(int(size, 16) > 0 for _, size, _ in rows)
    named = [start for start, _, name in rows if "profiled_sum_of_squares" in name]
    assert address in named


def test_a_function_loaded_from_the_cache_is_counted_not_named(tmp_path):
    cache = tmp_path / "cache"
    _child(tmp_path, cache, "first.map")
    (_, cached, _), lines = _child(tmp_path, cache, "again.map")
    assert int(cached) >= 1
    assert not [line for line in lines if "profiled_sum_of_squares" in line]


def test_samples_are_counted_by_offset_within_the_named_function_only():
    map_lines = [
        "1000 40 _ZN6engine6broker4step8walk_runB3v74E",
        "1040 20 _ZN6engine6broker4step5_buyB4v3E",
        "2000 10 cfunc._ZN6engine6broker4step5_buyB4v3E",
    ]
    ips = [0x1040, 0x1048, 0x1048, 0x105F, 0x1060, 0x103F, 0x2004]
    start, size, counts = samples_within(map_lines, "_ZN6engine6broker4step5_buy", ips)
    assert (start, size) == (0x1040, 0x20)
    assert counts == {0: 1, 8: 2, 0x1F: 1}
    with pytest.raises(LookupError):
        samples_within(map_lines, "_ZN6engine6broker4step6_close", ips)


def test_the_instructions_are_read_from_the_process_memory_by_offset():
    code = ctypes.create_string_buffer(b"\x48\x31\xc0\x48\xff\xc0\xc3", 7)  # xor; inc; ret
    instructions = disassemble(os.getpid(), ctypes.addressof(code), 7)
    assert list(instructions) == [0, 3, 6]
    assert instructions[0].startswith("xor") and "%rax" in instructions[0]
    assert instructions[3].startswith("inc") and instructions[6].startswith("ret")
