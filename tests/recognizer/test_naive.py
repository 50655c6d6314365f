"""The recognizer's kernel-backed functions against their readable references (recognizer/naive.py), on
synthetic photos (plain, ruled, squared and blank pages) and on drawn masks: the results must be identical.
(The digits' normalization, equal only within rounding, is checked in kernels/test_kernels.py.)"""
import ast
import importlib
import pkgutil
from pathlib import Path

import cv2
import numpy as np
import pytest

import recognizer.kernels
from recognizer import naive, ruled_lines, synth
from recognizer.preprocess import faint_ink, ink_mask, paper_level_and_margin, to_gray, to_working_size
from recognizer.segment import (
    MIN_HEIGHT,
    MIN_HEIGHT_PX,
    SPECK,
    blob_tones,
    edge_step,
    find_blobs,
    find_digit_blobs,
    fragment_gaps,
    typical_height,
)

# Each kernel the API calls, and what checks it against its reference.
TESTED_KERNELS = {
    "digits.normalize_digits": "kernels/test_kernels.py",
    "blobs.sort_contours": "test_find_blobs_*",
    "blobs.fragment_gaps": "test_fragment_gaps_*",
    "blobs.ink_levels": "test_blob_tones_*",
    "blobs.outline_steps": "test_blob_tones_*",
    "lines.list_band_ink": "test_remove_thin_ink_*",
    "lines.count_runs_across": "test_remove_thin_ink_*",
    "lines.take_thin_ink": "test_remove_thin_ink_*",
    "lines.give_back": "test_remove_thin_ink_*",
    "line_opening.open_along_lines": "test_find_lines_*",
    "line_opening.runs_along": "test_find_lines_*",
    "line_opening.fit_kernel": "test_find_lines_*",
    "line_opening.grow_back": "test_find_lines_*",
    "line_opening.mark_ink_cells": "test_ruled_lines.py::test_coarse_ink_*",
    "paper.level_and_spread": "test_paper_level_and_margin_*",
}


def thin_ink_calls(run) -> list[tuple]:
    """The calls run() makes to ruled_lines.remove_thin_ink: [(mask, lines, vertical, darkness, result)]."""
    calls, fast = [], ruled_lines.remove_thin_ink

    def spy(mask, lines, vertical, darkness):
        result = fast(mask, lines, vertical, darkness)
        calls.append((mask.copy(), lines, vertical, darkness, result))
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ruled_lines, "remove_thin_ink", spy)
        run()
    return calls


@pytest.fixture(scope="module")
def pages(mnist_dir):
    """12 synthetic photos at working size: a third blank (half of these on squared paper), a third on squared
    paper, a third on plain or ruled paper: [(ink mask (H, W) uint8, darkness (H, W) uint8, the remove_thin_ink
    calls that made the mask)]."""
    images, labels = synth.load_test_digits(str(mnist_dir))
    rng = np.random.default_rng(5)
    pages = []
    for i in range(12):
        scene = synth.make_scene(rng, images, labels, blank=i % 3 == 2, squared=i % 3 == 1 or i % 6 == 5)
        small, _ = to_working_size(to_gray(scene.image), 640)
        made = []
        calls = thin_ink_calls(lambda made=made, small=small: made.extend(ink_mask(small)))
        pages.append((*made, calls))
    return pages


def assert_same_blobs(ours, theirs):
    assert [blob.box for blob in ours] == [blob.box for blob in theirs]
    for a, b in zip(ours, theirs):
        assert len(a.contours) == len(b.contours)
        assert all(np.array_equal(c, d) for c, d in zip(a.contours, b.contours))


# --- ruled lines ----------------------------------------------------------------------------------------------


def assert_lines_match(coarse, length):
    for vertical in (False, True):
        ours, theirs = ruled_lines.find_lines(coarse, length, vertical), naive.find_lines(coarse, length, vertical)
        assert (ours is None) == (theirs is None)
        if ours is not None:
            np.testing.assert_array_equal(ours, theirs)


