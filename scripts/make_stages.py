"""Draw the recognizer's stages on one frame, one PNG per stage, for docs/recognizer.md.

    python scripts/make_stages.py                                       # the example page -> docs/images/
    python scripts/make_stages.py --image photo.jpg --out /tmp/stages   # any photo or camera frame

The default frame is recognizer/examples/notes.png: a synthetic 640x480 photo of a page of notes, MNIST test digits
among words in fonts the network never saw, made by scripts/make_example.py and kept in the repository, so this
script needs no data beyond a clone. The stages are called one by one, as ``Recognizer.process`` calls them:

    stage-1-gray.png        the frame in gray at the working size (``preprocess.to_gray``, ``to_working_size``)
    stage-2-paper.png       the gray divided by an estimate of the blank paper under the same light: shadows and
                            uneven light cancel (``preprocess.ink_darkness``, drawn as 255 - darkness)
    stage-3-ink-mask.png    the ink mask, white ink on black (``preprocess.ink_mask``)
    stage-4-candidates.png  the candidates boxed in blue, the blobs of ink dropped outlined in yellow
                            (``segment.find_digit_blobs``)
    stage-5-digits.png      the 28x28 images the network reads, row by row as on the page, each over its reading:
                            green a digit, red X "not a digit", orange the digit it reads alone when the row
                            context drops it inside a word (``context.py``), grey ? below --min-confidence
    stage-6-reading.png     the result drawn on the gray as ``python -m recognizer`` draws it (``overlay.annotate``)

Stages 1-4 are those of the frame read at the working size; stages 5 and 6 are ``Recognizer.process``'s own result
(with any cuts of touching digits, any second reading of a turned sheet or of a big photo). The pictures of the
whole frame (1-3) are --width pixels wide; those of the candidates and of the reading are at the working size, so
that their boxes and labels can be read, and end a little below the writing. Every picture is a compressed PNG
(the colour ones with a palette), written atomically. A missing or unreadable --image or --model is an error naming
the file (exit code 2); a picture that cannot be written, exit code 1.
"""
from __future__ import annotations

import argparse
import io
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from numcnn.io import atomic_write
from recognizer.overlay import GREEN, RED, YELLOW, annotate, as_bgr
from recognizer.preprocess import ink_mask, to_gray, to_working_size
from recognizer.recognizer import MIN_CONFIDENCE, NOT_A_DIGIT, FrameResult, Recognizer
from recognizer.rows import group_rows
from recognizer.segment import MIN_HEIGHT, find_digit_blobs
from recognizer.sources import read_image

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "recognizer" / "examples" / "notes.png"  # made by scripts/make_example.py
BLUE = (230, 120, 30)        # BGR: candidate boxes
ORANGE = (0, 140, 255)       # BGR: a digit the row context reads as "not a digit" (inside a word)
GREY = (150, 150, 150)       # BGR: a reading below the confidence threshold
TILE_ZOOM = 2                # each 28x28 image is drawn this many times larger in the digits picture
TILE_GAP = 6                 # pixels between two tiles
LABEL_HEIGHT = 16            # pixels under each tile for its reading
ROW_GAP = 12                 # extra pixels between the rows of the page in the digits picture
WRITING_MARGIN = 0.05        # of the frame's height: kept below the lowest candidate in the cut pictures
PALETTE = 128                # colours of the colour PNGs: flat boxes and text need few, the gray paper the rest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--image", default=str(EXAMPLE),  # synthetic, in the repository: no data needed
                        help="the frame to draw (default: the example page made by scripts/make_example.py)")
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "images"),  # beside docs/recognizer.md
                        help="the folder for the PNGs (default: docs/images; made if missing)")
    parser.add_argument("--model", default=None,  # None: recognizer/models/mnist_cnn/model.npz
                        help="the recognizer's model (default: the shipped one)")
    parser.add_argument("--width", type=int, default=480,  # small files (each well under 150 KB), labels legible
                        help="width in pixels of the pictures of the whole frame, stages 1-3 (default: 480)")
    parser.add_argument("--columns", type=int, default=14,  # 14 tiles of 62 px: about as wide as the others
                        help="at most this many 28x28 images on a line of the digits picture (default: 14)")
    parser.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE,  # the recognizer's own default
                        help=f"a reading below this is not a digit, as in python -m recognizer "
                             f"(default: {MIN_CONFIDENCE})")
    args = parser.parse_args(argv)
    if args.width < 64 or args.columns < 1 or not 0 <= args.min_confidence <= 1:
        parser.error("--width must be at least 64, --columns at least 1, --min-confidence within 0..1")
    if not Path(args.image).is_file():
        parser.error(f"--image {args.image}: no such file; give the path of a photo or a camera frame")
    frame = read_image(Path(args.image))
    if frame is None:
        parser.error(f"--image {args.image}: cannot read the image (not a picture OpenCV can decode)")
    try:
        recognizer = Recognizer.from_file(args.model, min_confidence=args.min_confidence)
    except (FileNotFoundError, ValueError) as error:
        parser.error(f"--model: {error}")

    result = recognizer.process(frame)
    pictures = stage_pictures(frame, recognizer, result, args.width, args.columns)
    out = Path(args.out)
    try:
        for name, picture in pictures.items():
            write_png(out / name, picture)
    except OSError as error:
        sys.exit(f"error: cannot write {out / name} ({error.strerror or error})")
    print(f"{args.image}: rows read {result.lines}; {len(result.digits)} candidates")
    print(f"wrote {len(pictures)} pictures in {out}: {', '.join(pictures)}")


