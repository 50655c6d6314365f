"""``python -m recognizer.canvas``: draw a digit with the mouse and watch the network read it live.

The pad is black and the pen thick and white, like an MNIST digit. After every stroke the drawing
goes through the same MNIST-style normalization as a digit found by the camera
(`recognizer.normalize`), then through the model; the window shows the prediction, a bar chart of
the 11 probabilities (0-9, and X: "not a digit") and the 28x28 picture the network actually saw. The
header reads the drawing as the recognizer reads a blob: "prediction: 7 (99%)", "not a digit (97%)",
or "not sure: 7? (42%)" below the recognizer's MIN_CONFIDENCE. Keys: c clears, v shows or hides a look inside
the network, q/Esc quits.

The look inside (key v, as in ConvNetJS's demos) opens a panel under the pad: the feature maps of every convolution
layer for the current drawing, recomputed as you draw. Each layer's maps (one per filter, after the layer's ReLU)
are tiled in a grid, each scaled on its own: black is 0, white the map's strongest response. The first layer's
maps show strokes and edges at different angles; the second layer's combine them into larger shapes.

The drawing pad, the chart and the key handling are plain classes and functions of NumPy images,
so they are tested without a window; only `run` touches the screen.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from numcnn.activations import FeatureMaps
from recognizer.layer_panel import layer_panel, make_layer_viewer
from recognizer.live import NO_KEY, display_available, window_closed
from recognizer.normalize import MNIST_SIZE, normalize_digit
from recognizer.overlay import FONT, GREEN, GREY, RED, WHITE, YELLOW, put_text
from recognizer.recognizer import MIN_CONFIDENCE, NOT_A_DIGIT, read_digits

WINDOW = "numcnn canvas"
PAD_SIZE = 320
PEN_WIDTH = 24          # about 1/13 of the pad: MNIST strokes are ~2 px in a 20 px high digit
CHART_WIDTH = 320
HEADER_HEIGHT = 48
INSET_SIZE = 84           # the 28x28 model input, shown 3x
ESC = 27
HELP = "draw with the left button | c clear | v layers | q quit"
NOT_A_DIGIT_LABEL = "X"   # the chart's label of "not a digit": a word does not fit a bar's 29 px
LEGEND = f"{NOT_A_DIGIT_LABEL}: not a digit"


class DrawingPad:
    """A square black pad drawn on with a round white pen.

    ink: (size, size) uint8, 0 = background, 255 = ink. ``version`` grows with every change, so a
    caller can tell whether the drawing changed since it last looked.
    """

    def __init__(self, size: int = PAD_SIZE, pen_width: int = PEN_WIDTH) -> None:
        self.ink = np.zeros((size, size), dtype=np.uint8)
        self.pen_width = pen_width
        self.version = 0
        self._last: tuple[int, int] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.ink.any()

    def press(self, x: int, y: int) -> None:
        """Put the pen down at (x, y): draws a dot."""
        self._last = (x, y)
        self._line_to(x, y)

    def drag(self, x: int, y: int) -> None:
        """Move the pen to (x, y), drawing a line from the last point while it is down."""
        if self._last is not None:
            self._line_to(x, y)

    def release(self) -> None:
        self._last = None

    def clear(self) -> None:
        self.ink[:] = 0
        self._last = None
        self.version += 1

    def _line_to(self, x: int, y: int) -> None:
        cv2.line(self.ink, self._last, (x, y), 255, self.pen_width, cv2.LINE_AA)
        self._last = (x, y)
        self.version += 1

    def on_mouse(self, event: int, x: int, y: int, flags: int, param: Any = None) -> None:
        """A cv2.setMouseCallback handler: left button down draws, moving with it held draws lines."""
        if event == cv2.EVENT_LBUTTONDOWN:
            self.press(x, y)
        elif event == cv2.EVENT_MOUSEMOVE and flags & cv2.EVENT_FLAG_LBUTTON:
            self.drag(x, y)
        elif event == cv2.EVENT_LBUTTONUP:
            self.release()


@dataclass
class Prediction:
    """probs: (11,) float32 class probabilities (0-9, NOT_A_DIGIT); model_input: (28, 28) float32 in [0, 1],
    what the model saw."""

    probs: np.ndarray
    model_input: np.ndarray

    @property
    def best(self) -> int:
        """The most likely class, NOT_A_DIGIT included."""
        return int(np.argmax(self.probs))

    @property
    def confidence(self) -> float:
        """The probability of the most likely class."""
        return float(self.probs[self.best])

    @property
    def digit(self) -> int | None:
        """The digit read, as the recognizer reads a blob: None when "not a digit" wins or the top probability
        is below MIN_CONFIDENCE."""
        return read_digits(self.probs[None], MIN_CONFIDENCE)[0]


def class_label(index: int) -> str:
    """A class's label under its bar: "0".."9", NOT_A_DIGIT_LABEL for NOT_A_DIGIT."""
    return NOT_A_DIGIT_LABEL if index == NOT_A_DIGIT else str(index)


