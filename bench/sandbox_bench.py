"""What the strategy sandbox adds to a child process's start, and what one call costs.

    .venv/bin/python -m bench.sandbox_bench [--repeat 20] [--calls 1500]

(1) Start to ready, median of ``--repeat``, the three interleaved: a bare child (``python
    -s -P -c`` writing one frame: the floor of any child), the sandbox's own child with its
    protections off (``Sandbox(without=("rlimits", "landlock", "seccomp"))``: the same
    interpreter, script and pipe, the peer), and the sandbox with every protection on. The
    figure is the launcher's ``ready_seconds``: from spawning to the child's "ready", sent
    once it is confined, before it loads the user's module. Goal: the sandbox at most
    30 ms above the bare child; the line after it says how much of that the protections
    themselves take (the sandbox against its unprotected peer).
(2) The whole start of a sandbox (ready, then a one-function module loaded), median, for
    the record (numpy is imported only when the code imports it, and seeded then).
(3) One call's round trip (a small payload in, a small value out), median of ``--calls``
    in one sandbox: the price of driving a strategy bar by bar across the pipe.

Prints the machine's load (``/proc/loadavg``) beside the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from sandbox import Limits, Sandbox
from sandbox.launcher import ENVIRONMENT, ROOT
from sandbox.protocol import encode

GOAL_MS = 30.0
SOURCE = "def on_bar(p):\n    return {'buy': p['close'] > 100.0}\n"
UNPROTECTED = ("rlimits", "landlock", "seccomp")


def machine_load() -> str:
    """The load averages of the last 1, 5 and 15 minutes."""
    with open("/proc/loadavg", encoding="ascii") as stream:
        return " ".join(stream.read().split()[:3])


def bare_child() -> float:
    """Spawn to first frame of a child that only writes one frame."""
    code = f"import os; os.write(1, {encode({'type': 'ready'})!r})"
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-s", "-P", "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=ENVIRONMENT,
        cwd=ROOT,
        close_fds=True,
        start_new_session=True,
    )
    process.stdout.read(4)
    elapsed = time.monotonic() - started
    process.communicate()
    return elapsed


def sandbox_start(without: tuple[str, ...]) -> tuple[float, float]:
    """(spawn to ready, spawn to module loaded) of one sandbox."""
    started = time.monotonic()
    with Sandbox(SOURCE, Limits(), without=without) as child:
        loaded = time.monotonic() - started
        assert child.ready_seconds is not None
        return child.ready_seconds, loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1500)
    options = parser.parse_args(argv)
    load_before = machine_load()
    bare, plain, boxed, plain_loaded, boxed_loaded = [], [], [], [], []
    for _ in range(options.repeat):
        bare.append(bare_child())
        ready, loaded = sandbox_start(UNPROTECTED)
        plain.append(ready)
        plain_loaded.append(loaded)
        ready, loaded = sandbox_start(())
        boxed.append(ready)
        boxed_loaded.append(loaded)
    trips = []
    with Sandbox(SOURCE, Limits()) as child:
        for index in range(options.calls):
            started = time.perf_counter()
            child.call("on_bar", {"close": 99.0 + index % 3})
            trips.append(time.perf_counter() - started)
    load_after = machine_load()

    def ms(values: list[float]) -> float:
        return statistics.median(values) * 1000

    over_bare, over_peer = ms(boxed) - ms(bare), ms(boxed) - ms(plain)
    verdict = "PASS" if over_bare <= GOAL_MS else "MISS"
    print(f"machine load (1, 5, 15 min): before {load_before}, after {load_after}")
    print(f"cores: {os.cpu_count()}; medians of {options.repeat}, interleaved")
    print("(1) start to ready")
    print(f"  bare child (python -c, one frame)        {ms(bare):7.1f} ms")
    print(f"  sandbox child, protections off (peer)    {ms(plain):7.1f} ms")
    print(f"  sandbox child, every protection on       {ms(boxed):7.1f} ms")
    print(
        f"  sandbox above the bare child             {over_bare:7.1f} ms   goal <= {GOAL_MS:g} ms"
    )
    print(f"    {verdict}; of which the protections themselves {over_peer:.1f} ms")
    print("(2) start to module loaded (numpy not imported: it loads when the code imports it)")
    print(f"  protections off {ms(plain_loaded):7.1f} ms   on {ms(boxed_loaded):7.1f} ms")
    print(f"(3) one call's round trip, median of {options.calls}: {ms(trips) * 1000:6.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
