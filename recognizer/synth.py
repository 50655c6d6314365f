"""Synthetic photos of handwritten digits on paper, made from MNIST test digits, to benchmark the recognizer.

A scene is built the way a photo is formed: paper (tint, texture, sometimes ruled lines and a margin), ink
(MNIST digits rescaled, slanted, thinned or thickened, in rows), then light (gradients, a soft shadow), then
the camera (slight perspective, sometimes the desk around the page, blur, sensor noise, JPEG). Every
property is drawn at random from the seed, so the benchmark cannot be passed by tuning to one look.

    scene = make_scene(np.random.default_rng(0), images, labels)   # images: (N, 28, 28) uint8 MNIST test
    scene.image   # (480, 640, 3) uint8 BGR
    scene.lines   # ["3142", "907"]: the rows, top to bottom, read left to right
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[int, int, int, int]

# Fractions of the frame's height: digits as a webcam sees a sheet held before it, and the rules of its paper...
DIGIT_HEIGHTS, RULE_PITCH, ROWS = (0.05, 0.16), (0.07, 0.16), (1, 4)
# ...and ordinary handwriting on a whole page photographed (``make_scene(small=True)``), in more rows
SMALL_DIGIT_HEIGHTS, SMALL_RULE_PITCH, SMALL_ROWS = (0.015, 0.04), (0.025, 0.05), (3, 12)


@dataclass
class Scene:
    """image: (H, W, 3) uint8 BGR; lines: the true rows; boxes: one (x, y, w, h) per digit, row by row."""
    image: np.ndarray
    lines: list[str]
    boxes: list[Box] = field(default_factory=list)


def load_test_digits(data_dir: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test digits: (10000, 28, 28) uint8 white on black, (10000,) int64 labels. Never the training set."""
    from numcnn.data import load_mnist
    _, (images, labels) = load_mnist(data_dir)
    return images, labels


def make_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
               size: tuple[int, int] = (480, 640), blank: bool = False, squared: bool = False,
               big: bool = False, small: bool = False) -> Scene:
    """One synthetic photo. images: (N, 28, 28) uint8 digits to draw from; size: (H, W); blank: no digits;
    squared: on squared paper (a pale grid), instead of plain or ruled paper; big: one digit 35-70% of the
    frame tall, in a broad pen, as a sheet held close to the camera shows it; small: digits 1.5-4% of the
    frame tall in up to 12 rows, on paper ruled to match, as a whole page photographed shows them (give it a
    photo's size, such as (1512, 2016))."""
    height, width = size
    paper = paper_texture(rng, height, width)
    ruled = rng.random() < 0.4
    pitch = rng.uniform(*(SMALL_RULE_PITCH if small else RULE_PITCH)) * height
    if squared:
        draw_grid(rng, paper, pitch / 2)  # digits are written two squares tall
        ruled = True
    elif ruled:
        draw_ruled_lines(rng, paper, pitch)
    if blank:
        lines, boxes = [], []
    elif big:
        lines, boxes = write_big_digit(rng, paper, images, labels)
    else:
        lines, boxes = write_digits(rng, paper, images, labels, pitch if ruled else None, small)
    image = paper * lighting(rng, height, width)[:, :, None]
    image, boxes = camera_view(rng, image, boxes)
    return Scene(camera_noise(rng, image), lines, boxes)


