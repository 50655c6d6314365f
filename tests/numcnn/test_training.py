"""numcnn.training: schedule, split, evaluation, learning, exact resume after Ctrl-C, NaN stop, shipped model."""
from __future__ import annotations

import os
import re
import signal
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import numcnn
from numcnn.augment import AffineRanges
from numcnn.io import load_arrays
from numcnn.training import (
    TrainingDiverged,
    TrainingInterrupted,
    confusion_matrix,
    constant_lr,
    evaluate,
    fit,
    load_checkpoint,
    one_cycle_lr,
    split_validation,
    to_model_input,
)

SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "recognizer" / "models" / "mnist_cnn" / "model.npz"


def tiny_net(seed: int = 0, dropout: float = 0.0) -> numcnn.Sequential:
    """Conv8-Pool-Conv16-Pool-Dropout-Dense10, a small keras-example: learns MNIST digits in a second."""
    rng = np.random.default_rng(seed)
    layers = [numcnn.Normalize(0.1307, 0.3081), numcnn.Conv2D(1, 8, 3, rng=rng), numcnn.ReLU(), numcnn.MaxPool2D(2),
              numcnn.Conv2D(8, 16, 3, rng=rng), numcnn.ReLU(), numcnn.MaxPool2D(2),
              numcnn.Flatten(), numcnn.Dropout(dropout), numcnn.Dense(16 * 5 * 5, 10, rng=rng)]
    return numcnn.Sequential(layers, seed=seed)


def weights(model: numcnn.Sequential) -> dict[str, np.ndarray]:
    return {name: layer.params[key].copy() for name, layer, key in model.parameters()}


def random_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 noise images and (n,) int64 labels: enough to exercise the loop, no MNIST needed."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.int64)


# ---- pieces

def test_one_cycle_warms_up_linearly_then_decays_by_cosine_to_a_hundredth():
    total, max_lr = 1000, 3e-3
    lrs = np.array([one_cycle_lr(step, total, max_lr) for step in range(total)])
    peak = int(lrs.argmax())
    assert peak == 199 and lrs[peak] == pytest.approx(max_lr)
    np.testing.assert_allclose(np.diff(lrs[:200]), max_lr / 200)  # linear warm-up over the first 20%
    assert np.all(np.diff(lrs[200:]) < 0)
    assert lrs[-1] == pytest.approx(max_lr / 100)
    assert lrs[600] == pytest.approx(max_lr / 100 + (max_lr - max_lr / 100) * 0.5 * (1 + np.cos(np.pi * 400 / 799)))
    assert 0 < lrs[0] < max_lr / 100


def test_constant_lr():
    assert {constant_lr(step, 1e-3) for step in (0, 10, 10_000)} == {1e-3}


def test_split_validation_is_a_reproducible_partition():
    images, labels = np.arange(100)[:, None, None] * np.ones((1, 2, 2), int), np.arange(100)
    (x_train, y_train), (x_val, y_val) = split_validation(images, labels, 20, seed=3)
    assert len(y_train) == 80 and len(y_val) == 20
    assert sorted(np.concatenate([y_train, y_val])) == list(range(100))
    np.testing.assert_array_equal(x_val[:, 0, 0], y_val)  # images and labels stay paired
    assert np.all(np.diff(y_train) > 0)  # the training part keeps its order
    np.testing.assert_array_equal(split_validation(images, labels, 20, seed=3)[1][1], y_val)
    assert not np.array_equal(split_validation(images, labels, 20, seed=4)[1][1], y_val)
    with pytest.raises(ValueError, match="validation_size"):
        split_validation(images, labels, 100)


def test_to_model_input():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = to_model_input(images)
    assert x.shape == (1, 1, 2, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    counts = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), num_classes=3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])


def test_evaluate_matches_the_training_loss_and_argmax():
    model = tiny_net()
    images, labels = random_digits(50)
    result = evaluate(model, images, labels, batch_size=16)
    logits = model.forward(to_model_input(images))
    assert result.loss == pytest.approx(numcnn.SoftmaxCrossEntropy().forward(logits, labels), rel=1e-5)
    np.testing.assert_array_equal(result.predictions, logits.argmax(axis=1))
    assert result.accuracy == pytest.approx(np.mean(logits.argmax(axis=1) == labels))


# ---- the loop

