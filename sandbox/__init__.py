"""The strategy sandbox: user Python runs in a child process that cannot get out.

The child confines itself before any user code (rlimits, no capabilities, Landlock,
no_new_privs, seccomp: ``sandbox/child.py``, ``confine``, ``landlock``, ``seccomp``,
``runner``; standard library only) and talks to its parent over one pipe pair in
length-prefixed JSON (``protocol``). The parent (``launcher``) starts it with an empty
environment in a scratch directory, enforces the wall clock, the message cap and the
scratch directory's size, checks every answer and never executes one;
``Limits`` come from ``config.process``; ``syntax_failure`` finds a syntax error without
running anything (the web's 400). In host mode (``Sandbox(..., host=True)``) the child runs
a strategy class through a fixed harness (``runner.Harness``) and may read the strategy
package's directory besides. docs/security.md#the-strategy-sandbox has the threat
model and what each layer blocks.

The parent's names are loaded on first use, so that the child importing ``sandbox.protocol``
loads nothing else of the project.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the child imports this package, and typing costs ~10 ms
if TYPE_CHECKING:
    from sandbox.launcher import Sandbox, run
    from sandbox.limits import Limits
    from sandbox.outcome import Failure, Outcome, SandboxFailed
    from sandbox.syntax import syntax_failure

_NAMES = {
    "Sandbox": "sandbox.launcher",
    "run": "sandbox.launcher",
    "Limits": "sandbox.limits",
    "Failure": "sandbox.outcome",
    "Outcome": "sandbox.outcome",
    "SandboxFailed": "sandbox.outcome",
    "syntax_failure": "sandbox.syntax",
}


def __getattr__(name: str) -> object:
    """The parent's names, imported when first asked for."""
    if name in _NAMES:
        import importlib

        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")


__all__ = ["Failure", "Limits", "Outcome", "Sandbox", "SandboxFailed", "run", "syntax_failure"]
