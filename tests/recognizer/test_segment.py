"""recognizer.segment: digit blobs from an ink mask (edge blobs, fragments, touching digits, plausibility, tone)."""
import cv2
import numpy as np
import pytest

from recognizer.segment import (
    Blob,
    _median,
    digit_ink,
    edge_step,
    find_blobs,
    find_digit_blobs,
    find_digit_boxes,
    is_pen_edge,
    is_plausible_digit,
    is_rectangle,
    merge_fragments,
    on_region_edge,
)

FRAME = (480, 640)


def blank() -> np.ndarray:
    return np.zeros(FRAME, np.uint8)


def zero(mask: np.ndarray, centre: tuple[int, int], thickness: int = 4) -> None:
    """A "0" 64 px tall and 40 px wide, drawn in place."""
    cv2.ellipse(mask, centre, (20, 30), 0, 0, 360, 255, thickness)


def boxes_only(boxes: list[tuple[int, int, int, int]]) -> list[Blob]:
    return [Blob(box, ()) for box in boxes]


def test_find_blobs_leaves_out_blobs_cut_by_the_edge_but_finds_digits_inside_the_desk():
    mask = blank()
    cv2.rectangle(mask, (0, 0), (639, 479), 255, 40)   # a dark desk all around the page...
    zero(mask, (300, 240))                              # ...hides nothing inside it
    blobs, edge_points = find_blobs(mask)
    assert [blob.box for blob in blobs] == [(278, 208, 45, 65)]
    assert len(edge_points) > 0 and edge_points[:, 0].max() == 639


def five_in_two_strokes(mask: np.ndarray, x: int, y: int) -> None:
    """A "5" 60 px tall: the top bar and, below a gap, the stem and belly."""
    cv2.line(mask, (x + 4, y + 2), (x + 34, y + 2), 255, 4)
    cv2.line(mask, (x + 4, y + 8), (x + 4, y + 28), 255, 4)
    cv2.ellipse(mask, (x + 18, y + 42), (15, 15), 0, -150, 150, 255, 4)


def test_merge_fragments_joins_a_two_stroke_five_and_a_broken_one_among_other_digits():
    mask = blank()
    five_in_two_strokes(mask, 100, 100)
    zero(mask, (220, 130))
    cv2.line(mask, (300, 100), (300, 126), 255, 4)   # a "1" broken in the middle
    cv2.line(mask, (300, 132), (300, 160), 255, 4)
    merged = merge_fragments(find_blobs(mask)[0], 12)
    assert len(merged) == 3
    assert any(x <= 104 and y <= 101 and h >= 55 for x, y, _, h in (blob.box for blob in merged))
    assert any(x <= 299 and y <= 99 and h >= 60 for x, y, _, h in (blob.box for blob in merged))


def test_merge_fragments_keeps_neighbours_and_rows_apart():
    boxes = [(100, 100, 30, 60), (140, 100, 30, 60), (100, 168, 30, 60), (180, 100, 30, 60)]
    merged = merge_fragments(boxes_only(boxes), 12)
    assert sorted(blob.box for blob in merged) == sorted(boxes)


def test_is_plausible_digit_rules_out_only_what_no_digit_can_be():
    assert is_plausible_digit((100, 100, 30, 60), FRAME)
    assert is_plausible_digit((100, 100, 8, 60), FRAME)        # a "1"
    assert is_plausible_digit((100, 2, 300, 470), FRAME)       # a digit held close, nearly the frame's height
    assert not is_plausible_digit((100, 100, 3, 3), FRAME)     # a speck
    assert not is_plausible_digit((100, 100, 300, 40), FRAME)  # wider than two digits: a word, a line
    assert not is_plausible_digit((0, 100, 30, 60), FRAME)     # cut by the frame's edge
    assert is_plausible_digit((200, 0, 200, 400), FRAME)       # a digit held close, reaching the top
    assert not is_plausible_digit((200, 0, 300, 480), FRAME)   # from the top edge to the bottom: a shadow, the desk


def test_find_digit_boxes_keeps_digits_only():
    mask = blank()
    for i in range(3):
        zero(mask, (150 + 60 * i, 200))
    mask[400:403, 500:503] = 255                         # a speck
    cv2.rectangle(mask, (600, 0), (639, 120), 255, -1)   # the desk in a corner
    cv2.line(mask, (100, 300), (500, 302), 255, 2)        # a stray line
    boxes = sorted(find_digit_boxes(mask))
    assert len(boxes) == 3 and all(abs(y - 168) <= 3 and 60 <= h <= 66 for _, y, _, h in boxes)


