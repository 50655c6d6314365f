"""``python -m recognizer``: headless runs on videos and folders, camera problems, arguments, the window keys.

Most tests hand `main` a fake recognizer (`SquareReader` from fakes.py: bright squares are digits)
and, for cameras, a fake capture; the last ones run the real recognizer when its model is shipped.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer.cli import main
from recognizer.outputs import frame_record
from recognizer.overlay import GREEN, RED
from recognizer.recognizer import CLASSES, NOT_A_DIGIT, Digit
from tests.recognizer.fakes import (
    SQUARE,
    FakeScreen,
    SquareReader,
    draw_squares,
    flicker_every_third_frame,
    write_video,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO / "recognizer" / "models" / "mnist_cnn" / "model.npz"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run_cli(args, reader=None, capture_factory=cv2.VideoCapture) -> int:
    reader = reader or SquareReader()
    return main([str(a) for a in args], capture_factory=capture_factory, make_recognizer=lambda path: reader)


class FakeCapture:
    """A cv2.VideoCapture stand-in for a camera showing STILL_SHEET-like squares; frame i is stamped with i.

    After ``n_frames`` frames every read fails, like a camera that was unplugged. ``image``: show this
    (H, W, 3) uint8 frame instead of the squares, unstamped.
    """

    def __init__(self, n_frames=10_000, opened=True, period=0.002, image=None):
        self.n_frames, self.opened, self.period, self.image = n_frames, opened, period, image
        self.delivered = 0
        self.released = threading.Event()

    def isOpened(self):
        return self.opened

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        time.sleep(self.period)
        if self.delivered >= self.n_frames:
            return False, None
        self.delivered += 1
        if self.image is not None:
            return True, self.image.copy()
        return True, draw_squares([(3, 40, 40), (9, 80, 40)], stamp=self.delivered % 256)

    def release(self):
        self.released.set()


def test_headless_video_processes_every_frame_in_order(tmp_path, capsys):
    video = tmp_path / "moving.avi"
    write_video(video, [draw_squares([(3, 10 + 6 * i, 50)]) for i in range(15)])
    out, saved = tmp_path / "out.jsonl", tmp_path / "annotated.avi"
    code = run_cli(["--source", video, "--headless", "--no-tracking", "--json", out, "--save", saved])
    assert code == 0
    records = read_jsonl(out)
    assert [r["frame"] for r in records] == list(range(15))
    assert all(r["source"] == str(video) and r["lines"] == ["3"] for r in records)
    for i, record in enumerate(records):
        (digit,) = record["digits"]
        assert set(digit) == {"box", "digit", "confidence", "not_a_digit"} and digit["digit"] == 3
        assert abs(digit["box"][0] - (10 + 6 * i)) <= 1 and abs(digit["box"][2] - SQUARE) <= 1
    written = cv2.VideoCapture(str(saved))
    assert written.get(cv2.CAP_PROP_FRAME_COUNT) == 15
    assert written.read()[1].shape == (120, 160, 3)
    assert "processed 15 frames" in capsys.readouterr().err


def test_headless_video_reading_is_steady_with_tracking_and_flickers_without(tmp_path):
    video = tmp_path / "still.avi"
    write_video(video, [draw_squares([(2, 20, 40), (6, 60, 40), (5, 100, 40)])] * 12)
    tracked_out, raw_out = tmp_path / "tracked.jsonl", tmp_path / "raw.jsonl"
    flickering = SquareReader(confidence=0.9, misread=flicker_every_third_frame)
    assert run_cli(["--source", video, "--headless", "--json", tracked_out], flickering) == 0
    flickering = SquareReader(confidence=0.9, misread=flicker_every_third_frame)
    assert run_cli(["--source", video, "--headless", "--no-tracking", "--json", raw_out], flickering) == 0
    tracked = [r["lines"] for r in read_jsonl(tracked_out)]
    raw = [r["lines"] for r in read_jsonl(raw_out)]
    assert len(tracked) == len(raw) == 12
    assert ["376"] in raw, "frames the fake misread"
    assert all(lines == ["265"] for lines in tracked[3:]), tracked
    assert all(lines in ([], ["265"]) for lines in tracked), "never a wrong digit (unsure ones are not read)"


def test_headless_folder_skips_and_reports_a_broken_image(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a1.png"), draw_squares([(1, 10, 10), (2, 40, 10)]))
    (photos / "a2.png").write_bytes(b"\x89PNG broken")
    cv2.imwrite(str(photos / "a3.png"), draw_squares([(7, 60, 60)]))
    out, saved = tmp_path / "out.jsonl", tmp_path / "annotated"
    assert run_cli(["--source", photos, "--headless", "--json", out, "--save", saved]) == 0
    records = read_jsonl(out)
    assert [(r["frame"], Path(r["source"]).name, r["lines"]) for r in records] == [(0, "a1.png", ["12"]),
                                                                                   (1, "a3.png", ["7"])]
    captured = capsys.readouterr()
    assert "a2.png" in captured.err and "skipping" in captured.err
    assert captured.out.splitlines() == [f"{photos / 'a1.png'}: 12", f"{photos / 'a3.png'}: 7"]
    assert sorted(p.name for p in saved.iterdir()) == ["a1.png", "a3.png"]
    assert cv2.imread(str(saved / "a1.png")).shape == (120, 160, 3)


def test_json_to_stdout_keeps_stdout_for_json_only(tmp_path, capsys):
    image = tmp_path / "one.png"
    cv2.imwrite(str(image), draw_squares([(4, 30, 30)]))
    assert run_cli(["--source", image, "--headless", "--json", "-"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["lines"] == ["4"]


def test_missing_camera_says_which_index_and_how_to_pick_another(capsys):
    camera = FakeCapture(opened=False)
    assert run_cli(["--source", "0", "--headless"], capture_factory=lambda index: camera) == 1
    message = capsys.readouterr().err
    assert "no camera found at index 0" in message and "--source 1" in message and "video" in message
    assert camera.released.is_set()


def test_camera_failing_mid_stream_stops_cleanly_and_keeps_what_was_written(tmp_path, capsys):
    camera = FakeCapture(n_frames=8)
    out = tmp_path / "out.jsonl"
    assert run_cli(["--source", "0", "--headless", "--json", out], capture_factory=lambda index: camera) == 1
    records = read_jsonl(out)
    assert 1 <= len(records) <= 8 and [r["frame"] for r in records] == list(range(len(records)))
    assert all(r["lines"] == ["39"] and r["source"] == "camera 0" for r in records)
    message = capsys.readouterr().err
    assert "camera 0 stopped delivering frames" in message and f"after {len(records)} frames" in message
    assert camera.released.is_set()


def test_ctrl_c_keeps_the_frames_already_written(tmp_path, capsys):
    video = tmp_path / "clip.avi"
    write_video(video, [draw_squares([(5, 30, 30)])] * 10)
    out = tmp_path / "out.jsonl"
    assert run_cli(["--source", video, "--headless", "--json", out], SquareReader(interrupt_at=4)) == 130
    assert [r["frame"] for r in read_jsonl(out)] == [0, 1, 2, 3]
    assert "interrupted after 4 frames" in capsys.readouterr().err


@pytest.mark.parametrize("args, code, message", [
    (["--min-confidence", "1.5"], 2, "outside 0..1"),
    (["--min-confidence", "high"], 2, "not a number"),
    (["--frobnicate"], 2, "unrecognized arguments"),
    (["--model", "no/such/model.npz"], 2, "no such file"),
    (["--source", "no/such/clip.mp4"], 1, "no such file or folder"),
    (["--source", "{video}", "--save", "{tmp}/out.png"], 1, "video file name ending in"),
    (["--source", "{video}", "--save", "{tmp}/missing/out.mp4"], 1, "does not exist"),
    (["--source", "{video}", "--json", "{tmp}/missing/out.jsonl"], 1, "cannot write this file"),
    (["--source", "{tmp}", "--save", "{tmp}"], 1, "is the source folder"),
])
def test_bad_arguments_get_a_clear_message_and_a_nonzero_exit(tmp_path, capsys, args, code, message):
    video = tmp_path / "clip.avi"
    write_video(video, [draw_squares([(5, 30, 30)])] * 2)
    cv2.imwrite(str(tmp_path / "photo.png"), draw_squares([]))
    args = [a.format(video=video, tmp=tmp_path) for a in args]
    assert run_cli([*args, "--headless"]) == code
    assert message in capsys.readouterr().err


def test_help_lists_the_window_keys(capsys):
    assert run_cli(["--help"]) == 0
    assert "space" in capsys.readouterr().out


def test_window_without_a_display_suggests_headless(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert run_cli(["--source", "0"], capture_factory=lambda index: FakeCapture()) == 2
    assert "--headless" in capsys.readouterr().err


def test_window_that_opencv_cannot_show_suggests_headless(monkeypatch, capsys):
    def no_gui(*args):
        raise cv2.error("The function is not implemented. Rebuild the library with GTK+ or Qt support")

    monkeypatch.setenv("DISPLAY", ":0")
    FakeScreen("").install(monkeypatch)
    monkeypatch.setattr(cv2, "imshow", no_gui)
    camera = FakeCapture()
    assert run_cli(["--source", "0"], capture_factory=lambda index: camera) == 1
    message = capsys.readouterr().err
    assert "cannot show a window" in message and "--headless" in message
    assert camera.released.is_set()


def test_window_keys_pause_snapshot_debug_threshold_and_quit(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    keys = ". .sd+++-" + " ."   # then q
    screen = FakeScreen(keys).install(monkeypatch)
    reader = SquareReader(confidence=0.62)
    snaps = tmp_path / "snaps"
    code = run_cli(["--source", "0", "--snapshot-dir", snaps], reader, capture_factory=lambda index: FakeCapture())
    assert code == 0 and screen.destroyed
    stamps = [int(image[0, 0, 0]) for image in screen.shown]
    assert len(screen.shown) == len(keys) + 1
    assert len(set(stamps[1:10])) == 1, "paused: the same frame stays on screen"
    assert stamps[10] != stamps[9], "space again: new frames"
    assert sorted(p.name.endswith("-raw.png") for p in snaps.iterdir()) == [False, True]
    widths = [image.shape[1] for image in screen.shown]
    assert widths[:5] == [160] * 5 and set(widths[5:]) == {320}, "d puts the debug view beside the frame"
    has_red = [np.all(image[:, :160] == RED, axis=2).any() for image in screen.shown]
    assert has_red[:8] == [False] * 8 and has_red[8], "threshold 0.65 > 0.62: digits become '?'"
    assert not has_red[9], "- lowers it back to 0.60"
    assert reader.min_confidence == 0.6


def test_python_dash_m_recognizer_runs(tmp_path):
    done = subprocess.run([sys.executable, "-m", "recognizer", "--min-confidence", "7"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "outside 0..1" in done.stderr



# End to end with the real recognizer and the shipped model, on sheets of genuine MNIST test digits.

needs_model = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"no shipped model at {DEFAULT_MODEL}")
SHEET_ROWS = ["3142", "907"]


def mnist_sheet(mnist, rows, digit_size=72, gap=24) -> np.ndarray:
    """(H, W, 3) uint8 white paper with big, clean MNIST test digits in dark ink, laid out in ``rows``."""
    _, (images, labels) = mnist
    height = gap + len(rows) * (digit_size + gap)
    width = gap + max(map(len, rows)) * (digit_size + gap)
    sheet = np.full((height, width), 255, dtype=np.uint8)
    for r, row in enumerate(rows):
        for c, char in enumerate(row):
            digit = images[np.flatnonzero(labels == int(char))[0]]
            top, left = gap + r * (digit_size + gap), gap + c * (digit_size + gap)
            sheet[top : top + digit_size, left : left + digit_size] = 255 - cv2.resize(digit, (digit_size,) * 2)
    return cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR)


@pytest.fixture(scope="module")
def real_recognizer():
    if not DEFAULT_MODEL.is_file():
        pytest.skip(f"no shipped model at {DEFAULT_MODEL}")
    from recognizer import Recognizer

    return Recognizer.from_file()


def check_record(record: dict, frame: int, source: str, lines: list[str]) -> None:
    assert set(record) == {"frame", "source", "digits", "lines"}
    assert record["frame"] == frame and record["source"] == source and record["lines"] == lines
    assert len(record["digits"]) == sum(map(len, lines))
    for digit in record["digits"]:
        assert set(digit) == {"box", "digit", "confidence", "not_a_digit"}
        assert len(digit["box"]) == 4 and all(isinstance(v, int) for v in digit["box"])
        assert isinstance(digit["digit"], int) and 0.0 <= digit["confidence"] <= 1.0


@needs_model
def test_python_dash_m_recognizer_reads_a_video_of_mnist_digits_headless(tmp_path, mnist):
    sheet = mnist_sheet(mnist, SHEET_ROWS)
    video = tmp_path / "sheet.avi"
    write_video(video, [np.roll(sheet, shift, axis=1) for shift in range(6)])   # a camera drifting sideways
    out, saved = tmp_path / "out.jsonl", tmp_path / "annotated.avi"
    done = subprocess.run([sys.executable, "-m", "recognizer", "--source", video, "--headless", "--json", out,
                           "--save", saved], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    records = read_jsonl(out)
    assert len(records) == 6
    for i, record in enumerate(records):
        check_record(record, i, str(video), SHEET_ROWS)
    assert done.stdout.splitlines() == ["frame 0: 3142 907"], "printed once, while the reading stays the same"
    written = cv2.VideoCapture(str(saved))
    assert written.get(cv2.CAP_PROP_FRAME_COUNT) == 6
    ok, first = written.read()
    assert ok and first.shape == sheet.shape
    written.release()


@needs_model
def test_real_recognizer_reads_a_folder_and_skips_a_broken_image(tmp_path, capsys, mnist, real_recognizer):
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "page1.png"), mnist_sheet(mnist, SHEET_ROWS))
    (photos / "page2.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    cv2.imwrite(str(photos / "page3.png"), mnist_sheet(mnist, ["56", "8"]))
    out, saved = tmp_path / "out.jsonl", tmp_path / "annotated"
    assert run_cli(["--source", photos, "--headless", "--json", out, "--save", saved], real_recognizer) == 0
    records = read_jsonl(out)
    assert len(records) == 2
    check_record(records[0], 0, str(photos / "page1.png"), SHEET_ROWS)
    assert records[1]["source"] == str(photos / "page3.png") and records[1]["lines"] == ["56", "8"]
    assert f"skipping {photos / 'page2.jpg'}: not a readable image" in capsys.readouterr().err
    assert sorted(p.name for p in saved.iterdir()) == ["page1.png", "page3.png"]
    annotated = cv2.imread(str(saved / "page1.png"))
    assert np.all(annotated == GREEN, axis=2).sum() > 100, "green boxes around the digits read"


@needs_model
def test_python_dash_m_recognizer_without_that_camera_says_so():
    done = subprocess.run([sys.executable, "-m", "recognizer", "--source", "97", "--headless"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "no camera found at index 97" in done.stderr and "--source 0" in done.stderr


@needs_model
def test_window_keys_with_the_real_recognizer(tmp_path, monkeypatch, mnist, real_recognizer):
    monkeypatch.setenv("DISPLAY", ":0")
    screen = FakeScreen(" sd+-q").install(monkeypatch)
    sheet = mnist_sheet(mnist, SHEET_ROWS)
    camera = FakeCapture(image=sheet)
    snaps = tmp_path / "snaps"
    threshold = real_recognizer.min_confidence
    code = run_cli(["--source", "0", "--snapshot-dir", snaps], real_recognizer, capture_factory=lambda index: camera)
    assert code == 0 and screen.destroyed and camera.released.is_set()
    assert len(screen.shown) == 6
    width = sheet.shape[1]
    assert [image.shape[1] for image in screen.shown] == [width] * 3 + [2 * width] * 3, "d: debug view beside"
    assert all(np.all(image[:, :width] == GREEN, axis=2).sum() > 100 for image in screen.shown)
    raw = [p for p in snaps.iterdir() if p.name.endswith("-raw.png")]
    assert len(list(snaps.iterdir())) == 2 and np.array_equal(cv2.imread(str(raw[0])), sheet)
    assert real_recognizer.min_confidence == pytest.approx(threshold), "+ then - is back where it started"


def test_frame_record_keeps_a_rejected_candidate_with_its_not_a_digit_probability():
    junk, seven = np.full(CLASSES, 0.003, np.float32), np.full(CLASSES, 0.001, np.float32)
    junk[NOT_A_DIGIT], seven[7] = 0.97, 0.99
    digits = [Digit((1, 2, 3, 4), None, 0.97, junk), Digit((10, 2, 3, 4), 7, 0.99, seven)]
    record = json.loads(json.dumps(frame_record(4, "cam", digits, ["7"])))
    assert record == {"frame": 4, "source": "cam", "lines": ["7"], "digits": [
        {"box": [1, 2, 3, 4], "digit": None, "confidence": 0.97, "not_a_digit": 0.97},
        {"box": [10, 2, 3, 4], "digit": 7, "confidence": 0.99, "not_a_digit": 0.001}]}
