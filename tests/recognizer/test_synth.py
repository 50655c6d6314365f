"""recognizer.synth: synthetic photos for the benchmark, and its scoring by edit distance."""
import cv2
import numpy as np
import pytest

from recognizer.synth import edit_distance, load_test_digits, make_scene, score_lines


def fake_digits() -> tuple[np.ndarray, np.ndarray]:
    """Ten (28, 28) uint8 white-on-black bars standing in for MNIST (no data files needed)."""
    images = np.zeros((10, 28, 28), np.uint8)
    for i in range(10):
        cv2.rectangle(images[i], (10, 4), (12 + i % 4, 23), 255, -1)
    return images, np.arange(10)


@pytest.mark.parametrize("a, b, distance", [("", "", 0), ("314", "314", 0), ("314", "344", 1), ("314", "34", 1),
                                            ("314", "3145", 1), ("", "27", 2), ("12", "21", 2)])
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_score_lines():
    assert score_lines(["314", "27"], ["314", "27"]) == 5
    assert score_lines(["314", "27"], ["344", "27"]) == 4
    assert score_lines(["314", "27"], ["27"]) == 2           # a missed row costs its digits
    assert score_lines(["314"], ["314", "1"]) == 2           # a phantom row costs its length
    assert score_lines(["314"], ["99999999"]) == 0           # never negative
    assert score_lines([], []) == 0


def test_scene_is_a_deterministic_photo_with_its_truth():
    images, labels = fake_digits()
    scene = make_scene(np.random.default_rng(5), images, labels)
    again = make_scene(np.random.default_rng(5), images, labels)
    assert scene.image.shape == (480, 640, 3) and scene.image.dtype == np.uint8
    np.testing.assert_array_equal(scene.image, again.image)
    assert scene.lines and all(line.isdigit() for line in scene.lines)
    assert len(scene.boxes) == sum(len(line) for line in scene.lines)


def test_digit_boxes_hold_dark_ink():
    images, labels = fake_digits()
    scene = make_scene(np.random.default_rng(7), images, labels)
    gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    for x, y, w, h in scene.boxes:
        assert 0 <= x and 0 <= y and x + w <= 640 and y + h <= 480
        inside = gray[y:y + h, x:x + w]
        around = gray[max(0, y - h):y + 2 * h, max(0, x - w):x + 2 * w]
        assert inside.min() < np.median(around) - 20


def test_blank_scene_has_no_digits():
    scene = make_scene(np.random.default_rng(0), *fake_digits(), blank=True)
    assert scene.lines == [] and scene.boxes == []


def test_big_scene_has_one_digit_a_third_to_two_thirds_of_the_frame_tall():
    for seed in range(5):
        scene = make_scene(np.random.default_rng(seed), *fake_digits(), big=True)
        (x, y, w, h), = scene.boxes
        assert len(scene.lines) == 1 and len(scene.lines[0]) == 1
        assert 0.3 * 480 <= h <= 0.8 * 480  # the camera's perspective changes the size a little


def test_small_scene_has_rows_of_handwriting_a_few_percent_of_the_frame_tall():
    rows = 0
    for seed in range(3):
        scene = make_scene(np.random.default_rng(seed), *fake_digits(), size=(960, 1280), small=True)
        assert scene.image.shape == (960, 1280, 3) and len(scene.boxes) == sum(len(line) for line in scene.lines)
        assert all(0.01 * 960 <= h <= 0.05 * 960 for _, _, _, h in scene.boxes)  # 1.5-4%, and the perspective
        rows += len(scene.lines)
    assert rows >= 3 * 3


def test_load_test_digits_is_the_test_set(mnist_dir):
    images, labels = load_test_digits(str(mnist_dir))
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and labels.shape == (10000,)


def test_squared_paper_has_a_grid_of_pale_lines():
    def thin_dark_lines(image: np.ndarray) -> np.ndarray:  # pixels darker than the paper around them
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return cv2.GaussianBlur(gray, (0, 0), 4) - gray > 5

    plain = thin_dark_lines(make_scene(np.random.default_rng(0), *fake_digits(), blank=True).image)
    squared = thin_dark_lines(make_scene(np.random.default_rng(0), *fake_digits(), blank=True, squared=True).image)
    assert (squared.mean(axis=1) > 0.3).sum() >= 8 and (plain.mean(axis=1) > 0.3).sum() == 0  # the rows' lines
    vertical = cv2.morphologyEx(squared.astype(np.uint8), cv2.MORPH_OPEN, np.ones((25, 1), np.uint8))
    assert vertical.mean() > 0.02  # and the columns': runs of line pixels 25 tall
