"""numcnn.data: real MNIST, and every error path on small hand-made IDX files. Never touches the network."""
from __future__ import annotations

import gzip
import io
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from numcnn import data
from numcnn.data import FILENAMES, IMAGE_MAGIC, LABEL_MAGIC, DataError, load_mnist


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    """IDX encoding of a uint8 array: big-endian magic, one 4-byte size per dimension, then the bytes."""
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_dataset(directory: Path, n_train: int = 6, n_test: int = 4, gzipped: bool = True, seed: int = 0) -> dict:
    """Write a tiny MNIST-format dataset (random pixels, not MNIST) and return its arrays by file name."""
    rng = np.random.default_rng(seed)
    arrays = {
        FILENAMES["train_images"]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        FILENAMES["train_labels"]: rng.integers(0, 10, n_train, dtype=np.uint8),
        FILENAMES["test_images"]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        FILENAMES["test_labels"]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        write_file(directory, name, idx_bytes(array, IMAGE_MAGIC if array.ndim == 3 else LABEL_MAGIC), gzipped)
    return arrays


def write_file(directory: Path, name: str, content: bytes, gzipped: bool = True) -> Path:
    for stale in (directory / name, directory / f"{name}.gz"):
        stale.unlink(missing_ok=True)
    path = directory / (f"{name}.gz" if gzipped else name)
    path.write_bytes(gzip.compress(content) if gzipped else content)
    return path


# ---- real MNIST

def test_real_mnist_shapes_dtypes_labels_and_checksums(mnist_dir):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_dir, verify=True)  # raises unless every MD5 matches
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert y_train.dtype == y_test.dtype == np.int64
    for labels in (y_train, y_test):
        assert set(np.unique(labels)) == set(range(10))
    assert x_train.max() == 255 and x_train.min() == 0
    # MNIST is white digit on black: the border pixels are background.
    assert x_train[:, 0, :].mean() < 1 and x_train[:, 14, 14].mean() > 50


