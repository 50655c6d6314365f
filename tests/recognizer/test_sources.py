"""Frame sources: cameras (faked), video files, images and folders, and their error messages."""
from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from recognizer.sources import CameraSource, SourceError, may_hold_alpha, natural_sort_key, open_source


class FakeCamera:
    """A cv2.VideoCapture stand-in: frame i is filled with the value i; reads listed in ``fail_at`` fail.

    After ``n_frames`` successful frames every read fails, like an unplugged camera.
    """

    def __init__(self, n_frames=1000, fail_at=(), period=0.001, opened=True):
        self.n_frames, self.fail_at, self.period, self.opened = n_frames, set(fail_at), period, opened
        self.reads = 0
        self.delivered = 0
        self.released = False
        self.lock = threading.Lock()

    def isOpened(self):
        return self.opened

    def get(self, prop):
        if prop == cv2.CAP_PROP_FRAME_COUNT:
            return float(self.n_frames)
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        time.sleep(self.period)
        with self.lock:
            attempt = self.reads
            self.reads += 1
            if attempt in self.fail_at or self.delivered >= self.n_frames:
                return False, None
            value = self.delivered % 256
            self.delivered += 1
        return True, np.full((48, 64, 3), value, dtype=np.uint8)

    def release(self):
        self.released = True


def test_missing_camera_names_the_index_and_how_to_pick_another():
    camera = FakeCamera(opened=False)
    with pytest.raises(SourceError) as error:
        open_source("2", capture_factory=lambda index: camera)
    message = str(error.value)
    assert "camera" in message and "index 2" in message and "--source 0" in message and "video" in message
    assert camera.released


def test_camera_read_failures_are_retried_then_the_source_stops_cleanly():
    camera = FakeCamera(n_frames=5, fail_at={2, 3})
    source = CameraSource(0, lambda index: camera, max_retries=3, retry_delay=0.001)
    with source:
        frames = list(source.frames())
    assert 1 <= len(frames) <= 5
    assert [f.index for f in frames] == list(range(len(frames)))
    assert camera.delivered == 5, "two failed reads in a row are retried, not fatal"
    assert camera.reads == 5 + 2 + 4, "after the last frame: 1 failed read + 3 retries"
    assert "camera 0" in source.stop_reason and "failed reads" in source.stop_reason
    assert camera.released


def test_camera_that_stops_answering_ends_after_the_stall_timeout():
    camera = FakeCamera(n_frames=1, period=0.001)
    camera.read_original = camera.read

    def read_then_hang():
        if camera.delivered >= 1:
            time.sleep(0.5)
            return False, None
        return camera.read_original()

    camera.read = read_then_hang
    source = CameraSource(0, lambda index: camera, stall_timeout=0.1)
    frames = list(source.frames())
    source.close()
    assert len(frames) == 1
    assert "no frame" in source.stop_reason


def test_slow_processing_gets_the_newest_camera_frame_not_a_backlog():
    camera = FakeCamera(n_frames=200, period=0.002)
    source = CameraSource(0, lambda index: camera)
    values, produced = [], []
    with source:
        for frame in source.frames():
            values.append(int(frame.image[0, 0, 0]))
            produced.append(camera.delivered)
            time.sleep(0.03)  # processing much slower than the camera
            if len(values) == 5:
                break
    assert values == sorted(values)
    assert values[-1] - values[0] >= 4 * 5, "frames that arrived during processing are skipped"
    lag = [p - 1 - v for p, v in zip(produced, values)]
    assert max(lag) <= 2, f"the frame handed out is the newest one, lag {lag}"


def write_video(path, n_frames, size=(64, 48)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, size)
    assert writer.isOpened()
    for i in range(n_frames):
        writer.write(np.full((size[1], size[0], 3), 20 * i, dtype=np.uint8))
    writer.release()


def test_video_file_gives_every_frame_in_order(tmp_path):
    path = tmp_path / "clip.avi"
    write_video(path, 7)
    with open_source(str(path)) as source:
        assert source.kind == "video" and source.fps == pytest.approx(10.0)
        frames = list(source.frames())
    assert [f.index for f in frames] == list(range(7))
    brightness = [float(f.image.mean()) for f in frames]
    assert brightness == sorted(brightness)