def paper_texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(H, W, 3) float32 reflectance of blank paper: a tint, slow blotches and fine grain."""
    tint = rng.uniform(0.82, 0.97) + rng.uniform(-0.05, 0.05, size=3)
    blotches = smooth_noise(rng, height, width, cells=rng.integers(3, 9)) * rng.uniform(0.0, 0.06)
    grain = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.8)
    grain *= rng.uniform(0.0, 0.03)
    return np.clip(tint[None, None, :] + (blotches + grain)[:, :, None], 0, 1).astype(np.float32)


def smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """(H, W) float32 noise in about [-1, 1] that varies over 1/cells of the image."""
    coarse = rng.uniform(-1, 1, size=(cells, cells)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def draw_ruled_lines(rng: np.random.Generator, paper: np.ndarray, pitch: float) -> None:
    """Light blue or grey horizontal rules every `pitch` pixels, sometimes a red margin; drawn in place."""
    height, width = paper.shape[:2]
    colour = (rng.uniform(0.6, 0.9), rng.uniform(0.45, 0.8), rng.uniform(0.3, 0.75))
    if rng.random() < 0.3:
        colour = (rng.uniform(0.45, 0.8),) * 3
    thickness = int(rng.integers(1, 3))
    offset = rng.uniform(0, pitch)
    for y in np.arange(offset, height, pitch):
        draw_line(paper, (0, y), (width - 1, y), colour, thickness)
    if rng.random() < 0.4:
        x = rng.uniform(0.05, 0.15) * width
        draw_line(paper, (x, 0), (x, height - 1), (0.55, 0.5, 0.9), thickness)


def draw_grid(rng: np.random.Generator, paper: np.ndarray, pitch: float) -> None:
    """Pale grey-blue lines every `pitch` pixels both ways, as on squared paper; drawn in place."""
    height, width = paper.shape[:2]
    colour = (rng.uniform(0.7, 0.85), rng.uniform(0.65, 0.8), rng.uniform(0.55, 0.75))
    for x in np.arange(rng.uniform(0, pitch), width, pitch):
        draw_line(paper, (x, 0), (x, height - 1), colour, 1)
    for y in np.arange(rng.uniform(0, pitch), height, pitch):
        draw_line(paper, (0, y), (width - 1, y), colour, 1)


def draw_line(paper: np.ndarray, start: tuple[float, float], end: tuple[float, float],
              colour: tuple[float, ...], thickness: int) -> None:
    """Multiply the paper by an anti-aliased line of the given reflectance colour (B, G, R)."""
    height, width = paper.shape[:2]
    reach = thickness + 2  # the anti-aliased line's pixels all lie this near its ends' box
    left, right = max(0, int(min(start[0], end[0])) - reach), min(width, int(max(start[0], end[0])) + reach + 1)
    top, bottom = max(0, int(min(start[1], end[1])) - reach), min(height, int(max(start[1], end[1])) + reach + 1)
    alpha = np.zeros((bottom - top, right - left), np.uint8)  # only around the line: pages of many rules are big
    shift = 4  # sub-pixel line positions, in 1/16 pixel
    to_fixed = lambda point: (round((point[0] - left) * 16), round((point[1] - top) * 16))  # noqa: E731
    cv2.line(alpha, to_fixed(start), to_fixed(end), 255, thickness, cv2.LINE_AA, shift)
    blend_ink(paper[top:bottom, left:right], alpha.astype(np.float32) / 255, colour)


def blend_ink(paper: np.ndarray, alpha: np.ndarray, colour: tuple[float, ...]) -> None:
    """paper: (H, W, 3) float32, alpha: (H, W) ink coverage in [0, 1]; ink multiplies the paper by `colour`."""
    for channel in range(3):
        paper[:, :, channel] *= 1 - alpha * (1 - colour[channel])


def write_digits(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray, labels: np.ndarray,
                 pitch: float | None, small: bool = False) -> tuple[list[str], list[Box]]:
    """Write rows of random test digits onto the paper, in place (small: small handwriting in more rows, see
    ``make_scene``). Returns (row strings, digit boxes)."""
    height, width = paper.shape[:2]
    colour = ink_colour(rng)
    thickening = rng.uniform(-0.5, 1.0)
    lines, boxes = [], []
    y_top = rng.uniform(0.06, 0.15) * height
    (fewest, most), heights = (SMALL_ROWS, SMALL_DIGIT_HEIGHTS) if small else (ROWS, DIGIT_HEIGHTS)
    for _ in range(int(rng.integers(fewest, most + 1))):
        digit_height = rng.uniform(*heights) * height
        if pitch is not None:  # on ruled paper, digits sit on a line and are about a line tall
            digit_height = min(digit_height, rng.uniform(0.6, 0.95) * pitch)
        baseline = y_top + digit_height
        if baseline > 0.92 * height:
            break
        row, row_boxes = write_row(rng, paper, images, labels, baseline, digit_height, colour, thickening)
        if row:
            lines.append(row)
            boxes.extend(row_boxes)
        y_top = baseline + rng.uniform(0.4, 1.0) * digit_height
        if pitch is not None:
            y_top = baseline + pitch - digit_height
    return lines, boxes


def write_row(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray, labels: np.ndarray,
              baseline: float, digit_height: float, colour: tuple[float, ...],
              thickening: float) -> tuple[str, list[Box]]:
    """Write a few digits left to right with their bottoms near `baseline`. Returns (their string, boxes)."""
    height, width = paper.shape[:2]
    x = rng.uniform(0.06, 0.3) * width
    text, boxes = "", []
    for _ in range(int(rng.integers(1, 7))):
        index = int(rng.integers(len(images)))
        alpha = render_digit(rng, images[index], digit_height * rng.uniform(0.85, 1.15), thickening)
        glyph_height, glyph_width = alpha.shape
        top = int(round(baseline - glyph_height + rng.uniform(-0.06, 0.06) * digit_height))
        left = int(round(x))
        if left + glyph_width > 0.94 * width or top < 0.03 * height or top + glyph_height > 0.97 * height:
            break
        region = paper[top:top + glyph_height, left:left + glyph_width]
        blend_ink(region, alpha, colour)
        text += str(int(labels[index]))
        boxes.append((left, top, glyph_width, glyph_height))
        x = left + glyph_width + rng.uniform(0.2, 0.8) * digit_height
    return text, boxes


def write_big_digit(rng: np.random.Generator, paper: np.ndarray, images: np.ndarray,
                    labels: np.ndarray) -> tuple[list[str], list[Box]]:
    """Write one random test digit 35-70% of the paper's height, with sharp edges and strokes up to 0.4 stroke
    widths broader (a marker), anywhere clear of the paper's edges, in place. Returns ([its string], [its box])."""
    height, width = paper.shape[:2]
    index = int(rng.integers(len(images)))
    alpha = render_digit(rng, images[index], rng.uniform(0.35, 0.7) * height, rng.uniform(0.0, 0.4))
    glyph_height, glyph_width = alpha.shape
    # MNIST's soft edges, blown up this much, would be as soft as a shadow's; a marker's stay sharp.
    alpha = np.clip((alpha - 0.5) * max(1.0, glyph_height / 40) + 0.5, 0, 1)
    top = int(rng.uniform(0.1, 0.9) * (height - glyph_height))
    left = int(rng.uniform(0.2, 0.8) * (width - glyph_width))
    blend_ink(paper[top:top + glyph_height, left:left + glyph_width], alpha, ink_colour(rng))
    return [str(int(labels[index]))], [(left, top, glyph_width, glyph_height)]


