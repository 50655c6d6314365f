"""Model and checkpoint files: one ``.npz`` of plain arrays plus a JSON header, never pickle.

A model file holds ``layers.<i>.<key>`` weight arrays and ``__header__.json`` (UTF-8 bytes stored as a uint8
array) describing the architecture, the input shape, free-form ``meta`` and the format version:

    {"format": "numcnn-model", "version": 1, "input_shape": [1, 28, 28],
     "layers": [{"type": "Normalize", "config": {"mean": 0.1307, "std": 0.3081}}, ...], "meta": {...}}

Every load is validated, and every failure is a ValueError naming the file and the problem. Saves go to a
temporary file in the same directory and are renamed into place, so an interrupted save never leaves a
half-written file.
"""
from __future__ import annotations

import inspect
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import numpy as np

from numcnn.layers import LAYER_TYPES
from numcnn.model import Sequential

MODEL_FORMAT = "numcnn-model"
MODEL_VERSION = 1
HEADER_KEY = "__header__.json"


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing; on success it is flushed and renamed onto ``path``
    in one step, on any error removed. So a reader never sees a half-written model, checkpoint or figure.

        with atomic_write("run/history.json", "w") as f:
            json.dump(history, f)
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes it private; what we save is an ordinary file
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_arrays_atomic(path: str | os.PathLike, arrays: dict[str, np.ndarray], header: dict) -> None:
    """Write numeric ``arrays`` and a JSON-serializable ``header`` to ``path`` (.npz), atomically."""
    payload = {name: np.asarray(value) for name, value in arrays.items()}
    payload[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    with atomic_write(path) as f:
        np.savez(f, **payload)


def load_arrays(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by ``save_arrays_atomic`` -> (arrays, header). Never unpickles anything."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            if f.read(1) == b"\x80":  # the opcode every pickle (protocol >= 2) starts with
                raise ValueError(f"{path}: refused, this is a Python pickle and loading it could run arbitrary "
                                 "code; numcnn files hold plain arrays only")
        raise ValueError(f"{path}: truncated or corrupt file, or not a numcnn .npz at all; re-save or re-download it")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except ValueError as error:
        if "pickle" in str(error):
            raise ValueError(f"{path}: refused, the file contains pickled Python objects and loading them "
                             "could run arbitrary code; numcnn files hold plain arrays only") from None
        raise ValueError(f"{path}: not a readable numcnn .npz file ({error})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, NotImplementedError) as error:
        raise ValueError(f"{path}: truncated or corrupt file, not a readable .npz ({error}); "
                         "re-save or re-download it") from None
    if HEADER_KEY not in arrays:
        raise ValueError(f"{path}: not a numcnn file (no {HEADER_KEY} entry)")
    try:
        header = json.loads(arrays.pop(HEADER_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: corrupt header ({error})") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: corrupt header (expected a JSON object)")
    for name, value in arrays.items():
        if value.dtype.kind not in "fiub":
            raise ValueError(f"{path}: array {name!r} has unsupported dtype {value.dtype}")
    return arrays, header


def save_model(model: Sequential, path: str | os.PathLike) -> None:
    """Save architecture, weights and meta of ``model`` to ``path`` (.npz), atomically."""
    header = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "input_shape": list(model.input_shape),
        "layers": [{"type": type(layer).__name__, "config": layer.config()} for layer in model.layers],
        "meta": model.meta,
    }
    arrays = {name: layer.params[key] for name, layer, key in model.parameters()}
    save_arrays_atomic(path, arrays, header)


def load_model(path: str | os.PathLike) -> Sequential:
    """Load a model saved by ``Sequential.save``; every inconsistency is a ValueError naming the file."""
    path = os.fspath(path)
    arrays, header = load_arrays(path)
    if header.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: not a numcnn model file (format {header.get('format')!r})")
    if header.get("version") != MODEL_VERSION:
        raise ValueError(f"{path}: model format version {header.get('version')!r} is not supported; this "
                         f"numcnn reads version {MODEL_VERSION} (upgrade numcnn or re-save the model)")
    model = _build(path, header)
    expected = {name: layer.params[key] for name, layer, key in model.parameters()}
    missing, unexpected = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{path}: weights do not match the architecture (missing {missing}, "
                         f"unexpected {unexpected})")
    for name, layer, key in model.parameters():
        value = arrays[name]
        if value.shape != expected[name].shape:
            raise ValueError(f"{path}: {name} has shape {value.shape}, but the architecture needs "
                             f"{expected[name].shape}")
        if value.dtype.kind != "f" or not np.isfinite(value).all():
            raise ValueError(f"{path}: {name} must hold finite floating-point values")
        layer.params[key] = value.astype(np.float32)
    return model


def _build(path: str, header: dict) -> Sequential:
    specs = header.get("layers")
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"{path}: header has no layer list")
    layers = []
    for index, spec in enumerate(specs):
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in LAYER_TYPES:
            raise ValueError(f"{path}: layer {index} has unknown type {kind!r} "
                             f"(known: {', '.join(sorted(LAYER_TYPES))})")
        config = spec.get("config", {})
        allowed = set(inspect.signature(LAYER_TYPES[kind]).parameters) - {"rng"}
        if not isinstance(config, dict) or not set(config) <= allowed:
            raise ValueError(f"{path}: layer {index} ({kind}) has an invalid config {config!r} "
                             f"(allowed keys: {', '.join(sorted(allowed))})")
        try:
            layers.append(LAYER_TYPES[kind](**config))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: layer {index} ({kind}) has an invalid config {config!r}: {error}") from None
    meta = header.get("meta", {})
    try:
        return Sequential(layers, input_shape=tuple(header["input_shape"]), meta=meta if isinstance(meta, dict) else {})
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: inconsistent architecture: {error}") from None
