"""recognizer.context: a candidate inside a word of letters is not a digit; a number beside a word still is."""
from dataclasses import dataclass

import numpy as np

from recognizer.context import drop_digits_in_words, in_text, words

NOT_A_DIGIT = 10


@dataclass(frozen=True)
class Candidate:
    box: tuple[int, int, int, int]
    digit: int | None
    confidence: float
    probs: np.ndarray


def row(spec: str, height: int = 40, letter_gap: int = 6, word_gap: int = 30) -> list[Candidate]:
    """Candidates left to right on one line: a digit character is read as that digit; "L" is a tall letter the
    network calls not a digit; "s" a short one (e, a); "o" a short letter read as a 0; "/" a thin stroke; "+",
    "=" short operators; " " a word gap; a "1" is a thin stroke too."""
    out, x = [], 20
    for char in spec:
        if char == " ":
            x += word_gap - letter_gap
            continue
        w, h = {"L": (28, height), "s": (22, 24), "/": (8, height), "+": (22, 22), "=": (22, 10), "1": (8, height),
                "o": (22, 24)}.get(char, (24, height))
        probs = np.full(11, 0.001, np.float32)
        digit = int(char) if char.isdigit() else (0 if char == "o" else None)
        probs[NOT_A_DIGIT if digit is None else digit] = 0.99
        out.append(Candidate((x, 100 + height - h, w, h), digit, float(probs.max()), probs))
        x += w + letter_gap
    return out


def read(candidates: list[Candidate]) -> str:
    return "".join(str(c.digit) for c in drop_digits_in_words(candidates, NOT_A_DIGIT) if c.digit is not None)


def test_words_split_where_the_gap_is_wide():
    candidates = row("LsLL 3142")
    assert words([c.box for c in candidates]) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_look_alike_digits_inside_words_are_not_read():
    assert read(row("L00L")) == ""        # BOOK: the O's read alone as 0s
    assert read(row("Ls11s")) == ""       # hello: the l's read alone as 1s
    assert read(row("L5sLsL")) == ""      # a capital with an S among lower-case letters
    assert read(row("11s1")) == ""        # "then": the stems of t, h and n, cut by a ruled line, read as 1s
    assert read(row("1ooL")) == ""        # "look": a thin l, two short o's read as 0s, a k


def test_a_number_beside_a_word_is_read():
    assert read(row("LsLL 3142")) == "3142"   # dial 3142
    assert read(row("3142 LsLL")) == "3142"


def test_operators_and_strokes_between_digits_keep_the_number():
    assert read(row("12+7")) == "127"
    assert read(row("3/4")) == "34"
    assert read(row("12/05/24")) == "120524"
    assert read(row("2+7+2")) == "272"
    assert read(row("s=5")) == "5"        # x=5


def test_a_number_with_one_stray_letter_is_still_read():
    assert in_text([c.box for c in row("3142L")], [False] * 4 + [True]) == [False] * 5


def test_a_video_does_not_read_a_word_back_from_its_probabilities():
    """The tracker averages each candidate's probabilities over frames: a look-alike dropped inside a word must
    stay dropped there too, so the rejection is in the probabilities the reading is made of."""
    from recognizer.tracker import Tracker
    tracker = Tracker()
    for _ in range(3):
        shown = tracker.update(drop_digits_in_words(row("L00L"), NOT_A_DIGIT))  # BOOK, frame after frame
    assert [d.digit for d in shown if d.digit is not None] == []
    dropped = drop_digits_in_words(row("L00L"), NOT_A_DIGIT)
    assert all(int(np.argmax(d.probs)) == NOT_A_DIGIT and d.digit is None for d in dropped)
