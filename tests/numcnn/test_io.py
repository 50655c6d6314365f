"""Model and checkpoint files: exact round trips, atomic saves, and every kind of bad file refused with a
ValueError that names the file and the problem, without ever unpickling."""
import copy
import json
import os
import pickle

import numpy as np
import pytest

import numcnn
from numcnn.io import HEADER_KEY, load_arrays, save_arrays_atomic


class CreatesMarker:
    """A pickle payload that, when unpickled, creates a file: proof that a loader ran code from the file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def images(n=5, seed=0):
    return np.random.default_rng(seed).random((n, 1, 28, 28), dtype=np.float32)


@pytest.fixture
def model_path(tmp_path):
    """A saved keras-example model with non-zero biases and nested meta."""
    model = numcnn.zoo.build("keras-example", seed=3)
    for _, layer, key in model.parameters():
        layer.params[key] += np.float32(0.01)
    model.meta["notes"] = {"accuracy": 0.99, "epochs": [1, 2], "command": "train.py --epochs 2", "none": None}
    path = tmp_path / "model.npz"
    model.save(path)
    return path


def contents(path):
    """(arrays, header) read straight from the .npz, independently of numcnn.io."""
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    return arrays, json.loads(arrays.pop(HEADER_KEY).tobytes())


def write(path, arrays, header):
    """Write a model file by hand (np.savez pickles object arrays, as an attacker's file would)."""
    payload = dict(arrays)
    payload[HEADER_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **payload)


def refused(path, *fragments):
    """Loading ``path`` raises a ValueError naming the file and containing every fragment; returns the message."""
    with pytest.raises(ValueError) as error:
        numcnn.load(path)
    message = str(error.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message
    return message


# --- round trips --------------------------------------------------------------------------------------


@pytest.mark.parametrize("architecture", ["keras-example", "default"])
def test_round_trip_gives_identical_predictions(architecture, tmp_path):
    model = numcnn.zoo.build(architecture, seed=5)
    model.meta["test_accuracy"] = 0.9912
    path = tmp_path / "model.npz"
    model.save(str(path))
    loaded = numcnn.load(path)
    assert type(loaded) is numcnn.Sequential
    assert loaded.input_shape == (1, 28, 28) and loaded.meta == model.meta
    assert [repr(layer) for layer in loaded.layers] == [repr(layer) for layer in model.layers]
    for (name, layer, key), (_, original, _) in zip(loaded.parameters(), model.parameters()):
        assert layer.params[key].dtype == np.float32
        np.testing.assert_array_equal(layer.params[key], original.params[key], err_msg=name)
    np.testing.assert_array_equal(loaded.predict_proba(images()), model.predict_proba(images()))


def test_meta_and_biases_survive(model_path):
    loaded = numcnn.load(model_path)
    assert loaded.meta["notes"] == {"accuracy": 0.99, "epochs": [1, 2], "command": "train.py --epochs 2", "none": None}
    assert loaded.meta["architecture"] == "keras-example"
    assert np.all(loaded.layers[1].params["bias"] == np.float32(0.01))


def test_loaded_model_trains_independently_of_the_file(model_path):
    loaded = numcnn.load(model_path)
    before = model_path.read_bytes()
    loaded.layers[1].params["weight"] += 1.0
    assert model_path.read_bytes() == before
    again = numcnn.load(model_path)
    assert not np.array_equal(again.layers[1].params["weight"], loaded.layers[1].params["weight"])


def test_save_creates_the_directory(tmp_path):
    path = tmp_path / "runs" / "first" / "model.npz"
    numcnn.zoo.build("seed").save(path)
    assert numcnn.load(path).meta == {"architecture": "seed"}


def test_arrays_and_header_round_trip(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, 2], dtype=np.int64),
              "c": np.ones((2, 2), dtype=np.float64)[:, :1]}
    header = {"epoch": 3, "history": [0.5, 0.25], "name": "résumé"}
    save_arrays_atomic(tmp_path / "checkpoint.npz", arrays, header)
    loaded, loaded_header = load_arrays(tmp_path / "checkpoint.npz")
    assert loaded_header == header and set(loaded) == set(arrays)
    for name, value in arrays.items():
        assert loaded[name].dtype == value.dtype
        np.testing.assert_array_equal(loaded[name], value)


