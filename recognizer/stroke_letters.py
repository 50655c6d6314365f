"""Words written as pen strokes, letter by letter, as a hand prints them: a third source of handwriting for
the recognizer's "not a digit" class, beside the two TrueType fonts of ``training_marks.word``.

Every letter a-z, A-Z is a few polylines and arcs in a unit box: x from 0 (the letter's left) to its width,
y 0 = the cap top, 1 = the baseline; lower-case letters stand 0.58 high (X below), ascenders reach 0 and
descenders about 1.35 (D). Strokes run in the order and direction a hand draws them ("a": the bowl
anticlockwise from its top right, then up to the stem and down it). Some letters have a second form
(VARIANTS: a two-storey "a", a looped "g" and "y", a straight "t", ...).

A word varies as hands do: per letter a small random bend of its shape, a width and size of its own and a
wandering baseline; per word a slant, a slight rotation, the spacing, the x-height and the pen (1-6 px,
anti-aliased, sometimes a soft pencil); and sometimes it is joined up: each lower-case letter's last stroke
runs on into the next letter's first stroke (dots and crossbars are left for after, as in cursive).

    mark = stroke_word(rng, height=30)            # a training_marks.Mark, one glyph box per letter
    mark = stroke_word(rng, 30, text="hello")
"""
from __future__ import annotations

import string

import cv2
import numpy as np

from recognizer.training_marks import DIGIT_LIKE, Mark, random_text, resample

X = 0.42   # the x-height line (top of lower-case letters); the baseline is y = 1
D = 1.35   # the descender line


# ----------------------------------------------------------------------------------------------- shapes


def seg(*points: tuple[float, float]) -> np.ndarray:
    """A polyline through the points."""
    return np.array(points, np.float64)


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> np.ndarray:
    """An elliptic arc from angle `start` to `end` in degrees (0 = right, 90 = down, -90 = up): increasing
    angles turn clockwise on the page, decreasing ones anticlockwise."""
    angles = np.radians(np.linspace(start, end, max(3, int(abs(end - start) / 8) + 1)))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], axis=1)


def dot(x: float, y: float) -> np.ndarray:
    """The dot of an i or j: a tiny closed loop (the pen makes it a dot)."""
    return arc(x, y, 0.025, 0.025, 0, 360)


def path(*parts: np.ndarray) -> np.ndarray:
    """One stroke through several parts, the pen staying down between them."""
    return np.concatenate(parts)


def lobe(top: float, bottom: float, cx: float, rx: float) -> np.ndarray:
    """The bump of a B, D, P or R: from the stem (x .06) at `top` out round a half ellipse centred at x `cx`
    and back to the stem at `bottom`."""
    return path(seg((.06, top), (cx, top)), arc(cx, (top + bottom) / 2, rx, (bottom - top) / 2, -90, 90),
                seg((cx, bottom), (.06, bottom)))