def headline(prediction: Prediction) -> tuple[str, tuple[int, int, int]]:
    """The header's text and colour: "prediction: 7  (99%)" (green), "not a digit  (97%)" (red), or
    "not sure: 7?  (42%)" (yellow) when the top class is below MIN_CONFIDENCE."""
    best, confidence = prediction.best, prediction.confidence
    if confidence < MIN_CONFIDENCE:
        return f"not sure: {class_label(best)}?  ({confidence:.0%})", YELLOW
    if best == NOT_A_DIGIT:
        return f"not a digit  ({confidence:.0%})", RED
    return f"prediction: {best}  ({confidence:.0%})", GREEN


def bar_chart(probs: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8: one bar per class (0-9, then X for NOT_A_DIGIT), labelled below, the most
    likely one highlighted: green for a digit, red for "not a digit".

    probs: (K,) values in [0, 1], K = 11 (or 10 for a digits-only model); a bar of probability 1 fills the
    chart's height above the labels.
    """
    chart = np.zeros((height, width, 3), dtype=np.uint8)
    label_height = 22
    slot = width / len(probs)
    best = int(np.argmax(probs))
    for index, p in enumerate(np.clip(probs, 0.0, 1.0)):
        left, right = int(index * slot + slot * 0.15), int((index + 1) * slot - slot * 0.15)
        top = int(round((height - label_height) * (1.0 - float(p))))
        color = GREY if index != best else RED if index == NOT_A_DIGIT else GREEN
        if top < height - label_height:
            cv2.rectangle(chart, (left, top), (right, height - label_height - 1), color, cv2.FILLED)
        cv2.putText(chart, class_label(index), (left, height - 5), FONT, 0.55, WHITE, 1, cv2.LINE_AA)
    return chart


def render(pad: DrawingPad, prediction: Prediction | None, layers: np.ndarray | None = None) -> np.ndarray:
    """The window picture (HEADER_HEIGHT + S + P, S + CHART_WIDTH, 3) uint8 for a pad of side S.

    Header: the prediction and its probability (``headline``), and the key help. Left: the pad. Right: the
    28x28 picture the model saw (enlarged), and below it the bar chart of the 11 probabilities, with a legend
    for the X bar ("not a digit"). Below, when ``layers`` is given: that picture (P, S + CHART_WIDTH, 3), the
    look inside the network made by `layer_panel` (P = 0 without it).
    """
    size = pad.ink.shape[0]
    if layers is not None:
        if layers.ndim != 3 or layers.shape[1:] != (size + CHART_WIDTH, 3):
            raise ValueError(f"the layer panel must be (P, {size + CHART_WIDTH}, 3) to go under the pad, "
                             f"got {layers.shape}")
        return np.concatenate([render(pad, prediction), layers])
    view = np.zeros((HEADER_HEIGHT + size, size + CHART_WIDTH, 3), dtype=np.uint8)
    view[HEADER_HEIGHT:, :size] = cv2.cvtColor(pad.ink, cv2.COLOR_GRAY2BGR)
    cv2.rectangle(view, (0, HEADER_HEIGHT), (size - 1, HEADER_HEIGHT + size - 1), GREY, 1)
    put_text(view, HELP, (size + 10, 20), WHITE, 0.45)
    if prediction is None:
        put_text(view, "draw a digit", (10, 32), WHITE, 0.8)
        return view
    text, color = headline(prediction)
    put_text(view, text, (10, 32), color, 0.8)
    inset = INSET_SIZE
    seen = cv2.resize((np.clip(prediction.model_input, 0, 1) * 255).astype(np.uint8), (inset, inset),
                      interpolation=cv2.INTER_NEAREST)
    top, left = HEADER_HEIGHT + 4, view.shape[1] - inset - 4
    view[top : top + inset, left : left + inset] = cv2.cvtColor(seen, cv2.COLOR_GRAY2BGR)
    put_text(view, "model input:", (size + 10, top + inset // 2), YELLOW, 0.5)
    chart_top = top + inset + 8
    if len(prediction.probs) > NOT_A_DIGIT:
        put_text(view, LEGEND, (size + 10, chart_top - 10), WHITE, 0.45)
    view[chart_top:, size:] = bar_chart(prediction.probs, CHART_WIDTH, view.shape[0] - chart_top)
    return view


@dataclass
class ViewOptions:
    """What the window shows besides the pad and the chart; keys switch it (see `handle_key`)."""

    show_layers: bool = False     # v: the feature maps of each convolution layer, under the pad


def handle_key(key: int, pad: DrawingPad, options: ViewOptions | None = None) -> bool:
    """React to a key code from cv2.waitKey: c clears the pad, v shows or hides the look inside the network (in
    ``options``, when given). Returns False when the user quits (q/Esc)."""
    key &= 0xFF
    if key in (ord("q"), ESC):
        return False
    if key == ord("c"):
        pad.clear()
    elif key == ord("v") and options is not None:
        options.show_layers = not options.show_layers
    return True


def on_window_mouse(pad: DrawingPad) -> Callable[..., None]:
    """A cv2.setMouseCallback handler for the whole window: the pad lies below the header, so the pointer's
    window coordinates are moved up by HEADER_HEIGHT to land where the pointer is on the pad."""
    def handler(event: int, x: int, y: int, flags: int, param: Any = None) -> None:
        pad.on_mouse(event, x, y - HEADER_HEIGHT, flags, param)
    return handler


def run(classify: Callable[[np.ndarray], Prediction], pad: DrawingPad | None = None,
        look_inside: Callable[[np.ndarray], list[FeatureMaps]] | None = None) -> None:
    """Show the pad until q/Esc or the window is closed.

    classify: the pad's ink (S, S) uint8 -> Prediction (see `make_classifier`).
    look_inside: a model input (28, 28) -> the feature maps of each convolution layer for it (see
    `make_layer_viewer`), shown under the pad while v is on; None: v does nothing.
    """
    pad = pad or DrawingPad()
    options = ViewOptions()
    cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)  # the picture at its size, no Qt toolbar
    cv2.setMouseCallback(WINDOW, on_window_mouse(pad))
    prediction, seen_version = None, -1
    panel, panel_version = None, -1
    try:
        while True:
            if pad.version != seen_version:
                seen_version = pad.version
                prediction = None if pad.is_empty else classify(pad.ink)
            showing_layers = options.show_layers and look_inside is not None
            if showing_layers and panel_version != seen_version:  # only when the drawing changed: stays fluid
                panel_version = seen_version
                panel = layers_of(prediction, look_inside, pad.ink.shape[0] + CHART_WIDTH)
            cv2.imshow(WINDOW, render(pad, prediction, panel if showing_layers else None))
            key = cv2.waitKey(15)
            if not handle_key(key, pad, options) or (key & 0xFF == NO_KEY and window_closed(WINDOW)):
                break
    finally:
        cv2.destroyWindow(WINDOW)


def layers_of(prediction: Prediction | None, look_inside: Callable[[np.ndarray], list[FeatureMaps]],
              width: int) -> np.ndarray:
    """The layer panel (P, width, 3) for what the model saw of the drawing; with no drawing (None), the same
    panel with empty grids (the layout comes from a blank input)."""
    if prediction is None:
        return layer_panel(look_inside(np.zeros((MNIST_SIZE, MNIST_SIZE), np.float32)), width, blank=True)
    return layer_panel(look_inside(prediction.model_input), width)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m recognizer.canvas [--model PATH]``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m recognizer.canvas",
                                     description="Draw a digit with the mouse and watch the network read it live.",
                                     epilog="keys: c clears the pad, v shows or hides the feature maps of each "
                                            "convolution layer (a look inside the network), q or Esc quits")
    parser.add_argument("--model", default=None, help="trained model .npz (default: the shipped model)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if not display_available():
        print("error: the canvas needs a window, and there is no display here (DISPLAY is not set). "
              "To read digits from images or videos without a window, use "
              "`python -m recognizer --source FILE --headless`.", file=sys.stderr)
        return 2
    if args.model is not None and not Path(args.model).is_file():  # a bad argument: 2, as in every tool
        print(f"error: --model {args.model!r}: no such file; give the path of a trained model .npz", file=sys.stderr)
        return 2
    try:
        model = load_model(args.model)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot load the model: {error}", file=sys.stderr)
        return 1
    try:
        run(make_classifier(model), look_inside=make_layer_viewer(model))
    except cv2.error as error:
        print(f"error: OpenCV cannot show a window ({error.err}).", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def load_model(model_path: str | None) -> Any:
    """The numcnn model of ``--model`` (None: the shipped one), checked like the camera path checks it."""
    from recognizer import Recognizer

    return Recognizer.from_file(model_path).model


def make_classifier(model: Any) -> Callable[[np.ndarray], Prediction]:
    """A function from the pad's ink (S, S) uint8, white on black, to a Prediction by ``model``.

    The ink goes through `normalize_digit`, exactly as a digit found in a camera frame does.
    """

    def classify(ink: np.ndarray) -> Prediction:
        model_input = normalize_digit(ink)
        probs = model.predict_proba(model_input[None, None])[0]
        return Prediction(np.asarray(probs, dtype=np.float32), model_input)

    return classify




if __name__ == "__main__":
    sys.exit(main())
