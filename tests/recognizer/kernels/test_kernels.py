"""segment.digit_images (recognizer/kernels/digits.py): every digit of a frame normalized in one kernel call,
checked digit by digit against the readable reference normalize_digit(digit_ink(mask, blob, darkness))
(naive.digit_images), on synthetic photos and on drawn cases that take each branch of the reference
(thickened, thinned, enlarged, empty, one pixel wide)."""
import cv2
import numpy as np
import pytest

from recognizer import naive, synth
from recognizer.cuts import split_options
from recognizer.normalize import DIGIT_BOX, adjust_stroke_width, as_unit_float, crop_to_ink
from recognizer.preprocess import ink_mask, to_gray, to_working_size
from recognizer.recognizer import DEFAULT_MODEL, Recognizer
from recognizer.segment import Blob, digit_images, digit_ink, find_blobs, find_digit_blobs

# Measured with OpenCV 5: at most 0.0035 on 250 scenes (a few ink pixels in a million rounded to the next grey
# level by cv2.addWeighted), 1e-6 on the drawn cases; OpenCV 4's warpAffine, shifting by multiples of 1/32 pixel,
# would add up to 1/64. Every slip tried in the kernel fails these tests: no thinning or thickening, a quantile
# or the crop level changed, a square kernel for the ellipse, the resizes' pixel centres off by half a pixel, ...
MAX_DIFFERENCE = 0.02


def largest_difference(mask, darkness, blobs):
    images = digit_images(mask, darkness, blobs)
    assert images.shape == (len(blobs), 28, 28) and images.dtype == np.float32
    return float(np.abs(images - naive.digit_images(mask, darkness, blobs)).max(initial=0))


@pytest.fixture(scope="module")
def frames(mnist_dir):
    """50 synthetic photos as (mask, darkness, blobs, the pieces of every wide blob's cuts)."""
    images, labels = synth.load_test_digits(str(mnist_dir))
    rng = np.random.default_rng(7)
    frames = []
    for _ in range(50):
        small, _ = to_working_size(to_gray(synth.make_scene(rng, images, labels).image), 640)
        mask, darkness = ink_mask(small)
        blobs = find_digit_blobs(mask, darkness)
        pieces = [piece for blob in blobs for pair in split_options(mask, blob) for piece in pair]
        frames.append((mask, darkness, blobs, pieces))
    return frames


def test_scenes_match_the_reference(frames):
    assert sum(len(blobs) for _, _, blobs, _ in frames) > 300  # the scenes do have digits
    assert sum(len(pieces) for *_, pieces in frames) > 10       # and cut pieces (own ink drawn from contours)
    for mask, darkness, blobs, pieces in frames:
        assert largest_difference(mask, darkness, blobs) < MAX_DIFFERENCE
        assert largest_difference(mask, darkness, pieces) < MAX_DIFFERENCE


def test_binary_ink_without_darkness_matches_the_reference(frames):
    for mask, _, blobs, pieces in frames[:10]:
        assert largest_difference(mask, None, blobs + pieces) < MAX_DIFFERENCE


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"no shipped model at {DEFAULT_MODEL}")
def test_the_network_reads_every_digit_the_same(frames):
    model = Recognizer.from_file().model
    for mask, darkness, blobs, pieces in frames:
        if blobs + pieces:
            ours = model.predict_proba(digit_images(mask, darkness, blobs + pieces)[:, None]).argmax(axis=1)
            theirs = model.predict_proba(naive.digit_images(mask, darkness, blobs + pieces)[:, None]).argmax(axis=1)
            np.testing.assert_array_equal(ours, theirs)


def drawn(draw) -> tuple[np.ndarray, np.ndarray, list[Blob]]:
    """A 200x200 darkness image with something drawn on it by draw(image) -> (mask, darkness, its blobs)."""
    darkness = np.zeros((200, 200), np.uint8)
    draw(darkness)
    darkness = cv2.GaussianBlur(darkness, (3, 3), 0)  # soft edges, as a camera's
    mask = np.where(darkness >= 64, 255, 0).astype(np.uint8)
    blobs, _ = find_blobs(mask)  # own ink drawn from their contours, as for cut pieces
    assert blobs
    return mask, darkness, blobs


def reference_crop(mask, darkness, blob):
    """The reference's crop before and after its stroke width adjustment."""
    values = crop_to_ink(as_unit_float(digit_ink(mask, blob, darkness)))
    return values, adjust_stroke_width(values, DIGIT_BOX / max(values.shape))


def ring(thickness: int, axes: tuple[int, int] = (40, 70)):
    return lambda image: cv2.ellipse(image, (100, 100), axes, 0, 0, 360, 255, thickness, cv2.LINE_AA)


def test_a_thin_pen_is_thickened_as_in_the_reference():
    mask, darkness, blobs = drawn(ring(1))
    before, after = reference_crop(mask, darkness, blobs[0])
    assert after.shape[0] > before.shape[0]  # dilation grows the crop
    assert largest_difference(mask, darkness, blobs) < MAX_DIFFERENCE


def test_a_marker_is_thinned_as_in_the_reference():
    mask, darkness, blobs = drawn(ring(40, axes=(40, 60)))
    before, after = reference_crop(mask, darkness, blobs[0])
    assert after is not before and after.shape == before.shape  # eroded in place, not skipped
    assert largest_difference(mask, darkness, blobs) < MAX_DIFFERENCE


def test_a_tiny_digit_is_enlarged_as_in_the_reference():
    mask, darkness, blobs = drawn(ring(2, axes=(4, 7)))
    assert max(reference_crop(mask, darkness, blobs[0])[1].shape) < DIGIT_BOX  # enlarged: linear interpolation
    assert largest_difference(mask, darkness, blobs) < MAX_DIFFERENCE


def test_a_one_pixel_wide_one_matches_the_reference():
    mask = np.zeros((100, 100), np.uint8)
    mask[20:70, 50] = 255
    darkness = mask.copy()
    blobs, _ = find_blobs(mask)
    assert blobs[0].box == (50, 20, 1, 50)
    image = digit_images(mask, darkness, blobs)[0]
    assert np.count_nonzero(image.max(axis=1) > 0.5) >= 18 and np.count_nonzero(image.max(axis=0) > 0.1) <= 3
    assert largest_difference(mask, darkness, blobs) < MAX_DIFFERENCE
    assert largest_difference(mask, None, blobs) < MAX_DIFFERENCE


def test_no_ink_gives_an_empty_image():
    mask, darkness, blobs = drawn(ring(3))
    x, y, w, h = blobs[0].box
    not_its_own = Blob(blobs[0].box, (), ink=np.zeros((h, w), bool))  # all the ink in its box is a neighbour's
    for dark, some in ((darkness, [not_its_own]), (np.zeros_like(darkness), blobs), (darkness, [])):
        images = digit_images(mask, dark, some)
        np.testing.assert_array_equal(images, np.zeros((len(some), 28, 28), np.float32))
        np.testing.assert_array_equal(images, naive.digit_images(mask, dark, some))


def test_the_recognizer_normalizes_with_the_kernel(frames):
    mask, darkness, blobs, _ = frames[0]
    np.testing.assert_array_equal(Recognizer._normalize(mask, darkness, blobs), digit_images(mask, darkness, blobs))
