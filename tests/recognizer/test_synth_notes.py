"""recognizer/synth_notes.py: the benchmark's scenes of digits among words, sums, close-ups and pencil, and the
phantom-digit count."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from recognizer import synth, synth_notes

MAKERS = {"notes": synth_notes.make_notes_scene, "math": synth_notes.make_math_scene,
          "close": synth_notes.make_close_scene, "pencil": synth_notes.make_pencil_scene}


@pytest.fixture(scope="module")
def test_digits(mnist):
    """MNIST test images (10000, 28, 28) uint8 and labels (10000,): what the scenes are made of."""
    return mnist[1]


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_scenes_are_the_same_for_the_same_seed_and_differ_between_seeds(kind, test_digits):
    make = MAKERS[kind]
    first, again = (make(np.random.default_rng(7), *test_digits) for _ in range(2))
    other = make(np.random.default_rng(8), *test_digits)
    assert np.array_equal(first.image, again.image) and first.lines == again.lines and first.boxes == again.boxes
    assert not np.array_equal(first.image, other.image)


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_lines_hold_only_digits_one_box_each(kind, test_digits):
    digit_rows = 0
    for seed in range(12):
        scene = MAKERS[kind](np.random.default_rng(seed), *test_digits)
        assert scene.image.shape == (480, 640, 3) and scene.image.dtype == np.uint8
        assert all(line.isdigit() for line in scene.lines)  # no words, operators or empty rows
        assert sum(len(line) for line in scene.lines) == len(scene.boxes)
        digit_rows += len(scene.lines)
    assert digit_rows >= 12  # most pages have digits to read


def test_close_ups_are_one_digit_over_half_the_frame_tall(test_digits):
    for seed in range(8):
        scene = synth_notes.make_close_scene(np.random.default_rng(seed), *test_digits)
        (line,), ((_, y, _, h),) = scene.lines, scene.boxes
        assert len(line) == 1 and 0.45 * 480 <= h <= 480 and 0 <= y and y + h <= 480


def test_notes_mix_words_with_numbers_and_sums_have_operators(test_digits, monkeypatch):
    written: list[str] = []
    real = synth_notes.text_coverage
    monkeypatch.setattr(synth_notes, "text_coverage", lambda rng, text, *rest: written.append(text) or
                        real(rng, text, *rest))
    for seed in range(6):
        synth_notes.make_notes_scene(np.random.default_rng(seed), *test_digits)
    words = set(written)
    assert len(words) > 10 and all(word.isalpha() for word in words)
    assert any(word.isupper() for word in words) and any(word.islower() for word in words)
    written.clear()
    for seed in range(6):
        synth_notes.make_math_scene(np.random.default_rng(seed), *test_digits)
    assert "=" in written and set(written) <= set(synth_notes.TTF_OPERATORS + ("-", "x", "(", ")", "%"))


def test_no_training_font_is_ever_used(test_digits, monkeypatch):
    ttf_paths, hershey_fonts = [], []
    real_truetype, real_put_text = ImageFont.truetype, cv2.putText
    monkeypatch.setattr(ImageFont, "truetype", lambda path, *rest, **named: ttf_paths.append(str(path)) or
                        real_truetype(path, *rest, **named))
    monkeypatch.setattr(cv2, "putText", lambda image, text, origin, font, *rest: hershey_fonts.append(font) or
                        real_put_text(image, text, origin, font, *rest))
    synth_notes.load_font.cache_clear()
    synth_notes.em_per_cap.cache_clear()
    for seed in range(10):
        synth_notes.make_notes_scene(np.random.default_rng(seed), *test_digits)
        synth_notes.make_math_scene(np.random.default_rng(seed), *test_digits)
    assert ttf_paths and bool(hershey_fonts) == synth_notes.OPENCV_HAS_HERSHEY  # OpenCV 5: not Hershey at all
    assert {Path(path).name for path in ttf_paths} <= set(synth_notes.TTF_FONTS)
    assert not any(name in path.lower() for path in ttf_paths for name in synth_notes.TRAINING_FONT_NAMES)
    plain = {font & ~cv2.FONT_ITALIC for font in hershey_fonts}
    assert plain <= set(synth_notes.HERSHEY_FONTS) and not plain & set(synth_notes.TRAINING_HERSHEY_FONTS)


def test_the_chosen_fonts_are_matplotlibs_and_not_the_training_ones():
    assert all((synth_notes.TTF_DIR / name).is_file() for name in synth_notes.TTF_FONTS)
    assert not set(synth_notes.HERSHEY_FONTS) & set(synth_notes.TRAINING_HERSHEY_FONTS)
    assert not any(bad in name.lower() for name in synth_notes.TTF_FONTS for bad in synth_notes.TRAINING_FONT_NAMES)


def test_pencil_pages_range_from_faint_pencil_to_dark_pen():
    rng = np.random.default_rng(0)
    darkness = [synth_notes.pencil_or_pen(rng)[0][2] for _ in range(300)]
    assert min(darkness) < 0.2 and max(darkness) > 0.65 and 0.05 <= min(darkness) and max(darkness) <= 0.8


def test_text_coverage_is_ink_on_its_baseline():
    pen = synth_notes.Pen(str(synth_notes.TTF_DIR / "DejaVuSans.ttf"), (0.1, 0.1, 0.1), 0.0, 0.0, 0.01)
    alpha, base_row = synth_notes.text_coverage(np.random.default_rng(0), "Hg", 30.0, pen)
    assert alpha.dtype == np.float32 and 0 <= alpha.min() and alpha.max() <= 1
    assert 25 <= base_row <= 36 and alpha.shape[0] > base_row + 3  # the g hangs below the baseline
    hershey = synth_notes.Pen(cv2.FONT_HERSHEY_DUPLEX, (0.1, 0.1, 0.1), 0.2, 0.0, 0.01)
    alpha, base_row = synth_notes.text_coverage(np.random.default_rng(0), "NAME", 30.0, hershey)
    assert 25 <= base_row <= 38 and abs(alpha.shape[0] - 30) <= 8


def test_arithmetic_gives_whole_results_under_1000_only():
    def sum_of(*texts: str) -> str | None:
        return synth_notes.arithmetic([("symbol" if not t.isdigit() else "number", t, 0.0) for t in texts])
    assert sum_of("12", "+", "7") == "19"
    assert sum_of("(", "3", "\u00d7", "4", ")", "\u00f7", "2") == "6"
    assert sum_of("15", "%", "\u00d7", "80") == "12"
    assert sum_of("7", "\u00f7", "2") is None and sum_of("5", "/", "0") is None
    assert sum_of("3", "\u2212", "9") is None and sum_of("999", "+", "1") is None


@pytest.mark.parametrize("truth, read, phantoms", [
    (["123"], ["123"], 0), (["123"], ["1423"], 1), (["123"], ["124"], 0), (["123"], ["12"], 0),
    (["123", "45"], ["123", "9", "45"], 1), ([], ["77"], 2), (["5"], ["1", "5", "17"], 3), (["12"], [], 0),
])
def test_phantom_digits_are_the_insertions_of_the_alignment(truth, read, phantoms):
    assert synth_notes.phantom_digits(truth, read) == phantoms


def test_phantoms_agree_with_score_lines():
    rng = np.random.default_rng(3)
    for _ in range(300):
        truth = ["".join(rng.choice(list("0123"), size=rng.integers(1, 5))) for _ in range(rng.integers(0, 3))]
        read = ["".join(rng.choice(list("0123"), size=rng.integers(1, 5))) for _ in range(rng.integers(0, 3))]
        true_digits, read_digits = len("".join(truth)), len("".join(read))
        correct, phantoms = synth.score_lines(truth, read), synth_notes.phantom_digits(truth, read)
        assert 0 <= phantoms <= read_digits and correct + phantoms <= read_digits
        assert synth_notes.edit_counts(truth[0] if truth else "", read[0] if read else "")[0] == \
            synth.edit_distance(truth[0] if truth else "", read[0] if read else "")
        assert max(0, read_digits - true_digits) <= phantoms
