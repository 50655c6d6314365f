"""The live window on a real X server, seen as a user sees it: it opens at the frame's size and shows it 1:1.

Each test starts a private Xvfb display, runs ``python -m recognizer --source VIDEO`` (the CLI's own `main`,
with SquareReader from fakes.py instead of the model) in a child process on it, and measures the picture in
screenshots of the whole screen. The frames are filled with a dark blue found nowhere else on the screen, so the
blue area is the picture as shown. Skipped where Xvfb is not installed (apt-get install xvfb; CI cannot);
every wait has a deadline, and the child and the X server are killed whatever happens.
"""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageGrab, features

from recognizer.live import WINDOW
from tests.recognizer.fakes import draw_squares, write_video

REPO = Path(__file__).resolve().parents[2]
FRAME_SIZE = (640, 480)   # a webcam's: the size the issue was about
FILL_BGR = (120, 0, 0)    # dark blue: grey 14, below SquareReader's ink level (40), so the fill is not a "digit"
SCREEN = "1280x1024x24"
VIDEO_FPS, VIDEO_FRAMES = 10.0, 300   # plays 30 s: longer than any wait below
XVFB_START_SECONDS = 10
PICTURE_SECONDS = 20      # Qt starting and the first frame shown, on a slow machine

pytestmark = [
    pytest.mark.skipif(shutil.which("Xvfb") is None,
                       reason="Xvfb is not installed (apt-get install xvfb): no X server to show the live window on"),
    pytest.mark.skipif(not features.check("xcb"), reason="this Pillow cannot take screenshots of an X display"),
]

RUN_CLI_WITH_SQUARE_READER = """
import sys
from recognizer.cli import main
from tests.recognizer.fakes import SquareReader
sys.exit(main(["--source", sys.argv[1]], make_recognizer=lambda model_path: SquareReader()))
"""


@pytest.fixture
def display() -> Iterator[str]:
    """A fresh Xvfb display (":N"); Xvfb picks a free number itself and writes it to a pipe (-displayfd)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
                              pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], XVFB_START_SECONDS)
        number = os.read(read_end, 32).decode().strip() if ready else ""
        if not number:
            pytest.fail(f"Xvfb did not start within {XVFB_START_SECONDS} s")
        yield f":{number}"
    finally:
        os.close(read_end)
        stop(server)


@pytest.fixture
def live_window(display: str, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """``python -m recognizer`` playing a FRAME_SIZE video in its window on ``display``:
    (display, the child process, its stderr's file)."""
    video = tmp_path / "blue.avi"
    frame = draw_squares([(4, 300, 200)], size=FRAME_SIZE)
    frame[np.all(frame == 0, axis=2)] = FILL_BGR
    write_video(video, [frame] * VIDEO_FRAMES, fps=VIDEO_FPS)
    environment = {key: value for key, value in os.environ.items() if key != "WAYLAND_DISPLAY"}
    environment.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "w") as stderr:
        child = subprocess.Popen([sys.executable, "-c", RUN_CLI_WITH_SQUARE_READER, str(video)], cwd=REPO,
                                 env=environment, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield display, child, stderr_path
    finally:
        stop(child)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def screenshot(display: str) -> np.ndarray:
    """The whole screen of ``display``: (H, W, 3) uint8 RGB."""
    return np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB"))


Box = tuple[int, int, int, int]  # x, y, width, height


def picture_box(screen: np.ndarray) -> Box | None:
    """(x, y, width, height) of the blue-filled picture on ``screen`` (RGB); None while it is not shown.
    (The labels drawn on the picture darken or cover some of it, never all of a row or column at its edges.)"""
    red, green, blue = (screen[..., channel].astype(int) for channel in range(3))
    fill = (abs(blue - FILL_BGR[0]) < 30) & (red < 40) & (green < 40)
    if fill.sum() < 1000:
        return None
    ys, xs = np.nonzero(fill)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def settled_picture_box(display: str, child: subprocess.Popen, stderr_path: Path,
                        unlike: Box | None = None) -> tuple[Box, np.ndarray]:
    """The picture's box once two screenshots 0.3 s apart agree on it (and it differs from ``unlike``),
    with the last screenshot; fails after PICTURE_SECONDS or if the recognizer exits."""
    deadline = time.monotonic() + PICTURE_SECONDS
    last = None
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"python -m recognizer exited ({child.returncode}): {stderr_path.read_text()}")
        screen = screenshot(display)
        box = picture_box(screen)
        if box is not None and box == last and box != unlike:
            return box, screen
        last = box
        time.sleep(0.3)
    pytest.fail(f"no steady picture on the screen within {PICTURE_SECONDS} s (last seen: {last})")


def test_live_window_shows_a_640x480_frame_at_its_own_size(live_window, tmp_path):
    display, child, stderr_path = live_window
    (x, y, width, height), screen = settled_picture_box(display, child, stderr_path)
    Image.fromarray(screen).save(tmp_path / "screen.png")
    assert (width, height) == FRAME_SIZE, (
        f"the frame is shown at {width}x{height}, not 1:1: its labels, FPS line and key help are scaled with it "
        f"(screenshot: {tmp_path / 'screen.png'})")


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed: cannot resize the window")
def test_the_user_can_still_resize_the_live_window(live_window):
    display, child, stderr_path = live_window
    shown, _ = settled_picture_box(display, child, stderr_path)
    resize = ["xdotool", "search", "--name", f"^{WINDOW}$", "windowsize", "320", "400"]
    subprocess.run(resize, env=dict(os.environ, DISPLAY=display), check=True, timeout=10, capture_output=True)
    (_, _, width, height), _ = settled_picture_box(display, child, stderr_path, unlike=shown)
    assert width <= 320 and height <= 400, "the picture is scaled to the window the user made"
    assert abs(width / height - FRAME_SIZE[0] / FRAME_SIZE[1]) < 0.02, "without distorting it"