def ink_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """Reflectance (B, G, R) of a pen: black, blue ballpoint, or pencil grey."""
    kind = rng.choice(["black", "blue", "pencil"], p=[0.45, 0.4, 0.15])
    if kind == "black":
        return (rng.uniform(0.05, 0.25),) * 3
    if kind == "blue":
        return (rng.uniform(0.35, 0.6), rng.uniform(0.15, 0.35), rng.uniform(0.05, 0.25))
    return (rng.uniform(0.35, 0.55),) * 3


def render_digit(rng: np.random.Generator, digit: np.ndarray, height: float, thickening: float) -> np.ndarray:
    """digit: (28, 28) uint8 MNIST -> (h, w) float32 ink coverage about `height` tall, slanted, pen-width varied.

    thickening: < 0 thins the strokes, > 0 thickens them (in units of the digit's stroke width).
    """
    ys, xs = np.nonzero(digit > 30)
    crop = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    crop = cv2.copyMakeBorder(crop, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=0)
    scale = height / (ys.max() - ys.min() + 1)
    slant = rng.uniform(-0.2, 0.2)
    rotation = np.radians(rng.uniform(-6, 6))
    linear = scale * np.array([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    linear = linear @ np.array([[1, slant], [0, 1]])
    corners = np.array([[0, 0], [crop.shape[1], 0], [0, crop.shape[0]], [crop.shape[1], crop.shape[0]]]).T
    moved = linear @ corners
    offset = -moved.min(axis=1)
    out_w, out_h = np.ceil(moved.max(axis=1) + offset).astype(int) + 1
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
    alpha = cv2.warpAffine(crop, matrix, (int(out_w), int(out_h)), flags=cv2.INTER_LINEAR)
    alpha = vary_pen_width(alpha, thickening * scale)
    alpha = np.clip((alpha - 0.15) / 0.6, 0, 1)  # MNIST edges are soft; pens make crisper ones
    ys, xs = np.nonzero(alpha > 0.1)
    if len(ys) == 0:
        return np.zeros((1, 1), np.float32)
    return alpha[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def vary_pen_width(alpha: np.ndarray, change_px: float) -> np.ndarray:
    """Grow (change_px > 0) or shrink the strokes of a coverage map by about change_px pixels."""
    size = int(round(abs(change_px)))
    if size < 1:
        return alpha
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size + 1, size + 1))
    if change_px > 0:
        return cv2.dilate(alpha, kernel)
    thinner = cv2.erode(alpha, kernel)
    return thinner if (thinner > 0.5).sum() > 0.3 * (alpha > 0.5).sum() else alpha


def lighting(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(H, W) float32 illumination: a gradient in a random direction, vignetting, sometimes a soft shadow."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    along = (np.cos(angle) * (xs / width - 0.5) + np.sin(angle) * (ys / height - 0.5))
    light = rng.uniform(0.75, 1.05) + rng.uniform(0.0, 0.6) * along
    radius2 = ((xs / width - 0.5) ** 2 + (ys / height - 0.5) ** 2)
    light *= 1 - rng.uniform(0.0, 0.5) * radius2
    if rng.random() < 0.5:
        light *= shadow(rng, height, width)
    return np.clip(light, 0.2, 1.2)


def shadow(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """(H, W) float32 factor in (0, 1]: a blurred random polygon (a hand, a phone) darkening the page."""
    mask = np.zeros((height, width), np.float32)
    centre = rng.uniform([0, 0], [width, height])
    count = int(rng.integers(3, 7))
    angles = np.sort(rng.uniform(0, 2 * np.pi, size=count))
    radii = rng.uniform(0.2, 0.7, size=count) * max(height, width)
    points = centre + np.stack([np.cos(angles), np.sin(angles)], axis=1) * radii[:, None]
    cv2.fillPoly(mask, [points.astype(np.int32)], 1.0)
    blur = rng.uniform(0.01, 0.08) * width
    # A blur this wide is as well made on a smaller copy of a big frame (a photo's), and many times faster.
    factor = max(1, round(max(height, width) / 640))
    if factor > 1:
        small = cv2.resize(mask, (width // factor, height // factor), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(cv2.GaussianBlur(small, (0, 0), blur / factor), (width, height))
    else:
        mask = cv2.GaussianBlur(mask, (0, 0), blur)
    return 1 - rng.uniform(0.25, 0.6) * mask


def camera_view(rng: np.random.Generator, image: np.ndarray, boxes: list[Box]) -> tuple[np.ndarray, list[Box]]:
    """Warp the page by a slight random perspective; sometimes zoom out so the desk shows around the page."""
    height, width = image.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    zoom = rng.uniform(0.8, 0.95) if rng.random() < 0.3 else 1.0
    centre = np.float32([width / 2, height / 2])
    moved = (corners - centre) * zoom + centre
    moved += rng.uniform(-0.04, 0.04, size=(4, 2)).astype(np.float32) * np.float32([width, height])
    rotation = np.radians(rng.uniform(-4, 4))
    rotate = np.float32([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    moved = (moved - centre) @ rotate.T + centre
    homography = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    desk = rng.uniform(0.1, 0.6, size=3).tolist()
    warped = cv2.warpPerspective(image, homography, (width, height), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT if zoom < 1 else cv2.BORDER_REFLECT, borderValue=desk)
    return warped, [warp_box(homography, box) for box in boxes]


def warp_box(homography: np.ndarray, box: Box) -> Box:
    """The axis-aligned box around a box's four corners after the homography."""
    x, y, w, h = box
    corners = np.float32([[[x, y]], [[x + w, y]], [[x, y + h]], [[x + w, y + h]]])
    moved = cv2.perspectiveTransform(corners, homography)[:, 0]
    x0, y0 = np.floor(moved.min(axis=0)).astype(int)
    x1, y1 = np.ceil(moved.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def camera_noise(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 scene radiance -> (H, W, 3) uint8 BGR photo: exposure, blur, noise, JPEG."""
    image = image * rng.uniform(0.7, 1.05) * 255
    sigma = rng.uniform(0.0, 1.3)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    image = image + rng.standard_normal(image.shape).astype(np.float32) * rng.uniform(1.0, 8.0)
    photo = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        quality = int(rng.integers(35, 95))
        _, encoded = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, quality])
        photo = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return photo


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def score_lines(truth: list[str], read: list[str]) -> int:
    """How many of the true digits were read correctly: sum over rows of len - edit distance (at least 0).

    Rows are paired in order; when the counts differ, the pairing that minimises the total distance is used
    (an alignment of rows, where a missing or extra row costs its length).
    """
    n, m = len(truth), len(read)
    cost = np.zeros((n + 1, m + 1), np.int64)
    cost[1:, 0] = np.cumsum([len(row) for row in truth])
    cost[0, 1:] = np.cumsum([len(row) for row in read])
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j] + len(truth[i - 1]), cost[i, j - 1] + len(read[j - 1]),
                             cost[i - 1, j - 1] + edit_distance(truth[i - 1], read[j - 1]))
    total = sum(len(row) for row in truth)
    return max(0, total - int(cost[n, m]))
