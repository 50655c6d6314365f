"""recognizer.training_data: pages, candidates labelled by overlap, determinism, and MNIST test digits untouched."""
import numpy as np
import pytest

from recognizer import training_data
from recognizer.training_data import NOT_A_DIGIT, Page, build_dataset, label_candidates, make_page


@pytest.fixture(scope="module")
def digits():
    """100 stand-ins for MNIST training digits: a bar ("1") and a ring ("0"), 28x28 white on black."""
    import cv2
    images = np.zeros((100, 28, 28), np.uint8)
    labels = np.arange(100) % 2
    for image, label in zip(images, labels):
        if label:
            cv2.line(image, (14, 4), (14, 23), 255, 3)
        else:
            cv2.ellipse(image, (14, 14), (6, 9), 0, 0, 360, 255, 3)
    return images, labels.astype(np.int64)


def test_a_candidate_on_a_digit_is_that_digit_on_a_piece_of_one_left_out_elsewhere_not_a_digit():
    page = Page(np.zeros((10, 10, 3), np.uint8), digits=[((100, 100, 30, 50), 7)], digit_like=[((300, 100, 30, 50))])
    boxes = [(102, 98, 30, 52),   # the 7
             (100, 100, 30, 20),  # its top: a piece
             (302, 101, 28, 50),  # an "O" that could be a 0
             (400, 100, 30, 50)]  # a letter
    assert label_candidates(boxes, page) == [7, None, None, NOT_A_DIGIT]


def test_pages_hold_digits_with_boxes_on_the_frame(digits):
    rng = np.random.default_rng(3)
    pages = [make_page(rng, *digits) for _ in range(30)]
    assert all(page.image.shape == (480, 640, 3) and page.image.dtype == np.uint8 for page in pages)
    labelled = [(box, label) for page in pages for box, label in page.digits]
    assert len(labelled) > 20 and {label for _, label in labelled} == {0, 1}
    assert all(-20 <= x and -20 <= y and x + w <= 660 and y + h <= 500 for (x, y, w, h), _ in labelled)


def test_the_dataset_is_the_same_for_a_seed_and_differs_for_another(digits):
    first = build_dataset(*digits, pages=12, seed=5, lone=20, workers=1)
    again = build_dataset(*digits, pages=12, seed=5, lone=20, workers=1)
    other = build_dataset(*digits, pages=12, seed=6, lone=20, workers=1)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[0].shape != other[0].shape or not np.array_equal(first[0], other[0])
    x, y = first
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and set(np.unique(y)) <= set(range(11))
    assert (y == NOT_A_DIGIT).sum() >= 20 and (y < NOT_A_DIGIT).sum() >= 100  # lone marks; the digits themselves


def test_cached_dataset_is_built_once(digits, tmp_path, monkeypatch):
    built = training_data.cached_dataset(*digits, pages=3, seed=1, cache_dir=tmp_path, lone=5)
    monkeypatch.setattr(training_data, "build_dataset", lambda *a, **k: pytest.fail("built again"))
    cached = training_data.cached_dataset(*digits, pages=3, seed=1, cache_dir=tmp_path, lone=5)
    np.testing.assert_array_equal(built[0], cached[0])
    assert [p.name for p in tmp_path.iterdir()] == [next(tmp_path.iterdir()).name]  # no partial file left


class Untouchable:
    """Stands for the MNIST test set: any use of it fails the test."""

    def __getattr__(self, name):
        pytest.fail(f"the MNIST test digits were used ({name}) while building training data")

    def __array__(self, *args, **kwargs):
        pytest.fail("the MNIST test digits were used while building training data")

    def __len__(self):
        pytest.fail("the MNIST test digits were used while building training data")


def test_the_training_script_builds_its_data_from_training_digits_only(digits, tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "train_recognizer.py"
    spec = importlib.util.spec_from_file_location("train_recognizer", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    images, labels = np.tile(digits[0], (60, 1, 1)), np.tile(digits[1], 60)
    monkeypatch.setattr(script, "load_mnist", lambda data_dir: ((images, labels), (Untouchable(), Untouchable())))
    monkeypatch.setattr(script, "VALIDATION_DIGITS", 500)

    class TrainingStarted(Exception):
        pass

    def fit(model, optimizer, train, validation, **settings):
        assert len(train[0]) > len(images) - 500 and len(validation[0]) > 500  # digits + candidates + lone marks
        raise TrainingStarted

    monkeypatch.setattr(script, "fit", fit)
    with pytest.raises(TrainingStarted):
        script.main(["--pages", "2", "--lone", "5", "--epochs", "1", "--cache", str(tmp_path / "cache"),
                     "--out", str(tmp_path / "run"), "--no-progress"])
