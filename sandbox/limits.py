"""The limits of one sandboxed child, read from the environment in config's one place.

``Limits.from_environment()`` reads ``SANDBOX_*`` (``config.process``); a caller (a test,
a sweep chunk sizing its child) may build its own. The child gets them as numbers in its
start message; the wall clock and the message cap are the parent's to enforce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from config import process

SCRATCH_MAX_FILES = 1000
"""The most files a child's scratch directory may hold (it cannot make directories)."""


@dataclass(frozen=True)
class Limits:
    """Memory (address space), CPU seconds, wall seconds, open files, message and output
    bytes, and file size (disk) of one sandboxed child; ``combination_cpu_seconds``: the
    CPU seconds of one combination in a sweep chunk's child (``runner.Harness``)."""

    memory_mb: int = process.SANDBOX_MEMORY_MB.default
    cpu_seconds: int = process.SANDBOX_CPU_SECONDS.default
    wall_seconds: float = process.SANDBOX_WALL_SECONDS.default
    combination_cpu_seconds: float = process.SANDBOX_COMBINATION_CPU_SECONDS.default
    open_files: int = process.SANDBOX_OPEN_FILES.default
    output_bytes: int = process.SANDBOX_OUTPUT_BYTES.default
    disk_bytes: int = process.SANDBOX_DISK_BYTES.default

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits the ``SANDBOX_*`` variables set (their defaults when unset).

        :raise config.process.ConfigurationError: a value is refused.
        """
        return cls(
            memory_mb=process.SANDBOX_MEMORY_MB.value(environ),
            cpu_seconds=process.SANDBOX_CPU_SECONDS.value(environ),
            wall_seconds=process.SANDBOX_WALL_SECONDS.value(environ),
            combination_cpu_seconds=process.SANDBOX_COMBINATION_CPU_SECONDS.value(environ),
            open_files=process.SANDBOX_OPEN_FILES.value(environ),
            output_bytes=process.SANDBOX_OUTPUT_BYTES.value(environ),
            disk_bytes=process.SANDBOX_DISK_BYTES.value(environ),
        )

    def for_child(self) -> dict[str, int]:
        """The rlimits the child sets on itself."""
        return {
            "memory_bytes": self.memory_mb << 20,
            "cpu_seconds": self.cpu_seconds,
            "open_files": self.open_files,
            "disk_bytes": self.disk_bytes,
        }

    def describe(self, limit: str) -> str:
        """The message of a limit hit: which one, and its value."""
        return {
            "memory": f"the strategy ran out of memory (limit {self.memory_mb} MB)",
            "cpu": f"the strategy used its {self.cpu_seconds} s of CPU time and was stopped",
            "combination_cpu": f"the strategy used its {self.combination_cpu_seconds:g} s of "
            "CPU time for one combination of the sweep chunk and was stopped",
            "wall": f"the strategy ran {self.wall_seconds:g} s, its time limit, and was stopped",
            "output": f"the strategy sent over {self.output_bytes} bytes at once and was stopped",
            "open_files": f"the strategy opened more than {self.open_files} files at once",
            "disk": f"the strategy wrote more than {self.disk_bytes} bytes, or {SCRATCH_MAX_FILES} "
            "files, in its scratch directory",
        }[limit]
