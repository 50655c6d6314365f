"""recognizer.stroke_letters: words written with pen strokes, letter by letter."""
import string

import numpy as np
import pytest

from recognizer import stroke_letters as sl
from recognizer import training_marks as tm


def same_mark(a: tm.Mark, b: tm.Mark) -> bool:
    return np.array_equal(a.alpha, b.alpha) and a.glyphs == b.glyphs and a.digit_like == b.digit_like


def check_word(mark: tm.Mark, text: str) -> None:
    """Ink in [0, 1] cropped to itself; one box per letter, inside it, on ink, left to right."""
    assert isinstance(mark, tm.Mark)
    assert mark.alpha.dtype == np.float32 and mark.alpha.ndim == 2
    assert 0 <= mark.alpha.min() and mark.alpha.max() <= 1 and mark.alpha.max() > 0.5
    for edge in (mark.alpha[0], mark.alpha[-1], mark.alpha[:, 0], mark.alpha[:, -1]):
        assert edge.max() > 0  # tightly cropped
    letters = text.replace(" ", "")
    assert len(mark.glyphs) == len(mark.digit_like) == len(letters)
    height, width = mark.alpha.shape
    for x, y, w, h in mark.glyphs:
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height
        assert mark.alpha[y:y + h, x:x + w].max() > 0.2
    centres = [x + w / 2 for x, y, w, h in mark.glyphs]
    assert all(a < b for a, b in zip(centres, centres[1:]))  # slant and joins may overlap boxes, not reorder
    assert mark.digit_like == [char in tm.DIGIT_LIKE for char in letters]


def test_the_table_has_every_letter_and_no_digit():
    assert set(sl.LETTERS) == set(string.ascii_letters)
    assert set(sl.VARIANTS) <= set(sl.LETTERS)
    for char in sl.LETTERS:
        for form in sl.shapes(char):
            points = np.concatenate(form)
            assert len(form) >= 1 and all(stroke.ndim == 2 and stroke.shape[1] == 2 for stroke in form)
            assert -0.05 <= points[:, 1].min() and points[:, 1].max() <= 1.4  # cap top to descender
            tall = points[:, 1].min() < 0.3
            assert tall == (char.isupper() or char in "bdfhijklt"), char  # capitals, ascenders, dots reach the top
            deep = points[:, 1].max() > 1.2
            assert deep == (char in "gjpqy"), char  # descenders
            if char.islower() and not tall:
                assert abs(points[:, 1].min() - sl.X) < 0.05, char  # the x-height


@pytest.mark.parametrize("char", string.ascii_letters)
def test_every_form_of_every_letter_draws_ink(char, monkeypatch):
    for index, form in enumerate(sl.shapes(char)):
        monkeypatch.setitem(sl.LETTERS, char, form)
        monkeypatch.setitem(sl.VARIANTS, char, [])
        for seed, height in ((0, 12), (1, 40)):
            mark = sl.stroke_word(np.random.default_rng(seed), height, text=char)
            check_word(mark, char)
            assert (mark.alpha > 0.5).sum() >= 3, (char, index)
            assert max(mark.alpha.shape) >= 0.2 * height


def test_deterministic_per_seed():
    for seed in range(5):
        make = lambda seed=seed: sl.stroke_word(np.random.default_rng(seed), 30)  # noqa: E731
        assert same_mark(make(), make())
    first, second = (sl.stroke_word(np.random.default_rng(seed), 30) for seed in (0, 1))
    assert not same_mark(first, second)


@pytest.mark.parametrize("seed", range(60))
def test_random_words_have_a_box_per_letter_left_to_right(seed):
    rng = np.random.default_rng(seed)
    height = rng.uniform(8, 90)
    state = rng.bit_generator.state
    text = tm.random_text(rng)
    rng.bit_generator.state = state  # stroke_word draws the same text
    mark = sl.stroke_word(rng, height)
    check_word(mark, text)
    lefts = [x for x, y, w, h in mark.glyphs]
    assert lefts[0] == min(lefts)


@pytest.mark.parametrize("cursive", [False, True])
def test_joined_or_not_every_letter_keeps_its_box(cursive):
    for seed in range(10):
        text = "minimum quiz" if seed % 2 else "Jacket of Wax"
        check_word(sl.stroke_word(np.random.default_rng(seed), 35, text=text, cursive=cursive), text)


def test_joined_up_writing_is_one_piece():
    import cv2
    mark = sl.stroke_word(np.random.default_rng(0), 60, text="mum", cursive=True)
    count, _ = cv2.connectedComponents((mark.alpha > 0.3).astype(np.uint8))
    assert count - 1 == 1


def test_digit_like_flags_follow_the_table():
    mark = sl.stroke_word(np.random.default_rng(0), 40, text="OxSzaGq")
    assert mark.digit_like == [True, False, True, True, False, False, True]


def test_height_follows_the_request():
    rng = np.random.default_rng(3)
    for height in (12, 30, 60, 100):
        for _ in range(5):
            mark = sl.stroke_word(rng, height, text="HEAT")
            assert 0.6 * height < mark.alpha.shape[0] < 2.0 * height


def test_refuses_digits_and_other_characters():
    for text in ("ab3", "7", "x0y"):
        with pytest.raises(ValueError):
            sl.stroke_word(np.random.default_rng(0), 30, text=text)
    for text in ("a-b", "", "é"):
        with pytest.raises(ValueError):
            sl.stroke_word(np.random.default_rng(0), 30, text=text)


def test_random_words_are_letters_only():
    rng = np.random.default_rng(7)
    for _ in range(200):
        mark = sl.stroke_word(rng, 20)
        assert len(mark.glyphs) >= 1 and mark.alpha.max() > 0.5