# One line per letter: its strokes in writing order (units above). A hand-printed alphabet.
LETTERS: dict[str, list[np.ndarray]] = {
    "a": [path(arc(.25, .71, .22, .29, -30, -390), seg((.47, X), (.47, 1)))],
    "b": [seg((.05, 0), (.05, 1)), arc(.27, .71, .22, .29, 190, 530)],
    "c": [arc(.26, .71, .23, .29, -35, -320)],
    "d": [arc(.23, .71, .21, .29, -30, -390), seg((.44, 0), (.44, 1))],
    "e": [path(seg((.04, .73), (.47, .71)), arc(.26, .71, .21, .29, 0, -310))],
    "f": [path(arc(.36, .16, .14, .14, -10, -180), seg((.22, .16), (.22, 1))), seg((.04, .44), (.42, .44))],
    "g": [path(arc(.23, .71, .21, .29, -30, -390), seg((.45, X), (.45, 1.12)), arc(.26, 1.12, .19, .22, 0, 165))],
    "h": [seg((.05, 0), (.05, 1)), path(arc(.26, .68, .21, .24, 185, 360), seg((.47, .68), (.47, 1)))],
    "i": [seg((.08, X), (.08, 1)), dot(.08, .24)],
    "j": [path(seg((.27, X), (.27, 1.13)), arc(.11, 1.13, .16, .2, 0, 160)), dot(.27, .24)],
    "k": [seg((.05, 0), (.05, 1)), seg((.42, X), (.06, .74)), seg((.17, .66), (.45, 1))],
    "l": [seg((.08, 0), (.08, 1))],
    "m": [seg((.05, X), (.05, 1)), path(arc(.2, .67, .15, .23, 185, 360), seg((.35, .67), (.35, 1))),
          path(arc(.5, .67, .15, .23, 185, 360), seg((.65, .67), (.65, 1)))],
    "n": [seg((.05, X), (.05, 1)), path(arc(.25, .67, .2, .23, 185, 360), seg((.45, .67), (.45, 1)))],
    "o": [arc(.25, .71, .23, .29, -95, -455)],
    "p": [seg((.05, X), (.05, D)), arc(.27, .69, .22, .27, 190, 530)],
    "q": [arc(.23, .71, .21, .29, -30, -390), seg((.44, X), (.44, D), (.54, 1.26))],
    "r": [seg((.06, X), (.06, 1)), arc(.27, .7, .21, .24, 190, 300)],
    "s": [path(arc(.22, .55, .17, .13, -20, -270), arc(.22, .84, .18, .16, -90, 145))],
    "t": [path(seg((.2, .1), (.2, .86)), arc(.33, .86, .13, .14, 180, 60)), seg((.03, X), (.42, X))],
    "u": [path(seg((.05, X), (.05, .72)), arc(.24, .72, .19, .28, 180, 0), seg((.43, .72), (.43, X))),
          seg((.43, X), (.43, 1))],
    "v": [seg((.02, X), (.23, 1), (.44, X))],
    "w": [seg((.02, X), (.16, 1), (.32, .56), (.48, 1), (.62, X))],
    "x": [seg((.05, X), (.44, 1)), seg((.44, X), (.05, 1))],
    "y": [seg((.04, X), (.25, .98)), seg((.46, X), (.2, 1.2), (.1, D))],
    "z": [seg((.04, X), (.44, X), (.04, 1), (.46, 1))],
    "A": [seg((.02, 1), (.32, 0), (.62, 1)), seg((.15, .62), (.5, .62))],
    "B": [seg((.06, 0), (.06, 1)), lobe(0, .48, .3, .2), lobe(.48, 1, .34, .22)],
    "C": [arc(.4, .5, .37, .5, -40, -320)],
    "D": [seg((.06, 0), (.06, 1)), lobe(0, 1, .22, .38)],
    "E": [seg((.52, 0), (.06, 0), (.06, 1), (.54, 1)), seg((.06, .5), (.42, .5))],
    "F": [seg((.52, 0), (.06, 0), (.06, 1)), seg((.06, .48), (.42, .48))],
    "G": [path(arc(.4, .5, .37, .5, -40, -345), seg((.76, .52), (.48, .52)))],
    "H": [seg((.05, 0), (.05, 1)), seg((.57, 0), (.57, 1)), seg((.05, .5), (.57, .5))],
    "I": [seg((.08, 0), (.08, 1))],
    "J": [path(seg((.42, 0), (.42, .7)), arc(.23, .7, .19, .3, 0, 165))],
    "K": [seg((.06, 0), (.06, 1)), seg((.52, 0), (.07, .56)), seg((.22, .4), (.56, 1))],
    "L": [seg((.06, 0), (.06, 1), (.48, 1))],
    "M": [seg((.03, 1), (.08, 0), (.36, .7), (.64, 0), (.69, 1))],
    "N": [seg((.05, 1), (.05, 0), (.57, 1), (.57, 0))],
    "O": [arc(.38, .5, .36, .5, -95, -460)],
    "P": [seg((.06, 0), (.06, 1)), lobe(0, .52, .3, .22)],
    "Q": [arc(.38, .5, .36, .5, -95, -460), seg((.45, .72), (.78, 1.05))],
    "R": [seg((.06, 0), (.06, 1)), lobe(0, .52, .3, .22), seg((.26, .52), (.56, 1))],
    "S": [path(arc(.3, .26, .25, .26, -15, -270), arc(.3, .76, .27, .24, -90, 150))],
    "T": [seg((0, 0), (.62, 0)), seg((.31, 0), (.31, 1))],
    "U": [path(seg((.05, 0), (.05, .65)), arc(.31, .65, .26, .35, 180, 0), seg((.57, .65), (.57, 0)))],
    "V": [seg((.02, 0), (.3, 1), (.58, 0))],
    "W": [seg((.02, 0), (.2, 1), (.4, .3), (.6, 1), (.78, 0))],
    "X": [seg((.04, 0), (.56, 1)), seg((.56, 0), (.04, 1))],
    "Y": [seg((.02, 0), (.3, .5), (.58, 0)), seg((.3, .5), (.3, 1))],
    "Z": [seg((.04, 0), (.56, 0), (.03, 1), (.6, 1))],
}

