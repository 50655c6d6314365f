"""MNIST, and any dataset stored in MNIST's IDX layout, loaded as NumPy arrays.

`load_mnist()` looks for the four standard files, in this order:

1. the `data_dir` argument (`--data-dir` in the scripts);
2. the directory named by the `NUMCNN_DATA` environment variable;
3. the user cache, `$XDG_CACHE_HOME/numcnn/mnist` (default `~/.cache/numcnn/mnist`);
4. otherwise it downloads them into that cache from public mirrors of MNIST.

Each file may be gzipped or not (`train-images-idx3-ubyte` or `train-images-idx3-ubyte.gz`).

Every file is checked before use: readable gzip, IDX magic number, 28x28 images, as many
bytes as the header promises, as many labels as images. On top of that, MNIST is checked
against the MD5 of its canonical uncompressed files (0.1 s for all four).

Which files count as MNIST? Files in the cache and downloads are always MNIST. Elsewhere
(`verify=None`, the default) a directory is taken to be MNIST as soon as one of its four
files has an MNIST checksum, and then all four must have theirs: one corrupt file in a copy
of MNIST is caught. A directory where no file matches is another IDX dataset of the same
layout (Fashion-MNIST, the EMNIST digits split) and gets the structural checks only.
`verify=True` demands genuine MNIST, `verify=False` skips the checksums.
Note that EMNIST stores its images transposed; they are returned as stored.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

Split = tuple[np.ndarray, np.ndarray]

FILENAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# MD5 of the uncompressed files as published with MNIST (mirrors re-gzip them, so the .gz differ).
MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

IMAGE_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, columns)
LABEL_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)
IMAGE_SIZE = (28, 28)
DOWNLOAD_TIMEOUT_S = 30


class DataError(ValueError):
    """A dataset file is missing, unreadable or not what it claims to be."""


def load_mnist(data_dir: str | os.PathLike | None = None, verify: bool | None = None) -> tuple[Split, Split]:
    """Load MNIST (or another dataset in its IDX layout) from disk, downloading MNIST if needed.

    Inputs:
    - data_dir: directory with the four files; None searches `NUMCNN_DATA`, then the cache.
    - verify: True = must be genuine MNIST, False = skip checksums, None = decide as in the module doc.

    Returns ((x_train, y_train), (x_test, y_test)):
    - x_train: (60000, 28, 28) uint8, white digit on black; y_train: (60000,) int64
    - x_test: (10000, 28, 28) uint8; y_test: (10000,) int64
    (other datasets: their own counts). Raises DataError with what to do when something is wrong.
    """
    directory, is_cache = find_data_dir(data_dir)
    if is_cache:
        download_missing(directory)
        verify = True
    contents = {name: read_file(directory, name) for name in FILENAMES.values()}
    check_checksums(directory, contents, verify)
    files = FILENAMES
    train = parse_split(directory, contents, files["train_images"], files["train_labels"])
    test = parse_split(directory, contents, files["test_images"], files["test_labels"])
    return train, test


def find_data_dir(data_dir: str | os.PathLike | None = None) -> tuple[Path, bool]:
    """Return (directory to load from, whether it is the download cache), in the module's search order."""
    if data_dir is not None:
        return require_dir(Path(data_dir), "the data_dir argument (--data-dir)"), False
    if os.environ.get("NUMCNN_DATA"):
        return require_dir(Path(os.environ["NUMCNN_DATA"]), "the NUMCNN_DATA environment variable"), False
    return cache_dir(), True


def cache_dir() -> Path:
    """The user cache for MNIST: $XDG_CACHE_HOME/numcnn/mnist, by default ~/.cache/numcnn/mnist."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "numcnn" / "mnist"


def require_dir(path: Path, source: str) -> Path:
    if not path.is_dir():
        raise DataError(f"{path} (from {source}) is not a directory. Point it at the directory that holds "
                        f"{', '.join(FILENAMES.values())} (gzipped or not).")
    return path


def locate(directory: Path, name: str) -> Path | None:
    """The file `name` or `name.gz` in `directory`, or None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_file(directory: Path, name: str) -> bytes:
    """The uncompressed content of `name` (or `name.gz`) in `directory`."""
    path = locate(directory, name)
    if path is None:
        raise DataError(f"{directory / name} not found (nor {name}.gz). Put the four MNIST-format files "
                        f"{', '.join(FILENAMES.values())} in {directory} (gzipped or not), or point "
                        f"--data-dir / NUMCNN_DATA at the directory that holds them.")
    return read_maybe_gzipped(path)


