"""The run loops: a Session reads, smooths and writes frames; the window loop reacts to keys.

The recognizer and the screen are stand-ins from fakes.py.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer import live
from recognizer.live import FpsMeter, Session, render, run_headless, run_window, wait_ms
from recognizer.sources import Frame, ImageSource
from recognizer.tracker import Tracker
from tests.recognizer.fakes import SQUARE, FakeScreen, SquareReader, draw_squares, flicker_every_third_frame


class ListSource:
    """A frame source over a list of images, of the given kind."""

    def __init__(self, images, kind="video", fps=None):
        self.images, self.kind, self.fps, self.label, self.stop_reason = images, kind, fps, "list", None

    def frames(self):
        for i, image in enumerate(self.images):
            yield Frame(i, image, f"{self.label}[{i}]")


STILL_SHEET = [(3, 20, 30), (1, 50, 30), (4, 80, 30), (2, 110, 30), (7, 20, 80), (7, 50, 80)]


def test_session_with_a_tracker_reads_a_flickering_still_sheet_steadily():
    frames = [draw_squares(STILL_SHEET) for _ in range(12)]
    reader = SquareReader(misread=flicker_every_third_frame)
    session = Session(reader, Tracker(min_confidence=0.3))
    tracked = [session.read(Frame(i, f, "sheet")).lines for i, f in enumerate(frames)]
    raw = [session.recognizer.process(f).lines for f in frames]
    assert any(lines != raw[0] for lines in raw), "the raw readings flicker, or this test proves nothing"
    assert all(lines == ["3142", "77"] for lines in tracked[1:]), tracked


def test_session_writes_every_frame_and_counts_time():
    written = []

    class Recorder:
        def write(self, item, name=""):
            written.append(item)

        def close(self):
            written.append("closed")

    session = Session(SquareReader(), json_out=Recorder())
    for i in range(3):
        session.read(Frame(i, draw_squares([(5, 10, 10)]), f"img{i}.png"))
    session.close()
    assert [r["frame"] for r in written[:3]] == [0, 1, 2] and written[3] == "closed"
    assert written[0]["digits"][0] == {"box": [10, 10, SQUARE, SQUARE], "digit": 5, "confidence": 0.62,
                                       "not_a_digit": 0.038}
    assert written[0]["source"] == "img0.png" and written[0]["lines"] == ["5"]
    assert len(session.process_ms) == 3 and all(ms >= 0 for ms in session.process_ms)


def test_threshold_changes_reach_the_recognizer_and_the_tracker_within_0_and_1():
    session = Session(SquareReader(), Tracker())
    session.set_min_confidence(0.7)
    assert session.recognizer.min_confidence == 0.7 and session.tracker.min_confidence == 0.7
    session.set_min_confidence(1.3)
    assert session.min_confidence == 1.0
    session.set_min_confidence(-0.2)
    assert session.min_confidence == 0.0


def test_rereading_a_frame_after_a_threshold_change_rejects_weak_digits_without_a_new_tracker_frame():
    session = Session(SquareReader(confidence=0.62), Tracker())
    frame = Frame(0, draw_squares([(8, 40, 40)]), "clip")
    assert session.read(frame).lines == ["8"]
    session.set_min_confidence(0.65)
    reading = session.recognize(frame, update_tracker=False)
    assert reading.lines == [] and reading.digits[0].digit is None, "rejected digits are boxed, not read"
    assert session.tracker.tracks[0].hits == 1


def test_videos_print_a_reading_only_when_it_changes(capsys):
    images = [draw_squares([(1, 10, 10)])] * 3 + [draw_squares([(1, 10, 10), (2, 60, 10)])] * 2
    session = Session(SquareReader(), Tracker(), print_readings=True)
    run_headless(ListSource(images), session)
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["frame 0: 1", "frame 4: 12"], "a new digit shows from its 2nd frame"
    assert "processed 5 frames" in captured.err and "ms/frame" in captured.err


def test_one_frame_is_one_frame(capsys):
    run_headless(ListSource([draw_squares([(1, 10, 10)])]), Session(SquareReader()))
    assert "processed 1 frame from" in capsys.readouterr().err


def test_render_adds_the_debug_view_beside_the_frame():
    session = Session(SquareReader())
    reading = session.read(Frame(0, draw_squares([(4, 30, 30)]), "x.png"))
    plain = render(reading, "1 fps", debug=False)
    both = render(reading, "1 fps", debug=True)
    assert plain.shape == (120, 160, 3) and both.shape == (120, 320, 3)
    np.testing.assert_array_equal(both[:, :160], plain)


def test_wait_ms_paces_videos_and_never_blocks_forever():
    import time

    assert wait_ms(paused=True, frame_period=0.1, started=time.perf_counter()) == 30
    assert 80 <= wait_ms(False, 0.1, time.perf_counter()) <= 100
    assert wait_ms(False, 0.1, time.perf_counter() - 1.0) == 1
    assert wait_ms(False, 0.0, time.perf_counter()) == 1


def test_fps_meter_measures_the_frame_rate():
    import time

    meter = FpsMeter(smoothing=0.0)
    meter.tick()
    assert meter.fps is None
    time.sleep(0.05)
    meter.tick()
    assert 5 < meter.fps <= 20


def test_window_on_a_folder_waits_on_each_image_until_space(tmp_path, monkeypatch):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), draw_squares([(i, 20, 20)]))
    screen = FakeScreen(".. .").install(monkeypatch)
    session = Session(SquareReader())
    run_window(ImageSource.from_directory(tmp_path), session, tmp_path)
    assert session.frames_done == 2, "two images seen, then q"
    assert len(screen.shown) == 5 and screen.destroyed
    assert np.array_equal(screen.shown[0], screen.shown[2]) and not np.array_equal(screen.shown[2], screen.shown[3])


def test_window_that_the_user_closed_ends_the_loop(monkeypatch):
    screen = FakeScreen("." * 100).install(monkeypatch)
    closed_after = iter([1.0, 1.0, 0.0])
    monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: next(closed_after))
    session = Session(SquareReader())
    run_window(ListSource([draw_squares([])] * 10, kind="camera"), session, Path("."))
    assert session.frames_done == 3 and len(screen.shown) == 3


def test_window_error_is_explained(monkeypatch):
    def no_gui(*args):
        raise cv2.error("The function is not implemented")

    FakeScreen("").install(monkeypatch)
    monkeypatch.setattr(cv2, "namedWindow", no_gui)
    with pytest.raises(live.WindowError, match="cannot show a window"):
        run_window(ListSource([draw_squares([])]), Session(SquareReader()), Path("."))


def record_window_calls(monkeypatch) -> list[tuple[str, object]]:
    """Log namedWindow's flags, resizeWindow's sizes and the (width, height) of what imshow shows, in call
    order; install after FakeScreen, whose imshow still records the pictures."""
    calls: list[tuple[str, object]] = []
    show = cv2.imshow
    monkeypatch.setattr(cv2, "namedWindow", lambda name, flags: calls.append(("namedWindow", flags)))
    monkeypatch.setattr(cv2, "resizeWindow", lambda name, *size: calls.append(("resizeWindow", size)))

    def imshow(name, image):
        calls.append(("imshow", image.shape[1::-1]))
        show(name, image)

    monkeypatch.setattr(cv2, "imshow", imshow)
    return calls


def test_window_opens_at_the_frame_size_and_follows_the_picture_only_when_its_size_changes(monkeypatch):
    FakeScreen("..d..d.").install(monkeypatch)  # then q
    calls = record_window_calls(monkeypatch)
    run_window(ListSource([draw_squares([(4, 300, 200)], size=(640, 480))] * 20), Session(SquareReader()), Path("."))
    (_, flags), (first_call, first_size), *_ = calls
    assert flags & cv2.WINDOW_AUTOSIZE == 0, "the user can still resize the window"
    assert flags & cv2.WINDOW_GUI_NORMAL, "no toolbar taking its height from the picture's"
    assert (first_call, first_size) == ("resizeWindow", (640, 480)), "sized before anything is drawn in it"
    resizes = [size for call, size in calls if call == "resizeWindow"]
    assert resizes == [(640, 480), (1280, 480), (640, 480)], "d puts the debug view beside the frame, and off"
    shown = [size for call, size in calls if call == "imshow"]
    assert shown == [(640, 480)] * 3 + [(1280, 480)] * 3 + [(640, 480)] * 2


def test_window_for_a_frame_too_big_for_the_screen_is_sized_to_the_shrunk_picture(monkeypatch):
    FakeScreen(".").install(monkeypatch)
    calls = record_window_calls(monkeypatch)
    run_window(ListSource([draw_squares([], size=(2000, 1500))] * 3), Session(SquareReader()), Path("."))
    assert [size for call, size in calls if call == "resizeWindow"] == [(1200, 900)]
    assert {size for call, size in calls if call == "imshow"} == {(1200, 900)}


def test_a_backend_that_cannot_resize_windows_still_shows_the_frames(monkeypatch):
    def cannot_resize(*args):
        raise cv2.error("The function is not implemented")

    screen = FakeScreen("...").install(monkeypatch)
    monkeypatch.setattr(cv2, "resizeWindow", cannot_resize)
    session = Session(SquareReader())
    run_window(ListSource([draw_squares([])] * 10), session, Path("."))
    assert session.frames_done == 4 and len(screen.shown) == 4 and screen.destroyed
