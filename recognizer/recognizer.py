"""The recognizer: one frame in, every digit on the page out, with rows read left to right.

    rec = Recognizer.from_file()                 # the shipped model
    result = rec.process(frame)                  # frame: (H, W), (H, W, 3) BGR or (H, W, 4) BGRA
    result.digits                                # [Digit(box=(x, y, w, h), digit=7, confidence=0.99, probs=...)]
    result.lines                                 # ["3142", "77"]

The stages (each a function in its own module, to call and look at alone):
frame -> gray -> working-size copy (640 px long) -> ink mask (``preprocess``) -> candidate blobs (``segment``) ->
28x28 MNIST-style images (``normalize``; all candidates in one kernel call: ``segment.digit_images``) -> one
batch through the network -> no digits inside words (``context``) -> rows (``rows``).
The network has CLASSES = 11 outputs: the digits 0-9 and NOT_A_DIGIT (10), for a blob that is no digit at all (a
smudge, a letter, a piece of a ruled line). A blob is read as a digit when a digit class wins with at least
``min_confidence`` (``read_digits``).
The network gets [0, 1] images, white on black; its own first layer applies the training set's mean and
standard deviation (stored in the model file). Only for a wide blob that cannot be read, or one as tall as two
rows of its neighbours, is a second, small batch sent: the ways to cut it into two digits written touching
(``rows.row_cuts``, ``cuts``). A sheet whose rows are tilted more than MAX_READ_TILT is turned level and read
again.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

import numcnn
from recognizer.context import drop_digits_in_words
from recognizer.cuts import choose_cuts, cut_across, split_options
from recognizer.preprocess import ink_mask, to_gray, to_working_size
from recognizer.rows import measured_tilt, read_rows, row_cuts
from recognizer.ruled_lines import LINE_MAX_TILT_DEG, steep_lines_tilt
from recognizer.segment import MIN_HEIGHT, Blob, digit_images, find_digit_blobs

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "mnist_cnn" / "model.npz"
NOT_A_DIGIT = 10          # the network's class for a blob that is no digit; classes 0-9 are the digits
CLASSES = 11              # the network's outputs: 0-9 and NOT_A_DIGIT
TRAIN_HINT = "train one with `python scripts/train_recognizer.py --out DIR` and pass DIR/model.npz"
WORKING_SIZE = 640        # frames are processed with their longer side this many pixels long
MIN_CONFIDENCE = 0.5      # below this, the top class is less likely than all others together: not read
MAX_READ_TILT = LINE_MAX_TILT_DEG  # degrees: rows tilted more are turned level and read again (see process)
ZOOM = 2                  # a big frame whose writing reads small is read again at up to 2x the working size...
MIN_ZOOM = 1.5            # ...when that is at least 1.5x (a 720p camera's, a photo's frame; not a 640x480 one)...
SMALL_WRITING = 2 * MIN_HEIGHT  # ...and its digits are shorter than this (of the shorter side), or none are read


@dataclass(frozen=True)
class Digit:
    """One candidate blob. box: (x, y, w, h) in frame pixels; digit: 0-9, or None when the network reads it as
    "not a digit" (class NOT_A_DIGIT wins) or is not confident enough; confidence: the top probability, of
    whichever class wins (NOT_A_DIGIT too); probs: (11,) float32, all probabilities (digits 0-9, NOT_A_DIGIT): the
    network's, but for a candidate inside a word, read as "not a digit" (``context.drop_digits_in_words``)."""

    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    probs: np.ndarray = field(repr=False)


@dataclass
class FrameResult:
    """Everything read from one frame.

    digits: every candidate blob, read (digit 0-9) or rejected (None: "not a digit", or not confident enough);
    lines: the read digits row by row, top to bottom, each read left to right; mask: (H, W) uint8 ink mask in
    frame coordinates (255 = ink), for a debug view; digit_images: (len(digits), 28, 28) float32, what the
    network saw.
    """

    digits: list[Digit]
    lines: list[str]
    mask: np.ndarray = field(repr=False)
    digit_images: np.ndarray = field(repr=False)


