"""What a user gets back from the sandbox: values, their own traceback, the line of a syntax
error, which limit was hit, the same numbers on every run, numpy and pandas, a child that
answers call after call, and the parent's checks of the wire format."""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy
import pytest

from config.process import ConfigurationError
from sandbox import Limits, Sandbox, SandboxFailed, run, syntax_failure
from sandbox.protocol import FrameReader, FrameTooLong, ProtocolError, encode
from tests.numpy_loops import printed_in_child
from tests.sandbox.conftest import LIMITS

ROOT = Path(__file__).resolve().parents[2]


def test_a_value_comes_back_as_json_and_the_printed_output_beside_it():
    source = (
        "def main(p):\n"
        "    print('hello', p['x'])\n"
        "    return {'double': p['x'] * 2, 'list': [1, None]}\n"
    )
    outcome = run(source, "main", {"x": 21}, LIMITS)
    assert outcome.status == "SUCCEEDED"
    assert outcome.value == {"double": 42, "list": [1, None]}
    assert outcome.output == "hello 21\n"


def test_an_exception_shows_the_users_frames_only_under_their_modules_name():
    source = (
        "import json\n"
        "def helper(x):\n"
        "    return json.loads(x)\n"
        "def main(p):\n"
        "    return helper('{not json')\n"
    )
    outcome = run(source, "main", None, LIMITS)
    assert outcome.status == "FAILED"
    failure = outcome.failure
    assert failure.kind == "exception"
    assert failure.message.startswith("JSONDecodeError: Expecting property name")
    assert failure.traceback.splitlines()[:5] == [
        "Traceback (most recent call last):",
        '  File "strategy.py", line 5, in main',
        "    return helper('{not json')",
        "           ^^^^^^^^^^^^^^^^^^^",
        '  File "strategy.py", line 3, in helper',
    ]
    assert "json/decoder.py" not in failure.traceback
    assert "sandbox" not in failure.traceback


def test_an_exception_while_the_module_loads_fails_the_start():
    outcome = run("import no_such_module\n", "main", None, LIMITS)
    assert outcome.failure.kind == "exception"
    assert outcome.failure.message == "ModuleNotFoundError: No module named 'no_such_module'"
    assert '  File "strategy.py", line 1, in <module>' in outcome.failure.traceback


def test_a_syntax_error_names_its_line_and_column_in_the_sandbox_and_without_running():
    source = "def main(p):\n    x = (1,\n    return x\n"
    expected = "syntax error at line 2, column 9: '(' was never closed"
    found = syntax_failure(source)
    assert (found.kind, found.message, found.line, found.column) == ("syntax", expected, 2, 9)
    outcome = run(source, "main", None, LIMITS)
    assert outcome.failure.kind == "syntax"
    assert (outcome.failure.message, outcome.failure.line, outcome.failure.column) == (
        expected,
        2,
        9,
    )
    assert syntax_failure("def main(p):\n    return p\n") is None


def test_the_syntax_check_runs_nothing_and_refuses_nul_bytes_and_deep_nesting(tmp_path):
    marker = tmp_path / "ran"
    assert syntax_failure(f"open({str(marker)!r}, 'w')\n") is None
    assert not marker.exists()
    assert syntax_failure("x = 1\0\n").kind == "syntax"
    assert syntax_failure("x = " + "[" * 100_000 + "]" * 100_000).message == (
        "syntax error at line 1, column 205: too many nested parentheses"
    )
    assert syntax_failure("x = 1" + " + 1" * 200_000).message.startswith(
        "syntax error: maximum recursion depth exceeded"
    )


def test_a_text_that_parsed_is_not_parsed_again_and_a_failure_is_found_every_time(monkeypatch):
    """A sweep chunk checks every point's request, each with the same module: it is parsed
    once. A text with a syntax error is parsed on every check, so a failure is never
    remembered."""
    import ast
    from types import SimpleNamespace

    from sandbox import syntax

    parsed: list[str] = []

    def parse(text: str, **options):
        parsed.append(text)
        return ast.parse(text, **options)

    monkeypatch.setattr(syntax, "ast", SimpleNamespace(parse=parse))
    syntax._parses.cache_clear()
    good, bad = "def main(p):\n    return p\n", "def main(p):\n    return (\n"
    assert [syntax_failure(good) for _ in range(3)] == [None] * 3
    assert [syntax_failure(bad).line for _ in range(2)] == [2, 2]
    assert parsed == [good, bad, bad]
    others = [f"x = {k}\n" for k in range(syntax.PARSED_KEPT)]
    for text in others:
        assert syntax_failure(text) is None
    assert syntax_failure(good) is None  # pushed out by as many other texts: parsed again
    assert parsed[-1] == good and len(parsed) == 3 + syntax.PARSED_KEPT + 1


