"""The sandbox's child: confines itself, then runs the user's module and answers calls.

Started by ``sandbox.launcher`` as ``python -s -P <this file> <project root>`` with an
empty environment, in a scratch directory, as the leader of a new session. Descriptor 0 is
the parent's pipe in, 1 the pipe out, 2 the output file in scratch. Before any user code:
read the parent's start message, ask for SIGKILL when the parent dies (its wall clock
dies with it), set the rlimits, drop capabilities, load libseccomp, apply Landlock (which
sets no_new_privs), load the seccomp filter, seed ``random`` (and ``numpy.random`` once
numpy is imported), then execute the user's source as the module ``strategy.py`` and
answer ``call`` messages with ``return`` or ``raise`` until ``exit`` or the end of the pipe,
then leave at once (``os._exit``: nothing of the user's runs after its last answer).

Nothing here is a wall against the user's code, which shares this process: the walls are
the kernel's (rlimits, capabilities, Landlock, seccomp) and the parent's checks of every
message.
"""

from __future__ import annotations

import os
import sys

START_MAX_BYTES = 64 << 20
"""The largest start message read (from the trusted parent)."""


def main() -> int:
    root = sys.argv[1]
    sys.path.insert(0, root)
    try:
        from sandbox import confine, protocol, runner
    finally:
        sys.path.remove(root)
    read_fd, write_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)  # what the code prints goes to the output file, never into the protocol
    start = protocol.read_frame(read_fd, START_MAX_BYTES)
    if start is None:
        return 0
    if not confine.die_with_parent(start["parent"]):
        return 0  # the parent is gone already: nobody waits for an answer
    try:
        abi = confine.confine(start)
    except Exception as exc:  # reported, and nothing of the user's runs
        protocol.write_frame(write_fd, {"type": "refused", "message": str(exc)})
        return 3
    protocol.write_frame(write_fd, {"type": "ready", "landlock_abi": abi})
    return runner.serve(start, read_fd, write_fd)


if __name__ == "__main__":
    code = main()
    for stream in (sys.stdout, sys.stderr):  # what the code printed reaches the output file
        try:  # noqa: SIM105 (contextlib is one more import in every child)
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)  # no interpreter teardown: with pandas loaded it takes a fifth of a second
