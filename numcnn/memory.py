"""Why numcnn asks the C allocator to keep the memory it frees.

A training step allocates its activations and gradients anew (a layer's output is a new array), megabytes each,
and frees them a step later. glibc's malloc hands blocks that large to the operating system and back (``mmap``,
or trimming the top of its heap), so every step the kernel maps fresh pages and zero-fills each one on its first
touch: hundreds of page faults per step (``python scripts/benchmark.py --profile`` counts them; what they cost
is in docs/benchmarks.md). Told to keep freed blocks up to a few tens of megabytes, malloc reuses them, and a
step after the first touches almost no new page. PyTorch and TensorFlow get the same from caching allocators
of their own; for NumPy arrays the C allocator is the one to ask.

The cost: the process keeps up to ``KEEP_FREED_BYTES`` of freed memory instead of returning it at once.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
"""Blocks up to this size come from malloc's heap, not fresh mappings: glibc's largest allowed value."""
KEEP_FREED_BYTES = 256 * 1024 * 1024
"""Free memory at the top of the heap kept for reuse rather than returned: a training step's arrays fit."""


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to reuse freed blocks instead of returning them to the system; True if it could.

    Affects the whole process. Any other C library (macOS, Windows, musl) is left as it is (False).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES))
