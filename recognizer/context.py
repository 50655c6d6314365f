"""Context within a row: a candidate inside a word is not a digit, even when it looks like one.

The network reads each candidate alone, and alone the "O" of "BOOK" is a fine 0, the "l" of "hello" a fine 1, and a
letter's stem cut off by a ruled line a fine 1 too. Its neighbours tell: a word's letters sit close together,
and some of them (the B, the K, the h, the e) the network calls "not a digit". So, in each row
(``rows.group_rows``):

1. the row's candidates are split into words where the gap between two neighbours is wider than WORD_GAP of
   the taller one's height (a number written next to a word, "dial 3142", is a word of its own);
2. a letter is a member the network calls "not a digit", at least SMALL of the word's tallest (not a dot, a
   comma or a dash) and not a thin stroke (narrower than THIN of its height: a "/", a bracket, a bar); one
   shorter than TALL of the tallest counts half: it may be a lower-case letter, or an operator (+, x);
3. a digit counts as evidence for a number unless it is a "1" or a thin stroke (a "1" is also every letter's
   stem: l, I, the h of "then", slanted or not); one shorter than TALL of the tallest letter counts half (the
   o's of "look" beside its k; in "2+7x2" the 2s are as tall as the + and the x);
4. a word with more than LETTERS_PER_DIGIT letters per digit ("BOOK": B, K against O, O; "hello": h, e against
   o; "then": e, n against nothing) is text: each of its members is read as "not a digit". A number with a stray
   letter beside it ("3142K"), or with operators between its digits ("2+7+2", "3/4", "x=5"), is still read.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from recognizer.rows import group_rows, level_boxes, rows_tilt

WORD_GAP = 0.35   # of the taller neighbour's height: letters of a word are closer; words are farther apart
SMALL = 0.4       # of the word's tallest member: shorter ones (dots, commas, dashes) are no letters...
TALL = 0.75       # ...and shorter than this (e, n, but also + and x) count as SHORT_LETTER of a letter...
SHORT_LETTER = 0.5
SHORT_DIGIT = 0.5  # ...and a digit that short beside the letters (the o of "look") as half a digit
THIN = 0.35       # width / height: a candidate this narrow is a stroke (1, l, /, a bracket), evidence of nothing
LETTERS_PER_DIGIT = 0.5  # a word is text when its letters are more than this many per digit


def words(boxes: Sequence[tuple[int, int, int, int]], tilt: float | None = None) -> list[list[int]]:
    """Indices of `boxes` (x, y, w, h) grouped into words: rows top to bottom, split where neighbours are
    farther apart than WORD_GAP of the taller one's height; each word left to right."""
    tilt = rows_tilt(boxes) if tilt is None else tilt  # measured once, for the rows and the gaps
    level = level_boxes(boxes, tilt)
    out = []
    for row in group_rows(boxes, tilt):
        word = [row[0]]
        for left, right in zip(row, row[1:]):
            gap = level[right][0] - (level[left][0] + level[left][2])
            if gap > WORD_GAP * max(level[left][3], level[right][3]):
                out.append(word)
                word = []
            word.append(right)
        out.append(word)
    return out


def in_text(boxes: Sequence[tuple[int, int, int, int]], not_digit: Sequence[bool], ones: Sequence[bool] | None = None,
            tilt: float | None = None) -> list[bool]:
    """For each candidate (box (x, y, w, h); whether the network calls it "not a digit"; whether it reads it as a
    "1"), whether it lies in a word of letters (see the module docstring): no digit, whatever it looks like alone."""
    text = [False] * len(boxes)
    ones = ones if ones is not None else [False] * len(boxes)
    strokes = [w < THIN * h or one for (_, _, w, h), one in zip(boxes, ones)]
    for word in words(boxes, tilt):
        tallest = max(boxes[i][3] for i in word)
        letter_heights = [boxes[i][3] for i in word
                          if not_digit[i] and not strokes[i] and boxes[i][3] >= SMALL * tallest]
        letters = sum(1.0 if height >= TALL * tallest else SHORT_LETTER for height in letter_heights)
        tallest_letter = max(letter_heights, default=0)
        digits = sum(1.0 if boxes[i][3] >= TALL * tallest_letter else SHORT_DIGIT for i in word
                     if not not_digit[i] and not strokes[i])
        if letters > LETTERS_PER_DIGIT * digits:
            for i in word:
                text[i] = True
    return text


def drop_digits_in_words(digits: list, not_a_digit: int) -> list:
    """Digits (``recognizer.Digit``, probs with `not_a_digit` as the last class) -> the same, with those that
    lie in a word of letters (``in_text``) read as "not a digit": digit None, and their probabilities all on
    `not_a_digit` (confidence 1), so that whatever reads the probabilities again (the tracker, averaging them
    over video frames; the JSON output) reads no digit there either."""
    if len(digits) < 2:
        return digits
    best = [int(np.argmax(d.probs)) for d in digits]
    if not_a_digit not in best or all(b == not_a_digit for b in best):  # no letters, or no digits: no words to look at
        return digits
    text = in_text([d.box for d in digits], [b == not_a_digit for b in best], [b == 1 for b in best])
    return [as_not_a_digit(d, not_a_digit) if inside and b != not_a_digit else d
            for d, inside, b in zip(digits, text, best)]


def as_not_a_digit(digit, not_a_digit: int):
    """The digit read as "not a digit": digit None, probs (K,) all on `not_a_digit`, confidence 1."""
    probs = np.zeros_like(digit.probs)
    probs[not_a_digit] = 1.0
    return replace(digit, digit=None, confidence=1.0, probs=probs)
