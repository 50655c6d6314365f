"""Benchmark the recognizer on synthetic photos of MNIST test digits: accuracy, phantom digits, latency.

    python scripts/benchmark_recognizer.py --data-dir ../shared/data/mnist
    python scripts/benchmark_recognizer.py --scenes 100 --blank 30 --seed 1 --data-dir ../shared/data/mnist
    python scripts/benchmark_recognizer.py --model runs/my_net/model.npz --repeats 10
    python scripts/benchmark_recognizer.py --blur 2 --rotate 10 --frame-size 320x240   # a harder camera
    python scripts/benchmark_recognizer.py --light-on-dark                              # chalk on a blackboard
    python scripts/benchmark_recognizer.py --big                                        # a sheet held close
    python scripts/benchmark_recognizer.py --photo                                      # a page photographed
    python scripts/benchmark_recognizer.py --reference find_lines      # what a kernel saves over its reference
    python scripts/benchmark_recognizer.py --notes --scenes 50 --blank 10   # digits among written words
    python scripts/benchmark_recognizer.py --math                       # sums: numbers, operators, brackets
    python scripts/benchmark_recognizer.py --close                      # one digit filling most of the frame
    python scripts/benchmark_recognizer.py --pencil                     # faint pencil and dark pen on one page
    python scripts/benchmark_recognizer.py --photos ../shared/data/real-dev   # a labelled folder of real photos

Scenes come from ``recognizer.synth.make_scene`` (640x480 photos of paper with rows of MNIST **test** digits,
uneven light, shadows, blur, noise, perspective, sometimes ruled lines and the desk around the page), so the
network has never seen these digits. It measures

- digits read correctly: over ``--scenes`` scenes, the sum of ``synth.score_lines`` (per row: length minus
  edit distance between the true and the read string) divided by the number of true digits;
- phantom digits: digits read on ``--blank`` scenes of blank paper (same paper, light and camera, no ink);
  and on the scenes themselves, the digits read beyond the true ones (``synth_notes.phantom_digits``: the
  insertions of the row alignment ``score_lines`` makes, so a misread digit is not a phantom but an extra one is);
- latency of ``Recognizer.process`` alone (not scene making) on 640x480 scenes with about 10 digits
  (8 to 12), each processed ``--repeats`` times after one warm-up call: median and 90th percentile;
  with ``--stages``, also the median time of each of its stages run on its own; with ``--reference NAME``, the
  latency again with that kernel swapped for its readable reference in ``recognizer/naive.py``, the two
  alternating call by call (the machine's pace drifts over minutes, so runs minutes apart compare badly).

``--squared`` writes every page on squared paper. ``--blur``, ``--rotate`` and ``--frame-size`` change the camera
for the accuracy and phantom counts (not the latency): a Gaussian blur of that many pixels (out of focus), the whole
frame turned by that many degrees (a sheet held askew) and the frame resized to WxH (a cheaper camera, or a sheet
farther away).
``--light-on-dark`` inverts every frame's tones last: light writing on a dark ground, like chalk on a blackboard
(the blank pages too, so the phantom count is of dark pages). ``--big`` writes one digit per page instead of
rows, 35-70% of the frame tall, in a broad pen: a sheet held close to the camera (the blank pages are as usual).
``--photo`` makes every scene, blank pages included, a 2016x1512 photo of a whole page, with handwriting 1.5-4%
of the frame tall in up to 12 rows (``make_scene(small=True)``), read as ``Recognizer.process`` reads any big frame.

Scenes with things that are not digits, from ``recognizer/synth_notes.py`` (MNIST test digits; words and
operators in matplotlib's DejaVu/STIX fonts, and with OpenCV < 5 its Hershey DUPLEX/TRIPLEX/PLAIN: on purpose
none of the fonts or symbols the training data is made from); the blank pages are the usual ones, and
``--squared`` does not apply:
``--notes``: 640x480 pages of rows of written words, some rows with a number of 2-5 digits among the words,
some words only, some numbers only; only the digits are to be read. ``--math``: rows of sums such as
"12 + 7 = 19", "(3 × 4) ÷ 2 = 6" (numbers of 1-3 digits, + − × ÷ = / ( ) % between them). ``--close``: one
digit 55-95% of the frame tall in a broad pen, nearly touching the frame's top and bottom. ``--pencil``: rows
of digits each in its own darkness, from faint grey pencil (reflectance 0.65-0.8) to dark pen (0.05-0.2).

``--photos DIR`` reads a labelled folder of real photos instead (no synthetic scenes, no latency): DIR/labels.tsv
with the header ``filename<TAB>digits<TAB>...`` (digits like ``1 2 3 | 4 5``: a row 123 above a row 45) and the
images in DIR/images/. It prints one line per image: the file, the truth and the reading (rows joined by " | ",
"-" for nothing read), errors (true digits minus ``synth.score_lines``: missed, misread and phantom digits, at
most the true digits) and phantoms (``synth_notes.phantom_digits``: digits read beyond the true ones); then the
totals: digits read right (correct / true digits), errors, phantom digits and images read perfectly.

It ends with one summary block to paste into the README together with the command line.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import cv2
import numpy as np

from recognizer import naive, preprocess, ruled_lines, segment, synth, synth_notes
from recognizer import recognizer as recognizer_module
from recognizer.preprocess import ink_mask, to_gray, to_working_size
from recognizer.recognizer import Recognizer
from recognizer.segment import find_digit_blobs

PHOTO_SIZE = (1512, 2016)    # (H, W) of --photo scenes: a 3-megapixel photo
LATENCY_SCENES = 20          # scenes timed for latency
LATENCY_DIGITS = (8, 12)     # digits per timed scene: "about 10"
MAX_DRAWS = 2000             # give up looking for such scenes after this many tries
REFERENCES = {               # --reference: where process() finds each kernel-backed function
    "find_lines": ruled_lines, "remove_thin_ink": ruled_lines, "fragment_gaps": segment,
    "digit_images": recognizer_module, "paper_level_and_margin": preprocess,
}
SCENE_KINDS = {              # --notes, --math, --close, --pencil: scenes with more than digits on the page
    "notes": synth_notes.make_notes_scene, "math": synth_notes.make_math_scene,
    "close": synth_notes.make_close_scene, "pencil": synth_notes.make_pencil_scene,
}
Maker = Callable[[np.random.Generator], synth.Scene]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenes", type=int, default=200, help="scenes with digits, for accuracy")
    parser.add_argument("--blank", type=int, default=50, help="blank pages, for phantom digits")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scene generator")
    parser.add_argument("--data-dir", help="directory with the MNIST files (default: NUMCNN_DATA, then the cache)")
    parser.add_argument("--model", help="model file (default: the shipped recognizer/models/mnist_cnn/model.npz)")
    parser.add_argument("--repeats", type=int, default=5, help="timed process() calls per latency scene")
    parser.add_argument("--blur", type=float, default=0.0, help="Gaussian blur sigma in pixels (default: none)")
    parser.add_argument("--rotate", type=float, default=0.0, help="turn frames by this many degrees (default: 0)")
    parser.add_argument("--frame-size", help="resize frames to WxH, e.g. 320x240 (default: 640x480 as made)")
    parser.add_argument("--stages", action="store_true", help="also time each stage of process() on its own")
    parser.add_argument("--squared", action="store_true", help="every page squared paper (a pale grid)")
    parser.add_argument("--light-on-dark", action="store_true", help="invert the frames: light writing on dark")
    parser.add_argument("--big", action="store_true", help="one big digit per page, as a sheet held close shows it")
    parser.add_argument("--photo", action="store_true", help="2016x1512 photos of whole pages of small handwriting")
    parser.add_argument("--reference", choices=sorted(REFERENCES),
                        help="also time process() with this kernel-backed function's reference in recognizer/naive.py")
    parser.add_argument("--notes", action="store_true", help="pages of written words, some rows with numbers")
    parser.add_argument("--math", action="store_true", help="rows of sums: numbers, operators and brackets")
    parser.add_argument("--close", action="store_true", help="one digit 55-95%% of the frame tall")
    parser.add_argument("--pencil", action="store_true", help="each digit from faint pencil to dark pen")
    parser.add_argument("--photos", metavar="DIR", help="read a labelled folder of real photos instead (see above)")
    args = parser.parse_args()
    if args.photos:
        read_photos(parser, args.photos, args.model)
        return
    if args.scenes < 1 or args.blank < 0 or args.repeats < 1 or args.blur < 0:
        parser.error("--scenes and --repeats must be >= 1, --blank and --blur >= 0")
    kinds = [name for name in ("big", "photo", *SCENE_KINDS) if getattr(args, name)]
    if len(kinds) > 1:
        parser.error(f"{' and '.join('--' + name for name in kinds)} are different scenes: choose one")
    kind = next((name for name in kinds if name in SCENE_KINDS), None)
    if kind and args.squared:
        parser.error(f"--squared is for the digit-only scenes, not --{kind}")
    try:
        frame_size = tuple(int(v) for v in args.frame_size.lower().split("x")) if args.frame_size else None
    except ValueError:
        frame_size = None
    if args.frame_size and (frame_size is None or len(frame_size) != 2 or min(frame_size) < 16):
        parser.error(f"--frame-size must be WxH with both at least 16, like 320x240; got {args.frame_size!r}")
    camera = camera_change(args.blur, args.rotate, frame_size, args.light_on_dark)

    recognizer = load_recognizer(parser, args.model)
    images, labels = synth.load_test_digits(args.data_dir)
    rng = np.random.default_rng(args.seed)

    size = PHOTO_SIZE if args.photo else (480, 640)
    if kind:
        make: Maker = lambda rng: SCENE_KINDS[kind](rng, images, labels, size)  # noqa: E731
    else:
        make = lambda rng: synth.make_scene(rng, images, labels, size=size, squared=args.squared,  # noqa: E731
                                            big=args.big, small=args.photo)
    correct, total, wrong_scenes, scene_phantoms = read_scenes(recognizer, rng, make, args.scenes, camera)
    phantoms, phantom_pages = count_phantoms(recognizer, rng, images, labels, args.blank, camera, args.squared, size)
    scenes = latency_scenes(rng, images, labels)
    times_ms, digits_per_scene = time_process(recognizer, scenes, args.repeats), [len("".join(s.lines)) for s in scenes]
    stages = time_stages(recognizer, scenes, args.repeats) if args.stages else {}
    compared = time_against_reference(recognizer, scenes, args.repeats, args.reference) if args.reference else []

    model = args.model or "recognizer/models/mnist_cnn/model.npz (shipped)"
    what = f"{kind} scenes" if kind else "photos"
    print("\n".join([
        "",
        f"recognizer benchmark (synthetic {size[1]}x{size[0]} {what} of MNIST test digits; latency on 640x480)",
        f"  command:            python scripts/benchmark_recognizer.py {' '.join(sys.argv[1:])}".rstrip(),
        f"  model:              {model}",
        f"  machine:            {platform.processor() or platform.machine()}, Python {platform.python_version()}",
        f"  digits read:        {100 * correct / max(total, 1):.2f}% ({correct}/{total} digits, "
        f"{args.scenes} scenes, {wrong_scenes} with a mistake)",
        f"  phantom digits:     {phantoms} on {args.blank} blank pages ({phantom_pages} pages with any); "
        f"{scene_phantoms} on the scenes (read beyond the true digits)",
        f"  process() latency:  median {np.median(times_ms):.1f} ms, p90 {np.percentile(times_ms, 90):.1f} ms "
        f"({len(digits_per_scene)} scenes x {args.repeats} runs, {min(digits_per_scene)}-{max(digits_per_scene)} "
        f"digits per scene, mean {np.mean(digits_per_scene):.1f})",
    ] + [f"    {name + ':':41s} median {ms:.2f} ms" for name, ms in stages.items()] + compared))


def load_recognizer(parser: argparse.ArgumentParser, model: str | None) -> Recognizer:
    """The recognizer with the model at `model` (None: the shipped one); a missing or unusable model file is an
    error naming it (exit code 2)."""
    try:
        return Recognizer.from_file(model)
    except (FileNotFoundError, ValueError) as error:
        parser.error(f"--model: {error}")


def read_labels(path: str | Path) -> list[tuple[str, list[str]]]:
    """A labels.tsv (header ``filename<TAB>digits<TAB>...``) -> [(filename, its rows of digits)], in file order.

    The digits column lists digits separated by spaces, rows top to bottom separated by "|": "1 2 3 | 4 5" ->
    ["123", "45"]; an empty column means no digits. Raises ValueError naming the file and line when a line is
    not of that form."""
    rows = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t")[:2] != ["filename", "digits"]:
        raise ValueError(f"{path}: the first line must be the header filename<TAB>digits<TAB>...")
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        fields = line.split("\t")
        digits = [part.replace(" ", "") for part in fields[1].split("|")] if len(fields) > 1 and fields[1].strip() \
            else []
        if len(fields) < 2 or not fields[0] or not all(row.isdigit() and row.isascii() for row in digits):
            raise ValueError(f"{path}:{number}: expected filename<TAB>digits like '1 2 3 | 4 5', got {line!r}")
        rows.append((fields[0], digits))
    return rows


def read_photos(parser: argparse.ArgumentParser, folder: str, model: str | None) -> None:
    """Read every labelled photo of `folder` (labels.tsv, images/) with the model at `model` (None: the shipped
    one) and print a line per image, then the totals. A missing or malformed labels.tsv or a missing or
    unreadable image is an error naming it (exit code 2); labels and files are checked before any reading."""
    labels_path = Path(folder) / "labels.tsv"
    if not labels_path.is_file():
        parser.error(f"--photos {folder}: no labels file {labels_path}")
    try:
        labelled = read_labels(labels_path)
    except (ValueError, UnicodeDecodeError) as error:
        parser.error(f"--photos: {error}")
    missing = [name for name, _ in labelled if not (Path(folder) / "images" / name).is_file()]
    if missing:
        parser.error(f"--photos: no image {Path(folder) / 'images' / missing[0]} (of {len(missing)} missing)")
    recognizer = load_recognizer(parser, model)
    width = max([len(name) for name, _ in labelled] + [5])
    print(f"{'image':{width}s}  {'truth':24s}  {'read':24s}  errors  phantoms")
    correct = total = errors = phantoms = perfect = 0
    for name, truth in labelled:
        frame = cv2.imread(str(Path(folder) / "images" / name))
        if frame is None:
            parser.error(f"--photos: cannot read the image {Path(folder) / 'images' / name}")
        read = recognizer.process(frame).lines
        score, digits = synth.score_lines(truth, read), sum(len(row) for row in truth)
        extra = synth_notes.phantom_digits(truth, read)
        correct, total, errors, phantoms = correct + score, total + digits, errors + digits - score, phantoms + extra
        perfect += score == digits and extra == 0
        print(f"{name:{width}s}  {' | '.join(truth) or '-':24s}  {' | '.join(read) or '-':24s}  "
              f"{digits - score:6d}  {extra:8d}", flush=True)
    print("\n".join([
        "",
        f"recognizer on real photos: {folder} ({len(labelled)} images, {total} digits)",
        f"  command:            python scripts/benchmark_recognizer.py {' '.join(sys.argv[1:])}".rstrip(),
        f"  model:              {model or 'recognizer/models/mnist_cnn/model.npz (shipped)'}",
        f"  digits read:        {100 * correct / max(total, 1):.1f}% ({correct}/{total} digits, "
        f"{len(labelled)} images)",
        f"  errors:             {errors} (true digits missed, misread or outweighed by phantoms)",
        f"  phantom digits:     {phantoms} (read beyond the true digits)",
        f"  read perfectly:     {perfect}/{len(labelled)} images",
    ]))


def camera_change(blur: float, rotate: float, frame_size: tuple[int, int] | None,
                  light_on_dark: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """What the harder camera does to a (480, 640, 3) scene: blur, then turn, then resize, then invert."""
    def change(image: np.ndarray) -> np.ndarray:
        if blur > 0:
            image = cv2.GaussianBlur(image, (0, 0), blur)
        if rotate:
            height, width = image.shape[:2]
            turn = cv2.getRotationMatrix2D((width / 2, height / 2), rotate, 1.0)
            image = cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REPLICATE)
        if frame_size is not None:
            shrinking = frame_size[0] < image.shape[1]
            image = cv2.resize(image, frame_size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        if light_on_dark:
            image = cv2.bitwise_not(image)
        return image
    return change


def read_scenes(recognizer: Recognizer, rng: np.random.Generator, make: Maker, count: int,
                camera: Callable[[np.ndarray], np.ndarray]) -> tuple[int, int, int, int]:
    """Read `count` scenes from make(rng). Returns (digits read correctly, true digits, scenes with any mistake,
    phantom digits: digits read beyond the true ones, ``synth_notes.phantom_digits``)."""
    correct = total = wrong_scenes = phantoms = 0
    for _ in range(count):
        scene = make(rng)
        read = recognizer.process(camera(scene.image)).lines
        score = synth.score_lines(scene.lines, read)
        digits = sum(len(line) for line in scene.lines)
        correct, total = correct + score, total + digits
        wrong_scenes += score < digits
        phantoms += synth_notes.phantom_digits(scene.lines, read)
    return correct, total, wrong_scenes, phantoms


def count_phantoms(recognizer: Recognizer, rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                   count: int, camera: Callable[[np.ndarray], np.ndarray], squared: bool,
                   size: tuple[int, int] = (480, 640)) -> tuple[int, int]:
    """Digits read on `count` blank pages of `size` (H, W). Returns (phantom digits, pages with at least one)."""
    phantoms = pages = 0
    for _ in range(count):
        scene = synth.make_scene(rng, images, labels, size=size, blank=True, squared=squared)
        read = sum(len(line) for line in recognizer.process(camera(scene.image)).lines)
        phantoms, pages = phantoms + read, pages + (read > 0)
    return phantoms, pages


def latency_scenes(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray) -> list[synth.Scene]:
    """LATENCY_SCENES scenes with about 10 digits (LATENCY_DIGITS)."""
    scenes = []
    for _ in range(MAX_DRAWS):
        scene = synth.make_scene(rng, images, labels)
        if LATENCY_DIGITS[0] <= sum(len(line) for line in scene.lines) <= LATENCY_DIGITS[1]:
            scenes.append(scene)
        if len(scenes) == LATENCY_SCENES:
            return scenes
    if not scenes:
        raise SystemExit(f"no scene with {LATENCY_DIGITS[0]}-{LATENCY_DIGITS[1]} digits in {MAX_DRAWS} tries")
    return scenes


def time_process(recognizer: Recognizer, scenes: list[synth.Scene], repeats: int) -> np.ndarray:
    """Time process() on the scenes, `repeats` times each after one warm-up call. Returns times in ms."""
    recognizer.process(scenes[0].image)  # warm-up: first calls compile kernels and fill caches
    times = []
    for scene in scenes:
        for _ in range(repeats):
            start = time.perf_counter()
            recognizer.process(scene.image)
            times.append(1000 * (time.perf_counter() - start))
    return np.array(times)


@contextmanager
def reference(name: str) -> Iterator[None]:
    """The recognizer calling the readable reference of one of its kernel-backed functions (recognizer/naive.py)."""
    module = REFERENCES[name]
    fast = getattr(module, name)
    setattr(module, name, getattr(naive, name))
    try:
        yield
    finally:
        setattr(module, name, fast)


def time_against_reference(recognizer: Recognizer, scenes: list[synth.Scene], repeats: int,
                           name: str) -> list[str]:
    """Report lines: process() on the scenes with the kernels and with the reference of `name`, alternately."""
    with reference(name):
        recognizer.process(scenes[0].image)  # warm-up
    kernel_ms, reference_ms = [], []
    for scene in scenes:
        for turn in range(repeats):
            for with_reference in (turn % 2 == 1, turn % 2 == 0):  # each goes first half the time
                with reference(name) if with_reference else nullcontext():
                    start = time.perf_counter()
                    recognizer.process(scene.image)
                    (reference_ms if with_reference else kernel_ms).append(1000 * (time.perf_counter() - start))
    saved = round(float(np.median(np.array(reference_ms) - np.array(kernel_ms))), 2) + 0.0  # no "-0.00"
    return [f"  with naive.{name}:  median {np.median(reference_ms):.1f} ms against {np.median(kernel_ms):.1f} ms "
            f"with the kernel, alternately (the kernel saves a median {saved:.2f} ms per frame)"]


def time_stages(recognizer: Recognizer, scenes: list[synth.Scene], repeats: int) -> dict[str, float]:
    """Median ms of each stage of process() on the scenes, calling what ``Recognizer.process`` calls (its own
    normalize and predict steps included), one stage at a time."""
    stage_times: dict[str, list[float]] = {}

    def timed(name: str, work: Callable, *args):
        start = time.perf_counter()
        result = work(*args)
        stage_times.setdefault(name, []).append(1000 * (time.perf_counter() - start))
        return result

    for scene in scenes:
        for _ in range(repeats):
            gray, _ = timed("frame to working-size gray",
                            lambda scene=scene: to_working_size(to_gray(scene.image), recognizer.working_size))
            mask, darkness = timed("ink mask (light, threshold, ruled lines)", ink_mask, gray)
            blobs = timed("digit blobs", find_digit_blobs, mask, darkness, gray)
            digits = timed("normalize each digit", recognizer._normalize, mask, darkness, blobs)
            timed("network, all digits at once", recognizer._predict, digits)
    return {name: float(np.median(times)) for name, times in stage_times.items()}


if __name__ == "__main__":
    main()