def test_a_missing_function_or_a_value_json_cannot_hold_is_the_users_error():
    assert run("x = 1\n", "main", None, LIMITS).failure.message == (
        "AttributeError: the module has no function 'main'"
    )
    source = "def main(p):\n    return float('nan')\n"
    assert run(source, "main", None, LIMITS).failure.message == (
        "ValueError: Out of range float values are not JSON compliant"
    )


def test_random_numpy_and_set_order_are_the_same_on_every_run_for_one_seed():
    """numpy is seeded when the code first imports it, here inside the function."""
    source = (
        "import random\n"
        "def main(p):\n"
        "    import numpy\n"
        "    return [random.random(), float(numpy.random.random()), list({'a', 'b', 'c', 'd'})]\n"
    )
    first, second = (run(source, "main", None, LIMITS, seed=7) for _ in range(2))
    assert first.status == "SUCCEEDED" and first.value == second.value
    expected = [random.Random(7).random(), float(numpy.random.RandomState(7).random_sample())]
    assert first.value[:2] == expected
    other = run(source, "main", None, LIMITS, seed=8)
    assert other.value[:2] != first.value[:2]


def test_numpy_and_pandas_import_and_compute_inside_the_sandbox():
    source = (
        "import numpy as np\n"
        "import pandas as pd\n"
        "def main(p):\n"
        "    x = np.arange(1.0, 401.0).reshape(20, 20)\n"
        "    series = pd.Series(np.arange(100.0)).rolling(10).mean()\n"
        "    return [float((x @ x).trace()), float(series.iloc[-1])]\n"
    )
    outcome = run(source, "main", None, LIMITS)
    assert outcome.status == "SUCCEEDED", outcome.failure
    assert outcome.value[1] == 94.5


OWN_NUMPY = (
    "import hashlib\n"
    "import numpy as np\n"
    "def main(p):\n"
    "    x = (np.arange(1, 20_001) % 997 - 498) / 97.0\n"
    "    m = np.arange(40_000.0).reshape(200, 200) % 13 + 50 * np.eye(200)\n"
    "    parts = [np.exp(x), np.log(np.abs(x) + 1e-3), np.power(x, 3), np.log1p(np.abs(x)),\n"
    "             np.linalg.solve(m, x[:200]), m @ x[:200]]\n"
    "    return hashlib.sha256(np.concatenate(parts).tobytes()).hexdigest()\n"
)


def test_a_strategys_own_numpy_computes_the_same_numbers_on_every_node():
    """A user's own numpy code (exponentials, logarithms, powers, a solve, a product) in
    the sandbox gives the bits of a process whose numpy runs its baseline loops and whose
    OpenBLAS its Haswell kernels, as on a node without AVX-512: the child runs numpy without
    its AVX-512 targets and OpenBLAS on the Haswell kernels (``config.numerics``). (Without
    them this fails on an AVX-512 CPU.)"""
    outcome = run(OWN_NUMPY, "main", None, LIMITS)
    assert outcome.status == "SUCCEEDED", outcome.failure
    printed = printed_in_child(OWN_NUMPY + "print(main(None))\n", baseline=True)
    assert outcome.value == printed.strip()


def test_one_child_answers_call_after_call_keeping_its_state():
    source = (
        "state = {'bars': 0}\n"
        "def on_bar(p):\n"
        "    state['bars'] += 1\n"
        "    if p['close'] < 0:\n"
        "        raise ValueError('negative close')\n"
        "    return {'bars': state['bars'], 'buy': p['close'] > 100}\n"
    )
    with Sandbox(source, LIMITS) as child:
        assert child.landlock_abi is not None and child.landlock_abi >= 6
        assert child.call("on_bar", {"close": 99}) == {"bars": 1, "buy": False}
        assert child.call("on_bar", {"close": 101}) == {"bars": 2, "buy": True}
        with pytest.raises(SandboxFailed, match="ValueError: negative close"):
            child.call("on_bar", {"close": -1})
        assert child.call("on_bar", {"close": 50}) == {"bars": 4, "buy": False}
        scratch = child.scratch
        assert os.path.isdir(scratch)
    assert not os.path.exists(scratch)


def test_a_child_stopped_at_a_limit_fails_every_later_call_the_same_way():
    source = "def main(p):\n    while True:\n        pass\n"
    with Sandbox(source, LIMITS) as child:
        with pytest.raises(SandboxFailed) as first:
            child.call("main", None)
        with pytest.raises(SandboxFailed) as second:
            child.call("main", None)
    assert first.value.failure.limit == second.value.failure.limit == "cpu"


def test_limits_come_from_the_sandbox_variables():
    assert Limits.from_environment({}) == Limits()
    chosen = Limits.from_environment({"SANDBOX_MEMORY_MB": "256", "SANDBOX_WALL_SECONDS": "2.5"})
    assert (chosen.memory_mb, chosen.wall_seconds) == (256, 2.5)
    with pytest.raises(ConfigurationError, match="SANDBOX_OPEN_FILES"):
        Limits.from_environment({"SANDBOX_OPEN_FILES": "0"})