def read_maybe_gzipped(path: Path) -> bytes:
    """File content, decompressed if it starts with the gzip signature (whatever its extension)."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        raise DataError(f"{path} is a truncated gzip file (it ends before the end of the stream), "
                        f"probably an interrupted download. Delete it and download it again.") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise DataError(f"{path} is a corrupt gzip file ({error}). Delete it and download it again.") from None


def md5(content: bytes) -> str:
    return hashlib.md5(content).hexdigest()


def check_checksums(directory: Path, contents: dict[str, bytes], verify: bool | None) -> None:
    """Raise DataError if files that should be MNIST do not have MNIST's MD5 (see the module doc)."""
    if verify is False:
        return
    digests = {name: md5(content) for name, content in contents.items()}
    matches = {name: digests[name] == MNIST_MD5[name] for name in contents}
    if verify is None and not any(matches.values()):
        return  # no file is MNIST's: another dataset in the same layout
    for name, ok in matches.items():
        if not ok:
            raise DataError(
                f"{locate(directory, name) or directory / name}: the MD5 of its uncompressed content is "
                f"{digests[name]}, but MNIST's {name} has {MNIST_MD5[name]}. The file is corrupt or not "
                f"MNIST: replace it with a genuine copy (delete it to re-download into the cache). "
                f"For another dataset in MNIST's format, pass verify=False.")


def parse_split(directory: Path, contents: dict[str, bytes], images_name: str, labels_name: str) -> Split:
    """Images (N, 28, 28) uint8 and labels (N,) int64 from the raw IDX contents of one split."""
    images = parse_idx(directory / images_name, contents[images_name], IMAGE_MAGIC)
    labels = parse_idx(directory / labels_name, contents[labels_name], LABEL_MAGIC)
    if images.shape[1:] != IMAGE_SIZE:
        raise DataError(f"{directory / images_name} holds {images.shape[1]}x{images.shape[2]} images; "
                        f"MNIST-format images are 28x28.")
    if len(images) != len(labels):
        raise DataError(f"{directory / images_name} holds {len(images)} images but {directory / labels_name} "
                        f"holds {len(labels)} labels; they must come in pairs from the same dataset.")
    return images, labels.astype(np.int64)


def parse_idx(path: Path, content: bytes, expected_magic: int) -> np.ndarray:
    """Decode one IDX file of unsigned bytes. Returns a writable uint8 array of the header's shape."""
    ndim = expected_magic & 0xFF
    header_size = 4 + 4 * ndim
    magic = int.from_bytes(content[:4], "big")
    if len(content) >= 4 and magic != expected_magic:
        kind = "an image" if expected_magic == IMAGE_MAGIC else "a label"
        raise DataError(f"{path} starts with magic number 0x{magic:08x}, but {kind} file in IDX format "
                        f"starts with 0x{expected_magic:08x}. It is not an IDX file of this kind "
                        f"(swapped names? an HTML error page?). Replace it with the right file.")
    if len(content) < header_size:
        raise DataError(f"{path} is only {len(content)} bytes long, too short for an IDX header. "
                        f"Replace it with a complete copy.")
    shape = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected_bytes = header_size + int(np.prod(shape))
    if len(content) != expected_bytes:
        raise DataError(f"{path} has {len(content)} bytes but its header {shape} promises {expected_bytes}. "
                        f"The file is truncated or corrupt: replace it with a complete copy.")
    return np.frombuffer(content, np.uint8, offset=header_size).reshape(shape).copy()


def download_missing(directory: Path, mirrors: tuple[str, ...] | None = None) -> None:
    """Download into `directory` each MNIST file that is not there yet, verified, trying each mirror in turn."""
    missing = [name for name in FILENAMES.values() if locate(directory, name) is None]
    for name in missing:
        directory.mkdir(parents=True, exist_ok=True)
        download_file(name, directory, MIRRORS if mirrors is None else mirrors)


def download_file(name: str, directory: Path, mirrors: tuple[str, ...]) -> Path:
    """Fetch `name`.gz from the first mirror that serves a genuine copy; returns the saved path.

    The download goes to a temporary file beside the target and is renamed into place only once
    its content has MNIST's checksum and parses, so the target is either absent or good.
    """
    target = directory / f"{name}.gz"
    failures = []
    for mirror in mirrors:
        url = f"{mirror}{name}.gz"
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                fetch(url, out)
            check_download(temp, name)
            os.replace(temp, target)
            return target
        except (OSError, http.client.HTTPException, DataError) as error:  # HTTPException: connection cut mid-file
            failures.append(f"  {url}: {error}")
        finally:
            temp.unlink(missing_ok=True)
    raise DataError(f"Could not download {name} from any mirror:\n" + "\n".join(failures) +
                    f"\nWithout internet access, copy the four MNIST files {', '.join(FILENAMES.values())} "
                    f"(gzipped or not) into {directory}, or point --data-dir / NUMCNN_DATA at a directory "
                    f"that holds them.")


def fetch(url: str, out) -> None:
    """Stream `url` into the open binary file `out`, with a progress bar."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], leave=False) as bar:
            while chunk := response.read(1 << 16):
                out.write(chunk)
                bar.update(len(chunk))


def check_download(path: Path, name: str) -> None:
    """Raise DataError unless the downloaded `path` holds MNIST's `name` (its MD5 proves it)."""
    content = read_maybe_gzipped(path)
    if md5(content) != MNIST_MD5[name]:
        raise DataError(f"downloaded content has MD5 {md5(content)}, expected {MNIST_MD5[name]}")

