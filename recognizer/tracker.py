"""Follow digits from frame to frame so a still sheet gives a steady reading instead of flicker.

Each frame the recognizer gives an independent guess for every digit. A pen stroke near the edge of
the threshold, a little noise or a hand moving the camera changes those guesses from frame to frame.
The tracker:

1. estimates how far the whole picture moved since the last frame (the camera shook a little);
2. matches every new digit to the nearest known digit after that move (greedy, nearest pair first);
3. averages each digit's class probabilities (11: the digits 0-9 and "not a digit") over its last few
   frames, and reads the class from the average, so one bad frame cannot flip the reading. As the
   recognizer does, it reads no digit (None) when "not a digit" wins or the average's top is below the
   threshold (``read_class``). A digit it already reads keeps being read
   while the average stays a little below the threshold (hysteresis), so a digit whose confidence
   hovers around the threshold does not blink in and out;
4. shows a digit only once it was found in two frames (except in the very first frame, where
   there is nothing to compare with), so a blob that shows up in a single frame (a speck of noise,
   a piece of a ruled line) never appears, and is forgotten at its first miss;
5. keeps showing a digit that is missing from a frame, as long as it was found in at least half
   of its recent frames: a digit missed for a frame or two stays on screen, a blob that only now
   and then shows up does not linger. A digit missed longer is remembered, unshown, for a few
   frames so it gets its history back when it reappears, then forgotten.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from recognizer.recognizer import NOT_A_DIGIT


class DigitLike(Protocol):
    """What the tracker reads from a recognizer digit: box (x, y, w, h) and probs (K,), K classes (11 from
    the recognizer; all of a tracker's digits have the same K)."""

    box: tuple[int, int, int, int]
    probs: np.ndarray


@dataclass
class TrackedDigit:
    """A digit as the tracker reports it; has the same fields as the recognizer's Digit plus two.

    box: (x, y, w, h) ints, smoothed over frames.
    digit: the digit read from the averaged probabilities, or None when NOT_A_DIGIT wins or their maximum is
        below the threshold.
    confidence: the averaged probability of the top class (NOT_A_DIGIT too).
    probs: (K,) float32, averaged over the track's recent frames (K = 11 from the recognizer).
    track_id: stays the same for the same digit across frames.
    seen: False while the digit is missing from the current frame and only remembered.
    """

    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    probs: np.ndarray
    track_id: int
    seen: bool


class Track:
    """What the tracker remembers about one digit.

    box: (4,) float64 (x, y, w, h). mean_probs: (K,) float32, the average of the last ``window``
    probability vectors, kept as a running sum so a frame costs one addition per track.
    presence: for each of the last ``window`` frames, whether the digit was found in it.
    confirmed: found in two frames (or in the tracker's first frame), so it may be shown.
    reported: the class reported for it last frame (None: not read), for the hysteresis.
    """

    def __init__(self, track_id: int, box: np.ndarray, probs: np.ndarray, window: int,
                 confirmed: bool = False) -> None:
        self.track_id = track_id
        self.confirmed = confirmed
        self.box = box.astype(np.float64)
        self.history: deque[np.ndarray] = deque(maxlen=window)
        self.presence: deque[bool] = deque(maxlen=window)
        self.mean_probs = np.zeros(len(probs), dtype=np.float32)
        self._sum = np.zeros(len(probs), dtype=np.float64)
        self.hits = 0
        self.misses = 0
        self.reported: int | None = None
        self.add(probs)

    def add(self, probs: np.ndarray) -> None:
        """Count one more sighting with class probabilities ``probs`` (K,); the oldest beyond the window is dropped."""
        if len(self.history) == self.history.maxlen:
            self._sum -= self.history[0]
        self.history.append(probs)
        self._sum += probs
        self.mean_probs = (self._sum / len(self.history)).astype(np.float32)
        self.presence.append(True)
        self.hits += 1
        self.misses = 0
        self.confirmed = self.confirmed or self.hits >= 2

    def miss(self) -> None:
        """Count a frame in which the digit was not found."""
        self.presence.append(False)
        self.misses += 1

    @property
    def is_shown(self) -> bool:
        """Confirmed, and found in this frame or in at least half of the recent frames."""
        return self.confirmed and (self.misses == 0 or 2 * sum(self.presence) >= len(self.presence))


class Tracker:
    """Matches digits across frames and smooths their class; see the module docstring.

    min_confidence: an averaged top probability below this is not read (settable, like the recognizer's).
    hysteresis: a digit already read stays read down to ``min_confidence - hysteresis``.
    window: how many recent frames are averaged (and looked at to decide whether a digit is present).
    max_missed: how many frames in a row an established digit may be missing before it is forgotten.
    max_match_distance: how far a digit may move between frames and still match, in units of its size
        (after the global camera shift has been taken out).
    box_smoothing: weight of the new box when blending it with the remembered one (1 = no smoothing).
    """

    def __init__(
        self,
        min_confidence: float = 0.5,
        hysteresis: float = 0.1,
        window: int = 6,
        max_missed: int = 5,
        max_match_distance: float = 0.5,
        box_smoothing: float = 0.5,
    ) -> None:
        self._min_confidence = min_confidence
        self.hysteresis = hysteresis
        self.window = window
        self.max_missed = max_missed
        self.max_match_distance = max_match_distance
        self.box_smoothing = box_smoothing
        self.tracks: list[Track] = []
        self.last_shift = np.zeros(2)
        self.frames_seen = 0
        self._next_id = 0

    @property
    def min_confidence(self) -> float:
        return self._min_confidence

    @min_confidence.setter
    def min_confidence(self, value: float) -> None:
        """A new threshold applies at once, without hysteresis: the user asked for it."""
        self._min_confidence = value
        for track in self.tracks:
            track.reported = None

    def reset(self) -> None:
        """Forget every digit (for a new scene, e.g. the next image of a folder)."""
        self.tracks = []
        self.last_shift = np.zeros(2)
        self.frames_seen = 0

    def update(self, digits: Sequence[DigitLike]) -> list[TrackedDigit]:
        """Feed the digits found in one frame; returns the smoothed digits to show for that frame."""
        self.frames_seen += 1
        boxes = np.array([d.box for d in digits], dtype=np.float64).reshape(-1, 4)
        probs = [np.asarray(d.probs, dtype=np.float32) for d in digits]
        track_boxes = np.array([t.box for t in self.tracks], dtype=np.float64).reshape(-1, 4)
        track_classes = np.array([t.mean_probs.argmax() for t in self.tracks], dtype=np.int64)
        detected_classes = np.array([p.argmax() for p in probs], dtype=np.int64)

        self.last_shift = estimate_shift(track_boxes, boxes, track_classes, detected_classes)
        for track in self.tracks:
            track.box[:2] += self.last_shift
        predicted = track_boxes + np.array([*self.last_shift, 0.0, 0.0])

        pairs = greedy_match(predicted, boxes, self.max_match_distance)
        matched_tracks = {t for t, _ in pairs}
        matched_digits = {d for _, d in pairs}
        for t, d in pairs:
            track = self.tracks[t]
            track.box += self.box_smoothing * (boxes[d] - track.box)
            track.add(probs[d])

        survivors = []
        for t, track in enumerate(self.tracks):
            if t not in matched_tracks:
                track.miss()
                is_established = track.hits >= 2
                if not is_established or track.misses > self.max_missed:
                    continue
            survivors.append(track)
        for d in range(len(digits)):
            if d not in matched_digits:
                first_frame = self.frames_seen == 1
                survivors.append(Track(self._next_id, boxes[d], probs[d], self.window, confirmed=first_frame))
                self._next_id += 1
        self.tracks = survivors
        for track in self.tracks:
            track.reported = self.read_class(track)
        return self.current()

    def read_class(self, track: Track) -> int | None:
        """The digit to report for ``track`` with the current threshold, or None: NOT_A_DIGIT wins, or the
        average is not confident enough (a digit reported last frame keeps down to the hysteresis)."""
        best = int(track.mean_probs.argmax())
        confidence = float(track.mean_probs[best])
        if best == NOT_A_DIGIT:  # however sure: it is no digit
            return None
        if confidence >= self.min_confidence:
            return best
        if best == track.reported and confidence >= self.min_confidence - self.hysteresis:
            return best
        return None

    def current(self) -> list[TrackedDigit]:
        """The digits shown as of the last update, read with the current ``min_confidence``; top-left first."""
        shown = [t for t in self.tracks if t.is_shown]
        boxes = np.rint(np.array([t.box for t in shown]).reshape(-1, 4)).astype(int)
        out = []
        for track, (x, y, w, h) in zip(shown, boxes.tolist()):
            best = int(track.mean_probs.argmax())
            out.append(
                TrackedDigit(
                    box=(x, y, max(w, 1), max(h, 1)),
                    digit=self.read_class(track),
                    confidence=float(track.mean_probs[best]),
                    probs=track.mean_probs,
                    track_id=track.track_id,
                    seen=track.misses == 0,
                )
            )
        return sorted(out, key=lambda d: (d.box[1], d.box[0]))


def box_centres(boxes: np.ndarray) -> np.ndarray:
    """boxes: (N, 4) as (x, y, w, h) -> (N, 2) centres (cx, cy)."""
    return boxes[:, :2] + boxes[:, 2:] / 2.0


def box_sizes(boxes: np.ndarray) -> np.ndarray:
    """boxes: (N, 4) -> (N,) the longer side of each box, at least 1."""
    return np.maximum(boxes[:, 2:].max(axis=1), 1.0)


def similar_size(a: np.ndarray, b: np.ndarray, max_ratio: float = 2.0) -> np.ndarray:
    """a: (M, 4), b: (N, 4) -> (M, N) bool: the longer sides differ by less than ``max_ratio``."""
    ratio = box_sizes(a)[:, None] / box_sizes(b)[None, :]
    return (ratio < max_ratio) & (ratio > 1.0 / max_ratio)


def estimate_shift(
    previous: np.ndarray,
    current: np.ndarray,
    previous_classes: np.ndarray,
    current_classes: np.ndarray,
    search_radius: float = 3.0,
    neighbours: int = 3,
    tolerance: float = 0.25,
) -> np.ndarray:
    """How far the whole picture moved between two frames, as (dx, dy) pixels.

    previous: (M, 4) boxes of the last frame, current: (N, 4) boxes of this frame, *_classes: (M,), (N,).
    Every previous box proposes the moves to its ``neighbours`` nearest current boxes of a similar size
    within ``search_radius`` box sizes. Proposals vote for each other when they agree within
    ``tolerance`` box sizes; a proposal between boxes of the same class has two votes, because a
    digit that keeps its class is more likely the same digit. The move with the most votes wins (one
    flickering class cannot outvote the rest of the sheet); ties go to the smaller move, because a
    still camera is the common case. A move within ``tolerance`` counts as no move: it is as likely
    jitter of the boxes themselves, which the tracker smooths instead of following.
    Returns (0, 0) when nothing can be compared.
    """
    if len(previous) == 0 or len(current) == 0:
        return np.zeros(2)
    moves = box_centres(current)[None, :, :] - box_centres(previous)[:, None, :]  # (M, N, 2)
    sizes = box_sizes(previous)
    distance = np.linalg.norm(moves, axis=2) / sizes[:, None]
    allowed = (distance <= search_radius) & similar_size(previous, current)
    votes = np.where(previous_classes[:, None] == current_classes[None, :], 2.0, 1.0)
    ranked = np.argsort(np.where(allowed, distance, np.inf), axis=1)[:, :neighbours]  # (M, k) nearest first
    rows = np.broadcast_to(np.arange(len(previous))[:, None], ranked.shape)
    keep = allowed[rows, ranked]
    rows, columns = rows[keep], ranked[keep]
    if len(rows) == 0:
        return np.zeros(2)
    proposals, weights = moves[rows, columns], votes[rows, columns]
    radius = tolerance * float(np.median(sizes))
    agree = np.linalg.norm(proposals[:, None, :] - proposals[None, :, :], axis=2) <= radius
    support = agree @ weights
    best_ones = np.flatnonzero(support == support.max())
    best = best_ones[np.argmin(np.linalg.norm(proposals[best_ones], axis=1))]
    shift = np.median(proposals[agree[best]], axis=0)
    if np.linalg.norm(shift) <= radius:
        return np.zeros(2)
    return shift


def greedy_match(previous: np.ndarray, current: np.ndarray, max_distance: float) -> list[tuple[int, int]]:
    """Pairs (previous index, current index), the closest pair first, each box used at most once.

    previous: (M, 4), current: (N, 4) boxes. The distance between two boxes is the distance of their
    centres divided by the longer side of the larger box; pairs farther than ``max_distance`` or of
    very different sizes never match.
    """
    if len(previous) == 0 or len(current) == 0:
        return []
    gap = np.linalg.norm(box_centres(previous)[:, None, :] - box_centres(current)[None, :, :], axis=2)
    scale = np.maximum(box_sizes(previous)[:, None], box_sizes(current)[None, :])
    cost = gap / scale
    cost[~similar_size(previous, current)] = np.inf
    close_enough = np.flatnonzero(cost <= max_distance)
    pairs = []
    used_previous, used_current = set(), set()
    for flat in close_enough[np.argsort(cost.ravel()[close_enough], kind="stable")]:
        p, c = np.unravel_index(flat, cost.shape)
        if p in used_previous or c in used_current:
            continue
        pairs.append((int(p), int(c)))
        used_previous.add(p)
        used_current.add(c)
    return pairs
