"""How numcnn uses the CPU cores: it splits the batch into one part per core and works on the parts at once.

    parts = parallel.split(n_batch, work_per_sample)     # e.g. [slice(0, 64), slice(64, 128)] on 2 cores
    results = parallel.run(work_on, parts)               # work_on(part) for each part, in parallel

``work_on`` calls Numba kernels (compiled with ``nogil=True``) and NumPy's matmul, which both release the GIL,
so plain Python threads keep every core busy. One pool of threads for everything, instead of Numba's
``prange`` for the kernels plus BLAS's own threads for the matrix products: those two pools spin-wait after
each call and then fight over the same cores, which made every layer several times slower.

For the same reason numcnn asks OpenBLAS (the BLAS inside NumPy's wheels) to run each matrix product on one
thread, the first time it runs any work (``limit_blas_threads``): our threads already split the products
across the cores. Other BLAS libraries are left alone. At the same moment it asks the C allocator to keep the
memory it frees (``numcnn.memory``), so a training step's arrays reuse the last step's pages.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

import numba
import numpy as np

from numcnn.memory import keep_freed_memory

Result = TypeVar("Result")

MIN_WORK_PER_THREAD = 200_000
"""Work units (about one element read or written, or ~16 multiply-adds) below which a part is not worth handing
to another thread: waking a thread costs tens of microseconds, as long as ~200,000 units take."""

_threads = max(1, int(numba.config.NUMBA_NUM_THREADS))  # the cores we may use (honors NUMBA_NUM_THREADS)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_process_set_up = False


def num_threads() -> int:
    """Threads numcnn works with (the usable cores, or ``NUMBA_NUM_THREADS``)."""
    return _threads


def set_num_threads(n: int) -> None:
    """Work with ``n`` threads from now on (1 runs everything in the calling thread)."""
    global _threads, _pool
    if int(n) != n or n < 1:
        raise ValueError(f"set_num_threads: n must be an integer >= 1, got {n!r}")
    with _pool_lock:
        _threads = int(n)
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def split(n_items: int, work_per_item: float) -> list[slice]:
    """Cut ``range(n_items)`` into at most ``num_threads()`` equal contiguous slices of enough work each.

    work_per_item: cost of one item (e.g. one sample) in work units (see ``MIN_WORK_PER_THREAD``).
    Returns [slice(0, n_items)] when the whole job is too small to share.
    """
    worth = int(n_items * work_per_item // MIN_WORK_PER_THREAD)
    parts = max(1, min(_threads, n_items, worth))
    return [slice(n_items * i // parts, n_items * (i + 1) // parts) for i in range(parts)]


def run(work_on: Callable[[slice], Result], parts: list[slice]) -> list[Result]:
    """[work_on(part) for part in parts], the parts running at the same time on different threads.

    The calling thread does the first part itself. ``work_on`` must only write to the rows of its own part
    (or return its result), so the parts never race. Exceptions are re-raised after every part has stopped.
    """
    _set_up_process_once()  # with one thread too: else a lone product would spread over cores other work is using
    if len(parts) == 1:
        return [work_on(parts[0])]
    futures = [_get_pool().submit(work_on, part) for part in parts[1:]]
    try:
        first = work_on(parts[0])
    finally:
        wait(futures)  # never leave a part still writing into arrays the caller is about to use
    return [first] + [future.result() for future in futures]


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads - 1, thread_name_prefix="numcnn")
        return _pool


def _set_up_process_once() -> None:
    global _process_set_up
    if not _process_set_up:
        _process_set_up = True
        limit_blas_threads()
        keep_freed_memory()


def limit_blas_threads() -> bool:
    """Ask the OpenBLAS bundled with NumPy to use one thread per call; True if it was found.

    Done through OpenBLAS's public ``openblas_set_num_threads`` C function (as ``threadpoolctl`` does), since
    NumPy has no API for it. It affects NumPy's matrix products in the whole process; numcnn's own threads
    make up for it. A NumPy built on another BLAS (MKL, Accelerate) is left as it is.
    """
    numpy_dir = os.path.dirname(np.__file__)
    candidates = (glob.glob(os.path.join(numpy_dir, os.pardir, "numpy.libs", "*openblas*"))
                  + glob.glob(os.path.join(numpy_dir, ".dylibs", "*openblas*")))
    for path in candidates:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(library, name, None)
            if setter is not None:
                setter(1)
                return True
    return False
