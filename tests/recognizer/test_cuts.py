"""recognizer.cuts: where to cut a blob holding two touching digits, the pieces, and which cut to take."""
import cv2
import numpy as np

from recognizer.cuts import choose_cuts, cut_across, split_options
from recognizer.recognizer import CLASSES, MIN_CONFIDENCE, NOT_A_DIGIT, read_digits
from recognizer.segment import Blob, find_blobs

FRAME = (480, 640)


def blank() -> np.ndarray:
    return np.zeros(FRAME, np.uint8)


def zero(mask: np.ndarray, centre: tuple[int, int], thickness: int = 4) -> None:
    """A "0" 64 px tall and 40 px wide, drawn in place."""
    cv2.ellipse(mask, centre, (20, 30), 0, 0, 360, 255, thickness)


def test_split_options_offer_the_cut_where_two_touching_digits_meet():
    mask = blank()
    zero(mask, (200, 200))
    zero(mask, (241, 200))  # the two "0"s touch at x ~ 220
    (blob,) = find_blobs(mask)[0]
    options = split_options(mask, blob)
    assert options, "a blob this wide may be two digits"
    assert any(abs(left.box[0] + left.box[2] - 220) <= 4 and right.box[0] + right.box[2] >= 261
               for left, right in options)
    assert split_options(mask, Blob((100, 100, 40, 64), blob.contours)) == []  # a digit-shaped box is kept whole


def test_cut_across_gives_the_upper_and_lower_digit_each_shrunk_to_its_ink():
    mask = blank()
    zero(mask, (200, 200))
    zero(mask, (215, 262))  # the lower "0" touches the upper one at y ~ 231
    (blob,) = find_blobs(mask)[0]
    [(upper, lower)] = cut_across(mask, blob, 231 - blob.box[1])
    assert abs(upper.box[1] - 168) <= 2 and abs(upper.box[1] + upper.box[3] - 231) <= 2
    assert abs(upper.box[0] - 178) <= 2 and abs(lower.box[0] - 193) <= 2 and lower.box[1] + lower.box[3] == 295
    assert cut_across(mask, blob, 1) == []  # a piece with next to no ink is not a digit


def one_hot(digit: int, confidence: float) -> np.ndarray:
    """(11,) probs: ``digit`` (0-9, or NOT_A_DIGIT) at ``confidence``, the rest shared by the other classes."""
    probs = np.full(CLASSES, (1 - confidence) / (CLASSES - 1), np.float32)
    probs[digit] = confidence
    return probs


def read(probs: np.ndarray) -> np.ndarray:
    """(M,) bool: which crops the recognizer reads as digits at its default threshold."""
    return np.array([digit is not None for digit in read_digits(probs, MIN_CONFIDENCE)])


def test_choose_cuts_splits_only_a_doubtful_blob_whose_pieces_are_read():
    whole, wide = Blob((0, 0, 20, 30), ()), Blob((40, 0, 50, 30), ())
    cut_a = (Blob((40, 0, 20, 30), ()), Blob((60, 0, 30, 30), ()))
    cut_b = (Blob((40, 0, 25, 30), ()), Blob((65, 0, 25, 30), ()))
    images = np.zeros((6, 28, 28), np.float32)
    probs = np.stack([one_hot(3, 0.99), one_hot(8, 0.3),                        # the two blobs
                      one_hot(0, 0.9), one_hot(1, 0.4), one_hot(0, 0.95), one_hot(0, 0.97)])  # cut a, cut b
    blobs, _, chosen = choose_cuts([whole, wide], [[], [cut_a, cut_b]], [False, True], images, probs, read(probs))
    assert blobs == [whole, *cut_b] and chosen.argmax(axis=1).tolist() == [3, 0, 0]
    blobs, _, _ = choose_cuts([whole, wide], [[], [cut_a, cut_b]], [False, False], images, probs, read(probs))
    assert blobs == [whole, wide]  # not in doubt (read well whole, or not as tall as two rows): stays whole
    probs[4] = one_hot(0, 0.45)  # the best cut has a piece the network cannot read: stays whole
    blobs, _, _ = choose_cuts([whole, wide], [[], [cut_a, cut_b]], [False, True], images, probs, read(probs))
    assert blobs == [whole, wide]


def test_choose_cuts_never_takes_a_piece_read_as_not_a_digit_however_sure():
    wide = Blob((40, 0, 50, 30), ())
    cut_a = (Blob((40, 0, 20, 30), ()), Blob((60, 0, 30, 30), ()))
    cut_b = (Blob((40, 0, 25, 30), ()), Blob((65, 0, 25, 30), ()))
    images = np.zeros((5, 28, 28), np.float32)
    probs = np.stack([one_hot(NOT_A_DIGIT, 0.9),                                   # the blob: "not a digit"
                      one_hot(NOT_A_DIGIT, 0.99), one_hot(4, 0.99),                # cut a: surer, but half junk
                      one_hot(2, 0.8), one_hot(5, 0.7)])                           # cut b: two digits
    blobs, _, chosen = choose_cuts([wide], [[cut_a, cut_b]], [True], images, probs, read(probs))
    assert blobs == list(cut_b) and chosen.argmax(axis=1).tolist() == [2, 5]
    probs[3] = one_hot(NOT_A_DIGIT, 0.8)  # no cut of two digits left: the blob stays whole (and unread)
    blobs, _, chosen = choose_cuts([wide], [[cut_a, cut_b]], [True], images, probs, read(probs))
    assert blobs == [wide] and chosen.argmax(axis=1).tolist() == [NOT_A_DIGIT]