def test_scalars_and_optimizer_state_round_trip(tmp_path):
    model = numcnn.Sequential([numcnn.Flatten(), numcnn.Dense(4, 2, rng=np.random.default_rng(0))],
                              input_shape=(1, 2, 2))
    optimizer = numcnn.Adam(model, lr=0.01)
    for _, layer, key in model.parameters():
        layer.grads[key] = np.ones_like(layer.params[key])
    optimizer.step()
    save_arrays_atomic(tmp_path / "checkpoint.npz", optimizer.state_dict(), {})
    state, _ = load_arrays(tmp_path / "checkpoint.npz")
    assert state["steps"].shape == () and state["lr"].shape == ()
    resumed = numcnn.Adam(copy.deepcopy(model), lr=0.5)
    resumed.load_state_dict(state)
    assert resumed.steps == 1 and resumed.lr == 0.01


# --- atomic saves -------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "ctrl-c"])
def test_failed_save_keeps_the_previous_file_and_leaves_no_temp_file(failure, model_path, monkeypatch):
    before = model_path.read_bytes()

    def savez_that_dies_halfway(file, *args, **kwargs):
        file.write(before[:1000])  # a half-written zip
        raise failure

    monkeypatch.setattr(np, "savez", savez_that_dies_halfway)
    with pytest.raises(type(failure)):
        numcnn.zoo.build("seed").save(model_path)
    monkeypatch.undo()
    assert model_path.read_bytes() == before
    assert os.listdir(model_path.parent) == ["model.npz"]
    assert numcnn.load(model_path).meta["architecture"] == "keras-example"


