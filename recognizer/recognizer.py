"""The recognizer: one frame in, every digit on the page out, with rows read left to right.

    rec = Recognizer.from_file()                 # the shipped model
    result = rec.process(frame)                  # frame: (H, W), (H, W, 3) BGR or (H, W, 4) BGRA
    result.digits                                # [Digit(box=(x, y, w, h), digit=7, confidence=0.99, probs=...)]
    result.lines                                 # ["3142", "77"]

The stages (each a function in its own module, to call and look at alone):
frame -> gray -> smaller working copy -> ink mask (``preprocess``) -> digit boxes (``segment``) ->
28x28 MNIST-style images (``normalize``) -> one batch through the network -> rows (``rows``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

import numcnn
from recognizer.normalize import normalize_digit
from recognizer.preprocess import downscale, ink_mask, to_gray
from recognizer.rows import read_rows
from recognizer.segment import digit_ink, find_digit_boxes

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "mnist_cnn" / "model.npz"
WORKING_SIZE = 640        # frames are processed with their longer side at most this many pixels
MIN_CONFIDENCE = 0.80     # below this probability a blob is reported as "not a digit" (digit None)


@dataclass(frozen=True)
class Digit:
    """One blob read as a digit. box: (x, y, w, h) in frame pixels; digit: 0-9, or None when the network
    was not confident enough; confidence: the top probability; probs: (10,) float32, all probabilities."""

    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    probs: np.ndarray = field(repr=False)


@dataclass
class FrameResult:
    """Everything read from one frame.

    digits: every candidate blob, read (digit 0-9) or rejected (None); lines: the read digits row by row,
    top to bottom, each read left to right; mask: (H, W) uint8 ink mask in frame coordinates (255 = ink),
    for a debug view; digit_images: (len(digits), 28, 28) float32, what the network saw.
    """

    digits: list[Digit]
    lines: list[str]
    mask: np.ndarray = field(repr=False)
    digit_images: np.ndarray = field(repr=False)


class Recognizer:
    """Reads handwritten digits in camera frames with a numcnn model trained on MNIST."""

    def __init__(self, model: numcnn.Sequential, min_confidence: float = MIN_CONFIDENCE,
                 working_size: int = WORKING_SIZE) -> None:
        if tuple(model.input_shape) != (1, 28, 28) or model.output_shape != (10,):
            raise ValueError(f"the recognizer needs a model for (1, 28, 28) images with 10 classes, got input "
                             f"{model.input_shape} and output {model.output_shape}")
        self.model = model
        self.min_confidence = float(min_confidence)
        self.working_size = int(working_size)

    @classmethod
    def from_file(cls, model_path: str | os.PathLike | None = None, **options) -> "Recognizer":
        """Load a model saved by numcnn (default: the shipped one, ``recognizer/models/mnist_cnn/model.npz``)."""
        path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no model file there; train one with "
                                    f"`python scripts/train.py --out DIR` and pass DIR/model.npz")
        return cls(numcnn.load(path), **options)

    def process(self, frame: np.ndarray) -> FrameResult:
        """frame: (H, W) gray, (H, W, 3) BGR or (H, W, 4) BGRA, uint8 or float -> FrameResult."""
        gray = to_gray(frame)
        small, scale = downscale(gray, self.working_size)
        mask, darkness = ink_mask(small)
        boxes = find_digit_boxes(mask, darkness)
        images = np.stack([normalize_digit(digit_ink(mask, box, darkness)) for box in boxes]) if boxes else \
            np.zeros((0, 28, 28), dtype=np.float32)
        probs = self.model.predict_proba(images[:, None]) if boxes else np.zeros((0, 10), dtype=np.float32)
        digits = [self._digit(box, p, scale, gray.shape) for box, p in zip(boxes, probs)]
        return FrameResult(digits=digits, lines=read_rows(digits), mask=_to_frame_size(mask, gray.shape),
                           digit_images=images)

    def _digit(self, box: tuple[int, int, int, int], probs: np.ndarray, scale: float,
               frame_shape: tuple[int, int]) -> Digit:
        best = int(np.argmax(probs))
        confidence = float(probs[best])
        x, y, w, h = (v / scale for v in box)
        frame_box = (int(round(x)), int(round(y)), max(1, int(round(w))), max(1, int(round(h))))
        digit = best if confidence >= self.min_confidence else None
        return Digit(box=frame_box, digit=digit, confidence=confidence, probs=probs.astype(np.float32))


def _to_frame_size(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
