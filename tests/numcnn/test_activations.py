"""A look inside a model: every layer's output, the feature maps of its convolutions, and how they are tiled."""
from __future__ import annotations

import numpy as np
import pytest

import numcnn
from numcnn.activations import conv_feature_maps, grid_columns, layer_outputs, scale_per_map, tile_maps


@pytest.fixture(scope="module")
def small_model() -> numcnn.Sequential:
    """An untrained "small" net: Normalize, Conv16, ReLU, Pool, Conv32, ReLU, Pool, Flatten, Dropout, Dense..."""
    return numcnn.zoo.build("small", classes=11, seed=3)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)


def test_layer_outputs_keep_one_output_per_layer_ending_with_the_models(small_model, images):
    outputs = layer_outputs(small_model, images)
    assert len(outputs) == len(small_model.layers)
    for layer, output in zip(small_model.layers, outputs):
        assert output.shape[0] == 3, f"{layer!r} keeps the batch axis"
    assert [output.shape[1:] for output in outputs[:3]] == [(1, 28, 28), (16, 26, 26), (16, 26, 26)]
    np.testing.assert_array_equal(outputs[-1], small_model.forward(images))
    np.testing.assert_array_equal(layer_outputs(small_model, images)[-1], outputs[-1],
                                  err_msg="inference: dropout off, the same output every time")


def test_conv_feature_maps_are_taken_after_the_relu_that_follows_each_convolution(small_model, images):
    outputs = layer_outputs(small_model, images)
    first, second = conv_feature_maps(small_model, images)
    assert (first.conv_index, first.relu_index, second.conv_index, second.relu_index) == (1, 2, 4, 5)
    np.testing.assert_array_equal(first.maps, outputs[2])
    np.testing.assert_array_equal(second.maps, outputs[5])
    assert first.maps.min() >= 0, "after the ReLU"
    assert first.label == "layers 1-2: Conv2D + ReLU, 16 maps of 26x26"
    assert second.label == "layers 4-5: Conv2D + ReLU, 32 maps of 11x11"


def test_a_convolution_without_relu_gives_its_raw_output():
    rng = np.random.default_rng(1)
    layers = [numcnn.Conv2D(1, 4, 3, rng=rng), numcnn.Flatten(), numcnn.Dense(4 * 26 * 26, 2, rng=rng)]
    model = numcnn.Sequential(layers)
    (maps,) = conv_feature_maps(model, rng.random((2, 1, 28, 28), dtype=np.float32))
    assert maps.relu_index is None and maps.maps.shape == (2, 4, 26, 26) and maps.maps.min() < 0
    assert maps.label == "layer 0: Conv2D (no ReLU after it), 4 maps of 26x26"


def test_a_model_without_convolutions_has_no_feature_maps():
    model = numcnn.Sequential([numcnn.Flatten(), numcnn.Dense(28 * 28, 10)])
    assert conv_feature_maps(model, np.zeros((1, 1, 28, 28), np.float32)) == []


def test_bad_inputs_are_named(small_model):
    with pytest.raises(ValueError, match="floating-point"):
        layer_outputs(small_model, np.zeros((1, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="batch"):
        layer_outputs(small_model, np.zeros(5, np.float32)[0])
    with pytest.raises(TypeError, match="numcnn model"):
        layer_outputs("model.npz", np.zeros((1, 1, 28, 28), np.float32))


def test_each_map_is_scaled_on_its_own_with_zero_black():
    maps = np.zeros((4, 2, 2), dtype=np.float32)
    maps[0] = [[0.0, 0.5], [1.0, 2.0]]          # after a ReLU: 0 stays black, the highest value is white
    maps[1] = [[-4.0, 0.0], [2.0, 4.0]]         # with negative values: the lowest is black
    maps[2] = 7.0                               # as strong everywhere: white everywhere
    scaled = scale_per_map(maps)                # maps[3]: a filter that found nothing stays black
    np.testing.assert_allclose(scaled[0], [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_allclose(scaled[1], [[0.0, 0.5], [0.75, 1.0]])
    np.testing.assert_array_equal(scaled[2], 1.0)
    np.testing.assert_array_equal(scaled[3], 0.0)
    assert scaled.dtype == np.float32


def test_maps_are_tiled_row_by_row_in_a_grid_with_gaps():
    maps = np.arange(5, dtype=np.float32)[:, None, None] * np.ones((5, 2, 3), np.float32)
    mosaic = tile_maps(maps, columns=3, gap=1, gap_value=-1)
    assert mosaic.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert mosaic[0, 0] == 0 and mosaic[0, 4] == 1 and mosaic[3, 4] == 4, "map 4 is second on the second row"
    assert mosaic[2, 0] == -1 and mosaic[0, 3] == -1 and mosaic[3, 8] == -1, "gaps and the unused last cell"
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        tile_maps(maps[0], columns=2)


@pytest.mark.parametrize("count, aspect, columns", [(24, 1, 6), (48, 1, 8), (16, 1, 4), (24, 2, 8), (48, 2, 12),
                                                     (1, 1, 1), (3, 2, 3)])
def test_grids_are_about_as_wide_as_asked_with_few_empty_cells(count, aspect, columns):
    assert grid_columns(count, aspect) == columns
