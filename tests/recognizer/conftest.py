"""Fixtures shared by the recognizer's tests."""
import pytest

import numcnn
from recognizer.recognizer import CLASSES


@pytest.fixture(scope="module")
def two_conv_model() -> numcnn.Sequential:
    """An untrained "small" net with the recognizer's classes: Conv16 + ReLU, pool, Conv32 + ReLU, pool, then dense
    layers."""
    return numcnn.zoo.build("small", classes=CLASSES, seed=2)
