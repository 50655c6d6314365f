"""The feature-map figure: written as a PNG of a sensible size, and bad arguments named."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import numcnn
from numcnn.activations import conv_feature_maps
from numcnn.plots import plot_feature_maps

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG file's header (its IHDR chunk comes first)."""
    header = path.read_bytes()[:24]
    assert header[:8] == PNG_SIGNATURE and header[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def digits_and_maps():
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    model = numcnn.zoo.build("small", classes=10, seed=1)
    return images, conv_feature_maps(model, images[:, None].astype(np.float32) / 255)


def test_the_feature_map_figure_is_written_as_a_png(digits_and_maps, tmp_path):
    images, feature_maps = digits_and_maps
    path = tmp_path / "feature_maps.png"
    plot_feature_maps(images, feature_maps, str(path), titles=["true 1", "true 2", "true 3"])
    width, height = png_size(path)
    assert 800 <= width <= 2500 and 500 <= height <= 1500, (width, height)
    assert width > height, "one row per image, the image and two layers side by side"
    assert [p.name for p in tmp_path.iterdir()] == ["feature_maps.png"], "no temporary file left"


def test_the_feature_map_figure_names_bad_arguments(digits_and_maps, tmp_path):
    images, feature_maps = digits_and_maps
    path = str(tmp_path / "figure.png")
    with pytest.raises(ValueError, match="no convolution layer"):
        plot_feature_maps(images, [], path)
    with pytest.raises(ValueError, match="3 titles"):
        plot_feature_maps(images, feature_maps, path, titles=["one"])
    with pytest.raises(ValueError, match="for the 2 images"):
        plot_feature_maps(images[:2], feature_maps, path)
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        plot_feature_maps(images[0], feature_maps, path)