def test_numcnn_data_environment_variable_is_used(mnist_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("NUMCNN_DATA", str(mnist_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the cache must not be touched
    (_, y_train), _ = load_mnist()
    assert len(y_train) == 60000
    assert not any(tmp_path.iterdir())


# ---- small hand-made datasets

@pytest.mark.parametrize("gzipped", [True, False])
def test_other_idx_dataset_loads_without_checksums(tmp_path, gzipped):
    arrays = write_dataset(tmp_path, gzipped=gzipped)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    np.testing.assert_array_equal(x_train, arrays[FILENAMES["train_images"]])
    np.testing.assert_array_equal(y_train, arrays[FILENAMES["train_labels"]])
    np.testing.assert_array_equal(x_test, arrays[FILENAMES["test_images"]])
    np.testing.assert_array_equal(y_test, arrays[FILENAMES["test_labels"]])
    assert y_train.dtype == np.int64 and x_train.flags.writeable


def test_data_dir_that_is_not_a_directory(tmp_path):
    with pytest.raises(DataError, match="is not a directory"):
        load_mnist(tmp_path / "nowhere")


def test_missing_file_is_named(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / f"{FILENAMES['test_labels']}.gz").unlink()
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte not found .*Put the four"):
        load_mnist(tmp_path)


def test_truncated_gzip(tmp_path):
    write_dataset(tmp_path)
    path = tmp_path / f"{FILENAMES['train_images']}.gz"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz is a truncated gzip file"):
        load_mnist(tmp_path)


def test_corrupt_gzip(tmp_path):
    write_dataset(tmp_path)
    path = tmp_path / f"{FILENAMES['train_labels']}.gz"
    raw = bytearray(path.read_bytes())
    raw[12:20] = b"\xff" * 8  # inside the deflate stream
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz is (a corrupt|a truncated) gzip file"):
        load_mnist(tmp_path)


def test_wrong_magic_number(tmp_path):
    arrays = write_dataset(tmp_path)
    labels_as_images = idx_bytes(arrays[FILENAMES["test_labels"]], LABEL_MAGIC)
    write_file(tmp_path, FILENAMES["test_images"], labels_as_images)  # a label file under an image file's name
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte starts with magic number 0x00000801"):
        load_mnist(tmp_path)


def test_html_page_instead_of_idx(tmp_path):
    write_dataset(tmp_path)
    write_file(tmp_path, FILENAMES["train_labels"], b"<html><body>404 Not Found</body></html>", gzipped=False)
    with pytest.raises(DataError, match="magic number"):
        load_mnist(tmp_path)


def test_file_shorter_than_its_header_promises(tmp_path):
    arrays = write_dataset(tmp_path)
    content = idx_bytes(arrays[FILENAMES["train_images"]], IMAGE_MAGIC)
    write_file(tmp_path, FILENAMES["train_images"], content[:-28])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte has \d+ bytes but its header"):
        load_mnist(tmp_path)


def test_file_shorter_than_a_header(tmp_path):
    write_dataset(tmp_path)
    write_file(tmp_path, FILENAMES["test_labels"], b"\x00\x00\x08")
    with pytest.raises(DataError, match="too short for an IDX header"):
        load_mnist(tmp_path)


def test_image_and_label_counts_must_match(tmp_path):
    write_dataset(tmp_path, n_train=6)
    write_file(tmp_path, FILENAMES["train_labels"], idx_bytes(np.zeros(5, np.uint8), LABEL_MAGIC))
    with pytest.raises(DataError, match="holds 6 images but .*train-labels-idx1-ubyte holds 5 labels"):
        load_mnist(tmp_path)


def test_images_must_be_28x28(tmp_path):
    write_dataset(tmp_path)
    write_file(tmp_path, FILENAMES["test_images"], idx_bytes(np.zeros((4, 20, 20), np.uint8), IMAGE_MAGIC))
    with pytest.raises(DataError, match="holds 20x20 images"):
        load_mnist(tmp_path)


def test_verify_true_rejects_data_that_is_not_mnist(tmp_path):
    write_dataset(tmp_path)
    with pytest.raises(DataError, match=r"the MD5 of its uncompressed content is [0-9a-f]{32}, but MNIST's"):
        load_mnist(tmp_path, verify=True)
    load_mnist(tmp_path, verify=False)  # the same files pass the structural checks


def test_copy_of_mnist_with_one_corrupt_file_is_caught(tmp_path, mnist_dir):
    """One genuine MNIST file marks the directory as MNIST, so a damaged sibling fails its checksum."""
    write_dataset(tmp_path)
    genuine = data.locate(mnist_dir, FILENAMES["test_labels"])
    (tmp_path / genuine.name).write_bytes(genuine.read_bytes())
    for stale in tmp_path.glob(f"{FILENAMES['test_labels']}*"):
        if stale.name != genuine.name:
            stale.unlink()
    with pytest.raises(DataError, match="train-images-idx3-ubyte.*MD5.*corrupt or not MNIST"):
        load_mnist(tmp_path)


# ---- downloads, with a fake opener instead of the network

class FakeResponse(io.BytesIO):
    """What urllib.request.urlopen returns, serving ``content``; optionally fails after ``fail_after`` bytes."""

    def __init__(self, content: bytes, fail_after: int | None = None) -> None:
        super().__init__(content)
        self.headers = {"Content-Length": str(len(content))}
        self.fail_after = fail_after

    def read(self, size: int = -1) -> bytes:
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        return super().read(size)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def use_empty_cache(monkeypatch, tmp_path) -> Path:
    monkeypatch.delenv("NUMCNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "numcnn" / "mnist"


def test_no_network_says_where_to_put_the_files(monkeypatch, tmp_path):
    cache = use_empty_cache(monkeypatch, tmp_path)
    urls = []

    def offline(url, timeout):
        urls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match=r"(?s)Could not download .*name resolution.*copy the four MNIST files") as info:
        load_mnist()
    assert str(cache) in str(info.value)
    assert len(urls) == len(data.MIRRORS)  # every mirror was tried
    assert list(cache.iterdir()) == []  # no partial file left behind


def test_failed_download_leaves_no_partial_file_and_next_mirror_is_tried(monkeypatch, tmp_path, mnist_dir):
    cache = use_empty_cache(monkeypatch, tmp_path)
    cache.mkdir(parents=True)
    for name in list(FILENAMES.values())[:3]:  # only the test labels are missing
        (cache / f"{name}.gz").symlink_to(data.locate(mnist_dir, name))
    genuine = gzip.compress(data.read_file(mnist_dir, FILENAMES["test_labels"]))
    responses = [FakeResponse(genuine, fail_after=4096),        # first mirror: connection cut mid-file
                 FakeResponse(b"<html>moved</html>"),           # second: not MNIST
                 FakeResponse(genuine)]                         # third: good
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: responses.pop(0))
    (_, _), (x_test, y_test) = load_mnist()
    assert len(y_test) == 10000 and not responses
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{name}.gz" for name in FILENAMES.values())


def test_all_mirrors_failing_mid_download_leaves_nothing(monkeypatch, tmp_path, mnist_dir):
    cache = use_empty_cache(monkeypatch, tmp_path)
    genuine = gzip.compress(data.read_file(mnist_dir, FILENAMES["test_labels"]))
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: FakeResponse(genuine, fail_after=100))
    with pytest.raises(DataError, match="connection reset by peer"):
        load_mnist()
    assert list(cache.iterdir()) == []
