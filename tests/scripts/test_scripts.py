"""scripts/train.py, scripts/evaluate.py and scripts/benchmark_recognizer.py end to end, each in its own process as
a user runs them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numcnn
from numcnn.io import load_arrays

REPO_ROOT = Path(__file__).resolve().parents[2]
RUN_FILES = ("model.npz", "checkpoint.npz", "history.json", "curves.png", "confusion_matrix.png", "mistakes.png",
             "filters.png")


def run_script(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def training(mnist_dir, tmp_path_factory) -> tuple[Path, str]:
    """(run directory, printed output) of a one-epoch keras-example run on 512 images (a few seconds)."""
    out = tmp_path_factory.mktemp("run")
    result = run_script("scripts/train.py", "--arch", "keras-example", "--epochs", "1", "--limit", "512",
                        "--no-progress", "--data-dir", str(mnist_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result.stdout


@pytest.fixture(scope="module")
def trained_run(training) -> Path:
    return training[0]


def test_train_writes_every_file_of_the_run_directory(trained_run):
    assert sorted(p.name for p in trained_run.iterdir()) == sorted(RUN_FILES)
    for name in RUN_FILES:
        assert (trained_run / name).stat().st_size > 0, name


def test_train_records_its_results_in_the_model_and_the_history(trained_run):
    model = numcnn.load(str(trained_run / "model.npz"))
    history = json.loads((trained_run / "history.json").read_text())
    assert model.meta["architecture"] == "keras-example" and model.meta["seed"] == 0 and model.meta["epochs"] == 1
    assert "--limit 512" in model.meta["command"] and model.meta["numcnn_version"] == numcnn.__version__
    assert 0.1 < model.meta["test_accuracy"] <= 1 and model.meta["test_loss"] > 0
    assert model.meta["test_accuracy"] == history["test_accuracy"]
    assert history["settings"] == {"arch": "keras-example", "batch_size": 128, "seed": 0, "limit": 512,
                                   "epochs": 1, "lr": 1e-3, "schedule": "constant", "augment": False}
    (record,) = history["epochs"]
    assert set(record) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "images_per_s",
                           "seconds"}
    checkpoint = load_arrays(trained_run / "checkpoint.npz")[1]
    assert (checkpoint["epoch"], checkpoint["step"]) == (1, 0)


def test_train_prints_one_line_per_epoch_and_the_test_result(training):
    output = training[1]
    (epoch_line,) = [line for line in output.splitlines() if line.startswith("epoch ")]
    for field in ("train loss", "val loss", "lr", "img/s", "elapsed"):
        assert field in epoch_line
    assert "test accuracy" in output


def test_resume_refuses_to_change_the_data_settings_of_the_run(trained_run):
    result = run_script("scripts/train.py", "--out", str(trained_run), "--resume", "--arch", "default")
    assert result.returncode != 0
    assert "drop --arch default (the run has keras-example)" in result.stderr


def test_a_new_run_does_not_replace_a_finished_model_unless_forced(trained_run):
    before = (trained_run / "model.npz").read_bytes()
    result = run_script("scripts/train.py", "--out", str(trained_run), "--limit", "500", "--epochs", "1")
    assert result.returncode != 0 and "holds a finished model" in result.stderr and "--force" in result.stderr
    assert (trained_run / "model.npz").read_bytes() == before


def test_a_checkpoint_remembers_its_data_so_resume_needs_no_other_flag(trained_run, mnist_dir, tmp_path):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    assert load_arrays(run / "checkpoint.npz")[1]["config"]["data_dir"] == str(Path(mnist_dir).resolve())
    env_without_data = {key: value for key, value in os.environ.items() if key != "NUMCNN_DATA"}
    result = subprocess.run([sys.executable, "scripts/train.py", "--out", str(run), "--resume", "--epochs", "2",
                             "--no-progress"], cwd=REPO_ROOT, env={**env_without_data, "PYTHONPATH": str(REPO_ROOT)},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "epoch  2/2" in result.stdout and "test accuracy" in result.stdout


def test_a_data_error_leaves_no_run_folder(tmp_path):
    out = tmp_path / "run"
    result = run_script("scripts/train.py", "--data-dir", str(tmp_path / "no-mnist-here"), "--out", str(out))
    assert result.returncode != 0 and "error:" in result.stderr
    assert not out.exists()


def test_resume_without_a_checkpoint_says_so(tmp_path):
    result = run_script("scripts/train.py", "--out", str(tmp_path), "--resume")
    assert result.returncode != 0 and "no checkpoint at" in result.stderr


def test_evaluate_prints_scores_table_and_confusion_matrix_and_writes_figures(trained_run, mnist_dir, tmp_path):
    result = run_script("scripts/evaluate.py", str(trained_run / "model.npz"), "--data-dir", str(mnist_dir),
                        "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    model = numcnn.load(str(trained_run / "model.npz"))
    assert f"test accuracy {model.meta['test_accuracy']:.2%}" in result.stdout
    assert "precision" in result.stdout and "recall" in result.stdout
    matrix_rows = [line.split() for line in result.stdout.splitlines() if line.split()[:1] in ([str(d)] for d in
                                                                                              range(10))]
    counts = np.array([row[1:] for row in matrix_rows if len(row) == 11], dtype=int)
    assert counts.shape == (10, 10) and counts.sum() == 10000
    assert np.trace(counts) / 10000 == pytest.approx(model.meta["test_accuracy"])
    for name in ("confusion_matrix.png", "mistakes.png", "filters.png", "feature_maps.png", "curves.png"):
        assert (tmp_path / name).stat().st_size > 0
    header = (tmp_path / "feature_maps.png").read_bytes()[:24]
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and 800 <= width <= 2500 and 500 <= height <= 1500, "4 digits, 2 layers"
    assert "feature_maps.png" in result.stdout


def test_evaluate_names_a_missing_model(tmp_path):
    result = run_script("scripts/evaluate.py", str(tmp_path / "missing.npz"))
    assert result.returncode == 2 and "missing.npz': no such file" in result.stderr


def digits_read(report: str) -> tuple[int, int]:
    """(digits read correctly, true digits) from the benchmark's "digits read: 97.57% (4415/4525 digits, ..." line."""
    line = next(line for line in report.splitlines() if "digits read:" in line)
    correct, total = line.split("(")[1].split(" ")[0].split("/")
    return int(correct), int(total)