def test_a_big_digit_reaching_the_frames_edge_is_a_candidate_a_small_blob_there_is_not():
    mask = blank()
    cv2.ellipse(mask, (320, 200), (120, 210), 0, 0, 360, 255, 30)  # a "0" held close: its top leaves the frame
    mask[460:479, 0:30] = 255                                         # a small blob cut by the frame's edge
    assert [blob.box[:2] for blob in find_digit_blobs(mask)] == [(185, 0)]


def test_a_desk_along_the_frames_edge_is_no_candidate():
    mask = blank()
    cv2.fillPoly(mask, [np.array([[0, 20], [24, 20], [12, 450], [0, 450]], np.int32)], 255)  # the desk's sliver
    assert find_digit_blobs(mask) == []


def test_digit_ink_keeps_only_its_own_pieces():
    mask = blank()
    zero(mask, (200, 200))
    cv2.line(mask, (219, 226), (260, 226), 255, 3)   # a neighbour's stroke reaching into the box
    blobs, _ = find_blobs(mask)
    the_zero = next(blob for blob in blobs if blob.box[3] > 50)
    crop = digit_ink(mask, the_zero)
    x, y, w, h = the_zero.box
    assert crop.shape == (h, w)
    assert x + w > 220 and mask[226, 220] == 255 and crop[226 - y, 220 - x] == 0 and crop[200 - y, 180 - x] == 255


