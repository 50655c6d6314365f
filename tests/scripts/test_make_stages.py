"""scripts/make_stages.py end to end, in its own process as a user runs it: from a clone, with no data."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STAGES = ("stage-1-gray.png", "stage-2-paper.png", "stage-3-ink-mask.png", "stage-4-candidates.png",
          "stage-5-digits.png", "stage-6-reading.png")
MAX_BYTES = 150_000  # small enough for the docs


def run_script(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "scripts/make_stages.py", *args], check=False, cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> Path:
    """The folder the script filled from its default frame (the example page in the repository)."""
    out = tmp_path_factory.mktemp("stages")
    result = run_script("--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "rows read" in result.stdout and "wrote 6 pictures" in result.stdout
    return out


def test_every_stage_is_written_as_a_small_png(stages):
    assert sorted(path.name for path in stages.iterdir()) == sorted(STAGES)  # no temporary files left
    for name in STAGES:
        assert 0 < (stages / name).stat().st_size < MAX_BYTES, name


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_picture_shows_something(stages, name):
    image = cv2.imread(str(stages / name), cv2.IMREAD_UNCHANGED)
    assert image is not None and min(image.shape[:2]) >= 50, name
    values = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)
    assert len(np.unique(values, axis=0)) > 2, f"{name} is blank"
    assert image.std() > 10, f"{name} is nearly uniform"


def test_the_candidates_and_the_reading_are_drawn_in_colour(stages):
    for name in ("stage-4-candidates.png", "stage-5-digits.png", "stage-6-reading.png"):
        image = cv2.imread(str(stages / name), cv2.IMREAD_COLOR)
        spread = image.max(axis=2).astype(int) - image.min(axis=2)
        assert np.count_nonzero(spread > 60) > 100, f"{name} has no coloured boxes or labels"


def test_a_missing_image_is_a_bad_argument_naming_the_file(tmp_path):
    missing = tmp_path / "no-such-photo.jpg"
    result = run_script("--image", str(missing), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_unreadable_image_is_a_bad_argument_naming_the_file(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_text("not an image")
    result = run_script("--image", str(broken), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert str(broken) in result.stderr and "cannot read the image" in result.stderr
    assert not (tmp_path / "out").exists()
