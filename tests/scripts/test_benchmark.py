"""scripts/benchmark.py in its own process, as a user runs it, on tiny settings (seconds each): --help, the
per-layer profile, and the comparison when PyTorch and TensorFlow are missing, as in CI. Where they are installed,
stand-in modules that fail to import hide them."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import numcnn

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = ("--repeats", "1", "--batch", "8", "--threads", "1")


def run_benchmark(*args: str, hide_from: Path | None = None) -> subprocess.CompletedProcess:
    """Run the script; ``hide_from``: a folder of stand-in modules put before the installed packages."""
    path = [str(hide_from)] if hide_from else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(REPO_ROOT)])}
    return subprocess.run([sys.executable, "scripts/benchmark.py", *args], check=False, cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_help_lists_the_options_but_not_the_internal_ones():
    result = run_benchmark("--help")
    assert result.returncode == 0, result.stderr
    for option in ("--nets", "--peers", "--rounds", "--repeats", "--threads", "--batch", "--profile"):
        assert option in result.stdout
    assert "--worker" not in result.stdout and "--matmul-shape" not in result.stdout


def test_an_unknown_peer_is_refused():
    result = run_benchmark("--peers", "torch,jax")
    assert result.returncode == 2 and "unknown peer(s) ['jax']" in result.stderr


@pytest.fixture(scope="module")
def profile_output() -> str:
    result = run_benchmark("--profile", "--nets", "keras-example,default", *TINY)
    assert result.returncode == 0, result.stderr
    return result.stdout


def profile_section(output: str, net: str) -> str:
    return output.split(f"net {net},")[1].split("numcnn training step")[0]


def numbers_after_shape(row: str) -> list[str]:
    """The columns after the output shape: forward ms, backward ms (or -), share[, GFLOP, fwd and bwd GFLOP/s]."""
    return row.rsplit(")", 1)[1].split()


@pytest.mark.parametrize("net", ["keras-example", "default"])
def test_the_profile_times_every_layer_with_sane_numbers(profile_output, net):
    section = profile_section(profile_output, net)
    model = numcnn.zoo.build(net)
    for index, layer in enumerate(model.layers):
        (row,) = re.findall(rf"^{index:>2} {type(layer).__name__}\b.*$", section, re.MULTILINE)
        forward_ms, backward_ms, share, *speeds = numbers_after_shape(row)
        assert float(forward_ms) >= 0 and 0 <= float(share.rstrip("%")) <= 100  # a tiny layer may show 0.00 ms
        if layer.params:  # Conv2D and Dense: a backward pass, FLOPs and a speed
            assert float(backward_ms) >= 0
            gflop, forward_speed, backward_speed = map(float, speeds)
            assert gflop >= 0 and 0 < forward_speed < 10_000 and 0 < backward_speed < 10_000  # 0.000: Dense 128->10
        else:
            assert speeds == []
    for name in ("loss (softmax + cross-entropy)", "optimizer (Adam.step)", "Python between the calls"):
        (row,) = [line for line in section.splitlines() if line.startswith(name)]
        assert float(row[len(name):].split()[0]) >= 0
    shares = [float(word.rstrip("%")) for line in section.splitlines() for word in line.split()
              if word.endswith("%") and not line.startswith(("whole step", "matrix products", "  everything"))]
    assert sum(shares) == pytest.approx(100, abs=2)  # the rows add up to the whole step, to rounding


def test_the_profile_counts_the_flops_of_each_matrix_product(profile_output):
    """keras-example at batch 8, as the issue counts them: conv = 2*N*C_out*H_out*W_out*C_in*k*k, dense =
    2*N*in*out, backward twice the forward but once for the first conv, whose input needs no gradient."""
    first_conv, second_conv, dense = 2 * 8 * 32 * 26 * 26 * 1 * 9, 2 * 8 * 64 * 11 * 11 * 32 * 9, 2 * 8 * 1600 * 10
    total = 2 * first_conv + 3 * second_conv + 3 * dense
    label = "whole step (sum of the rows)"
    (whole,) = [line for line in profile_section(profile_output, "keras-example").splitlines()
                if line.startswith(label)]
    step_ms, _, gflop, speed = whole[len(label):].split()[:4]  # the share column between: always 100%
    assert float(gflop) == pytest.approx(total / 1e9, abs=1e-3)
    assert float(speed) == pytest.approx(total / 1e9 / (float(step_ms) / 1e3), rel=0.05, abs=0.01)


def test_the_profile_compares_with_a_plain_matmul_and_splits_products_from_the_rest(profile_output):
    section = profile_section(profile_output, "default")
    assert "np.matmul (32x288) @ (288x4608)" in section  # Conv2D 32->32 on 8 images of 24x24 outputs
    assert float(re.search(r"([\d.]+) GFLOP/s on 1 thread", section).group(1)) > 0
    products, rest = (float(re.search(rf"{words} [\d.]+ ms \((\d+)%", section).group(1))
                      for words in ("Dense layers take", "everything else"))
    assert products + rest == pytest.approx(100, abs=1)


def test_missing_peers_are_skipped_with_a_note_and_numcnn_is_still_measured(tmp_path):
    for module in ("torch", "tensorflow"):
        (tmp_path / f"{module}.py").write_text(f'raise ImportError("No module named {module!r} (hidden)")\n')
    result = run_benchmark("--nets", "keras-example", "--rounds", "1", *TINY, hide_from=tmp_path)
    assert result.returncode == 0, result.stderr
    output = result.stdout
    for library, install in (("torch-nchw", "pip install torch"), ("torch-channels-last", "pip install torch"),
                             ("keras", "pip install tensorflow-cpu")):
        assert f"{library}: skipped, not installed (No module named" in output and f"{install} to compare" in output
    (row,) = [line for line in output.splitlines() if line.startswith("keras-example")]
    assert row.split()[1] == "numcnn" and float(row.split()[2].replace(",", "")) > 0
    assert not re.search(r"^\s+(torch-nchw|torch-channels-last|keras)\s", output, re.MULTILINE)  # no peer rows
    assert re.search(r"peak of the whole numcnn process .*: \d+ MB", output)
    assert re.search(r"start-up, a new process to its first forward .*: [\d.]+ s", output)
