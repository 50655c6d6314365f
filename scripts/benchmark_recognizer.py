"""Benchmark the recognizer on synthetic photos of MNIST test digits: accuracy, phantom digits, latency.

    python scripts/benchmark_recognizer.py --data-dir ../shared/data/mnist
    python scripts/benchmark_recognizer.py --scenes 100 --blank 30 --seed 1 --data-dir ../shared/data/mnist
    python scripts/benchmark_recognizer.py --model runs/my_net/model.npz --repeats 10
    python scripts/benchmark_recognizer.py --blur 2 --rotate 10 --frame-size 320x240   # a harder camera
    python scripts/benchmark_recognizer.py --light-on-dark                              # chalk on a blackboard
    python scripts/benchmark_recognizer.py --big                                        # a sheet held close
    python scripts/benchmark_recognizer.py --photo                                      # a page photographed
    python scripts/benchmark_recognizer.py --reference find_lines      # what a kernel saves over its reference

Scenes come from ``recognizer.synth.make_scene`` (640x480 photos of paper with rows of MNIST **test** digits,
uneven light, shadows, blur, noise, perspective, sometimes ruled lines and the desk around the page), so the
network has never seen these digits. It measures

- digits read correctly: over ``--scenes`` scenes, the sum of ``synth.score_lines`` (per row: length minus
  edit distance between the true and the read string) divided by the number of true digits;
- phantom digits: digits read on ``--blank`` scenes of blank paper (same paper, light and camera, no ink);
- latency of ``Recognizer.process`` alone (not scene making) on 640x480 scenes with about 10 digits
  (8 to 12), each processed ``--repeats`` times after one warm-up call: median and 90th percentile;
  with ``--stages``, also the median time of each of its stages run on its own; with ``--reference NAME``, the
  latency again with that kernel swapped for its readable reference in ``recognizer/naive.py``, the two
  alternating call by call (the machine's pace drifts over minutes, so runs minutes apart compare badly).

``--squared`` writes every page on squared paper. ``--blur``, ``--rotate`` and ``--frame-size`` change the camera
for the accuracy and phantom counts (not the latency): a Gaussian blur of that many pixels (out of focus), the whole frame turned by that many degrees
(a sheet held askew) and the frame resized to WxH (a cheaper camera, or a sheet farther away).
``--light-on-dark`` inverts every frame's tones last: light writing on a dark ground, like chalk on a blackboard
(the blank pages too, so the phantom count is of dark pages). ``--big`` writes one digit per page instead of
rows, 35-70% of the frame tall, in a broad pen: a sheet held close to the camera (the blank pages are as usual).
``--photo`` makes every scene, blank pages included, a 2016x1512 photo of a whole page, with handwriting 1.5-4%
of the frame tall in up to 12 rows (``make_scene(small=True)``), read as ``Recognizer.process`` reads any big frame.

It ends with one summary block to paste into the README together with the command line.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import cv2
import numpy as np

from recognizer import naive, preprocess, ruled_lines, segment, synth
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
    args = parser.parse_args()
    if args.scenes < 1 or args.blank < 0 or args.repeats < 1 or args.blur < 0:
        parser.error("--scenes and --repeats must be >= 1, --blank and --blur >= 0")
    if args.big and args.photo:
        parser.error("--big and --photo are different scenes: choose one")
    try:
        frame_size = tuple(int(v) for v in args.frame_size.lower().split("x")) if args.frame_size else None
    except ValueError:
        frame_size = None
    if args.frame_size and (frame_size is None or len(frame_size) != 2 or min(frame_size) < 16):
        parser.error(f"--frame-size must be WxH with both at least 16, like 320x240; got {args.frame_size!r}")
    camera = camera_change(args.blur, args.rotate, frame_size, args.light_on_dark)

    recognizer = Recognizer.from_file(args.model)
    images, labels = synth.load_test_digits(args.data_dir)
    rng = np.random.default_rng(args.seed)

    size = PHOTO_SIZE if args.photo else (480, 640)
    correct, total, wrong_scenes = read_scenes(recognizer, rng, images, labels, args.scenes, camera, args.squared,
                                               args.big, args.photo, size)
    phantoms, phantom_pages = count_phantoms(recognizer, rng, images, labels, args.blank, camera, args.squared, size)
    scenes = latency_scenes(rng, images, labels)
    times_ms, digits_per_scene = time_process(recognizer, scenes, args.repeats), [len("".join(s.lines)) for s in scenes]
    stages = time_stages(recognizer, scenes, args.repeats) if args.stages else {}
    compared = time_against_reference(recognizer, scenes, args.repeats, args.reference) if args.reference else []

    model = args.model or "recognizer/models/mnist_cnn/model.npz (shipped)"
    print("\n".join([
        "",
        f"recognizer benchmark (synthetic {size[1]}x{size[0]} photos of MNIST test digits; latency on 640x480)",
        f"  command:            python scripts/benchmark_recognizer.py {' '.join(sys.argv[1:])}".rstrip(),
        f"  model:              {model}",
        f"  machine:            {platform.processor() or platform.machine()}, Python {platform.python_version()}",
        f"  digits read:        {100 * correct / max(total, 1):.2f}% ({correct}/{total} digits, "
        f"{args.scenes} scenes, {wrong_scenes} with a mistake)",
        f"  phantom digits:     {phantoms} on {args.blank} blank pages ({phantom_pages} pages with any)",
        f"  process() latency:  median {np.median(times_ms):.1f} ms, p90 {np.percentile(times_ms, 90):.1f} ms "
        f"({len(digits_per_scene)} scenes x {args.repeats} runs, {min(digits_per_scene)}-{max(digits_per_scene)} "
        f"digits per scene, mean {np.mean(digits_per_scene):.1f})",
    ] + [f"    {name + ':':41s} median {ms:.2f} ms" for name, ms in stages.items()] + compared))


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


def read_scenes(recognizer: Recognizer, rng: np.random.Generator, images: np.ndarray, labels: np.ndarray,
                count: int, camera: Callable[[np.ndarray], np.ndarray], squared: bool, big: bool = False,
                small: bool = False, size: tuple[int, int] = (480, 640)) -> tuple[int, int, int]:
    """Read `count` scenes of `size` (H, W). Returns (digits read correctly, true digits, scenes with any mistake)."""
    correct = total = wrong_scenes = 0
    for _ in range(count):
        scene = synth.make_scene(rng, images, labels, size=size, squared=squared, big=big, small=small)
        score = synth.score_lines(scene.lines, recognizer.process(camera(scene.image)).lines)
        digits = sum(len(line) for line in scene.lines)
        correct, total = correct + score, total + digits
        wrong_scenes += score < digits
    return correct, total, wrong_scenes


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
                            lambda: to_working_size(to_gray(scene.image), recognizer.working_size))
            mask, darkness = timed("ink mask (light, threshold, ruled lines)", ink_mask, gray)
            blobs = timed("digit blobs", find_digit_blobs, mask, darkness, gray)
            digits = timed("normalize each digit", recognizer._normalize, mask, darkness, blobs)
            timed("network, all digits at once", recognizer._predict, digits)
    return {name: float(np.median(times)) for name, times in stage_times.items()}


if __name__ == "__main__":
    main()