def test_find_lines_matches_the_reference_on_photos(pages):
    found = 0
    for _, darkness, _ in pages:
        coarse = ruled_lines.coarse_ink(faint_ink(darkness))  # as ink_mask looks for lines
        assert_lines_match(coarse, round(ruled_lines.LINE_MIN_LENGTH * min(coarse.shape)))
        found += ruled_lines.find_lines(coarse, 30, False) is not None
    assert found >= 4  # the ruled and squared pages


@pytest.mark.parametrize("seed", range(6))
def test_find_lines_matches_the_reference_on_random_maps(seed):
    """Lines of every tilt (beyond the kernels' too) and thickness, some running off the map, on noise from
    sparse to dense: the kernels at the map's edges, where lines end, on solid ink."""
    rng = np.random.default_rng(seed)
    for _ in range(20):
        height, width = (int(v) for v in rng.integers(20, 160, 2))
        coarse = np.where(rng.random((height, width)) < rng.uniform(0, 0.6), 255, 0).astype(np.uint8)
        for _ in range(rng.integers(0, 5)):
            start = (int(rng.integers(-10, 10)), int(rng.integers(0, height)))
            end = (width + int(rng.integers(-10, 10)), start[1] + int(rng.integers(-width // 3, width // 3)))
            cv2.line(coarse, start, end, 255, int(rng.integers(1, 4)))
            cv2.line(coarse, start[::-1], end[::-1], 255, int(rng.integers(1, 4)))  # one crossing the other way
        assert_lines_match(coarse, max(8, round(ruled_lines.LINE_MIN_LENGTH * min(height, width))))


def test_find_lines_matches_the_reference_on_solid_ink_and_blank_maps():
    for coarse in (np.full((40, 60), 255, np.uint8), np.zeros((40, 60), np.uint8)):
        assert_lines_match(coarse, 15)


def assert_thin_ink_matches(calls):
    for mask, lines, vertical, darkness, result in calls:
        np.testing.assert_array_equal(result, naive.remove_thin_ink(mask, lines, vertical, darkness))
        np.testing.assert_array_equal(ruled_lines.remove_thin_ink(mask, lines, vertical, None),
                                      naive.remove_thin_ink(mask, lines, vertical, None))


def test_remove_thin_ink_matches_the_reference_on_photos(pages):
    calls = [call for *_, page_calls in pages for call in page_calls]
    assert {vertical for _, _, vertical, _, _ in calls} == {False, True}  # ruled and squared pages have lines
    assert sum(np.count_nonzero(mask != result) for mask, *_, result in calls) > 10000
    assert_thin_ink_matches(calls)


def drawn_lines(size=(480, 640), tilt_deg=0.0):
    """Ruled lines 2 px thick every 40 px, tilted, and a vertical margin: (H, W) uint8 darkness."""
    height, width = size
    darkness = np.zeros(size, np.uint8)
    rise = round(width * np.tan(np.radians(tilt_deg)))
    for y in range(0, height + 40, 40):  # the first line on the frame's top edge, the last past its bottom
        cv2.line(darkness, (0, y), (width - 1, y + rise), 100, 2)
    cv2.line(darkness, (60, 0), (60, height - 1), 100, 3)
    return darkness


def strokes(darkness, tone=230):
    """Pen strokes on the page: across a line, touching one from above, along one, and into the bottom edge."""
    height = darkness.shape[0]
    cv2.line(darkness, (320, 100), (320, 180), tone, 9)           # across the line at y=160 (and 120)
    cv2.line(darkness, (400, 210), (400, 239), tone, 5)           # down onto the line at y=240, not past it
    cv2.line(darkness, (200, 280), (260, 281), tone, 3)           # along the line at y=280, darker
    cv2.line(darkness, (500, height - 30), (500, height - 1), tone, 6)  # across the last line, off the frame
    cv2.ellipse(darkness, (60, 300), (20, 30), 0, 0, 360, tone, 4)      # a "0" on the margin
    return darkness


def short_strokes(darkness, rng):
    """Short strokes of every width and tone across the lines, or above and below them, ending and starting at
    every distance from them: the cases where the closing across the line gives the line back or not."""
    for y in range(0, darkness.shape[0], 40):
        for x in rng.integers(80, darkness.shape[1], 30):
            x = int(x)
            ends = [(-20, -int(rng.integers(0, 12))), (int(rng.integers(0, 12)), 20)]  # above and below
            for top, bottom in ends if rng.random() < 0.7 else [(-8, 8)]:                 # ...or across
                cv2.line(darkness, (x, y + top), (x, y + bottom), int(rng.integers(110, 240)), int(rng.integers(1, 4)))
    return darkness


@pytest.mark.parametrize("size, tilt_deg", [((480, 640), 0), ((480, 640), 4), ((483, 641), 9), ((640, 480), -6)])
def test_remove_thin_ink_matches_the_reference_on_drawn_lines(size, tilt_deg):
    darkness = short_strokes(strokes(drawn_lines(size, tilt_deg)), np.random.default_rng(size[0] + tilt_deg))
    mask = np.where(darkness >= 64, 255, 0).astype(np.uint8)
    calls = thin_ink_calls(lambda: ruled_lines.remove_ruled_lines(mask, darkness))
    assert {vertical for _, _, vertical, _, _ in calls} == {False, True}
    # Lines found in the line ink (as the pale grid of squared paper) where the mask has no ink at all.
    calls += thin_ink_calls(lambda: ruled_lines.remove_ruled_lines(np.zeros_like(mask), darkness, mask))
    assert_thin_ink_matches(calls)


def test_remove_thin_ink_matches_the_reference_on_a_broad_stroke_taken_for_a_line():
    """A big digit's stroke 36 px wide spanning most of the frame: both leave it alone (MAX_LINE_THICKNESS)."""
    mask = np.zeros((480, 640), np.uint8)
    cv2.line(mask, (380, 60), (290, 420), 255, 36)
    calls = thin_ink_calls(lambda: ruled_lines.remove_ruled_lines(mask))
    assert calls and all(np.array_equal(result, mask) for *_, result in calls)
    assert_thin_ink_matches(calls)


# --- blobs ----------------------------------------------------------------------------------------------------


def drawn_masks():
    """Masks that take every branch of find_blobs: empty, a desk all round with digits in its hole, blobs on
    each edge of the frame, a one-pixel speck, a ring in a ring, digits in two pieces."""
    empty = np.zeros((120, 160), np.uint8)
    desk = np.zeros((480, 640), np.uint8)
    cv2.rectangle(desk, (0, 0), (639, 479), 255, 40)
    cv2.ellipse(desk, (300, 240), (20, 30), 0, 0, 360, 255, 4)
    cv2.ellipse(desk, (300, 240), (8, 12), 0, 0, 360, 255, 2)     # a ring inside the ring
    cv2.line(desk, (400, 200), (400, 226), 255, 4)                  # a "1" broken in the middle
    cv2.line(desk, (400, 232), (400, 260), 255, 4)
    edges = np.zeros((200, 300), np.uint8)
    for x0, y0, x1, y1 in ((0, 50, 20, 70), (280, 50, 299, 90), (100, 0, 130, 10), (100, 190, 130, 199)):
        cv2.rectangle(edges, (x0, y0), (x1, y1), 255, 2)
    edges[100, 150] = 255                                           # a one-pixel speck
    return [empty, desk, edges]


def test_find_blobs_matches_the_reference(pages):
    for mask in drawn_masks() + [mask for mask, *_ in pages]:
        for min_size in (0, 5.5):
            (ours, our_edge), (theirs, their_edge) = find_blobs(mask, min_size), naive.find_blobs(mask, min_size)
            assert_same_blobs(ours, theirs)
            np.testing.assert_array_equal(our_edge, their_edge)


def test_fragment_gaps_match_the_reference(pages):
    on_the_limits = [(100, 100, 30, 30), (100, 142, 30, 30),  # with a height of 60: 12 px apart (0.2 x 60)
                     (200, 100, 30, 30), (215, 130, 30, 40),  # sharing half their columns
                     (300, 100, 30, 40), (300, 144, 30, 40),  # together 84 px tall (1.4 x 60)
                     (400, 100, 60, 20), (400, 120, 20, 10),  # together twice as wide as tall
                     (500, 100, 10, 12), (500, 112, 10, 6)]   # the taller one 12 px, the least digit height
    boxes = [np.array(on_the_limits), np.array([(100, 100, 30, 60), (140, 100, 30, 60), (100, 168, 30, 60),
                                                (105, 90, 20, 8), (100, 100, 30, 60)]),
             np.zeros((0, 4), int), np.array([(5, 5, 10, 20)])]
    for box_array in boxes:
        for height, min_height in ((60, 12), (30.5, 8.0)):
            np.testing.assert_array_equal(fragment_gaps(box_array, height, min_height),
                                          naive.fragment_gaps(box_array, height, min_height))
    pieces = 0
    for mask, *_ in pages:  # as find_digit_blobs calls it
        min_height = max(MIN_HEIGHT_PX, MIN_HEIGHT * min(mask.shape))
        blobs, _ = find_blobs(mask, SPECK * min_height)
        box_array, height = np.array([blob.box for blob in blobs]).reshape(-1, 4), typical_height(blobs, min_height)
        gaps = fragment_gaps(box_array, height, min_height)
        np.testing.assert_array_equal(gaps, naive.fragment_gaps(box_array, height, min_height))
        pieces += np.count_nonzero(np.isfinite(gaps))
    assert pieces > 0  # some pairs are pieces of one digit


def test_paper_level_and_margin_matches_the_reference_on_photos(pages):
    for _, darkness, _ in pages:
        assert paper_level_and_margin(darkness) == naive.paper_level_and_margin(darkness)


@pytest.mark.parametrize("seed", range(40))
def test_paper_level_and_margin_matches_the_reference_on_random_images(seed):
    """Noise from flat to wide, around levels from black to white, on shapes from one pixel up (odd ones too)."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 90, 2))
    darkness = np.clip(rng.normal(rng.uniform(0, 255), rng.uniform(0, 60), shape), 0, 255).astype(np.uint8)
    assert paper_level_and_margin(darkness) == naive.paper_level_and_margin(darkness)


# --- the kernels package --------------------------------------------------------------------------------------


def test_every_kernel_is_checked_against_a_reference():
    found = set()
    for module_info in pkgutil.iter_modules(recognizer.kernels.__path__):
        module = importlib.import_module(f"recognizer.kernels.{module_info.name}")
        for name, value in vars(module).items():
            if hasattr(value, "py_func") and value.py_func.__module__ == module.__name__ and name[0] != "_":
                found.add(f"{module_info.name}.{name}")
    untested = sorted(found - TESTED_KERNELS.keys())
    assert not untested, f"kernels without a test against recognizer/naive.py: {untested} (list them here)"
    assert found >= TESTED_KERNELS.keys(), f"tested kernels that no longer exist: {TESTED_KERNELS.keys() - found}"


def test_kernels_import_no_api_module():
    """The API calls kernels, kernels never import the API: only NumPy, the jit options and other kernels."""
    allowed = ("__future__", "numpy", "numcnn.kernels.jit", "recognizer.kernels")
    for path in Path(recognizer.kernels.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text()).body:  # module level: what loads with the kernels
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            assert all(name.startswith(allowed) for name in names), f"{path.name} imports {names}"


def test_blob_tones_match_the_reference(pages):
    desk = cv2.GaussianBlur(drawn_masks()[1], (0, 0), 2)  # soft edges, some running past their blob's box
    merged = 0
    for mask, darkness, _ in [(np.where(desk >= 100, 255, 0).astype(np.uint8), desk, None)] + pages:
        blobs = find_digit_blobs(mask)  # without darkness: faint and soft blobs too; merged pieces too
        if not blobs:
            continue
        merged += sum(len(blob.contours) > 1 for blob in blobs)
        levels, steps = blob_tones(darkness, blobs)
        np.testing.assert_array_equal(levels, [naive.ink_level(darkness, blob) for blob in blobs])
        crops = [darkness[y:y + h, x:x + w] for x, y, w, h in (blob.box for blob in blobs)]
        theirs = [naive.edge_step(crop, blob) for crop, blob in zip(crops, blobs)]
        np.testing.assert_array_equal(steps, theirs)
        np.testing.assert_array_equal([edge_step(crop, blob) for crop, blob in zip(crops, blobs)], theirs)
    assert merged >= 2  # blobs of several pieces are measured on all of them


# --- the paper's level (preprocess) ---------------------------------------------------------------------------
