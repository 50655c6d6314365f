"""The command line of the live recognizer: ``python -m recognizer`` (also ``numcnn-recognize``).

    python -m recognizer                         # webcam 0, live window
    python -m recognizer --source 1              # another camera
    python -m recognizer --source sheet.mp4 --headless --json out.jsonl --save annotated.mp4
    python -m recognizer --source photos/ --headless --save annotated/

This module checks the arguments, opens the model, the source and the outputs, runs the loop of
`recognizer.live` (headless or in a window) and turns every problem into a message and an exit code.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2

from recognizer.live import Session, WindowError, display_available, run_headless, run_window
from recognizer.outputs import JsonLinesWriter, OutputError, open_annotated_output
from recognizer.sources import CaptureFactory, FrameSource, SourceError, open_source
from recognizer.tracker import Tracker

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

KEYS_HELP = """live window keys:
  q / Esc   quit                     space   pause / resume (images: next image)
  s         save a snapshot          d       toggle the debug view (threshold mask and blobs)
  + / -     raise / lower the confidence threshold by 0.05"""

HEADLESS_HINT = (
    "Run without a window instead, e.g.\n"
    "  python -m recognizer --source VIDEO_OR_IMAGES --headless --json out.jsonl --save annotated.mp4"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m recognizer",
        description="Read handwritten digits live from a camera, a video, an image or a folder of images.",
        epilog=KEYS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source", default="0",
                        help="camera index (0, 1, ...), video file, image file or folder of images (default: 0)")
    parser.add_argument("--model", default=None,
                        help="trained model .npz (default: recognizer/models/mnist_cnn/model.npz)")
    parser.add_argument("--min-confidence", type=probability, default=None, metavar="P",
                        help="blobs read with a probability below P are boxed in red as 'not a digit' "
                             "(0 to 1; default: the recognizer's)")
    parser.add_argument("--headless", action="store_true",
                        help="no window: process the whole source, print the readings, write --json/--save")
    parser.add_argument("--json", metavar="OUT.jsonl", default=None,
                        help="write one JSON object per frame to this file ('-' for stdout)")
    parser.add_argument("--save", metavar="OUT", default=None,
                        help="annotated video (.mp4/.avi) for a camera or video source; "
                             "annotated images into folder OUT for image sources")
    parser.add_argument("--snapshot-dir", metavar="DIR", default=".",
                        help="where the s key saves snapshots (default: the current folder)")
    parser.add_argument("--no-tracking", action="store_true",
                        help="read every video frame on its own instead of smoothing digits over frames")
    return parser


def probability(text: str) -> float:
    """argparse type: a float in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a value between 0 and 1, e.g. 0.6") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside 0..1; give a value between 0 and 1, e.g. 0.6")
    return value


def load_recognizer(model_path: str | None) -> Any:
    """The recognizer for ``--model`` (None: the shipped model); imported here so --help needs no model."""
    from recognizer import Recognizer

    return Recognizer.from_file(model_path)


def main(
    argv: Sequence[str] | None = None,
    capture_factory: CaptureFactory = cv2.VideoCapture,
    make_recognizer: Callable[[str | None], Any] = load_recognizer,
) -> int:
    """Run the recognizer CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments, 130 Ctrl-C).

    capture_factory makes the cv2.VideoCapture of cameras and videos, make_recognizer the recognizer
    from --model: tests pass fakes for both.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if args.model is not None and not Path(args.model).is_file():
        return usage_error(parser, f"--model {args.model!r}: no such file; give the path of a trained model .npz")
    if not args.headless and not display_available():
        print(f"error: there is no display to open a window on (DISPLAY is not set). {HEADLESS_HINT}",
              file=sys.stderr)
        return EXIT_USAGE

    try:
        recognizer = make_recognizer(args.model)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot load the model: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if args.min_confidence is not None:
        recognizer.min_confidence = args.min_confidence

    try:
        source = open_source(args.source, capture_factory)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    with source:
        return run(args, source, recognizer)


def run(args: argparse.Namespace, source: FrameSource, recognizer: Any) -> int:
    """Open the outputs, run the headless or window loop over ``source``, and say how it ended."""
    try:
        session = open_session(args, source, recognizer)
    except OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        if args.headless:
            run_headless(source, session)
        else:
            run_window(source, session, Path(args.snapshot_dir))
    except KeyboardInterrupt:
        print(f"interrupted after {session.frames_done} frames; everything up to then was written.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (SourceError, OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except WindowError as error:
        print(f"error: {error}. {HEADLESS_HINT}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        session.close()
    if source.stop_reason:
        print(f"error: {source.stop_reason}; stopped after {session.frames_done} frames "
              "(everything up to then was written).", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def open_session(args: argparse.Namespace, source: FrameSource, recognizer: Any) -> Session:
    """A session with a tracker for videos and cameras (unless --no-tracking) and the outputs asked for."""
    tracker = None
    if source.kind in ("camera", "video") and not args.no_tracking:
        tracker = Tracker(min_confidence=recognizer.min_confidence)
    annotated_out = open_annotated_output(args.save, source) if args.save is not None else None
    json_out = JsonLinesWriter(args.json) if args.json is not None else None
    print_readings = args.headless and args.json != "-"
    return Session(recognizer, tracker, json_out, annotated_out, print_readings)


def usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
