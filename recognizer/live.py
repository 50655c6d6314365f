"""Running a frame source through the recognizer: headless, or in a window that reacts to keys.

A `Session` reads one frame at a time: the recognizer finds and classifies the digits, the tracker
(for videos and cameras) smooths them over frames, and the reading goes to the outputs (JSON Lines,
annotated video or images). `run_headless` feeds it every frame; `run_window` also shows each reading.

Window keys: q/Esc quit, space pause (for images: next image), s snapshot, d debug view, +/- threshold.
Only cv2.namedWindow / resizeWindow / imshow / waitKey / getWindowProperty / destroyWindow touch the screen,
so tests drive the window loop with a fake capture and monkeypatched versions of those functions.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recognizer.outputs import frame_record, save_snapshot
from recognizer.overlay import annotate, debug_view, fit_within, side_by_side, status_text
from recognizer.rows import read_rows
from recognizer.sources import Frame, FrameSource
from recognizer.tracker import Tracker

WINDOW = "numcnn recognizer"
MAX_WINDOW_SIZE = (1600, 900)
# NORMAL: the user can resize the window; the picture is scaled to fit it (KEEPRATIO: without distorting it).
# GUI_NORMAL: without Qt's toolbar and status bar, which would take their height out of a window sized to the
# picture and shrink the picture again (640x480 to 557x418); the keys do what the toolbar is for (s: snapshot).
WINDOW_FLAGS = cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL
THRESHOLD_STEP = 0.05
ESC = 27
NO_KEY = 255


class WindowError(Exception):
    """OpenCV cannot open or draw a window here (built without window support, or no display)."""


@dataclass
class Reading:
    """What one frame was read as.

    result: the recognizer's FrameResult (raw digits and the threshold mask).
    digits, lines: what to report, smoothed by the tracker when there is one.
    process_ms: how long the recognizer took on this frame.
    """

    frame: Frame
    result: Any
    digits: list
    lines: list[str]
    process_ms: float


class Session:
    """One run: the recognizer, the tracker (None for still images) and the outputs it writes to.

    ``read(frame)`` recognizes a frame, writes it to the outputs and returns the `Reading` to show.
    """

    def __init__(self, recognizer: Any, tracker: Tracker | None = None, json_out: Any = None,
                 annotated_out: Any = None, print_readings: bool = False) -> None:
        self.recognizer = recognizer
        self.tracker = tracker
        self.json_out = json_out
        self.annotated_out = annotated_out
        self.print_readings = print_readings
        self.frames_done = 0
        self.process_ms: list[float] = []
        self._last_printed: list[str] | None = None

    @property
    def min_confidence(self) -> float:
        return self.recognizer.min_confidence

    def set_min_confidence(self, value: float) -> None:
        """Set the recognizer's and the tracker's threshold, kept within [0, 1]."""
        value = round(min(1.0, max(0.0, value)), 2)
        self.recognizer.min_confidence = value
        if self.tracker is not None:
            self.tracker.min_confidence = value

    def read(self, frame: Frame) -> Reading:
        """Recognize one frame, smooth it with the tracker if there is one, and write it to the outputs."""
        reading = self.recognize(frame)
        self.process_ms.append(reading.process_ms)
        if self.json_out is not None:
            self.json_out.write(frame_record(frame.index, frame.name, reading.digits, reading.lines))
        if self.annotated_out is not None:
            self.annotated_out.write(annotate(frame.image, reading.digits, reading.lines), frame.name)
        if self.print_readings:
            self.print_reading(frame, reading.lines)
        self.frames_done += 1
        return reading

    def recognize(self, frame: Frame, update_tracker: bool = True) -> Reading:
        """The reading of ``frame`` without writing it anywhere.

        update_tracker=False reads the same frame again (after a threshold change) without counting
        it as a new frame for the tracker.
        """
        start = time.perf_counter()
        result = self.recognizer.process(frame.image)
        process_ms = 1000.0 * (time.perf_counter() - start)
        if self.tracker is None:
            return Reading(frame, result, list(result.digits), list(result.lines), process_ms)
        digits = self.tracker.update(result.digits) if update_tracker else self.tracker.current()
        return Reading(frame, result, digits, read_rows(digits), process_ms)

    def print_reading(self, frame: Frame, lines: list[str]) -> None:
        """Images: one line per image. Videos and cameras: a line only when the reading changes."""
        if self.tracker is not None and lines == self._last_printed:
            return
        self._last_printed = lines
        where = frame.name if self.tracker is None else f"frame {frame.index}"
        print(f"{where}: {' '.join(lines) if lines else '(no digits)'}", flush=True)

    def close(self) -> None:
        for output in (self.json_out, self.annotated_out):
            if output is not None:
                output.close()


def run_headless(source: FrameSource, session: Session) -> None:
    """Process every frame of the source (a camera: until Ctrl-C) and report the timing on stderr."""
    start = time.perf_counter()
    for frame in source.frames():
        session.read(frame)
    elapsed = time.perf_counter() - start
    rate = session.frames_done / elapsed if elapsed > 0 else 0.0
    median_ms = statistics.median(session.process_ms) if session.process_ms else 0.0
    frames = f"{session.frames_done} frame{'' if session.frames_done == 1 else 's'}"
    print(f"processed {frames} from {source.label} in {elapsed:.1f} s "
          f"({rate:.1f} frames/s; recognizer median {median_ms:.1f} ms/frame)", file=sys.stderr)


def display_available() -> bool:
    """False on Linux/BSD without a graphical display, where OpenCV's Qt window would abort the process.

    (OpenCV raises cv2.error instead when it was built without any window support; callers catch that.)
    """
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class FpsMeter:
    """Frames per second, smoothed over the last frames so the number does not jump around."""

    def __init__(self, smoothing: float = 0.9) -> None:
        self.smoothing = smoothing
        self.fps: float | None = None
        self._last: float | None = None

    def tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None and now > self._last:
            current = 1.0 / (now - self._last)
            self.fps = current if self.fps is None else self.smoothing * self.fps + (1 - self.smoothing) * current
        self._last = now


def render(reading: Reading, status: str, debug: bool) -> np.ndarray:
    """The window picture (H, W', 3) uint8: the annotated frame, with the debug view beside it when ``debug``."""
    view = annotate(reading.frame.image, reading.digits, reading.lines, status, key_help=True)
    if debug:
        view = side_by_side(view, debug_view(getattr(reading.result, "mask", None), reading.result.digits))
    return view


def run_window(source: FrameSource, session: Session, snapshot_dir: Path) -> None:
    """Show readings until the source ends, q/Esc is pressed or the window is closed.

    Images wait on screen until space (next image); videos play at their own frame rate; a camera
    shows its newest frame as soon as the last one is done.
    """
    call_window(cv2.namedWindow, WINDOW, WINDOW_FLAGS)
    sizer = WindowSizer(WINDOW)
    frames = iter(source.frames())
    fps = FpsMeter()
    paused, debug = False, False
    reading: Reading | None = None
    frame_period = 1.0 / source.fps if source.kind == "video" and source.fps else 0.0
    try:
        while True:
            started = time.perf_counter()
            if reading is None or not paused:
                frame = next(frames, None)
                if frame is None:
                    break
                reading = session.read(frame)
                fps.tick()
                paused = source.kind == "images"
            status = status_text(fps.fps, reading.process_ms, session.min_confidence, paused)
            view = render(reading, status, debug)
            shown = fit_within(view, *MAX_WINDOW_SIZE)
            sizer.fit(shown)
            call_window(cv2.imshow, WINDOW, shown)
            key = cv2.waitKey(wait_ms(paused, frame_period, started)) & 0xFF
            if key in (ord("q"), ESC) or (key == NO_KEY and window_closed()):
                break
            if key == ord(" "):
                paused = not paused
            elif key == ord("d"):
                debug = not debug
            elif key == ord("s"):
                path = save_snapshot(snapshot_dir, view, reading.frame.image)
                print(f"snapshot saved: {path}", file=sys.stderr)
            elif key in (ord("+"), ord("="), ord("-"), ord("_")):
                step = THRESHOLD_STEP if key in (ord("+"), ord("=")) else -THRESHOLD_STEP
                session.set_min_confidence(session.min_confidence + step)
                reading = session.recognize(reading.frame, update_tracker=False)
    finally:
        close_window()


class WindowSizer:
    """Keeps a resizable window at its picture's size: when the window opens and whenever the picture's size
    changes (the debug view turned on or off, the next image of a folder), never on an ordinary frame.

    A window made with cv2.WINDOW_NORMAL does not take the size of what it shows: OpenCV's Qt backend opens it
    at 400x300 and shrinks a 640x480 frame into it until its labels cannot be read. In between changes the
    window keeps whatever size the user gave it.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.size: tuple[int, int] | None = None  # (width, height) the window was last sized to

    def fit(self, picture: np.ndarray) -> None:
        """Size the window to ``picture`` (H, W[, C]) 1:1 if its size differs from the last picture's."""
        size = (int(picture.shape[1]), int(picture.shape[0]))
        if size == self.size:
            return
        self.size = size
        try:
            cv2.resizeWindow(self.name, *size)
        except cv2.error:
            pass  # a backend that cannot resize still shows the picture, only scaled: no reason to stop


def call_window(function: Any, *args: Any) -> None:
    """Call a cv2 window function, turning its cv2.error into a WindowError the CLI can explain."""
    try:
        function(*args)
    except cv2.error as error:
        raise WindowError(f"OpenCV cannot show a window ({error.err})") from error


def wait_ms(paused: bool, frame_period: float, started: float) -> int:
    """How long waitKey waits: a video plays at its own frame rate, a camera as fast as frames come."""
    if paused:
        return 30
    remaining = frame_period - (time.perf_counter() - started)
    return max(1, int(remaining * 1000))


def close_window() -> None:
    try:
        cv2.destroyWindow(WINDOW)
    except cv2.error:
        pass


def window_closed(name: str = WINDOW) -> bool:
    """True once the user closed window ``name`` with its close button."""
    try:
        return cv2.getWindowProperty(name, cv2.WND_PROP_VISIBLE) < 1
    except cv2.error:
        return True
