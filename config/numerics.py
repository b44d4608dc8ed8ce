"""The environment under which a process's numpy and OpenBLAS give the same bits on every
x86-64 node with AVX2 and FMA (any CPU a cluster of the last decade schedules on).

Both pick their code by the CPU they find, and the picks round differently: numpy's AVX-512
loops for ``exp``, ``log``, ``power``, ``log1p``, ``cbrt``… differ in the last bit of some
values from its AVX2 loops and the C library's, which a CPU without AVX-512 runs; OpenBLAS's
AVX-512 kernels (SkylakeX) sum a dot product or a solve in another order than its Haswell
ones. So a process that is to compute the same numbers on every node runs numpy without its
AVX-512 targets (``NPY_DISABLE_CPU_FEATURES``, names of the pinned numpy's dispatch targets:
a name the CPU lacks is ignored) and OpenBLAS on its Haswell kernels (``OPENBLAS_CORETYPE``),
both read once, when the library loads. A CPU without AVX2 and FMA gets neither (forcing
Haswell kernels there would stop the process at its first BLAS call).

A consumer Job takes both before numpy loads (``consumer.__main__``), and the strategy
sandbox gives its child both (``sandbox.launcher``), so the platform's numbers and a user's
own numpy code are the same on every node; the test command exports them for the suite
(``python -m config.numerics`` prints them), so that a test's own computation matches a
Job's. Standard library only: a Job imports it before numpy.
"""

from __future__ import annotations

NUMPY_WITHOUT_AVX512 = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}
"""numpy 2.4's AVX-512 dispatch targets, switched off: it runs its AVX2 loops, the same bits
as on a CPU without AVX-512."""

BLAS_KERNELS = {"OPENBLAS_CORETYPE": "Haswell"}
"""OpenBLAS's AVX2 + FMA kernels, whichever CPU it finds."""

NEEDED_FLAGS = frozenset({"avx2", "fma"})
"""The CPU flags both need (``/proc/cpuinfo``)."""


def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The first processor's flags in ``cpuinfo`` (none when it cannot be read)."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as lines:
            line = next((line for line in lines if line.startswith("flags")), "")
    except OSError:
        return frozenset()
    return frozenset(line.partition(":")[2].split())


def blas_kernels(cpuinfo: str = "/proc/cpuinfo") -> dict[str, str]:
    """``BLAS_KERNELS`` where the CPU runs them, else nothing."""
    return dict(BLAS_KERNELS) if cpu_flags(cpuinfo) >= NEEDED_FLAGS else {}


def same_numerics(cpuinfo: str = "/proc/cpuinfo") -> dict[str, str]:
    """Both settings where the CPU runs them, else nothing."""
    if not cpu_flags(cpuinfo) >= NEEDED_FLAGS:
        return {}
    return {**NUMPY_WITHOUT_AVX512, **BLAS_KERNELS}


if __name__ == "__main__":  # NAME=VALUE lines for a shell (scripts/test.sh)
    for name, value in same_numerics().items():
        print(f"{name}={value}")
