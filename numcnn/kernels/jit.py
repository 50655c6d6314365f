"""The one place that defines how numcnn's kernels are compiled, and that tells the user when they are.

Every kernel is an ``@kernel`` function of arrays and ints only:

- ``cache=True`` stores the machine code next to the source, so only the very first run of a new install (or
  of an edited kernel) pays the compile time;
- ``nogil=True`` releases Python's GIL while the kernel runs, so the threads of ``numcnn.kernels.parallel``
  really run side by side, each on its own part of the batch;
- ``fastmath={"contract"}`` lets LLVM fuse ``a * b + c`` into one FMA instruction (one rounding instead of
  two). No other fast-math flag: without ``reassoc`` sums keep the order written in the source, so results
  stay within rounding of the NumPy references, and NaN/inf behave as in NumPy.

Kernels are serial: numcnn parallelizes by calling a kernel on different parts of the batch from different
threads (``numcnn.kernels.parallel``), not with ``prange``, so a single thread pool owns the cores.
"""
from __future__ import annotations

import sys
import weakref

import numba
from numba.core import event

JIT_OPTIONS = dict(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy", boundscheck=False)

_kernels: weakref.WeakSet = weakref.WeakSet()  # every dispatcher made by ``kernel``, wherever it is defined


def kernel(function):
    """Decorator for numcnn's kernels (and for any package's kernels that want the same options)."""
    dispatcher = numba.njit(**JIT_OPTIONS)(function)
    _kernels.add(dispatcher)
    return dispatcher


class _AnnounceCompile(event.Listener):
    """Prints one line when Numba starts compiling a function made by ``kernel``, once per process.

    Numba fires ``numba:compile`` only when it found no usable machine code in its cache, just before it
    compiles; so the message appears exactly when there is a wait, and never on a warm cache.
    """

    announced = False

    def on_start(self, ev: event.Event) -> None:
        if not self.announced and ev.data["dispatcher"] in _kernels:
            _AnnounceCompile.announced = True
            print("numcnn: compiling kernels, once per install (up to half a minute)...", file=sys.stderr, flush=True)

    def on_end(self, ev: event.Event) -> None:
        pass


event.register("numba:compile", _AnnounceCompile())

