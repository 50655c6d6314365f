"""recognizer.training_marks: the non-digit writing and marks drawn on the training pages."""
import cv2
import numpy as np
import pytest

from recognizer import training_marks as tm
from recognizer.synth import paper_texture


def same_mark(a: tm.Mark, b: tm.Mark) -> bool:
    return np.array_equal(a.alpha, b.alpha) and a.glyphs == b.glyphs and a.digit_like == b.digit_like


@pytest.mark.parametrize("make", [tm.word, tm.symbol, tm.printed_label, tm.mark])
def test_marks_are_deterministic_per_seed(make):
    for seed in range(5):
        assert same_mark(make(np.random.default_rng(seed), 30), make(np.random.default_rng(seed), 30))
    assert not same_mark(make(np.random.default_rng(0), 30), make(np.random.default_rng(1), 30))


def check_mark(mark: tm.Mark) -> None:
    """A coverage map in [0, 1], cropped to its ink, whose glyph boxes lie inside it."""
    assert mark.alpha.dtype == np.float32 and mark.alpha.ndim == 2
    assert 0 <= mark.alpha.min() and mark.alpha.max() <= 1 and mark.alpha.max() > 0.5
    for row in (mark.alpha[0], mark.alpha[-1], mark.alpha[:, 0], mark.alpha[:, -1]):
        assert row.max() > 0  # tightly cropped
    assert len(mark.glyphs) == len(mark.digit_like) >= 1
    height, width = mark.alpha.shape
    for x, y, w, h in mark.glyphs:
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= width and y + h <= height
        assert mark.alpha[y:y + h, x:x + w].max() > 0.2


@pytest.mark.parametrize("seed", range(40))
def test_words_have_no_digits_and_a_box_per_letter_left_to_right(seed):
    rng = np.random.default_rng(seed)
    text = tm.random_text(rng)
    assert text.isalpha() and not any(char.isdigit() for char in text)
    mark = tm.word(rng, rng.uniform(10, 60), text=text)
    check_mark(mark)
    assert len(mark.glyphs) == len(text)
    centres = [x + w / 2 for x, y, w, h in mark.glyphs]
    lefts = [x for x, y, w, h in mark.glyphs]
    assert all(a < b for a, b in zip(centres, centres[1:]))  # slant and joins may overlap boxes, not reorder
    assert lefts[0] == min(lefts)
    assert mark.digit_like == [char in tm.DIGIT_LIKE for char in text]


def test_word_refuses_digits():
    with pytest.raises(ValueError):
        tm.word(np.random.default_rng(0), 30, text="ab3")


@pytest.mark.parametrize("font", tm.WORD_FONTS)
def test_digit_like_flags_follow_the_table(font):
    mark = tm.word(np.random.default_rng(0), 40, text="OxSzaGq", font=font)
    assert mark.digit_like == [True, False, True, True, False, False, True]  # G is a letter, q a 9
    assert set("OoIlij|SsZzbgq") == set(tm.DIGIT_LIKE)


def test_word_height_follows_the_request():
    rng = np.random.default_rng(3)
    for height in (12, 30, 60):
        mark = tm.word(rng, height, text="HEAT")
        assert 0.6 * height < mark.alpha.shape[0] < 2.0 * height


@pytest.mark.parametrize("kind", tm.SYMBOL_NAMES)
def test_symbols_are_ink_of_about_the_requested_size(kind):
    for seed in range(4):
        rng = np.random.default_rng(seed)
        mark = tm.symbol(rng, 40, kind=kind)
        check_mark(mark)
        assert len(mark.glyphs) == 1
        size = max(mark.alpha.shape)
        if kind in ("period", "comma"):
            assert 3 <= size <= 25
        elif kind in ("underline", "scribble", "squiggle"):
            assert 20 <= size <= 8 * 40
        else:
            assert 12 <= size <= 2.2 * 40
    flags = {name: digit_like for name, _, _, digit_like in tm.SYMBOLS}
    assert flags["slash"] and not flags["paren"] and flags["circle"] and not flags["period"] and not flags["minus"]


def test_printed_labels_are_upright_text():
    mark = tm.printed_label(np.random.default_rng(0), 20, text="No.")
    check_mark(mark)
    assert len(mark.glyphs) == 3 and mark.digit_like == [False, True, False]


@pytest.mark.parametrize("seed", range(24))
def test_forms_return_cells_inside_the_region(seed):
    rng = np.random.default_rng(seed)
    paper = paper_texture(rng, 480, 640)
    before = paper.copy()
    region = (int(rng.integers(0, 100)), int(rng.integers(0, 200)), int(rng.integers(150, 500)),
              int(rng.integers(40, 250)))
    cells = tm.draw_form(rng, paper, region)
    x, y, w, h = region
    assert cells and not np.array_equal(paper, before)
    for cx, cy, cw, ch in cells:
        assert x <= cx and y <= cy and cx + cw <= x + w and cy + ch <= y + h and cw >= 1 and ch >= 1
    changed = np.nonzero(np.abs(paper - before).max(axis=2) > 1e-6)
    assert changed[0].min() >= y - 3 and changed[0].max() <= y + h + 3
    assert changed[1].min() >= x - 3 and changed[1].max() <= x + w + 3


@pytest.mark.parametrize("draw", [tm.draw_finger, tm.draw_page_edge, tm.draw_texture])
def test_photo_effects_are_deterministic_and_in_range(draw):
    images = []
    for _ in range(2):
        rng = np.random.default_rng(7)
        image = paper_texture(rng, 120, 160)
        draw(rng, image)
        images.append(image)
    np.testing.assert_array_equal(images[0], images[1])
    assert images[0].dtype == np.float32 and images[0].shape == (120, 160, 3)
    assert np.isfinite(images[0]).all() and images[0].min() >= 0 and images[0].max() <= 1.3


def test_finger_is_skin_coloured():
    rng = np.random.default_rng(2)
    image = np.ones((240, 320, 3), np.float32)
    tm.draw_finger(rng, image)
    skin = (image[:, :, 2] > image[:, :, 0] + 0.1)
    assert skin.sum() > 500  # reddish pixels where the finger is


def test_fonts_are_the_training_ones():
    paths = [tm.font_path(font) for font in (tm.AMATIC, tm.AMATIC_BOLD, tm.INTUITIVE)]
    names = [path.rsplit("/", 1)[-1] for path in paths]
    assert names == ["AmaticSC-Regular.ttf", "AmaticSC-Bold.ttf", "Intuitive.ttf"]
    assert all("dejavu" not in path.lower() and "matplotlib" not in path.lower() for path in paths)
    banned = {cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN}
    assert not banned & {font for font in tm.WORD_FONTS + tm.PRINT_FONTS if isinstance(font, int)}
    assert set(tm.WORD_FONTS) <= {tm.AMATIC, tm.AMATIC_BOLD, tm.INTUITIVE, *tm.SCRIPT_FONTS}


def test_missing_font_package_names_it(monkeypatch):
    import importlib
    real = importlib.import_module

    def fake(name, *args):
        if name == "font_intuitive":
            raise ImportError(name)
        return real(name, *args)

    monkeypatch.setattr(tm.importlib, "import_module", fake)
    with pytest.raises(ImportError, match="font-intuitive.*pip install -e ."):
        tm.font_path(tm.INTUITIVE)
