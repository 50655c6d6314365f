"""numcnn.memory: with freed memory kept, a training step's worth of large arrays reuses its pages."""
import platform
import subprocess
import sys
import textwrap

import pytest

from numcnn.memory import keep_freed_memory

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")

MEASURE = textwrap.dedent("""
    import resource
    import numpy as np
    from numcnn.memory import keep_freed_memory

    def page_faults_per_step(steps=20):
        start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(steps):  # the activations of a keras-example step at batch 128, made and dropped
            x = np.ones((128, 32, 26, 26), np.float32)
            y = np.maximum(x, 0)
            del x, y
        return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start) / steps

    before = page_faults_per_step()
    assert keep_freed_memory()
    page_faults_per_step()  # the heap grows once to hold them
    print(before, page_faults_per_step())
""")


@glibc_only
def test_large_arrays_reuse_their_pages_once_freed_memory_is_kept():
    result = subprocess.run([sys.executable, "-c", MEASURE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after = map(float, result.stdout.split())
    assert after < 10, f"{after} page faults per step with freed memory kept (before: {before})"
    assert after < before


@glibc_only
def test_glibc_takes_the_settings():
    assert keep_freed_memory() is True