# Second forms some hands use.
VARIANTS: dict[str, list[list[np.ndarray]]] = {
    "a": [[path(arc(.25, .58, .2, .15, -160, 0), seg((.45, .58), (.45, 1))),   # two-storey
           path(seg((.45, .7), (.22, .69)), arc(.24, .85, .2, .16, -90, -330))]],
    "g": [[path(arc(.23, .71, .21, .29, -30, -390), seg((.45, X), (.45, 1.12)),  # looped tail
                arc(.3, 1.12, .15, .22, 0, 180), seg((.15, 1.12), (.55, .95)))]],
    "l": [[path(seg((.08, 0), (.08, .88)), arc(.2, .88, .12, .12, 180, 60))]],     # with a tail
    "t": [[seg((.2, .1), (.2, 1)), seg((.03, X), (.42, X))]],                          # straight
    "y": [[path(seg((.05, X), (.05, .7)), arc(.23, .7, .18, .28, 180, 0), seg((.41, .7), (.41, X))),  # a tailed u
           path(seg((.41, X), (.41, 1.12)), arc(.23, 1.12, .18, .22, 0, 165))]],
    "k": [[seg((.05, 0), (.05, 1)),                                                # looped
           path(seg((.05, .75)), arc(.2, .6, .15, .15, 160, 400), seg((.3, .75), (.46, 1)))]],
    "e": [[path(seg((.04, .78), (.42, .6)), arc(.26, .71, .21, .29, -30, -310))]],          # a rising bar
    "I": [[seg((.15, 0), (.15, 1)), seg((0, 0), (.3, 0)), seg((0, 1), (.3, 1))]],  # with bars
    "Y": [[seg((.02, 0), (.3, .5)), seg((.58, 0), (.02, 1))]],
}

# Lower-case letters whose last stroke is put down after the word's strokes (a dot, a crossbar, the
# second stroke of an x): a joined-up word runs on from the stroke before it.
LATER = set("ijtfx")
LOWER, UPPER = set(string.ascii_lowercase), set(string.ascii_uppercase)


def shapes(char: str) -> list[list[np.ndarray]]:
    """Every form of a letter (its strokes), the first the usual one."""
    return [LETTERS[char]] + VARIANTS.get(char, [])


# ----------------------------------------------------------------------------------------------- the hand


def _bend(rng: np.random.Generator, amount: float):
    """A smooth random displacement of the plane (a hand never draws a shape twice alike): points -> points.
    Being a function of position, strokes that meet still meet after it."""
    waves = [(rng.uniform(0.5, 1.6, 2) * rng.choice([-1, 1], 2), rng.uniform(0, 2 * np.pi),
              amount * rng.uniform(-1, 1, 2)) for _ in range(3)]

    def apply(points: np.ndarray) -> np.ndarray:
        moved = points.copy()
        for frequency, phase, size in waves:
            moved += size * np.sin(2 * np.pi * (points @ frequency) + phase)[:, None]
        return moved
    return apply


