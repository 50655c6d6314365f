"""The drawing canvas: pad, chart, keys, the window loop and main (without a window), and reading drawn digits."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer import canvas, layer_panel
from recognizer.canvas import DrawingPad, Prediction, ViewOptions, bar_chart, handle_key, headline, render
from recognizer.normalize import normalize_digit
from recognizer.overlay import GREEN, RED, YELLOW
from recognizer.recognizer import CLASSES, NOT_A_DIGIT
from tests.recognizer.fakes import fixed_output_model

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "recognizer" / "models" / "mnist_cnn" / "model.npz"


def draw_seven(pad: DrawingPad) -> None:
    pad.press(80, 80)
    pad.drag(240, 80)
    pad.drag(140, 280)
    pad.release()


def test_pen_draws_thick_white_strokes_only_while_pressed():
    pad = DrawingPad(size=320, pen_width=24)
    assert pad.is_empty
    pad.drag(10, 10)
    assert pad.is_empty, "moving without pressing draws nothing"
    draw_seven(pad)
    assert pad.ink[80, 160] == 255 and pad.ink[80 + 10, 160] == 255, "a stroke about 24 px wide"
    assert pad.ink[80 + 16, 160] == 0 and pad.ink[200, 40] == 0
    before = pad.version
    pad.drag(300, 300)
    assert pad.version == before and pad.ink[300, 300] == 0, "released: no more ink"


def test_mouse_events_drive_the_pen():
    pad = DrawingPad()
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 50, 50, 0)
    pad.on_mouse(cv2.EVENT_LBUTTONDOWN, 50, 50, cv2.EVENT_FLAG_LBUTTON)
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 150, 50, cv2.EVENT_FLAG_LBUTTON)
    pad.on_mouse(cv2.EVENT_LBUTTONUP, 150, 50, 0)
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 150, 250, 0)
    assert pad.ink[50, 100] == 255 and pad.ink[200, 150] == 0


def test_c_clears_and_q_or_esc_quit():
    pad = DrawingPad()
    draw_seven(pad)
    assert handle_key(ord("x"), pad) and not pad.is_empty
    assert handle_key(ord("c"), pad) and pad.is_empty
    assert not handle_key(ord("q"), pad) and not handle_key(27, pad)
    assert handle_key(-1, pad), "no key pressed"


def test_bar_chart_bars_follow_the_probabilities_and_highlight_the_best():
    probs = np.zeros(10, dtype=np.float32)
    probs[[2, 7]] = 0.25, 0.75
    chart = bar_chart(probs, width=300, height=222)
    filled = np.any(chart > 0, axis=2)[:200]      # above the labels
    heights = [int(filled[:, 30 * d + 15].sum()) for d in range(10)]
    assert heights[7] == 150 and heights[2] == 50 and sum(heights) == 200
    green = np.all(chart == GREEN, axis=2)
    assert green[:, 7 * 30 : 8 * 30].any() and not green[:, : 7 * 30].any()


def test_render_shows_the_pad_the_chart_and_what_the_model_saw():
    pad = DrawingPad(size=320)
    empty = render(pad, None)
    assert empty.shape == (canvas.HEADER_HEIGHT + 320, 320 + canvas.CHART_WIDTH, 3)
    assert not np.all(empty[-100:, 320:] == GREEN, axis=2).any(), "no chart before anything is drawn"
    draw_seven(pad)
    model_input = np.zeros((28, 28), dtype=np.float32)
    model_input[4:24, 12:16] = 1.0
    probs = np.full(10, 0.01, dtype=np.float32)
    probs[7] = 0.91
    view = render(pad, Prediction(probs, model_input))
    np.testing.assert_array_equal(view[canvas.HEADER_HEIGHT + 1 : -1, 1:319, 0], pad.ink[1:-1, 1:-1])
    assert np.all(view[-100:, 320:] == GREEN, axis=2).any(), "the bar of the predicted digit"
    inset = view[canvas.HEADER_HEIGHT + 4 : canvas.HEADER_HEIGHT + 4 + canvas.INSET_SIZE, -canvas.INSET_SIZE - 4 : -4]
    assert inset[:, :, 0].max() == 255 and inset[:, :, 0].min() == 0


def test_window_loop_classifies_only_when_the_drawing_changes(monkeypatch):
    pad = DrawingPad()
    shown, calls = [], []
    strokes = iter([lambda: None, lambda: draw_seven(pad), lambda: None, lambda: pad.clear(), lambda: None])

    def wait_key(delay):
        next(strokes, lambda: None)()
        return ord("q") if len(shown) == 6 else -1

    def classify(ink):
        calls.append(ink.copy())
        probs = np.eye(10, dtype=np.float32)[7]
        return Prediction(probs, np.zeros((28, 28), dtype=np.float32))

    monkeypatch.setattr(cv2, "namedWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "setMouseCallback", lambda name, callback: None)
    monkeypatch.setattr(cv2, "imshow", lambda name, image: shown.append(image))
    monkeypatch.setattr(cv2, "waitKey", wait_key)
    monkeypatch.setattr(cv2, "destroyWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: 1.0)
    canvas.run(classify, pad)
    assert len(shown) == 6 and len(calls) == 1, "one drawing, classified once; empty pads are not classified"
    assert calls[0].any()
    has_chart = [np.all(image[-100:, -canvas.CHART_WIDTH:] == GREEN, axis=2).any() for image in shown]
    assert has_chart == [False, False, True, True, False, False]


def test_canvas_without_a_display_says_so(monkeypatch, capsys):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert canvas.main([]) == 2
    assert "display" in capsys.readouterr().err


needs_model = pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason=f"no shipped model at {DEFAULT_MODEL}")


def draw_one(pad: DrawingPad) -> None:
    """A '1' as most people draw it with a mouse: one thick vertical stroke."""
    pad.press(160, 50)
    pad.drag(162, 270)
    pad.release()


@pytest.fixture(scope="module")
def classify():
    if not DEFAULT_MODEL.is_file():
        pytest.skip(f"no shipped model at {DEFAULT_MODEL}")
    return canvas.make_classifier(canvas.load_model(None))


def test_canvas_reads_drawn_digits_through_the_camera_normalization(classify):
    pad = DrawingPad()
    draw_one(pad)
    prediction = classify(pad.ink)
    assert prediction.digit == 1 and prediction.probs.shape == (CLASSES,)
    assert abs(float(prediction.probs.sum()) - 1.0) < 1e-4
    np.testing.assert_array_equal(prediction.model_input, normalize_digit(pad.ink))
    pad.clear()
    draw_seven(pad)
    assert classify(pad.ink).digit == 7


@needs_model
def test_main_loads_the_model_and_runs_the_window(monkeypatch):
    shown, callbacks = [], []
    mouse = iter([(cv2.EVENT_LBUTTONDOWN, 160, 50, cv2.EVENT_FLAG_LBUTTON),
                  (cv2.EVENT_MOUSEMOVE, 162, 270, cv2.EVENT_FLAG_LBUTTON),
                  (cv2.EVENT_LBUTTONUP, 162, 270, 0)])

    def wait_key(delay):
        event = next(mouse, None)
        if event is not None:
            callbacks[0](*event)
            return -1
        return ord("q")

    monkeypatch.setattr(canvas, "display_available", lambda: True)
    monkeypatch.setattr(cv2, "namedWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "setMouseCallback", lambda name, callback: callbacks.append(callback))
    monkeypatch.setattr(cv2, "imshow", lambda name, image: shown.append(image.copy()))
    monkeypatch.setattr(cv2, "waitKey", wait_key)
    monkeypatch.setattr(cv2, "destroyWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: 1.0)
    assert canvas.main([]) == 0
    assert len(shown) == 4
    chart = shown[-1][-100:, -canvas.CHART_WIDTH:]
    green_columns = np.flatnonzero(np.all(chart == GREEN, axis=2).any(axis=0))
    slot = canvas.CHART_WIDTH / CLASSES
    assert green_columns.size and slot <= green_columns.min() and green_columns.max() < 2 * slot, "the bar of 1"


def test_the_window_draws_where_the_pointer_is():
    pad = DrawingPad()
    handler = canvas.on_window_mouse(pad)
    x, y = 100, canvas.HEADER_HEIGHT + 300                 # near the pad's bottom, in window coordinates
    handler(cv2.EVENT_LBUTTONDOWN, x, y, cv2.EVENT_FLAG_LBUTTON)
    handler(cv2.EVENT_LBUTTONUP, x, y, 0)
    view = canvas.render(pad, None)
    assert view[y, x].tolist() == [255, 255, 255]            # the ink is under the pointer in the window
    assert pad.ink[300, 100] == 255


def test_main_with_a_missing_model_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(canvas, "display_available", lambda: True)
    assert canvas.main(["--model", str(tmp_path / "none.npz")]) == 2
    assert "none.npz" in capsys.readouterr().err


def header(view: np.ndarray) -> np.ndarray:
    """The header's text, left of the key help: (HEADER_HEIGHT, 320, 3)."""
    return view[: canvas.HEADER_HEIGHT, :320]