@pytest.mark.parametrize("blur_sigma", [0, 1.5, 3])
def test_pen_strokes_out_of_focus_are_kept_and_shadows_of_any_darkness_dropped(blur_sigma):
    pen = blank()
    zero(pen, (200, 200), thickness=5)
    shadow = blank()
    cv2.ellipse(shadow, (420, 220), (12, 40), 20, 0, 360, 255, -1)
    soft_shadow = cv2.GaussianBlur(shadow, (0, 0), 6)
    for name, darkness in (("pen", pen if blur_sigma == 0 else cv2.GaussianBlur(pen, (0, 0), blur_sigma)),
                           ("dark shadow", soft_shadow), ("light shadow", soft_shadow // 2)):
        level = float(darkness.max())
        mask = ((darkness > 0.5 * level) * 255).astype(np.uint8)
        (blob,) = find_blobs(mask)[0]
        x, y, w, h = blob.box
        step = edge_step(darkness[y:y + h, x:x + w], blob)
        assert is_pen_edge(level, step) == (name == "pen"), (name, level, step)


def page_on_desk(edge_x: int, tilt_degrees: float = 0.0) -> np.ndarray:
    """(H, W) uint8 gray: a light page (200) right of a line through (edge_x, 240), a dark desk (70) left of it."""
    gray = np.full(FRAME, 70, np.uint8)
    dx = np.tan(np.radians(tilt_degrees)) * 240
    cv2.fillPoly(gray, [np.array([[edge_x + dx, 0], [639, 0], [639, 479], [edge_x - dx, 479]], np.int32)], 200)
    return gray


def test_a_sliver_along_the_page_edge_is_on_a_region_edge_and_a_one_on_the_page_is_not():
    no_ink = blank()
    sliver = (196, 150, 4, 180)                  # just off the page, on the desk's side
    assert on_region_edge(page_on_desk(200), no_ink, sliver)
    assert on_region_edge(page_on_desk(200, tilt_degrees=8), no_ink, (180, 150, 30, 180))  # a tilted edge
    assert not on_region_edge(page_on_desk(200), no_ink, (400, 150, 6, 60))  # paper on both sides
    assert not on_region_edge(page_on_desk(200), no_ink, (180, 150, 40, 60))  # not thin: a digit on a shadow's edge
    wide = np.full(FRAME, 70, np.uint8)
    wide[100:] = 200                             # a page below a horizontal edge...
    assert on_region_edge(wide, no_ink, (100, 96, 200, 4))  # ...and a sliver along it


@pytest.mark.parametrize("size", [1, 2, 3, 4, 101, 800])
def test_median_is_numpys_median(size):
    """on_region_edge's median (a partial sort) is np.median's, for odd and even counts, ties and floats."""
    rng = np.random.default_rng(size)
    for values in (rng.integers(0, 256, size).astype(np.uint8), rng.integers(0, 3, size).astype(np.uint8),
                   rng.normal(size=size)):
        assert _median(values) == float(np.median(values))


def test_a_one_written_along_a_shadows_edge_is_ink_not_the_edge():
    """A sliver of the edge is as dark as the darker side, or between the two; a pen's "1" along the edge of a
    shadow (70 beside 200) is far darker than both."""
    gray, mask = page_on_desk(200), blank()
    cv2.line(mask, (197, 150), (197, 330), 255, 5)
    gray[mask > 0] = 75   # the edge's own tone: a sliver
    assert on_region_edge(gray, mask, (195, 150, 5, 181))
    gray[mask > 0] = 20   # ink
    assert not on_region_edge(gray, mask, (195, 150, 5, 181))


def test_a_one_beside_other_digits_and_a_margin_line_has_paper_on_both_sides():
    gray, mask = np.full(FRAME, 200, np.uint8), blank()
    one = (300, 150, 6, 60)
    cv2.line(gray, (290, 100), (290, 300), 90, 3)            # a margin line 7 px to its left
    cv2.rectangle(mask, (312, 150), (340, 210), 255, -1)     # the next digit's ink, filling the right strip...
    gray[mask > 0] = 40                                      # ...dark in the frame
    assert not on_region_edge(gray, mask, one)


def test_find_digit_blobs_with_the_gray_frame_drops_slivers_along_a_page_edge():
    mask = blank()
    cv2.line(mask, (197, 150), (197, 330), 255, 3)  # the sliver
    cv2.line(mask, (402, 180), (402, 250), 255, 5)  # a "1" on the page
    zero(mask, (500, 220))
    gray = page_on_desk(200)
    assert len(find_digit_boxes(mask)) == 3
    boxes = find_digit_boxes(mask, gray=gray)
    assert len(boxes) == 2 and all(x > 300 for x, _, _, _ in boxes)


def test_find_digit_blobs_looks_for_smaller_digits_when_asked():
    """A 20 px digit on a 1000x1000 frame is under the least digit height (2.5%: 25 px): a speck, unless the
    caller asks for digits down to 1.25% (as a zoomed-in read of a photo does)."""
    mask = np.zeros((1000, 1000), np.uint8)
    cv2.circle(mask, (500, 500), 8, 255, 3)  # a small "0", 20 px tall
    assert find_digit_blobs(mask) == []
    (blob,) = find_digit_blobs(mask, min_height=0.0125)
    assert blob.box == (490, 490, 21, 21)


def test_slivers_along_a_page_corner_are_dropped_before_they_merge_into_a_digit_shape():
    """A light page's corner on a dark desk leaves two slivers of ink on the desk's side of its edges, meeting
    at the corner. Merged, they are an L as tall as a digit, with page on two sides and desk on two: each is
    dropped on its own first, as a sliver on the edge between two regions."""
    gray = np.full((400, 400), 60, np.uint8)
    gray[:250, :250] = 200  # the page, on a dark desk
    mask = np.zeros((400, 400), np.uint8)
    mask[196:250, 251:254] = 255  # along the page's right edge, down to the corner
    mask[251:254, 200:254] = 255  # along its bottom edge
    assert find_digit_blobs(mask) != []  # without the frame's gray: the two slivers make one blob
    assert find_digit_blobs(mask, gray=gray) == []


def test_boxes_drawn_around_digits_are_dropped_and_the_digits_inside_kept():
    """A form's fields: a rectangle around each digit. Merged with the digit inside, the two read as an "8" or a
    "0"; the rectangle, holding another blob, goes first. A round "0" holding a speck stays."""
    mask = np.zeros((480, 640), np.uint8)
    for left in (100, 250):
        cv2.rectangle(mask, (left, 150), (left + 80, 250), 255, 2)  # the field
        cv2.line(mask, (left + 40, 170), (left + 40, 230), 255, 4)  # a "1" inside it
    cv2.ellipse(mask, (470, 200), (30, 45), 0, 0, 360, 255, 5)  # a "0"...
    cv2.circle(mask, (470, 200), 3, 255, -1)  # ...with a speck in its hole
    boxes = sorted(blob.box for blob in find_digit_blobs(mask))
    assert boxes == [(138, 168, 5, 65), (288, 168, 5, 65), (437, 152, 67, 97)]  # the ones, and the "0" whole


def test_is_rectangle_tells_a_field_from_a_zero():
    field, zero = np.zeros((200, 200), np.uint8), np.zeros((200, 200), np.uint8)
    cv2.rectangle(field, (20, 30), (150, 120), 255, 2)
    cv2.ellipse(zero, (100, 100), (40, 60), 0, 0, 360, 255, 6)
    outline = lambda image: cv2.findContours(image, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)[0][0]  # noqa: E731
    turned = cv2.warpAffine(field, cv2.getRotationMatrix2D((100, 100), 10, 1.0), (200, 200))
    assert is_rectangle(outline(field)) and is_rectangle(outline(turned)) and not is_rectangle(outline(zero))