def _wobble(rng: np.random.Generator, stroke: np.ndarray, amount: float) -> np.ndarray:
    """A pen's tremor along one stroke: a slow sway and a little noise, and the stroke set down slightly off."""
    points = resample(stroke, 0.02)
    t = np.linspace(0, 1, len(points))[:, None]
    sway = amount * rng.uniform(-1, 1, 2) * np.sin(2 * np.pi * (rng.uniform(0.3, 1.2) * t + rng.random()))
    return points + sway + rng.normal(0, amount * 0.15, points.shape) + rng.normal(0, amount * 0.4, 2)


def _join(start: np.ndarray, end: np.ndarray, over: bool) -> np.ndarray:
    """The connecting stroke of joined-up writing: a curve from one letter's exit to the next one's entry,
    sagging towards the lower of the two (it runs along the baseline, then climbs); over: climb first and
    come in level over the top (into a letter begun at its top right, as "a", "c", "o")."""
    if over and end[1] < start[1]:
        control = np.array([start[0] + 0.15 * (end[0] - start[0]), end[1]])
    else:
        control = np.array([start[0] + 0.6 * (end[0] - start[0]), max(start[1], end[1])])
    t = np.linspace(0, 1, 12)[:, None]
    return (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t ** 2 * end


# ----------------------------------------------------------------------------------------------- words


def stroke_word(rng: np.random.Generator, height: float, text: str | None = None,
                cursive: bool | None = None) -> Mark:
    """A word (letters only, never digits) written with pen strokes, cap height about `height` px: each letter
    from the LETTERS table (or one of its VARIANTS), bent a little, sized and spaced like a hand writes, on a
    wandering baseline, slanted (-0.2 to 0.4) and slightly rotated, in a pen 1-6 px wide (scaled to the
    height), sometimes (40%) joined up. text, cursive: fix them instead of choosing at random (text by
    training_marks.random_text). Deterministic given rng.
    Returns a Mark: alpha float32 in [0, 1] cropped to its ink, one (x, y, w, h) glyph box per letter."""
    text = random_text(rng) if text is None else text
    if any(char.isdigit() for char in text):
        raise ValueError(f"stroke_word() draws no digits: {text!r}")
    unknown = sorted(set(text) - set(LETTERS) - {" "})
    if unknown or not text.strip():
        raise ValueError(f"stroke_word() draws the letters a-z, A-Z only: {text!r}")
    cap = height * rng.uniform(0.85, 1.15)
    slant = rng.uniform(-0.2, 0.4)
    rotation = np.radians(rng.uniform(-4, 4))
    wide = rng.uniform(0.8, 1.3)                          # the hand's letter width
    small = rng.uniform(0.85, 1.15)                       # its lower-case size against its capitals
    pen = 1.0 + rng.random() ** 1.5 * (float(np.clip(height / 12, 1, 6)) - 0.01)  # px; thin pens commoner
    joined = rng.random() < 0.4
    cursive = joined if cursive is None else cursive
    # space between letters (units), clear of the pen's width
    gap = rng.uniform(0.04, 0.12) if cursive else rng.uniform(0.06, 0.2) + 0.06 * text.isupper()
    gap += 0.8 * pen / cap
    bend = rng.uniform(0.01, 0.035)
    tremor = rng.uniform(0.004, 0.012)
    forms = {char: int(rng.integers(len(shapes(char)))) for char in sorted(set(text) - {" "})}  # kept in a word
    rises = np.cumsum(rng.normal(0, 0.03, len(text))) * (rng.random() < 0.7)
    rises = np.clip(rises - rises.mean(), -0.15, 0.15)

    strokes: list[np.ndarray] = []   # every stroke, in units
    owners: list[int] = []           # per stroke: its letter's index among the letters drawn (-1 joins)
    x, letter, previous_exit = 0.0, 0, None
    for char, rise in zip(text, rises):
        if char == " ":
            x += rng.uniform(0.35, 0.6)
            previous_exit = None
            continue
        letter_strokes = [stroke.copy() for stroke in shapes(char)[forms[char]]]
        left = min(stroke[:, 0].min() for stroke in letter_strokes)
        sx = wide * rng.uniform(0.9, 1.1)
        sy = rng.uniform(0.94, 1.06) * (small if char in LOWER else 1.0)
        tilt = np.radians(rng.uniform(-3, 3))
        bent = _bend(rng, bend)
        placed = []
        for stroke in letter_strokes:
            points = _wobble(rng, bent(stroke), tremor)
            points = np.stack([(points[:, 0] - left) * sx, 1 - (1 - points[:, 1]) * sy], axis=1)
            centre = np.array([0.25 * sx, 0.7])  # a letter's own tilt, about its middle
            turn = np.array([[np.cos(tilt), -np.sin(tilt)], [np.sin(tilt), np.cos(tilt)]])
            placed.append((points - centre) @ turn.T + centre + [x, -rise])
        main = placed[:-1] if char in LATER and len(placed) > 1 else placed
        if cursive and previous_exit is not None and char in LOWER:
            over = main[0][0, 0] - x > 0.6 * (max(stroke[:, 0].max() for stroke in placed) - x)
            strokes.append(_wobble(rng, _join(previous_exit, main[0][0], over), tremor))
            owners.append(-1)
        strokes.extend(placed)
        owners.extend([letter] * len(placed))
        previous_exit = main[-1][-1] if char in LOWER else None
        x = max(stroke[:, 0].max() for stroke in placed) + gap + rng.normal(0, 0.025)
        letter += 1

    # the word's slant and rotation, then pixels
    linear = np.array([[np.cos(rotation), -np.sin(rotation)], [np.sin(rotation), np.cos(rotation)]])
    linear = linear @ np.array([[1.0, -slant], [0.0, 1.0]])  # x += slant * (1 - y) up to a shift: leans right
    strokes = [stroke @ linear.T * cap for stroke in strokes]
    supersample = int(rng.integers(1, 4))   # draw larger, then shrink: fractional pen widths, smooth edges
    thickness = max(1, int(round(pen * supersample)))
    pen = thickness / supersample
    margin = pen + 3
    low = np.concatenate(strokes).min(axis=0) - margin
    size = np.ceil(np.concatenate(strokes).max(axis=0) - low + margin).astype(int) + 1
    big = np.zeros((size[1] * supersample, size[0] * supersample), np.uint8)
    fixed = [np.round((stroke - low) * supersample * 16).astype(np.int32) for stroke in strokes]
    cv2.polylines(big, fixed, False, 255, thickness, cv2.LINE_AA, 4)
    canvas = big.astype(np.float32) / 255
    if supersample > 1:
        canvas = cv2.resize(canvas, (size[0], size[1]), interpolation=cv2.INTER_AREA)
    if pen < 1.6 and rng.random() < 0.3:
        canvas = cv2.GaussianBlur(canvas, (0, 0), 0.5) * 1.3  # a soft pencil line
    canvas = np.clip(canvas / max(min(float(canvas.max()), 0.8), 1e-3), 0, 1).astype(np.float32)

    ys, xs = np.nonzero(canvas > 0.05)
    x0, y0 = xs.min(), ys.min()
    alpha = np.ascontiguousarray(canvas[y0:ys.max() + 1, x0:xs.max() + 1])
    glyphs, digit_like = [], []
    reach = pen / 2
    letters = [char for char in text if char != " "]
    for index, char in enumerate(letters):
        points = np.concatenate([stroke for stroke, owner in zip(strokes, owners) if owner == index]) - low
        left, top = np.floor(points.min(axis=0) - reach).astype(int) - [x0, y0]
        right, bottom = np.ceil(points.max(axis=0) + reach).astype(int) + 1 - [x0, y0]
        left, top = max(0, int(left)), max(0, int(top))
        right, bottom = min(alpha.shape[1], int(right)), min(alpha.shape[0], int(bottom))
        glyphs.append((left, top, right - left, bottom - top))
        digit_like.append(char in DIGIT_LIKE)
    return Mark(alpha, glyphs, digit_like)
