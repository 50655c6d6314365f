"""Where the recognizer's results go: a JSON Lines log, an annotated video or images, and snapshots.

The JSON Lines file gets one object per frame, written and flushed line by line, so a run that is
interrupted (Ctrl-C, a camera unplugged) keeps everything up to the last frame. Annotated images
and snapshots are written atomically (temporary file, then rename), so a reader never sees half a file.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import cv2
import numpy as np

from numcnn.io import atomic_write
from recognizer.recognizer import NOT_A_DIGIT
from recognizer.sources import IMAGE_EXTENSIONS, FrameSource

VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


class OutputError(Exception):
    """An output that cannot be written; the message names the file and what to do."""


def frame_record(index: int, source: str, digits: Sequence, lines: Sequence[str]) -> dict:
    """The JSON object for one frame:

        {"frame": 0, "source": "page.png", "lines": ["7"],
         "digits": [{"box": [x, y, w, h], "digit": 7, "confidence": 0.9934, "not_a_digit": 0.0012},
                    {"box": [x, y, w, h], "digit": null, "confidence": 0.9711, "not_a_digit": 0.9711}]}

    One entry per candidate blob, read or rejected. digit: 0-9, or null when the blob is not read (the network
    reads it as "not a digit", or no class reaches the threshold); confidence: the top probability, of whichever
    class wins ("not a digit" too); not_a_digit: the probability of "not a digit". Probabilities are rounded to
    4 decimals. digits: objects with box, digit, confidence and probs (11,) (class NOT_A_DIGIT last).
    """
    return {
        "frame": index,
        "source": source,
        "digits": [
            {
                "box": [int(v) for v in d.box],
                "digit": None if d.digit is None else int(d.digit),
                "confidence": round(float(d.confidence), 4),
                "not_a_digit": round(float(d.probs[NOT_A_DIGIT]), 4),
            }
            for d in digits
        ],
        "lines": list(lines),
    }


class JsonLinesWriter:
    """Writes one JSON object per line to ``path`` ("-" for stdout), flushing after every line."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path == "-":
            self._file: IO[str] = sys.stdout
            return
        try:
            self._file = open(path, "w", encoding="utf-8")
        except OSError as error:
            raise OutputError(f"--json {path!r}: cannot write this file ({error.strerror}).") from error

    def write(self, record: dict) -> None:
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not sys.stdout:
            self._file.close()


def open_annotated_output(
    path: str, source: FrameSource
) -> AnnotatedVideoWriter | AnnotatedImageWriter | SingleImageWriter:
    """The writer for --save: a video for cameras and videos, images into a folder (or one file) for images."""
    if source.kind != "images":
        return AnnotatedVideoWriter(path, source.fps)
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS and len(getattr(source, "paths", [])) == 1:
        return SingleImageWriter(path)
    if suffix in IMAGE_EXTENSIONS:
        raise OutputError(f"--save {path!r}: for a folder of images, give a folder to write the annotated images into.")
    if Path(path).resolve() == Path(source.label).resolve():
        raise OutputError(f"--save {path!r} is the source folder; give another folder so the originals are kept.")
    return AnnotatedImageWriter(path)


class AnnotatedVideoWriter:
    """Writes annotated frames to a video file; opened on the first frame, when its size is known.

    The codec follows the file extension (.mp4: mp4v, .avi: MJPG). If OpenCV cannot encode that,
    the video is written as MJPG into a .avi file next to it instead, and stderr says so.
    """

    def __init__(self, path: str, fps: float | None) -> None:
        suffix = Path(path).suffix.lower()
        if suffix not in VIDEO_CODECS:
            raise OutputError(
                f"--save {path!r}: for a camera or video source, give a video file name ending in "
                f"{', '.join(VIDEO_CODECS)} (e.g. --save annotated.mp4)."
            )
        if not Path(path).resolve().parent.is_dir():
            folder = str(Path(path).parent)
            raise OutputError(f"--save {path!r}: the folder {folder!r} does not exist; create it first.")
        self.path = path
        self.fps = fps or 30.0
        self._writer: cv2.VideoWriter | None = None
        self._size: tuple[int, int] | None = None

    def _open(self, size: tuple[int, int]) -> None:
        suffix = Path(self.path).suffix.lower()
        writer = cv2.VideoWriter(self.path, cv2.VideoWriter_fourcc(*VIDEO_CODECS[suffix]), self.fps, size)
        if not writer.isOpened() and suffix != ".avi":
            fallback = str(Path(self.path).with_suffix(".avi"))
            print(f"warning: cannot encode {self.path}; writing MJPG video {fallback} instead", file=sys.stderr)
            self.path = fallback
            writer = cv2.VideoWriter(fallback, cv2.VideoWriter_fourcc(*"MJPG"), self.fps, size)
        if not writer.isOpened():
            raise OutputError(f"--save {self.path!r}: OpenCV cannot write a video there; check the folder exists.")
        self._writer, self._size = writer, size

    def write(self, image: np.ndarray, name: str = "") -> None:
        """image: (H, W, 3) uint8 BGR; frames of another size than the first are resized to it."""
        size = (image.shape[1], image.shape[0])
        if self._writer is None:
            self._open(size)
        if size != self._size:
            image = cv2.resize(image, self._size)
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()


class AnnotatedImageWriter:
    """Writes annotated images into a folder under the name of the image they came from."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutputError(f"--save {folder!r}: cannot create this folder ({error.strerror}).") from error

    def write(self, image: np.ndarray, name: str) -> None:
        write_image_atomic(self.folder / Path(name).name, image)

    def close(self) -> None:
        pass


class SingleImageWriter:
    """Writes the one annotated image of a single-image source to the file named by --save."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        if not self.path.resolve().parent.is_dir():
            raise OutputError(f"--save {path!r}: the folder {str(self.path.parent)!r} does not exist; create it first.")

    def write(self, image: np.ndarray, name: str = "") -> None:
        write_image_atomic(self.path, image)

    def close(self) -> None:
        pass


def write_image_atomic(path: Path, image: np.ndarray) -> None:
    """Encode ``image`` (H, W, 3) uint8 by the extension of ``path`` and move it into place in one step."""
    ok, encoded = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise OutputError(f"cannot encode an image as {path.suffix!r} for {path}; use .png or .jpg.")
    try:
        with atomic_write(path) as file:
            file.write(encoded.tobytes())
    except OSError as error:
        raise OutputError(f"cannot write {path} ({error.strerror}).") from error


def save_snapshot(folder: Path, annotated: np.ndarray, frame: np.ndarray) -> Path:
    """Save the annotated view and the raw frame as numcnn-<time>.png and numcnn-<time>-raw.png in ``folder``.

    The raw frame is kept because it is what you need to reproduce a misread digit later.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem = "numcnn-" + time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while (folder / f"{stem}{'' if n == 0 else f'-{n}'}.png").exists():
        n += 1
    stem = stem if n == 0 else f"{stem}-{n}"
    write_image_atomic(folder / f"{stem}.png", annotated)
    write_image_atomic(folder / f"{stem}-raw.png", frame)
    return folder / f"{stem}.png"
