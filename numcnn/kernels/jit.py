"""The one place that defines how numcnn's kernels are compiled.

Every kernel is an ``@njit`` function of arrays and ints only. ``cache=True`` stores the machine code
next to the source, so only the very first run of a new install pays the compile time.
"""
from __future__ import annotations

import glob
import os
import sys

import numba

JIT_OPTIONS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")

kernel = numba.njit(**JIT_OPTIONS)
"""Decorator for serial kernels (small work, or called per sample)."""

parallel_kernel = numba.njit(parallel=True, **JIT_OPTIONS)
"""Decorator for kernels that split their outer loop over the CPU cores with ``numba.prange``."""

_announced = False


def announce_first_compile() -> None:
    """Tell the user once per process when the kernels have never been compiled on this machine.

    Numba writes an index file (``*.nbi``) per cached kernel; when none exist yet, the first forward
    pass compiles everything, which takes a while and should not look like a hang.
    """
    global _announced
    if _announced:
        return
    _announced = True
    here = os.path.dirname(os.path.abspath(__file__))
    cache_dirs = [os.path.join(here, "__pycache__")]
    if os.environ.get("NUMBA_CACHE_DIR"):
        cache_dirs.append(os.environ["NUMBA_CACHE_DIR"])
    if not any(glob.glob(os.path.join(d, "**", "*.nbi"), recursive=True) for d in cache_dirs):
        print("numcnn: compiling kernels (first run only, about a minute)...", file=sys.stderr, flush=True)
