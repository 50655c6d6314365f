"""numcnn.augment: random affine transforms keep shapes, dtypes and order, stay within their bounds, reproduce."""
from __future__ import annotations

import numpy as np
import pytest

from numcnn.augment import NO_CHANGE, AffineRanges, affine_matrices, augment, random_affine_params, warp

CENTER = (13.5, 13.5)


def blobs(centers: list[tuple[float, float]], sigma: float = 2.5) -> np.ndarray:
    """(N, 28, 28) float32 images, each a Gaussian blob at (x, y) = centers[i]."""
    y, x = np.mgrid[0:28, 0:28]
    return np.stack([np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma ** 2)) for cx, cy in centers]
                    ).astype(np.float32)


def center_of_mass(images: np.ndarray) -> np.ndarray:
    """images: (N, H, W) -> (N, 2) as (x, y)."""
    y, x = np.mgrid[0:images.shape[1], 0:images.shape[2]]
    mass = images.sum(axis=(1, 2))
    return np.stack([(images * x).sum(axis=(1, 2)) / mass, (images * y).sum(axis=(1, 2)) / mass], axis=1)


def digits(n: int = 16, seed: int = 0) -> np.ndarray:
    """(n, 28, 28) uint8 stand-ins for digits: random strokes in the middle of a black image."""
    images = np.zeros((n, 28, 28), np.uint8)
    images[:, 6:22, 8:20] = np.random.default_rng(seed).integers(0, 256, (n, 16, 12), dtype=np.uint8)
    return images


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_keeps_shape_dtype_and_does_not_modify_its_input(dtype):
    images = digits().astype(dtype)
    before = images.copy()
    out = augment(images, np.random.default_rng(0))
    assert out.shape == images.shape and out.dtype == images.dtype
    np.testing.assert_array_equal(images, before)
    assert not np.array_equal(out, images)


def test_float_values_stay_within_the_input_range():
    images = digits().astype(np.float32) / 255
    out = augment(images, np.random.default_rng(1))
    assert out.min() >= 0 and out.max() <= images.max() + 1e-6


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_identity_parameters_give_the_identity(dtype):
    images = digits().astype(dtype)
    np.testing.assert_array_equal(augment(images, np.random.default_rng(0), NO_CHANGE), images)


def test_pure_shift_moves_the_center_of_mass_by_the_shift():
    centers = [(13.5, 13.5), (10.0, 15.0), (16.0, 12.0), (12.5, 14.0)]
    images = blobs(centers)
    ranges = AffineRanges(rotation_deg=0.0, scale=(1.0, 1.0), shear=0.0, shift_px=3.0)
    shifts = random_affine_params(len(images), np.random.default_rng(7), ranges)["shift"]
    out = augment(images, np.random.default_rng(7), ranges)  # same seed -> the same draws
    assert np.abs(shifts).max() > 1  # the test is not vacuous
    np.testing.assert_allclose(center_of_mass(out) - center_of_mass(images), shifts, atol=0.03)


def test_each_output_comes_from_its_own_input_so_labels_still_match():
    centers = [(8.0, 8.0), (20.0, 8.0), (8.0, 20.0), (20.0, 20.0)]
    images = blobs(centers, sigma=1.5)
    out = augment(images, np.random.default_rng(3))  # default ranges: at most a few pixels of movement
    distances = np.linalg.norm(center_of_mass(out)[:, None] - center_of_mass(images)[None], axis=2)
    np.testing.assert_array_equal(distances.argmin(axis=1), np.arange(len(images)))


def test_rotation_by_90_degrees_turns_the_image_about_its_center():
    images = digits(3)
    matrices = affine_matrices(np.full(3, 90.0), np.ones(3), np.zeros(3), np.zeros((3, 2)), CENTER)
    np.testing.assert_array_equal(warp(images, matrices), np.rot90(images, k=-1, axes=(1, 2)))


def test_rotation_scale_and_shear_keep_a_centered_blob_centered():
    images = blobs([CENTER] * 8)
    ranges = AffineRanges(shift_px=0.0)
    out = augment(images, np.random.default_rng(5), ranges)
    np.testing.assert_allclose(center_of_mass(out), np.full((8, 2), 13.5), atol=0.05)


def test_drawn_parameters_stay_within_their_ranges():
    ranges = AffineRanges(rotation_deg=10.0, scale=(0.8, 1.2), shear=0.2, shift_px=2.0)
    params = random_affine_params(10_000, np.random.default_rng(0), ranges)
    assert np.abs(params["rotation_deg"]).max() <= 10.0
    assert 0.8 <= params["scale"].min() and params["scale"].max() <= 1.2
    assert np.abs(params["shear"]).max() <= 0.2
    assert np.abs(params["shift"]).max() <= 2.0
    # Rotation and shear preserve area, so each matrix scales areas by exactly scale**2.
    matrices = affine_matrices(**params, center=CENTER)
    np.testing.assert_allclose(np.linalg.det(matrices[:, :, :2]), params["scale"] ** 2, rtol=1e-12)


def test_same_seed_same_result_other_seed_other_result():
    images = digits()
    first = augment(images, np.random.default_rng(42))
    np.testing.assert_array_equal(first, augment(images, np.random.default_rng(42)))
    assert not np.array_equal(first, augment(images, np.random.default_rng(43)))


def test_rejects_images_without_a_batch_axis():
    with pytest.raises(ValueError, match=r"augment expects images of shape \(N, H, W\)"):
        augment(np.zeros((28, 28), np.uint8), np.random.default_rng(0))