def test_video_read_failures_are_retried_and_a_truncated_file_is_reported(tmp_path, capsys):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"opened by the fake capture")
    video = FakeCamera(n_frames=6, fail_at={2, 3, 6}, period=0.0)
    with open_source(str(path), capture_factory=lambda name: video) as source:
        frames = list(source.frames())
    assert [f.index for f in frames] == list(range(6)), "reads that fail mid-file are retried"
    assert [int(f.image[0, 0, 0]) for f in frames] == list(range(6))
    assert capsys.readouterr().err == "", "a file that ends where it said it would is no warning"

    video = FakeCamera(n_frames=4, period=0.0)
    video.get = lambda prop: 10.0 if prop == cv2.CAP_PROP_FRAME_COUNT else 30.0
    with open_source(str(path), capture_factory=lambda name: video) as source:
        assert len(list(source.frames())) == 4
    assert "stopped at frame 4 of 10" in capsys.readouterr().err
    assert video.released


def test_empty_source_is_a_clear_error():
    with pytest.raises(SourceError, match="--source is empty"):
        open_source("  ")


def test_file_that_is_not_a_video_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("not a video")
    with pytest.raises(SourceError, match="cannot open this file as a video"):
        open_source(str(path))


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        open_source(str(tmp_path / "nope.mp4"))


def test_folder_of_images_in_natural_order_skips_and_reports_broken_files(tmp_path, capsys):
    for name, value in [("img10.png", 10), ("img2.png", 2), ("img1.jpg", 1)]:
        cv2.imwrite(str(tmp_path / name), np.full((8, 8, 3), value, dtype=np.uint8))
    (tmp_path / "img3.png").write_bytes(b"this is not a png")
    (tmp_path / "readme.txt").write_text("ignored: not an image name")
    with open_source(str(tmp_path)) as source:
        frames = list(source.frames())
    assert [f.name.split("/")[-1] for f in frames] == ["img1.jpg", "img2.png", "img10.png"]
    assert [f.index for f in frames] == [0, 1, 2]
    assert frames[0].image.shape == (8, 8, 3)
    assert "img3.png" in capsys.readouterr().err


def test_folder_without_readable_images_is_an_error(tmp_path):
    with pytest.raises(SourceError, match="no images"):
        open_source(str(tmp_path))
    (tmp_path / "a.png").write_bytes(b"broken")
    with pytest.raises(SourceError, match="could be read"):
        list(open_source(str(tmp_path)).frames())


def test_single_image_file(tmp_path):
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), np.zeros((10, 20, 3), dtype=np.uint8))
    with open_source(str(path)) as source:
        frames = list(source.frames())
    assert source.kind == "images" and len(frames) == 1 and frames[0].image.shape == (10, 20, 3)


def test_an_image_with_a_transparent_background_is_read_as_writing_on_white(tmp_path):
    drawing = np.zeros((30, 30, 4), np.uint8)  # transparent black, as drawing programs save it
    cv2.circle(drawing, (15, 15), 8, (0, 0, 0, 255), 3)  # a black "0"
    cv2.imwrite(str(tmp_path / "drawing.png"), drawing)
    with open_source(str(tmp_path / "drawing.png")) as source:
        image = next(source.frames()).image
    assert image.shape == (30, 30, 3) and image[15, 15].tolist() == [255, 255, 255]  # inside the "0"
    assert image[15, 7].tolist() == [0, 0, 0]  # on its stroke


@pytest.mark.parametrize("extension, layout, alpha", [(".png", (4, 4, 4), True), (".png", (4, 4, 3), False),
                                                     (".png", (4, 4), False), (".jpg", (4, 4, 3), False)])
def test_only_files_that_may_hold_transparency_are_decoded_with_it(extension, layout, alpha):
    encoded = cv2.imencode(extension, np.zeros(layout, np.uint8))[1]
    assert may_hold_alpha(encoded) == alpha


def test_natural_sort_key_orders_numbers_by_value():
    from pathlib import Path

    names = ["b10.png", "a.png", "b9.png", "B1.png"]
    assert sorted(names, key=lambda n: natural_sort_key(Path(n))) == ["a.png", "B1.png", "b9.png", "b10.png"]
