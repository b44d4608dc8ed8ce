"""``bench.perf_map`` names the code numba compiled in the process at the addresses the
code runs from, and says how many libraries came from the cache without a module."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