def test_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    def savez_that_fails(file, *args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez", savez_that_fails)
    with pytest.raises(OSError):
        numcnn.zoo.build("seed").save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_save_replaces_an_existing_file(model_path):
    numcnn.zoo.build("seed").save(model_path)
    assert numcnn.load(model_path).meta["architecture"] == "seed"
    assert os.listdir(model_path.parent) == ["model.npz"]


# --- damaged files ------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        numcnn.load(tmp_path / "nothing.npz")


@pytest.mark.parametrize("keep", [0.0, 0.001, 0.5, 0.99, -1], ids=["empty", "first-bytes", "half", "99%", "last-byte"])
def test_truncated_file(keep, model_path):
    data = model_path.read_bytes()
    model_path.write_bytes(data[:int(keep * len(data))] if keep >= 0 else data[:-1])
    refused(model_path, "truncated or corrupt")


def test_corrupt_weight_bytes(model_path):
    data = bytearray(model_path.read_bytes())
    middle = len(data) // 2  # inside the Dense weights, the bulk of the file
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    model_path.write_bytes(bytes(data))
    refused(model_path, "corrupt")


def test_corrupt_zip_directory(model_path):
    data = bytearray(model_path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # first central-directory record; compression method at offset 10
    data[entry + 10:entry + 12] = (99).to_bytes(2, "little")
    model_path.write_bytes(bytes(data))
    refused(model_path, "corrupt")


def test_not_a_zip_file(model_path):
    model_path.write_text("<html><body>404 Not Found</body></html>\n")
    message = refused(model_path)
    assert "pickle" not in message and "not" in message


def test_npy_file_instead_of_npz(model_path):
    with open(model_path, "wb") as f:
        np.save(f, np.zeros(3, dtype=np.float32))
    refused(model_path)


def test_npz_without_header(model_path):
    np.savez(model_path, weight=np.zeros(3))
    refused(model_path, f"not a numcnn file (no {HEADER_KEY} entry)")


@pytest.mark.parametrize("raw, problem", [(b"\xff\xfe{", "corrupt header"), (b"{'format': 1", "corrupt header"),
                                          (b"[1, 2]", "corrupt header (expected a JSON object)")])
def test_corrupt_header(raw, problem, model_path):
    arrays, _ = contents(model_path)
    np.savez(model_path, **arrays, **{HEADER_KEY: np.frombuffer(raw, dtype=np.uint8)})
    refused(model_path, problem)


# --- files that read, but do not describe a valid model -----------------------------------------------


def rewrite(path, edit_header=None, edit_arrays=None):
    arrays, header = contents(path)
    if edit_header:
        edit_header(header)
    if edit_arrays:
        edit_arrays(arrays)
    write(path, arrays, header)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_wrong_format_version(version, model_path):
    rewrite(model_path, lambda h: h.update(version=version))
    refused(model_path, f"model format version {version!r} is not supported", "reads version 1")


def test_not_a_model_file(model_path):
    rewrite(model_path, lambda h: h.update(format="numcnn-checkpoint"))
    refused(model_path, "not a numcnn model file (format 'numcnn-checkpoint')")


def test_unknown_layer_type(model_path):
    rewrite(model_path, lambda h: h["layers"][3].update(type="BatchNorm2D"))
    refused(model_path, "layer 3 has unknown type 'BatchNorm2D'", "Conv2D")


def test_layer_type_that_is_not_a_layer(model_path):
    rewrite(model_path, lambda h: h["layers"][3].update(type="Sequential"))
    refused(model_path, "layer 3 has unknown type 'Sequential'")


@pytest.mark.parametrize("config", [{"kernel_size": 0}, {"strides": 2}, {"kernel_size": "3"}])
def test_invalid_layer_config(config, model_path):
    rewrite(model_path, lambda h: h["layers"][1]["config"].update(config))
    refused(model_path, "layer 1 (Conv2D) has an invalid config")


def test_no_layers(model_path):
    rewrite(model_path, lambda h: h.update(layers=[]))
    refused(model_path, "no layer list")


@pytest.mark.parametrize("input_shape", [[3, 28, 28], [1, 28], None])
def test_inconsistent_architecture(input_shape, model_path):
    rewrite(model_path, lambda h: h.update(input_shape=input_shape))
    refused(model_path, "inconsistent architecture")


def test_shape_mismatched_weights(model_path):
    def shrink(arrays):
        arrays["layers.4.weight"] = arrays["layers.4.weight"][:, :16]
    rewrite(model_path, edit_arrays=shrink)
    refused(model_path, "layers.4.weight has shape (64, 16, 3, 3), but the architecture needs (64, 32, 3, 3)")


def test_missing_weights(model_path):
    rewrite(model_path, edit_arrays=lambda arrays: arrays.pop("layers.9.bias"))
    refused(model_path, "weights do not match the architecture", "missing ['layers.9.bias']")


def test_extra_weights(model_path):
    rewrite(model_path, edit_arrays=lambda arrays: arrays.update({"layers.3.weight": np.zeros(2, np.float32)}))
    refused(model_path, "weights do not match the architecture", "unexpected ['layers.3.weight']")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(bad, model_path):
    def poison(arrays):
        arrays["layers.1.weight"][0, 0, 1, 2] = bad
    rewrite(model_path, edit_arrays=poison)
    refused(model_path, "layers.1.weight must hold finite floating-point values")


def test_integer_weights(model_path):
    def to_int(arrays):
        arrays["layers.9.bias"] = np.zeros(10, dtype=np.int32)
    rewrite(model_path, edit_arrays=to_int)
    refused(model_path, "layers.9.bias must hold finite floating-point values")


def test_complex_weights(model_path):
    def to_complex(arrays):
        arrays["layers.9.bias"] = np.zeros(10, dtype=np.complex64)
    rewrite(model_path, edit_arrays=to_complex)
    refused(model_path, "array 'layers.9.bias' has unsupported dtype complex64")


def test_config_cannot_reach_constructor_only_arguments(model_path):
    rewrite(model_path, lambda h: h["layers"][9]["config"].update(rng=1))
    refused(model_path, "layer 9 (Dense) has an invalid config")


def test_non_finite_normalization(model_path):
    rewrite(model_path, lambda h: h["layers"][0]["config"].update(mean=float("nan")))
    refused(model_path, "layer 0 (Normalize) has an invalid config")


# --- files carrying pickles: refused without running them ---------------------------------------------


def test_the_pickle_payload_is_live(tmp_path):
    """Guard for the two tests below: unpickling this payload really does create the marker file."""
    marker = tmp_path / "ran.txt"
    pickle.loads(pickle.dumps(CreatesMarker(marker))).close()
    assert marker.exists()


def test_pickled_weights_are_refused_without_unpickling(model_path, tmp_path):
    marker = tmp_path / "code-ran.txt"

    def smuggle(arrays):
        arrays["layers.1.weight"] = np.array([CreatesMarker(marker)], dtype=object)
    rewrite(model_path, edit_arrays=smuggle)
    refused(model_path, "refused", "pickle")
    assert not marker.exists()


def test_raw_pickle_file_is_refused_without_unpickling(model_path, tmp_path):
    marker = tmp_path / "code-ran.txt"
    model_path.write_bytes(pickle.dumps({"weights": CreatesMarker(marker)}))
    refused(model_path, "refused", "pickle")
    assert not marker.exists()


def test_load_arrays_refuses_pickles_too(tmp_path):
    marker = tmp_path / "code-ran.txt"
    path = tmp_path / "checkpoint.npz"
    write(path, {"state": np.array([CreatesMarker(marker)], dtype=object)}, {})
    with pytest.raises(ValueError, match="pickle"):
        load_arrays(path)
    assert not marker.exists()
