"""Where frames come from: a camera, a video file, one image, or a folder of images.

`open_source(spec)` turns the ``--source`` argument into a frame source. Every source has the same
small interface, so the run loops never care which kind they read:

- ``frames()`` yields `Frame` objects (``image: (H, W, 3) uint8 BGR``) until the source ends;
- ``close()`` releases the camera or file (sources are also context managers);
- ``kind`` is ``"camera"``, ``"video"`` or ``"images"``, ``label`` names the source for messages,
  ``fps`` is the frame rate when known (for writing a video), ``stop_reason`` says why a source
  stopped early (a camera that stopped delivering frames), or is None.

A camera is read in a background thread that keeps only the newest frame: when processing is slower
than the camera, old frames are dropped instead of queueing up, so the picture never lags behind.
Files are read frame by frame, so every frame of a video is processed.

The OpenCV capture is made by ``capture_factory`` (``cv2.VideoCapture`` by default) so tests can
hand in a fake capture object instead of a real camera.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recognizer.preprocess import flatten_alpha, to_uint8

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")

CaptureFactory = Callable[[Any], Any]
"""Makes an object with the ``cv2.VideoCapture`` methods used here: isOpened, read, get, release."""


class SourceError(Exception):
    """A source that cannot be opened or read; the message says what is wrong and what to do."""


@dataclass
class Frame:
    """One frame and where it came from.

    index: position among the frames delivered so far (0, 1, 2, ...).
    image: (H, W, 3) uint8 BGR.
    name: the image file it came from, or the source label for cameras and videos.
    """

    index: int
    image: np.ndarray
    name: str


def open_source(spec: str, capture_factory: CaptureFactory = cv2.VideoCapture) -> FrameSource:
    """Open what ``--source`` names: a camera index ("0"), a stream URL, a folder, an image or a video."""
    spec = str(spec).strip()
    if not spec:
        raise SourceError("--source is empty. Give a camera index (0, 1, ...), a video file, an image file "
                          "or a folder of images.")
    if spec.isdigit():
        return CameraSource(int(spec), capture_factory)
    if "://" in spec:
        return CameraSource(spec, capture_factory)
    path = Path(spec)
    if path.is_dir():
        return ImageSource.from_directory(path)
    if not path.exists():
        raise SourceError(
            f"--source {spec!r}: no such file or folder. Give a camera index (0, 1, ...), "
            "a video file, an image file or a folder of images."
        )
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageSource([path], label=str(path))
    return VideoSource(path, capture_factory)


class FrameSource:
    """The interface shared by all sources; see the module docstring."""

    kind = ""
    label = ""
    fps: float | None = None
    stop_reason: str | None = None

    def frames(self) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ImageSource(FrameSource):
    """Still images read one after the other; unreadable files are reported on stderr and skipped."""

    kind = "images"

    def __init__(self, paths: list[Path], label: str) -> None:
        self.paths = list(paths)
        self.label = label

    @classmethod
    def from_directory(cls, folder: Path) -> ImageSource:
        """All images in ``folder`` (not its subfolders), in natural order: 2.png before 10.png."""
        paths = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
        if not paths:
            raise SourceError(
                f"--source {str(folder)!r}: the folder has no images "
                f"(looked for {' '.join(IMAGE_EXTENSIONS)})."
            )
        return cls(sorted(paths, key=natural_sort_key), label=str(folder))

    def frames(self) -> Iterator[Frame]:
        delivered = 0
        for path in self.paths:
            image = read_image(path)
            if image is None:
                print(f"warning: skipping {path}: not a readable image", file=sys.stderr, flush=True)
                continue
            yield Frame(delivered, image, str(path))
            delivered += 1
        if delivered == 0:
            raise SourceError(f"--source {self.label!r}: none of the {len(self.paths)} image(s) could be read.")


class VideoSource(FrameSource):
    """Every frame of a video file, in order.

    A failed read is retried up to ``max_retries`` times before the video is taken to have ended. If
    the file said it had more frames, stderr says where reading stopped (a truncated or damaged file).
    """

    kind = "video"

    def __init__(self, path: Path, capture_factory: CaptureFactory = cv2.VideoCapture, max_retries: int = 3) -> None:
        self.label = str(path)
        self.max_retries = max_retries
        self.capture = capture_factory(str(path))
        if self.capture is None or not self.capture.isOpened():
            self.close()
            raise SourceError(
                f"--source {self.label!r}: OpenCV cannot open this file as a video. "
                "Check that it is a video (mp4, avi, mov, ...) or give an image, a folder of images or a camera index."
            )
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else None
        self.frame_count = max(0, int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0))

    def frames(self) -> Iterator[Frame]:
        index, failures = 0, 0
        while failures <= self.max_retries:
            ok, image = self.capture.read()
            if ok and image is not None:
                failures = 0
                yield Frame(index, image, self.label)
                index += 1
            else:
                failures += 1
        if index == 0:
            raise SourceError(f"--source {self.label!r}: the video opened but no frame could be read from it.")
        if index < self.frame_count:
            print(f"warning: {self.label}: reading stopped at frame {index} of {self.frame_count} "
                  "(the file may be truncated or damaged)", file=sys.stderr, flush=True)

    def close(self) -> None:
        if getattr(self, "capture", None) is not None:
            self.capture.release()
            self.capture = None


class CameraSource(FrameSource):
    """A live camera (or stream URL); frames that arrive while the last one is processed are dropped."""

    kind = "camera"

    def __init__(
        self,
        device: int | str,
        capture_factory: CaptureFactory = cv2.VideoCapture,
        max_retries: int = 10,
        retry_delay: float = 0.1,
        stall_timeout: float = 5.0,
    ) -> None:
        self.label = f"camera {device}" if isinstance(device, int) else str(device)
        with quiet_opencv_logs():  # a missing camera makes OpenCV print pages of backend errors; we explain it
            capture = capture_factory(device)
        if capture is None or not capture.isOpened():
            if capture is not None:
                capture.release()
            raise SourceError(camera_missing_message(device))
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else None
        self.stall_timeout = stall_timeout
        self._reader = LatestFrameReader(capture, self.label, max_retries, retry_delay)

    @property
    def stop_reason(self) -> str | None:  # type: ignore[override]
        return self._reader.error

    def frames(self) -> Iterator[Frame]:
        index = 0
        while True:
            image = self._reader.wait_for_new_frame(self.stall_timeout)
            if image is None:
                return
            yield Frame(index, image, self.label)
            index += 1

    def close(self) -> None:
        self._reader.stop()


def camera_missing_message(device: int | str) -> str:
    if isinstance(device, int):
        other = 1 if device == 0 else 0
        return (
            f"--source {device}: no camera found at index {device} (or another program is using it). "
            f"Pick another camera with --source {other} (indexes start at 0), "
            "or read a video file or images instead, e.g. --source clip.mp4."
        )
    return f"--source {device!r}: cannot open this stream. Check the URL, or give a camera index or a file."


class LatestFrameReader:
    """Reads a capture in a background thread and keeps only the newest frame.

    A read that fails is retried up to ``max_retries`` times in a row (``retry_delay`` seconds apart);
    after that the reader stops and ``error`` says why.
    """

    def __init__(self, capture: Any, label: str, max_retries: int, retry_delay: float) -> None:
        self.capture = capture
        self.label = label
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.error: str | None = None
        self._latest: np.ndarray | None = None
        self._sequence = 0
        self._taken = 0
        self._ended = False
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read_forever, name=f"read {label}", daemon=True)
        self._thread.start()

    def _read_forever(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                ok, image = self.capture.read()
                if ok and image is not None:
                    failures = 0
                    with self._changed:
                        self._latest = image
                        self._sequence += 1
                        self._changed.notify_all()
                    continue
                failures += 1
                if failures > self.max_retries:
                    self.error = f"{self.label} stopped delivering frames ({failures} failed reads in a row)"
                    return
                time.sleep(self.retry_delay)
        finally:
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    def wait_for_new_frame(self, timeout: float) -> np.ndarray | None:
        """The newest frame not handed out yet; None once the reader has ended or nothing came for ``timeout`` s."""
        with self._changed:
            has_news = self._changed.wait_for(lambda: self._sequence > self._taken or self._ended, timeout)
            if self._sequence > self._taken:
                self._taken = self._sequence
                return self._latest
            if not has_news and self.error is None:
                self.error = f"{self.label} delivered no frame for {timeout:g} s"
            return None

    def stop(self) -> None:
        """Stop the thread, then release the capture (never release it while a read is running)."""
        self._stopping.set()
        self._thread.join(timeout=5.0)
        if not self._thread.is_alive():
            self.capture.release()


@contextmanager
def quiet_opencv_logs() -> Iterator[None]:
    """Silence OpenCV's own log output (not its exceptions) for the duration of a ``with`` block."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def read_image(path: Path) -> np.ndarray | None:
    """(H, W, 3) uint8 BGR, upright per the EXIF orientation of phone photos; None when unreadable. A
    transparent background (a drawing saved as PNG) is filled to contrast with the writing (``flatten_alpha``).

    Reads the bytes with NumPy so paths with non-ASCII characters work on every OS.
    """
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)  # drops the alpha channel, keeps the EXIF turn
        if image is None or not may_hold_alpha(data):
            return image
        stored = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)  # the alpha channel too (never EXIF-turned)
    except cv2.error:
        return None
    if stored is not None and stored.ndim == 3 and stored.shape[2] == 4 and stored.shape[:2] == image.shape[:2]:
        image = flatten_alpha(to_uint8(stored))
    return image


def may_hold_alpha(data: np.ndarray) -> bool:
    """Whether an image file's bytes may hold an alpha channel: not a JPEG's, nor a PNG's whose header says it
    has none (so a folder of photos is decoded once, not twice)."""
    head = data[:26].tobytes()
    if head.startswith(b"\xff\xd8"):  # JPEG: no transparency, ever
        return False
    if head.startswith(b"\x89PNG") and len(head) == 26:
        return head[25] in (3, 4, 6)  # the IHDR colour type: palette (with tRNS), gray+alpha, RGBA
    return True


def natural_sort_key(path: Path) -> list:
    """Sort key that compares runs of digits as numbers: frame2.png < frame10.png."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]
