"""The Python examples of the README and of docs/recognizer.md run as written (given the arrays the README leaves to
the reader: x, y, images, frame)."""
import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def readers_arrays() -> dict:
    """What the examples expect the reader to have: a small batch of MNIST-shaped images and a camera frame."""
    rng = np.random.default_rng(0)
    images = rng.random((8, 1, 28, 28), dtype=np.float32)
    return {"x": images, "y": rng.integers(0, 10, 8), "images": images,
            "frame": np.full((480, 640, 3), 235, np.uint8)}


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_example_runs(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (model.npz)
    exec(compile(block, str(README), "exec"), readers_arrays())


DESIGN = README.parent / "docs" / "recognizer.md"


def test_the_recognizers_design_example_reads_the_example_page(monkeypatch):
    """docs/recognizer.md calls the stages one by one on recognizer/examples/notes.png, as Recognizer.process does."""
    blocks = re.findall(r"```python\n(.*?)```", DESIGN.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(README.parent)  # the example opens the page by its path in the repository
    namespace: dict = {}
    exec(compile(blocks[0], str(DESIGN), "exec"), namespace)
    assert len(namespace["images"]) == len(namespace["blobs"]) > 0
    assert namespace["result"].lines[0] == "18048", "the first row of the page, as the document shows it"