def test_a_model_favouring_not_a_digit_shows_not_a_digit_in_red():
    probs = np.full(CLASSES, 0.03 / 10)
    probs[NOT_A_DIGIT] = 0.97
    classify = canvas.make_classifier(fixed_output_model(probs))
    pad = DrawingPad()
    draw_seven(pad)
    prediction = classify(pad.ink)
    assert prediction.digit is None and prediction.best == NOT_A_DIGIT
    assert prediction.confidence == pytest.approx(0.97, abs=1e-5)
    assert headline(prediction) == ("not a digit  (97%)", RED)
    view = render(pad, prediction)
    assert np.all(header(view) == RED, axis=2).any() and not np.all(header(view) == GREEN, axis=2).any()
    chart = view[-100:, -canvas.CHART_WIDTH:]
    red_columns = np.flatnonzero(np.all(chart == RED, axis=2).any(axis=0))
    slot = canvas.CHART_WIDTH / CLASSES
    assert red_columns.size and red_columns.min() >= NOT_A_DIGIT * slot, "the last bar, red"
    assert not np.all(chart == GREEN, axis=2).any()


def test_headline_reads_a_digit_or_is_not_sure_below_the_threshold():
    probs = np.full(CLASSES, 0.01, dtype=np.float32)
    probs[7] = 0.9
    assert headline(Prediction(probs, np.zeros((28, 28)))) == ("prediction: 7  (90%)", GREEN)
    probs = np.full(CLASSES, 0.06, dtype=np.float32)
    probs[7] = 0.4
    assert Prediction(probs, np.zeros((28, 28))).digit is None
    assert headline(Prediction(probs, np.zeros((28, 28)))) == ("not sure: 7?  (40%)", YELLOW)
    probs[[7, NOT_A_DIGIT]] = 0.06, 0.4
    assert headline(Prediction(probs, np.zeros((28, 28)))) == ("not sure: X?  (40%)", YELLOW)