def stage_pictures(frame: np.ndarray, recognizer: Recognizer, result: FrameResult, width: int,
                   columns: int) -> dict[str, np.ndarray]:
    """The pictures of every stage, by file name: (h, w) uint8 gray or (h, w, 3) uint8 BGR images."""
    gray = to_gray(frame)
    small, scale = to_working_size(gray, recognizer.working_size)
    mask, darkness = ink_mask(small)
    boxes = [blob.box for blob in find_digit_blobs(mask, darkness, small, MIN_HEIGHT)]
    bottom = below_writing(boxes + [scaled_box(digit.box, scale) for digit in result.digits], small.shape[0])
    return {
        "stage-1-gray.png": resized(small, width),
        "stage-2-paper.png": resized(cv2.bitwise_not(darkness), width),
        "stage-3-ink-mask.png": resized(mask, width),
        "stage-4-candidates.png": candidates_picture(small, mask, boxes)[:bottom],
        "stage-5-digits.png": digits_picture(recognizer, result, columns),
        "stage-6-reading.png": reading_picture(small, result, scale)[:bottom],
    }


def below_writing(boxes: list[tuple[int, int, int, int]], height: int) -> int:
    """The first row below the writing (the lowest box, plus a margin of WRITING_MARGIN of the height): the
    pictures of the candidates and of the reading end there, the blank page below them left out."""
    lowest = max((y + h for _, y, _, h in boxes), default=height)
    return min(height, lowest + round(WRITING_MARGIN * height))


def resized(image: np.ndarray, width: int) -> np.ndarray:
    """The image scaled to `width` pixels wide (aspect ratio kept; shrinking averages pixels)."""
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    interpolation = cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def scaled_box(box: tuple[int, int, int, int], factor: float) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) multiplied by `factor`, at least one pixel each way."""
    x, y, w, h = box
    return round(x * factor), round(y * factor), max(1, round(w * factor)), max(1, round(h * factor))


def candidates_picture(small: np.ndarray, mask: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The working-size gray (H, W) with the box of every candidate (blue: what segment.py passes to the network)
    and the outline of every blob of ink in the mask that is in none of them (yellow: what it dropped)."""
    picture = as_bgr(small)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    dropped = [contour for contour in contours if not any(inside(cv2.boundingRect(contour), box) for box in boxes)]
    cv2.drawContours(picture, dropped, -1, YELLOW, 1, cv2.LINE_AA)
    for x, y, w, h in boxes:
        cv2.rectangle(picture, (x - 1, y - 1), (x + w, y + h), BLUE, 1)
    return picture


def inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    """Whether the box `inner` (x, y, w, h) lies within the box `outer`."""
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[0] + inner[2] <= outer[0] + outer[2]
            and inner[1] + inner[3] <= outer[1] + outer[3])


def digits_picture(recognizer: Recognizer, result: FrameResult, columns: int) -> np.ndarray:
    """Every candidate's 28x28 image (what the network reads, white on black), TILE_ZOOM times larger, each over
    its reading: the rows of the page top to bottom, ROW_GAP apart, each left to right and wrapped after
    `columns` images."""
    digits, images = result.digits, result.digit_images
    alone = recognizer.model.predict_proba(images[:, None]) if len(images) else np.zeros((0, NOT_A_DIGIT + 1))
    tile = 28 * TILE_ZOOM
    step, line_height = tile + TILE_GAP, tile + TILE_GAP + LABEL_HEIGHT
    places, top = [], TILE_GAP  # (index of the candidate, left, top) of every tile
    for row in group_rows([digit.box for digit in digits]):
        for start in range(0, len(row), columns):
            line = row[start:start + columns]
            places += [(index, TILE_GAP + column * step, top) for column, index in enumerate(line)]
            top += line_height
        top += ROW_GAP
    longest = max((left for _, left, _ in places), default=0) + step
    picture = np.full((max(top - ROW_GAP, line_height), max(longest, step), 3), 40, np.uint8)
    for index, left, top in places:
        image = (np.clip(images[index], 0, 1) * 255).round().astype(np.uint8)
        picture[top:top + tile, left:left + tile] = as_bgr(cv2.resize(image, (tile, tile),
                                                                      interpolation=cv2.INTER_NEAREST))
        label, colour = reading_label(digits[index].digit, alone[index], recognizer.min_confidence)
        (text_width, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        cv2.putText(picture, label, (left + (tile - text_width) // 2, top + tile + LABEL_HEIGHT - 2),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)
    return picture


def reading_label(digit: int | None, probs: np.ndarray, min_confidence: float) -> tuple[str, tuple[int, int, int]]:
    """The label and colour of one candidate in the digits picture: its digit (green), X when the network calls it
    "not a digit" (red), the digit it reads alone in orange when the row context drops it (inside a word), ? when
    no class reaches `min_confidence` (grey). probs: (11,) the network's own, for the candidate alone."""
    best = int(np.argmax(probs))
    if digit is not None:
        return str(digit), GREEN
    if best == NOT_A_DIGIT:
        return "X", RED
    if probs[best] < min_confidence:
        return "?", GREY
    return str(best), ORANGE


def reading_picture(small: np.ndarray, result: FrameResult, scale: float) -> np.ndarray:
    """The working-size gray (H, W) with the recognizer's boxes, labels and row readings drawn on it, as
    ``python -m recognizer`` draws them; scale: the working size over the frame's (the result's boxes are in
    frame pixels)."""
    digits = [replace(digit, box=scaled_box(digit.box, scale)) for digit in result.digits]
    return annotate(small, digits, result.lines)


def write_png(path: Path, picture: np.ndarray) -> None:
    """Save a picture as a small PNG in one step (``atomic_write``): gray as it is, colour with a palette of at
    most PALETTE colours (no dithering: flat boxes and text stay flat), both at the highest compression."""
    if picture.ndim == 2:
        image = Image.fromarray(picture, mode="L")
    else:
        image = Image.fromarray(cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)).quantize(PALETTE, dither=Image.Dither.NONE)
    encoded = io.BytesIO()
    image.save(encoded, format="PNG", optimize=True)
    with atomic_write(path) as file:
        file.write(encoded.getvalue())


if __name__ == "__main__":
    main()
