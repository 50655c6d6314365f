"""Stand-ins shared by the recognizer's tests.

`SquareReader` stands in for the Recognizer (fast, and exact about what it saw): every bright square in a frame
is a "digit" whose grey level says which one. `FakeScreen` stands in for OpenCV's window functions.
`fixed_output_model` is a real numcnn model whose output is known: for the recognizer's decisions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

import numcnn
from recognizer.recognizer import CLASSES, read_digits
from recognizer.rows import read_rows

SQUARE = 16


@dataclass
class FakeDigit:
    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    probs: np.ndarray


@dataclass
class FakeResult:
    digits: list
    lines: list[str]
    mask: np.ndarray


def grey_level(digit: int) -> int:
    """The grey level SquareReader reads as ``digit``."""
    return 60 + 20 * digit


class SquareReader:
    """A Recognizer stand-in: each bright blob of at least 20 pixels is a digit given by its grey level.

    Every class is read with probability ``confidence``, among CLASSES (11) probabilities, as the Recognizer's.
    ``misread(call, digit)`` may return another class to report with probability 0.5 on that call, to make
    readings flicker like a real camera's.
    ``interrupt_at``: raise KeyboardInterrupt on that call (a user pressing Ctrl-C).
    """

    def __init__(self, confidence: float = 0.62, misread=None, interrupt_at: int | None = None) -> None:
        self.min_confidence = 0.5
        self.confidence = confidence
        self.misread = misread
        self.interrupt_at = interrupt_at
        self.calls = 0

    def process(self, frame: np.ndarray) -> FakeResult:
        if self.calls == self.interrupt_at:
            raise KeyboardInterrupt
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        mask = np.where(gray > 40, 255, 0).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        digits = []
        for blob in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[blob])
            if area < 20:
                continue
            digit = int(np.clip(round((gray[labels == blob].mean() - 60) / 20), 0, 9))
            digits.append(self.read_as(digit, (x, y, w, h)))
        self.calls += 1
        digits.sort(key=lambda d: d.box[0])
        return FakeResult(digits, read_rows(digits), mask)

    def read_as(self, digit: int, box: tuple[int, int, int, int]) -> FakeDigit:
        wrong = self.misread(self.calls, digit) if self.misread else None
        probs = np.full(CLASSES, (1 - self.confidence) / (CLASSES - 1), dtype=np.float32)
        probs[digit] = self.confidence
        if wrong is not None:
            probs[:] = 0.5 / (CLASSES - 1)
            probs[wrong] = 0.5
        return FakeDigit(box, read_digits(probs[None], self.min_confidence)[0], float(probs.max()), probs)


def draw_squares(squares, size=(160, 120), stamp: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 black frame with a SQUARE-sized square per (digit, x, y); ``stamp`` marks the frame
    in its top-left 3x3 pixels (too small to be read as a digit)."""
    frame = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    for digit, x, y in squares:
        frame[y : y + SQUARE, x : x + SQUARE] = grey_level(digit)
    if stamp is not None:
        frame[:3, :3] = stamp
    return frame


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def flicker_every_third_frame(call: int, digit: int) -> int | None:
    return (digit + 1) % 10 if call % 3 == 1 else None


class FakeScreen:
    """Stands in for OpenCV's window functions: records what is shown and plays back key presses."""

    def __init__(self, keys: str):
        self.keys = list(keys)
        self.shown: list[np.ndarray] = []
        self.destroyed = False

    def install(self, monkeypatch):
        monkeypatch.setattr(cv2, "namedWindow", lambda *args: None)
        monkeypatch.setattr(cv2, "resizeWindow", lambda *args: None)
        monkeypatch.setattr(cv2, "imshow", lambda name, image: self.shown.append(image.copy()))
        monkeypatch.setattr(cv2, "waitKey", self.wait_key)
        monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: 1.0)
        monkeypatch.setattr(cv2, "destroyWindow", lambda *args: setattr(self, "destroyed", True))
        return self

    def wait_key(self, delay: int) -> int:
        key = self.keys.pop(0) if self.keys else "q"
        return -1 if key == "." else ord(key)


def fixed_output_model(probs: Sequence[float]) -> numcnn.Sequential:
    """An untrained numcnn "small" model of len(probs) classes that gives ``probs`` for every image: its last
    Dense layer's weights are zero and its bias the log-probabilities (softmax(log p) = p)."""
    probs = np.asarray(probs, dtype=np.float64)
    model = numcnn.zoo.build("small", classes=len(probs))
    last = model.layers[-1]
    last.params["weight"][:] = 0.0
    last.params["bias"][:] = np.log(np.maximum(probs / probs.sum(), 1e-12))
    return model
