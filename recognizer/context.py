"""Context within a row: a candidate inside a word is not a digit, even when it looks like one.

The network reads each candidate alone, and alone the "O" of "BOOK" is a fine 0 and the "l" of "hello" a fine 1.
Its neighbours tell: a word's letters sit close together, and some of them (the B, the K, the h) the network
calls "not a digit". So, in each row (``rows.group_rows``):

1. the row's candidates are split into words where the gap between two neighbours is wider than WORD_GAP of
   the taller one's height (a number written next to a word, "dial 3142", is a word of its own);
2. in each word only the tall members count (at least TALL of the word's tallest): lower-case bowls and
   operators (e, a, o, +, =) are shorter than digits and capitals, and decide nothing;
3. a tall member is a letter when the network calls it "not a digit" and it is not a thin stroke (narrower than
   THIN of its height: a "/", a bracket, a bar, which sit between digits in fractions and dates);
4. a word with a letter for every two tall digits or fewer ("BOOK": B, K against O, O; "hello": h against
   l, l) is text: none of its members is read as a digit. A number with one stray letter beside it, or
   operators between digits ("12 + 7", "3/4"), is still read.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from recognizer.rows import group_rows, level_boxes, rows_tilt

WORD_GAP = 0.35   # of the taller neighbour's height: letters of a word are closer; words are farther apart
TALL = 0.75       # of the word's tallest member: shorter ones (e, o, +, =) decide nothing
THIN = 0.35       # width / height: a "not a digit" this narrow is a stroke (/, (, |), not a letter
LETTERS_PER_DIGIT = 0.5  # a word is text when its letters are at least this many per tall digit


def words(boxes: Sequence[tuple[int, int, int, int]], tilt: float | None = None) -> list[list[int]]:
    """Indices of `boxes` (x, y, w, h) grouped into words: rows top to bottom, split where neighbours are
    farther apart than WORD_GAP of the taller one's height; each word left to right."""
    level = level_boxes(boxes, rows_tilt(boxes) if tilt is None else tilt)
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


def in_text(boxes: Sequence[tuple[int, int, int, int]], not_digit: Sequence[bool],
            tilt: float | None = None) -> list[bool]:
    """For each candidate (box (x, y, w, h); whether the network calls it "not a digit"), whether it lies in a
    word of letters (see the module docstring), so it is no digit whatever it looks like alone."""
    text = [False] * len(boxes)
    for word in words(boxes, tilt):
        tallest = max(boxes[i][3] for i in word)
        tall = [i for i in word if boxes[i][3] >= TALL * tallest]
        letters = sum(1 for i in tall if not_digit[i] and boxes[i][2] >= THIN * boxes[i][3])
        digits = sum(1 for i in tall if not not_digit[i])
        if letters and letters >= LETTERS_PER_DIGIT * digits:
            for i in word:
                text[i] = True
    return text


def drop_digits_in_words(digits: list, not_a_digit: int) -> list:
    """Digits (``recognizer.Digit``, probs with `not_a_digit` as the last class) -> the same, with those that
    lie in a word of letters (``in_text``) no longer read (digit None)."""
    if len(digits) < 2:
        return digits
    not_digit = [int(np.argmax(d.probs)) == not_a_digit for d in digits]
    text = in_text([d.box for d in digits], not_digit)
    return [replace(d, digit=None) if inside and d.digit is not None else d for d, inside in zip(digits, text)]