def test_benchmark_recognizer_reports_accuracy_phantoms_and_latency_for_a_harder_camera(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--scenes", "3", "--blank", "1", "--repeats", "1",
                        "--blur", "1", "--rotate", "5", "--frame-size", "320x240", "--stages",
                        "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "--frame-size 320x240" in result.stdout and "phantom digits:" in result.stdout
    assert "network, all digits at once:" in result.stdout
    correct, total = digits_read(result.stdout)
    assert 0 < total and 0.5 * total <= correct <= total  # 3 scenes: a broken camera change would read nothing


def test_benchmark_recognizer_reads_light_writing_on_dark(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--scenes", "2", "--blank", "0", "--repeats", "1",
                        "--light-on-dark", "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    correct, total = digits_read(result.stdout)
    assert 0 < total and 0.5 * total <= correct <= total  # read as ink on paper, nothing would be read


def test_benchmark_recognizer_reads_photos_of_whole_pages_of_small_handwriting(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--scenes", "2", "--blank", "1", "--repeats", "1",
                        "--photo", "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "synthetic 2016x1512 photos" in result.stdout
    correct, total = digits_read(result.stdout)
    assert 0 < total and 0.5 * total <= correct <= total  # read at the working size alone, hardly any would be


def test_benchmark_recognizer_times_a_kernel_against_its_reference(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--scenes", "1", "--blank", "0", "--repeats", "2",
                        "--reference", "find_lines", "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    assert "with naive.find_lines:" in result.stdout and "the kernel saves a median" in result.stdout


def test_benchmark_recognizer_puts_the_kernel_back_after_timing_its_reference():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import benchmark_recognizer
    finally:
        sys.path.pop(0)
    from recognizer import naive
    for name, module in benchmark_recognizer.REFERENCES.items():  # each where process() looks it up
        fast = getattr(module, name)
        with benchmark_recognizer.reference(name):
            assert getattr(module, name) is getattr(naive, name) is not fast
        assert getattr(module, name) is fast


def test_benchmark_recognizer_refuses_big_and_photo_together(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--big", "--photo", "--data-dir", str(mnist_dir))
    assert result.returncode != 0 and "--big and --photo" in result.stderr


def test_benchmark_recognizer_reads_big_digits_of_a_sheet_held_close(mnist_dir):
    result = run_script("scripts/benchmark_recognizer.py", "--scenes", "4", "--blank", "0", "--repeats", "1",
                        "--big", "--data-dir", str(mnist_dir))
    assert result.returncode == 0, result.stderr
    correct, total = digits_read(result.stdout)
    assert total == 4 and correct >= 2  # one digit per scene


def test_benchmark_recognizer_names_a_bad_frame_size():
    result = run_script("scripts/benchmark_recognizer.py", "--frame-size", "320by240")
    assert result.returncode == 2 and "--frame-size must be WxH" in result.stderr