def test_short_training_on_mnist_clearly_learns(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    model = tiny_net()
    optimizer = numcnn.Adam(model)
    steps = 3 * 63  # 3 epochs of 2000 images in batches of 32
    history = fit(model, optimizer, (x_train[:2000], y_train[:2000]), (x_test[:1000], y_test[:1000]), epochs=3,
                  batch_size=32, lr_schedule=partial(one_cycle_lr, total_steps=steps, max_lr=1e-2), progress=False)
    assert [record["epoch"] for record in history] == [1, 2, 3]
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["val_acc"] > 0.9
    assert history[-1]["lr"] == pytest.approx(1e-4)
    assert all(record["images_per_s"] > 0 and record["seconds"] > 0 for record in history)


def train_small(tmp_path: Path, interrupt_at_step: int | None = None, seed: int = 0) -> numcnn.Sequential:
    """2 epochs of a tiny net with dropout and augmentation on 200 noise images (7 batches per epoch).

    With ``interrupt_at_step``, the learning-rate schedule sends Ctrl-C to this process at that global step,
    as a user would; the loop then stops before the next step and saves a checkpoint.
    """
    model = tiny_net(seed, dropout=0.3)
    optimizer = numcnn.Adam(model)
    steps = 2 * 7

    def schedule(step: int) -> float:
        if step == interrupt_at_step:
            os.kill(os.getpid(), signal.SIGINT)
        return one_cycle_lr(step, steps, 3e-3)

    fit(model, optimizer, random_digits(200, seed=1), random_digits(30, seed=2), epochs=2, batch_size=32,
        lr_schedule=schedule, seed=seed, augment_ranges=AffineRanges(), checkpoint_path=str(tmp_path / "ckpt.npz"),
        progress=False)
    return model


@pytest.mark.parametrize("interrupt_at_step", [3, 6])  # mid-epoch, and during an epoch's last step
def test_ctrl_c_then_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path, interrupt_at_step):
    uninterrupted = weights(train_small(tmp_path / "a"))

    with pytest.raises(TrainingInterrupted, match="checkpoint saved to") as stop:
        train_small(tmp_path / "b", interrupt_at_step=interrupt_at_step)
    saved = load_arrays(stop.value.checkpoint_path)[1]
    assert (saved["epoch"], saved["step"]) == divmod(interrupt_at_step + 1, 7)

    model = tiny_net(0, dropout=0.3)  # a fresh process would rebuild the model like this, then load
    optimizer = numcnn.Adam(model)
    state = load_checkpoint(stop.value.checkpoint_path, model, optimizer)
    history = fit(model, optimizer, random_digits(200, seed=1), random_digits(30, seed=2), epochs=2, batch_size=32,
                  lr_schedule=partial(one_cycle_lr, total_steps=14, max_lr=3e-3), seed=0,
                  augment_ranges=AffineRanges(), checkpoint_path=stop.value.checkpoint_path, state=state,
                  progress=False)
    assert [record["epoch"] for record in history] == [1, 2]
    resumed = weights(model)
    for name in uninterrupted:
        np.testing.assert_array_equal(resumed[name], uninterrupted[name], err_msg=name)


def test_fixed_seed_reproduces_a_run_and_another_seed_does_not(tmp_path):
    first, second = weights(train_small(tmp_path / "a")), weights(train_small(tmp_path / "b"))
    other = weights(train_small(tmp_path / "c", seed=1))
    assert all(np.array_equal(first[name], second[name]) for name in first)
    assert not all(np.array_equal(first[name], other[name]) for name in first)


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    model = tiny_net()
    checkpoint = tmp_path / "ckpt.npz"
    after_epoch_1 = {}

    def poison_after_first_epoch(record: dict) -> None:
        after_epoch_1.update(weights(model))
        model.layers[-1].params["weight"][0, 0] = np.nan  # the next forward pass gives a NaN loss

    with pytest.raises(TrainingDiverged, match=rf"loss became nan at epoch 2, step 1/4 .*last good checkpoint "
                                               rf"is kept in {re.escape(str(checkpoint))}.*lower learning rate"):
        fit(model, numcnn.Adam(model), random_digits(100), None, epochs=3, batch_size=32,
            checkpoint_path=str(checkpoint), progress=False, on_epoch_end=[poison_after_first_epoch])
    fresh = tiny_net(seed=5)
    state = load_checkpoint(str(checkpoint), fresh, numcnn.Adam(fresh))
    assert (state.epoch, state.step, len(state.history)) == (1, 0, 1)
    for name, value in weights(fresh).items():
        np.testing.assert_array_equal(value, after_epoch_1[name])


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    model = tiny_net()
    fit(model, numcnn.Adam(model), random_digits(40), None, epochs=1, batch_size=20,
        checkpoint_path=str(tmp_path / "ckpt.npz"), progress=False)
    other = numcnn.zoo.build("keras-example")
    with pytest.raises(ValueError, match=r"ckpt.npz: the checkpoint's layers.1.weight does not fit this model"):
        load_checkpoint(str(tmp_path / "ckpt.npz"), other, numcnn.Adam(other))


# ---- the shipped model

def test_shipped_model_reads_99_4_percent_of_the_mnist_test_set_and_rejects_under_half_a_percent(mnist):
    """The target is 99.5%; the 11-class model reads 99.43% (README), so this guards what it does."""
    if not SHIPPED_MODEL.is_file():
        pytest.skip(f"{SHIPPED_MODEL} not there yet (produced by scripts/train_recognizer.py)")
    model = numcnn.load(str(SHIPPED_MODEL))
    _, (x_test, y_test) = mnist
    result = evaluate(model, x_test, y_test)
    not_a_digit = float((result.predictions == 10).mean())  # the 11th class
    assert result.accuracy >= 0.994, f"shipped model: test accuracy {result.accuracy:.2%}"
    assert not_a_digit < 0.005, f"shipped model: {not_a_digit:.2%} of MNIST test digits called not a digit"
