"""scripts/benchmark_recognizer.py --photos: a labelled folder of photos read end to end, and its labels parser;
and the synthetic scene options --notes, --math, --close and --pencil."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from recognizer import synth

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = "filename\tdigits\tsource\tlicence\tnotes\n"

sys.path.insert(0, str(REPO_ROOT / "scripts"))
try:
    import benchmark_recognizer
finally:
    sys.path.pop(0)


def run_benchmark(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "scripts/benchmark_recognizer.py", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def model_args(tmp_path_factory) -> list[str]:
    """[] when the shipped model suits the recognizer; else --model and an untrained model of the classes the
    recognizer needs (the shipped model is being replaced: these tests check the output, not the accuracy)."""
    from recognizer.recognizer import Recognizer
    try:
        Recognizer.from_file()
        return []
    except ValueError:
        from numcnn import zoo
        from recognizer.recognizer import CLASSES
        path = tmp_path_factory.mktemp("model") / "model.npz"
        zoo.build("small", classes=CLASSES).save(str(path))
        return ["--model", str(path)]


@pytest.fixture
def photo_folder(tmp_path, mnist) -> Path:
    """A folder like real-dev: labels.tsv and two synthetic photos of MNIST test digits in images/."""
    (tmp_path / "images").mkdir()
    rows = []
    for seed, name in enumerate(("001_page.png", "002_page.jpg")):
        scene = synth.make_scene(np.random.default_rng(seed), *mnist[1])
        cv2.imwrite(str(tmp_path / "images" / name), scene.image)
        rows.append(f"{name}\t{' | '.join(' '.join(line) for line in scene.lines)}\tsynth\tnone\tcategory b.\n")
    (tmp_path / "labels.tsv").write_text(HEADER + "".join(rows))
    return tmp_path


def test_read_labels_splits_rows_and_digits(tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_text(HEADER + "a.png\t1 2 3 | 4 5\tsrc\tMIT\tnotes\n\n"
                    "b.jpg\t7\tsrc\tnone\tx\nc.png\t\tsrc\tnone\tno digits\n")
    assert benchmark_recognizer.read_labels(path) == [("a.png", ["123", "45"]), ("b.jpg", ["7"]), ("c.png", [])]


@pytest.mark.parametrize("text, where", [
    ("name\tdigits\n", "labels.tsv: the first line"),
    (HEADER + "a.png\t1 2 x\tsrc\tnone\tnotes\n", "labels.tsv:2:"),
    (HEADER + "a.png\t1 2 3\n" + "b.png\t1 | | 2\n", "labels.tsv:3:"),
    (HEADER + "just-a-name\n", "labels.tsv:2:"),
])
def test_read_labels_names_the_file_and_line_of_a_bad_label(tmp_path, text, where):
    path = tmp_path / "labels.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=where):
        benchmark_recognizer.read_labels(path)


def test_photos_reads_every_image_and_prints_the_totals(photo_folder, model_args):
    result = run_benchmark("--photos", str(photo_folder), *model_args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["image", "truth", "read", "errors", "phantoms"]
    for name in ("001_page.png", "002_page.jpg"):
        (line,) = [line for line in lines if line.startswith(name)]
        errors, phantoms = line.split()[-2:]
        assert int(errors) >= 0 and int(phantoms) >= 0
    report = result.stdout[result.stdout.index("recognizer on real photos"):]
    assert "(2 images, " in report and "latency" not in result.stdout
    for label in ("digits read:", "errors:", "phantom digits:", "read perfectly:"):
        assert label in report
    assert "/2 images" in report.split("read perfectly:")[1]


def test_photos_without_labels_names_the_missing_file(tmp_path):
    result = run_benchmark("--photos", str(tmp_path))
    assert result.returncode == 2 and str(tmp_path / "labels.tsv") in result.stderr


def test_photos_names_a_missing_image(photo_folder):
    (photo_folder / "images" / "002_page.jpg").unlink()
    result = run_benchmark("--photos", str(photo_folder))
    assert result.returncode == 2 and "002_page.jpg" in result.stderr


def test_photos_names_an_unreadable_image(photo_folder, model_args):
    (photo_folder / "images" / "002_page.jpg").write_text("not an image")
    result = run_benchmark("--photos", str(photo_folder), *model_args)
    assert result.returncode == 2 and "cannot read the image" in result.stderr and "002_page.jpg" in result.stderr


@pytest.mark.parametrize("kind", ["--notes", "--math", "--close", "--pencil"])
def test_scene_options_report_digits_read_and_phantoms(kind, mnist_dir, model_args):
    result = run_benchmark(kind, "--scenes", "2", "--blank", "1", "--repeats", "1", "--data-dir", str(mnist_dir),
                           *model_args)
    assert result.returncode == 0, result.stderr
    assert f"640x480 {kind[2:]} scenes" in result.stdout
    assert "on the scenes (read beyond the true digits)" in result.stdout
    line = next(line for line in result.stdout.splitlines() if "digits read:" in line)
    correct, total = (int(n) for n in line.split("(")[1].split(" ")[0].split("/"))
    assert 0 <= correct <= total and total > 0


def test_scene_options_are_one_at_a_time(mnist_dir):
    result = run_benchmark("--notes", "--big", "--data-dir", str(mnist_dir))
    assert result.returncode == 2 and "--big and --notes are different scenes" in result.stderr
