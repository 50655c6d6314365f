"""Write the README's example page of notes: words, numbers and sums, from MNIST **test** digits and fonts the
network never trained on (``recognizer/synth_notes.py``).

    python scripts/make_example.py --data-dir ../shared/data/mnist          # -> recognizer/examples/notes.png
    python -m recognizer --source recognizer/examples/notes.png --headless \
        --save recognizer/examples/notes_annotated.png
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from numcnn.data import DataError
from recognizer import synth, synth_notes
from recognizer.outputs import write_image_atomic


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", help="directory with the MNIST files (default: $NUMCNN_DATA, then the cache)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the page")
    parser.add_argument("--out", default="recognizer/examples/notes.png", help="the PNG to write")
    args = parser.parse_args(argv)
    try:
        images, labels = synth.load_test_digits(args.data_dir)
    except DataError as error:
        sys.exit(f"error: {error}")
    scene = synth_notes.make_notes_scene(np.random.default_rng(args.seed), images, labels)
    write_image_atomic(Path(args.out), scene.image)
    print(f"wrote {args.out}: rows reading {scene.lines}")


if __name__ == "__main__":
    main()
