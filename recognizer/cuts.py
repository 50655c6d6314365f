"""Blobs that hold two digits written touching: where to cut them, the pieces, and which cut to take.

    options = split_options(mask, blob)          # side by side: cuts at a few columns around the middle
    options = cut_across(mask, blob, cut)        # one above the other, at the row rows.row_cuts found
    blobs, images, probs = choose_cuts(...)      # after the network has read the pieces

Where two digits touch cannot be told from the ink alone, so the recognizer reads every option's pieces with
the network and keeps a cut only when both pieces are read as digits (``choose_cuts``).
"""
from __future__ import annotations

import numpy as np

from recognizer.segment import Blob, own_ink

SPLIT_WIDTH_RATIO = 1.1  # width / height above which a blob may be two digits written touching...
SPLIT_CUTS, SPLIT_SPREAD = 5, 0.2  # ...cut at this many columns, up to this x its height from the middle


def split_options(mask: np.ndarray, blob: Blob) -> list[tuple[Blob, Blob]]:
    """Ways to cut a blob that may be two digits written touching: [(left piece, right piece), ...].

    Only a blob wider than SPLIT_WIDTH_RATIO times its height gets options (a digit is rarely that wide). The
    cuts are vertical, at SPLIT_CUTS columns around its middle; each piece's box is shrunk to its own ink.
    Where two digits touch cannot be told from the ink alone (a column through a loop has less ink than the
    joint), so the recognizer reads the options and decides (see ``choose_cuts``).
    """
    x, y, w, h = blob.box
    if w <= SPLIT_WIDTH_RATIO * h:
        return []
    own = own_ink(mask, blob)
    options = []
    for cut in np.linspace(w / 2 - SPLIT_SPREAD * h, w / 2 + SPLIT_SPREAD * h, SPLIT_CUTS).round().astype(int):
        left, right = piece(own, blob, 0, cut), piece(own, blob, cut, w)
        if left is not None and right is not None:
            options.append((left, right))
    return options


def piece(own: np.ndarray, blob: Blob, left: int, right: int) -> Blob | None:
    """The part of a blob in its box's columns left..right (own: (h, w) bool, its ink), shrunk to its ink."""
    part = own[:, left:right]
    rows = np.flatnonzero(part.any(axis=1))
    if right - left < 2 or rows.size < 2:
        return None
    x, y = blob.box[:2]
    return Blob((x + left, y + int(rows[0]), right - left, int(rows[-1] - rows[0] + 1)), blob.contours)


def cut_across(mask: np.ndarray, blob: Blob, cut: int) -> list[tuple[Blob, Blob]]:
    """A blob cut along row `cut` of its box: [(upper piece, lower piece)], each shrunk to its ink, or [] if
    a piece has no ink. For a blob holding a digit of each of two rows, touching (see ``rows.row_cuts``)."""
    own = own_ink(mask, blob)
    upper, lower = piece_across(own, blob, 0, cut), piece_across(own, blob, cut, blob.box[3])
    return [(upper, lower)] if upper is not None and lower is not None else []


def piece_across(own: np.ndarray, blob: Blob, top: int, bottom: int) -> Blob | None:
    """The part of a blob in its box's rows top..bottom (own: (h, w) bool, its ink), shrunk to its ink."""
    part = own[top:bottom]
    rows, columns = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    if rows.size < 2:
        return None
    x, y = blob.box[:2]
    return Blob((x + int(columns[0]), y + top + int(rows[0]), int(columns[-1] - columns[0] + 1),
                 int(rows[-1] - rows[0] + 1)), blob.contours)


def choose_cuts(blobs: list[Blob], options: list[list[tuple[Blob, Blob]]], doubtful: list[bool], images: np.ndarray,
                probs: np.ndarray, read: np.ndarray) -> tuple[list[Blob], np.ndarray, np.ndarray]:
    """Decide which blobs are two digits.

    blobs: the N candidates; options[i]: ways to cut blob i in two (see ``Recognizer._cut_options``);
    doubtful[i]: whether blob i is in doubt as one digit; images (M, 28, 28), probs (M, K) float32 and read (M,)
    bool: the N blobs first, then both pieces of every option, in order. read[k]: whether the network reads crop
    k as a digit (the recognizer decides: a digit class wins with at least its ``min_confidence``; a piece read
    as "not a digit" is no digit, however sure). A doubtful blob is replaced by the pieces of its surest cut of
    those whose pieces are both read: a wide digit read well stays whole. The surest: whose less sure piece has
    the higher top probability.
    Returns the final (blobs, images (L, 28, 28), probs (L, K)).
    """
    keep: list[int] = []
    next_piece = len(blobs)
    for i, pairs in enumerate(options):
        first_pieces = range(next_piece, next_piece + 2 * len(pairs), 2)
        next_piece += 2 * len(pairs)
        both_read = [k for k in first_pieces if read[k] and read[k + 1]] if doubtful[i] else []
        surest = max(both_read, key=lambda k: probs[k:k + 2].max(axis=1).min(), default=None)
        keep += [i] if surest is None else [surest, surest + 1]
    crops = blobs + [piece for pairs in options for pair in pairs for piece in pair]
    return [crops[k] for k in keep], images[keep], probs[keep]