def test_the_chart_has_eleven_bars_the_last_for_not_a_digit():
    probs = np.full(CLASSES, 0.5, dtype=np.float32)
    chart = bar_chart(probs, width=330, height=222)
    filled = np.any(chart[:200] > 0, axis=2)  # above the labels
    bars = np.flatnonzero(np.diff(np.concatenate([[0], filled[199].astype(int)])) == 1)
    assert len(bars) == CLASSES and bars[-1] >= 300, "eleven bars, one per 30 px slot"
    labels = np.any(chart[200:] > 0, axis=2)
    assert labels[:, 300:].any(), "the last bar is labelled"


def test_v_shows_and_hides_the_look_inside():
    pad, options = DrawingPad(), ViewOptions()
    assert not options.show_layers
    assert handle_key(ord("v"), pad, options) and options.show_layers
    assert handle_key(ord("v"), pad, options) and not options.show_layers
    assert handle_key(ord("v"), pad), "without options to switch, v does nothing"
    assert "v layers" in canvas.HELP


def test_v_in_the_window_shows_the_layers_under_the_pad_computed_once_per_drawing(monkeypatch, two_conv_model):
    pad, shown, looked = DrawingPad(), [], []
    viewer = layer_panel.make_layer_viewer(two_conv_model)

    def look_inside(model_input):
        looked.append(model_input.copy())
        return viewer(model_input)

    def wait_key(delay):
        frame = len(shown)
        if frame == 2:
            draw_seven(pad)
        return {1: ord("v"), 4: ord("v"), 5: ord("v"), 6: ord("q")}.get(frame, -1)

    monkeypatch.setattr(cv2, "namedWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "setMouseCallback", lambda name, callback: None)
    monkeypatch.setattr(cv2, "imshow", lambda name, image: shown.append(image.copy()))
    monkeypatch.setattr(cv2, "waitKey", wait_key)
    monkeypatch.setattr(cv2, "destroyWindow", lambda *args: None)
    monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: 1.0)
    canvas.run(canvas.make_classifier(two_conv_model), pad, look_inside)
    pad_only = canvas.HEADER_HEIGHT + 320
    panel = layer_panel.layer_panel(viewer(normalize_digit(pad.ink)), 640)
    with_panel = pad_only + panel.shape[0]
    assert [image.shape[0] for image in shown] == [pad_only, with_panel, with_panel, with_panel, pad_only,
                                                   with_panel], "v: the panel comes under the pad; v again: it goes"
    assert not np.array_equal(shown[1][pad_only:], shown[2][pad_only:]), "empty grids, then the drawing's maps"
    np.testing.assert_array_equal(shown[2][pad_only:], panel)
    np.testing.assert_array_equal(shown[5][pad_only:], panel)
    assert len(looked) == 2, "once for the empty pad's layout, once for the drawing; not at every frame"
    assert not looked[0].any() and looked[1].any()