def test_the_frame_reader_refuses_a_long_frame_from_its_header_and_anything_but_an_object():
    reader = FrameReader(max_bytes=100)
    frame = encode({"type": "ready"})
    assert reader.feed(frame[:3]) == []
    assert reader.feed(frame[3:] + frame) == [{"type": "ready"}, {"type": "ready"}]
    with pytest.raises(FrameTooLong, match="a message of 101 bytes is over the limit of 100"):
        FrameReader(100).feed(struct.pack(">I", 101))
    for body in (b"[1]", b"\xff", b'{"x": NaN}', b"{"):
        with pytest.raises(ProtocolError):
            FrameReader(100).feed(struct.pack(">I", len(body)) + body)
    assert json.loads(frame[4:]) == {"type": "ready"}


VALUES = [
    {"a": 1, "b": [1.5, -0.0, 1e300, None, True, 'é\u2028"x"'], "c": {"z": 1, "y": 2}},
    {"n": 123456789012345678901234567890, "f": 0.1 + 0.2, "e": [], "o": {}, "k": {"1": 2}},
]


@pytest.mark.parametrize("value", VALUES)
def test_frames_hold_the_bytes_json_dumps_writes_and_read_as_json_loads_reads(value):
    frame = encode(value)
    expected = json.dumps(value, allow_nan=False, sort_keys=True, separators=(",", ":"))
    assert frame[4:] == expected.encode()
    assert FrameReader(1 << 20).feed(frame) == [json.loads(expected)]


def test_frames_refuse_what_json_cannot_hold():
    for value, error in (
        ({"x": float("nan")}, ValueError),
        ({"x": float("inf")}, ValueError),
        ({"x": {1, 2}}, TypeError),
        ({"x": numpy.int64(1)}, TypeError),
    ):
        with pytest.raises(error):
            encode(value)
    loop: dict = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        encode(loop)
    for body in (b" {}", b"{} ", b"{}{}", b"", b'{"x": Infinity}', b"[" * 100_000):
        with pytest.raises(ProtocolError):
            FrameReader(1 << 20).feed(struct.pack(">I", len(body)) + body)


def test_the_child_is_the_oom_killers_first_choice_and_its_scratch_is_flat():
    with Sandbox("def main(p):\n    return 1\n", LIMITS) as child:
        with open(f"/proc/{child.pid}/oom_score_adj", encoding="ascii") as stream:
            assert stream.read().strip() == "1000"
        assert os.listdir(child.scratch) == ["output.txt"]


def test_the_child_holds_no_descriptor_but_its_pipe_pair_its_output_and_dev_null():
    source = (
        "import os, stat\n"
        "def main(p):\n"
        "    found = {}\n"
        "    for fd in range(1024):\n"
        "        try:\n"
        "            mode = os.fstat(fd).st_mode\n"
        "        except OSError:\n"
        "            continue\n"
        "        kind = 'file' if stat.S_ISREG(mode) else 'char'\n"
        "        found[fd] = 'fifo' if stat.S_ISFIFO(mode) else kind\n"
        "    return found\n"
    )
    outcome = run(source, "main", None, LIMITS)
    assert outcome.value == {"0": "char", "1": "file", "2": "file", "3": "fifo", "4": "fifo"}


def test_a_call_with_a_seed_draws_the_same_numbers_whatever_ran_before_it():
    """A sweep's combinations share one child: each seeded call is its own, numpy loaded
    before it or not."""
    source = (
        "import random\n"
        "def draw(p):\n"
        "    if p:\n"
        "        import numpy\n"
        "        return [random.random(), float(numpy.random.random())]\n"
        "    return [random.random()]\n"
    )
    with Sandbox(source, LIMITS, seed=1) as child:
        first = child.call("draw", True, seed=5)
        child.call("draw", False)
        again = child.call("draw", True, seed=5)
        unseeded = child.call("draw", True)
    assert first == again != unseeded
    assert first == [random.Random(5).random(), float(numpy.random.RandomState(5).random_sample())]


def test_a_child_dies_with_the_process_that_started_it():
    """A consumer killed mid-run (its wall clock gone with it) leaves no sleeping child."""
    helper = (
        "import threading, time\n"
        "from sandbox import Limits, Sandbox\n"
        "child = Sandbox('import time\\ndef main(p):\\n    time.sleep(120)\\n', Limits())\n"
        "child.start()\n"
        "threading.Thread(target=child.call, args=('main', None), daemon=True).start()\n"
        "print(child.pid, child.scratch, flush=True)\n"
        "time.sleep(0.5)\n"
        "import os\n"
        "os._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", helper], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    pid, scratch = done.stdout.split()
    pid = int(pid)
    shutil.rmtree(scratch)  # a killed consumer leaves it (a Job's /tmp goes with its pod)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    survived = _alive(pid)
    if survived:
        os.kill(pid, 9)  # not left behind by a failing run of this test
    assert not survived


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
