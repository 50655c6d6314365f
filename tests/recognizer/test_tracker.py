"""The tracker turns flickering, jittering, dropping per-frame guesses into a steady reading."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from recognizer.recognizer import CLASSES, NOT_A_DIGIT
from recognizer.tracker import Tracker, estimate_shift, greedy_match


@dataclass
class FakeDigit:
    box: tuple[int, int, int, int]
    probs: np.ndarray
    digit: int | None = None
    confidence: float = 0.0


SHEET = [  # (true class, x, y) of a still sheet with two rows: "3142" and "77"
    (3, 100, 100), (1, 150, 100), (4, 200, 100), (2, 250, 100),
    (7, 100, 180), (7, 150, 180),
]
SIZE = (30, 44)


def guess(true_class: int, rng: np.random.Generator, flicker: float) -> np.ndarray:
    """(10,) probs: mostly right, but with chance ``flicker`` a wrong class narrowly wins this frame."""
    probs = np.full(10, 0.02, dtype=np.float32)
    if rng.random() < flicker:
        wrong = int(rng.choice([c for c in range(10) if c != true_class]))
        probs[wrong], probs[true_class] = 0.48, 0.36
    else:
        probs[true_class] = 0.82
    return probs / probs.sum()


def noisy_frames(n_frames: int, seed: int, flicker=0.25, jitter=2, dropout=0.15, drift=(0.0, 0.0)):
    """Per-frame digit lists of SHEET with flicker, box jitter, dropped digits and a steady camera drift."""
    rng = np.random.default_rng(seed)
    frames = []
    for f in range(n_frames):
        dx, dy = drift[0] * f, drift[1] * f
        digits = []
        for true_class, x, y in SHEET:
            if rng.random() < dropout:
                continue
            jx, jy = rng.integers(-jitter, jitter + 1, size=2)
            box = (int(x + dx + jx), int(y + dy + jy), *SIZE)
            digits.append(FakeDigit(box, guess(true_class, rng, flicker)))
        frames.append(digits)
    return frames


def reading(digits) -> str:
    """The sheet read row by row (a new row starts 40 px below the last row's top); rejected digits read '?'."""
    rows = []
    for d in sorted(digits, key=lambda d: d.box[1]):
        if rows and d.box[1] - rows[-1][0].box[1] < 40:
            rows[-1].append(d)
        else:
            rows.append([d])
    ordered = [d for row in rows for d in sorted(row, key=lambda d: d.box[0])]
    return "".join("?" if d.digit is None else str(d.digit) for d in ordered)


def raw_reading(digits) -> str:
    for d in digits:
        d.digit = int(np.argmax(d.probs))
    return reading(digits)


TRUTH = "314277"


def test_still_sheet_reads_steadily_despite_flicker_jitter_and_dropouts():
    frames = noisy_frames(60, seed=1)
    tracker = Tracker(min_confidence=0.3)
    readings = [reading(tracker.update(digits)) for digits in frames]
    raw = [raw_reading(digits) for digits in frames]
    assert sum(r == TRUTH for r in raw) < 20, "the input should flicker, or this test proves nothing"
    assert all(r == TRUTH for r in readings[10:]), readings[10:]


def test_track_ids_stay_the_same_on_a_still_sheet():
    tracker = Tracker()
    ids_by_frame = [
        {d.track_id: d.digit for d in tracker.update(digits)} for digits in noisy_frames(30, seed=2, flicker=0.0)
    ]
    assert len(ids_by_frame[5]) == len(SHEET)
    assert all(ids == ids_by_frame[5] for ids in ids_by_frame[5:])


def test_camera_moving_by_most_of_a_digit_per_frame_keeps_the_reading():
    frames = noisy_frames(40, seed=3, flicker=0.2, dropout=0.1, drift=(22.0, -9.0))
    tracker = Tracker(min_confidence=0.3)
    readings = [reading(tracker.update(digits)) for digits in frames]
    assert all(r == TRUTH for r in readings[10:]), readings[10:]
    assert len(tracker.tracks) == len(SHEET)
    np.testing.assert_allclose(tracker.last_shift, (22.0, -9.0), atol=3.0)


def test_missed_digit_is_remembered_for_a_few_frames_then_forgotten():
    tracker = Tracker(max_missed=3)
    probs = guess(5, np.random.default_rng(0), flicker=0.0)
    for _ in range(4):
        tracker.update([FakeDigit((50, 50, 30, 40), probs)])
    remembered = [tracker.update([]) for _ in range(3)]
    assert all(len(out) == 1 and out[0].digit == 5 and not out[0].seen for out in remembered)
    assert tracker.update([]) == []


def test_a_digit_seen_once_is_dropped_at_its_first_miss():
    tracker = Tracker()
    tracker.update([FakeDigit((50, 50, 30, 40), np.eye(10, dtype=np.float32)[4])])
    assert tracker.update([]) == []


def test_low_averaged_confidence_reads_as_not_a_digit_and_follows_the_threshold():
    tracker = Tracker(min_confidence=0.9)
    probs = np.full(10, 0.4 / 9, dtype=np.float32)
    probs[8] = 0.6
    out = tracker.update([FakeDigit((5, 5, 20, 30), probs)])
    assert out[0].digit is None and out[0].confidence == pytest.approx(0.6)
    tracker.min_confidence = 0.5
    assert tracker.current()[0].digit == 8


def test_jittered_box_is_smoothed():
    tracker = Tracker()
    probs = np.eye(10, dtype=np.float32)[1]
    xs = []
    for f in range(20):
        x = 100 + (4 if f % 2 else -4)
        xs.append(tracker.update([FakeDigit((x, 60, 20, 40), probs)])[0].box[0])
    assert max(xs[5:]) - min(xs[5:]) < 8


def test_estimate_shift_finds_the_common_move_and_prefers_no_move_on_a_tie():
    previous = np.array([[0, 0, 20, 30], [40, 0, 20, 30], [80, 0, 20, 30]], dtype=float)
    classes = np.array([1, 2, 3])
    np.testing.assert_allclose(estimate_shift(previous, previous + [13, 7, 0, 0], classes, classes), (13, 7))
    same = np.array([5, 5, 5])
    np.testing.assert_allclose(estimate_shift(previous, previous, same, same), (0, 0))
    assert np.all(estimate_shift(previous, np.zeros((0, 4)), classes, classes[:0]) == 0)


def test_greedy_match_takes_the_closest_pairs_and_refuses_far_or_different_sized_boxes():
    previous = np.array([[0, 0, 20, 20], [100, 0, 20, 20], [200, 0, 20, 20]], dtype=float)
    current = np.array([[3, 0, 20, 20], [101, 1, 20, 20], [400, 0, 20, 20], [200, 0, 80, 80]], dtype=float)
    assert sorted(greedy_match(previous, current, max_distance=0.5)) == [(0, 0), (1, 1)]


def test_a_flicker_into_a_neighbours_class_does_not_fake_a_camera_move():
    previous = np.array([[20, 40, 16, 16], [60, 40, 16, 16], [100, 40, 16, 16]], dtype=float)
    read_before, read_now = np.array([2, 6, 5]), np.array([3, 7, 6])  # every class flickered, one into 6
    np.testing.assert_allclose(estimate_shift(previous, previous, read_before, read_now), (0, 0))
    moved = previous + [40, 0, 0, 0]  # a real move of one spacing, classes kept, one digit leaves the view
    np.testing.assert_allclose(estimate_shift(previous, moved[:2], read_before, read_before[:2]), (40, 0))


def test_blobs_that_show_up_in_single_frames_are_never_shown_after_the_first_frame():
    rng = np.random.default_rng(4)
    tracker = Tracker()
    one = np.eye(10, dtype=np.float32)[1]
    for f in range(40):
        digits = [FakeDigit((100, 100, 30, 44), guess(3, rng, flicker=0.0))]
        if f % 2 == 1:  # pieces of a ruled line, read as 1s, somewhere new every other frame
            digits += [FakeDigit((int(x), int(y), 8, 40), one) for x, y in rng.uniform(200, 600, size=(3, 2))]
        out = tracker.update(digits)
        assert [d.digit for d in out] == [3], f"frame {f}: {out}"


def test_a_digit_that_appears_later_is_shown_from_its_second_frame_and_one_that_comes_and_goes_is_not_kept():
    tracker = Tracker()
    three, seven = (FakeDigit((100, 100, 30, 44), np.eye(10, dtype=np.float32)[c]) for c in (3, 7))
    seven.box = (300, 100, 30, 44)
    tracker.update([three])
    assert [d.digit for d in tracker.update([three, seven])] == [3]
    assert [d.digit for d in tracker.update([three, seven])] == [3, 7]
    sometimes = [True, True, False, False, True, False, False, False, False]
    shown = [7 in [d.digit for d in tracker.update([three, seven] if seen else [three])] for seen in sometimes]
    assert shown == [True, True, True, True, True, True, False, False, False]


def test_a_digit_read_near_the_threshold_does_not_blink_but_a_new_threshold_applies_at_once():
    tracker = Tracker(min_confidence=0.8, window=1)
    def probs(p):
        out = np.full(10, (1 - p) / 9, dtype=np.float32)
        out[4] = p
        return out
    readings = [tracker.update([FakeDigit((5, 5, 20, 30), probs(p))])[0].digit for p in (0.85, 0.75, 0.82, 0.72, 0.65)]
    assert readings == [4, 4, 4, 4, None], "read from 0.8 on, kept down to 0.7"
    tracker.update([FakeDigit((5, 5, 20, 30), probs(0.85))])
    tracker.min_confidence = 0.9
    assert tracker.current()[0].digit is None


def eleven(top_class: int, top: float) -> np.ndarray:
    """(11,) probs as the recognizer gives them: ``top_class`` (0-9, or NOT_A_DIGIT) at ``top``."""
    probs = np.full(CLASSES, (1 - top) / (CLASSES - 1), dtype=np.float32)
    probs[top_class] = top
    return probs


def test_a_blob_whose_average_says_not_a_digit_is_not_read_however_sure():
    tracker = Tracker(min_confidence=0.5)
    out = tracker.update([FakeDigit((5, 5, 20, 30), eleven(NOT_A_DIGIT, 0.95))])
    assert out[0].digit is None and out[0].confidence == pytest.approx(0.95)
    assert out[0].probs.shape == (CLASSES,)
    tracker.min_confidence = 0.0
    assert tracker.current()[0].digit is None, "no threshold makes 'not a digit' a digit"


def test_eleven_class_probabilities_are_averaged_and_a_digit_read_does_not_survive_not_a_digit_winning():
    tracker = Tracker(min_confidence=0.5, window=2)  # a digit read stays read down to 0.4
    box = (5, 5, 20, 30)
    assert tracker.update([FakeDigit(box, eleven(4, 0.9))])[0].digit == 4
    averaged = tracker.update([FakeDigit(box, eleven(NOT_A_DIGIT, 0.7))])[0]
    assert averaged.digit == 4 and averaged.confidence == pytest.approx((0.9 + 0.03) / 2)  # 4 wins the average
    out = tracker.update([FakeDigit(box, eleven(NOT_A_DIGIT, 0.7))])[0]
    assert out.digit is None and out.confidence == pytest.approx(0.7), "the hysteresis keeps digits only"
