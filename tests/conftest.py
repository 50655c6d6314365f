"""Shared test fixtures: where the real MNIST files are, and the dataset itself (loaded once per session)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_MNIST = REPO_ROOT.parent / "shared" / "data" / "mnist"

# Tests never download: point the loader at the genuine MNIST beside the repository unless told otherwise.
if not os.environ.get("NUMCNN_DATA") and SHARED_MNIST.is_dir():
    os.environ["NUMCNN_DATA"] = str(SHARED_MNIST)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The directory with the four MNIST files (skips the test when there is none)."""
    directory = os.environ.get("NUMCNN_DATA")
    if not directory or not Path(directory).is_dir():
        pytest.skip(f"real MNIST not available: set NUMCNN_DATA to its directory (or put it in {SHARED_MNIST})")
    return Path(directory).resolve()  # absolute: tests link to it from elsewhere, and may change directory


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    """((x_train, y_train), (x_test, y_test)) from numcnn.data.load_mnist: uint8 (N, 28, 28), int64 (N,)."""
    from numcnn.data import load_mnist
    return load_mnist(mnist_dir)