class Recognizer:
    """Reads handwritten digits in camera frames with a numcnn model of CLASSES outputs: the digits 0-9 and
    NOT_A_DIGIT (see ``scripts/train_recognizer.py``)."""

    def __init__(self, model: numcnn.Sequential, min_confidence: float = MIN_CONFIDENCE,
                 working_size: int = WORKING_SIZE) -> None:
        check_model(model)
        self.model = model
        self.min_confidence = float(min_confidence)
        self.working_size = int(working_size)

    @classmethod
    def from_file(cls, model_path: str | os.PathLike | None = None, **options) -> Recognizer:
        """Load a model saved by numcnn (default: the shipped one, ``recognizer/models/mnist_cnn/model.npz``)."""
        path = Path(model_path) if model_path is not None else DEFAULT_MODEL
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no model file there; {TRAIN_HINT}")
        model = numcnn.load(path)
        try:
            recognizer = cls(model, **options)
        except ValueError as error:  # name the file: the message is all a user of the CLI sees
            raise ValueError(f"{path}: {error}") from error
        recognizer.process(warm_up_page())  # loads every kernel's machine code now, not on the first frame
        return recognizer

    def process(self, frame: np.ndarray) -> FrameResult:
        """frame: (H, W) gray, (H, W, 3) BGR or (H, W, 4) BGRA, uint8 or float -> FrameResult.

        The frame is read at the working size. A frame at least MIN_ZOOM times bigger (a photo) whose writing
        reads small there (``writing_is_small``) is read again, at up to ZOOM times the working size, for
        digits down to 1 / ZOOM of the least digit height: a page of ordinary handwriting photographed whole.
        The second reading is kept when it reads at least as many digits as the first.
        """
        gray = to_gray(frame)
        result = self._read_frame(gray, self.working_size, MIN_HEIGHT)
        zoomed = min(max(gray.shape), ZOOM * self.working_size)
        if zoomed >= MIN_ZOOM * self.working_size and writing_is_small(result.digits, gray.shape):
            closer = self._read_frame(gray, zoomed, MIN_HEIGHT * self.working_size / zoomed)
            if len("".join(closer.lines)) >= len("".join(result.lines)):
                result = closer
        return result

    def _read_frame(self, gray: np.ndarray, working_size: int, min_height: float) -> FrameResult:
        """gray: (H, W) uint8 -> FrameResult, read at `working_size` for digits at least `min_height` (of the
        shorter side) tall.

        A sheet turned more than MAX_READ_TILT is read a second time, turned level first: the ruled lines are
        looked for only that far off level, and the network has seen digits turned only that far.
        """
        small, scale = to_working_size(gray, working_size)
        mask, boxes, probs, images = self._read(small, min_height)
        digits = self._digits(boxes, probs, scale)
        tilt = measured_tilt([box for box, digit in zip(boxes, digits) if digit.digit is not None])
        if tilt is None:  # no rows to see: perhaps the digits are joined to ruled lines too steep to be found
            tilt = steep_lines_tilt(mask)  # 0, or steeper than MAX_READ_TILT
        if abs(np.degrees(tilt)) <= MAX_READ_TILT:
            return FrameResult(digits=digits, lines=read_rows(digits, tilt), mask=_to_frame_size(mask, gray.shape),
                               digit_images=images)
        height, width = small.shape
        turn = cv2.getRotationMatrix2D((width / 2, height / 2), np.degrees(tilt), 1.0)  # counter-clockwise: level
        level = cv2.warpAffine(small, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
        mask, boxes, probs, images = self._read(level, min_height)
        lines = read_rows(self._digits(boxes, probs, 1.0))
        back = cv2.invertAffineTransform(turn)
        boxes = [turned_box(box, back, small.shape) for box in boxes]
        mask = cv2.warpAffine(mask, back, (width, height), flags=cv2.INTER_NEAREST)
        digits = self._digits(boxes, probs, scale)
        return FrameResult(digits=digits, lines=lines, mask=_to_frame_size(mask, gray.shape), digit_images=images)

    def _read(self, small: np.ndarray,
              min_height: float) -> tuple[np.ndarray, list[tuple[int, int, int, int]], np.ndarray, np.ndarray]:
        """One working-size gray image (H, W) uint8 -> (ink mask (H, W) uint8, the digits' boxes (x, y, w, h),
        their probabilities (N, 11) float32, the images the network saw (N, 28, 28)); min_height: as for
        ``segment.find_digit_blobs``."""
        mask, darkness = ink_mask(small)
        blobs = find_digit_blobs(mask, darkness, small, min_height)
        images = self._normalize(mask, darkness, blobs)
        probs = self._predict(images)
        options, doubtful = self._cut_options(mask, blobs, probs)
        pieces = [piece for pairs in options for pair in pairs for piece in pair]
        if pieces:
            piece_images = self._normalize(mask, darkness, pieces)
            images = np.concatenate([images, piece_images])
            probs = np.concatenate([probs, self._predict(piece_images)])
            read = np.array([digit is not None for digit in read_digits(probs, self.min_confidence)], bool)
            blobs, images, probs = choose_cuts(blobs, options, doubtful, images, probs, read)
        return mask, [blob.box for blob in blobs], probs, images

    def _cut_options(self, mask: np.ndarray, blobs: list[Blob],
                     probs: np.ndarray) -> tuple[list[list[tuple[Blob, Blob]]], list[bool]]:
        """Ways to cut each blob into two digits, and whether the blob is in doubt as one digit.

        A blob as tall as two rows of its neighbours may hold a digit of each, touching (``rows.row_cuts``): it
        is cut there if both pieces read well, however it reads whole. A wide blob the network cannot read may
        be two digits written touching side by side: its cuts (``cuts.split_options``) are read too. Unreadable:
        not read as a digit (``read_digits``): "not a digit" wins, or no class reaches ``min_confidence``; two
        digits touching are often read as "not a digit". probs: (N, 11) float32, of the blobs.
        """
        options, doubtful = [], []
        readings = read_digits(probs, self.min_confidence)
        for blob, digit, cut in zip(blobs, readings, row_cuts([blob.box for blob in blobs])):
            if cut is not None:
                options.append(cut_across(mask, blob, cut))
                doubtful.append(True)
            else:
                unreadable = digit is None
                options.append(split_options(mask, blob) if unreadable else [])
                doubtful.append(unreadable)
        return options, doubtful

    @staticmethod
    def _normalize(mask: np.ndarray, darkness: np.ndarray, blobs: list[Blob]) -> np.ndarray:
        """The blobs' ink as MNIST-style images: (N, 28, 28) float32, all in one kernel call
        (``segment.digit_images``): what ``normalize_digit(digit_ink(mask, blob, darkness))`` gives for each
        blob, without ~25 calls per blob."""
        return digit_images(mask, darkness, blobs)

    def _predict(self, images: np.ndarray) -> np.ndarray:
        """(N, 28, 28) float32 -> (N, 11) float32 probabilities, all in one batch through the network."""
        if len(images) == 0:
            return np.zeros((0, CLASSES), dtype=np.float32)
        return self.model.predict_proba(images[:, None])

    def _digits(self, boxes: list[tuple[int, int, int, int]], probs: np.ndarray, scale: float) -> list[Digit]:
        """Boxes (x, y, w, h) in working-size pixels and their probabilities (N, 11) float32 -> Digits with boxes
        in frame pixels (divided by `scale`), read as ``read_digits`` reads them, but for those inside a word of
        letters (``context.drop_digits_in_words``: the "O" of "BOOK")."""
        readings, confidence = read_digits(probs, self.min_confidence), probs.max(axis=1).tolist()
        digits = []
        for (x, y, w, h), p, digit, top in zip(boxes, probs, readings, confidence):
            frame_box = (round(x / scale), round(y / scale), max(1, round(w / scale)), max(1, round(h / scale)))
            digits.append(Digit(box=frame_box, digit=digit, confidence=top, probs=p))
        return drop_digits_in_words(digits, NOT_A_DIGIT)


def check_model(model: numcnn.Sequential) -> None:
    """Raise a ValueError saying what is wrong and what to do unless ``model`` reads (1, 28, 28) images into
    CLASSES probabilities (the digits 0-9 and NOT_A_DIGIT)."""
    if tuple(model.input_shape) != (1, 28, 28):
        raise ValueError(f"the model reads images of shape {tuple(model.input_shape)}; the recognizer needs "
                         f"(1, 28, 28) (28x28 gray): {TRAIN_HINT}")
    if tuple(model.output_shape) != (CLASSES,):
        found = model.output_shape[0] if len(model.output_shape) == 1 else tuple(model.output_shape)
        raise ValueError(f"the model has {found} outputs; the recognizer needs {CLASSES} (digits 0-9 and "
                         f"'not a digit'): {TRAIN_HINT}")


def read_digits(probs: np.ndarray, min_confidence: float) -> list[int | None]:
    """probs: (N, 11) float32 -> for each row its digit 0-9, or None when NOT_A_DIGIT wins or the top
    probability is below ``min_confidence``. The one place the recognizer decides what is read as a digit."""
    best, top = probs.argmax(axis=1).tolist(), probs.max(axis=1).tolist()  # Python numbers, at once
    return [None if b == NOT_A_DIGIT or t < min_confidence else b for b, t in zip(best, top)]


def writing_is_small(digits: list[Digit], frame_shape: tuple[int, int]) -> bool:
    """Whether the digits read in a frame of (H, W) are so small (their median height under SMALL_WRITING of
    the shorter side), or so few (none), that the frame is worth reading again at a higher resolution."""
    heights = [digit.box[3] for digit in digits if digit.digit is not None]
    return not heights or float(np.median(heights)) < SMALL_WRITING * min(frame_shape)


def turned_box(box: tuple[int, int, int, int], turn: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box (x, y, w, h) holding a box turned by the affine `turn` (2, 3), within an image of `shape` (H, W)."""
    x, y, w, h = box
    corners = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ turn.T
    (left, top), (right, bottom) = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0))
    left, top = int(max(left, 0)), int(max(top, 0))
    right, bottom = int(min(right, shape[1])), int(min(bottom, shape[0]))
    return left, top, max(1, right - left), max(1, bottom - top)


def warm_up_page() -> np.ndarray:
    """(240, 320) uint8: a page with ruled lines, a margin and a few pen strokes, which sends a frame through
    every stage and kernel (a blank page would skip the line and digit kernels)."""
    page = np.full((240, 320), 200, np.uint8)
    for y in range(30, 240, 30):
        cv2.line(page, (0, y), (319, y), 150, 1)
    cv2.line(page, (40, 0), (40, 239), 150, 1)
    cv2.circle(page, (100, 75), 12, 30, 3)
    cv2.line(page, (150, 60), (150, 90), 30, 3)
    return page


def _to_frame_size(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
