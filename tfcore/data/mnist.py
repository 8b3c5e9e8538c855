"""MNIST handwritten digits in the Keras `mnist.npz` layout.

    x_train (60000, 28, 28) uint8 in 0..255   y_train (60000,) uint8 in 0..9
    x_test  (10000, 28, 28) uint8             y_test  (10000,) uint8

Verification. Copies of `mnist.npz` differ byte-wise (zip timestamps,
compression), so the file hash only identifies Keras's own download. What is
canonical is the data: each array, written back as the original IDX file
(big-endian header: two zero bytes, type code 0x08 for uint8, the number of
dimensions, then each dimension as a uint32, followed by the raw bytes), has the
SHA-256 that public MNIST loaders pin for the decompressed IDX files. A copy is
accepted when its shapes, dtypes and label counts are right and those four
digests match, or when it is byte-identical to Keras's file.

Scaling for a network: `scale_images` gives float32 in [0, 1], `one_hot` gives
float32 one-hot rows (y[i, label] = 1).
"""

import hashlib
import math
import struct
import zipfile
import zlib

import numpy as np

from tfcore.data.cache import Dataset, DataVerificationError, fetch, sha256

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# From tf_keras/src/datasets/mnist.py (load_data's file_hash).
KERAS_FILE_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
# SHA-256 of the decompressed IDX files (train-images-idx3-ubyte, ...).
IDX_SHA256 = {
    "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
LABEL_COUNTS = {
    "y_train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "y_test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}


def idx_sha256(array):
    """SHA-256 of `array` serialised as an IDX file (the format MNIST is published in)."""
    if array.dtype != np.uint8:
        raise TypeError(f"idx_sha256: expected a uint8 array, got {array.dtype}")
    header = struct.pack(">HBB", 0, 0x08, array.ndim)
    header += b"".join(struct.pack(">I", size) for size in array.shape)
    return hashlib.sha256(header + np.ascontiguousarray(array).tobytes()).hexdigest()


def _check_declared_sizes(path):
    """Each array's header must declare no more bytes than its file holds, checked before
    anything is allocated: a damaged header claiming a huge shape is refused, not a MemoryError."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    with zipfile.ZipFile(path) as archive:
        for key in SHAPES:
            if key + ".npy" not in archive.namelist():
                continue  # reported as missing by the caller
            info = archive.getinfo(key + ".npy")
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version not in readers:
                    continue  # np.load refuses (or reads) it itself
                shape, _, dtype = readers[version](member)
                declared = math.prod(shape) * dtype.itemsize
                if declared > info.file_size - member.tell():
                    raise DataVerificationError(
                        f"{path}: array {key} declares shape {shape} of {dtype} ({declared:,} bytes) "
                        f"but its file holds {info.file_size - member.tell():,} bytes")


def _read_npz(path):
    try:
        _check_declared_sizes(path)
        with np.load(path, allow_pickle=False) as archive:
            missing = sorted(set(SHAPES) - set(archive.files))
            if missing:
                raise DataVerificationError(f"{path}: missing arrays {missing}")
            return {key: archive[key] for key in SHAPES}
    except DataVerificationError:
        raise
    except (OSError, ValueError, EOFError, KeyError, NotImplementedError, RuntimeError,
            zipfile.BadZipFile, zlib.error) as err:
        # zip structure, zlib streams, CRCs, npy headers: every decoding failure is one error.
        raise DataVerificationError(
            f"{path}: not a readable .npz archive ({type(err).__name__}: {err})") from None


def check_arrays(arrays, where="mnist.npz"):
    """Raise DataVerificationError unless `arrays` are the MNIST data (see module docstring)."""
    for key, shape in SHAPES.items():
        array = arrays[key]
        if array.shape != shape or array.dtype != np.uint8:
            raise DataVerificationError(
                f"{where}: {key} has shape {array.shape} dtype {array.dtype}, expected {shape} uint8"
            )
    for key, expected in LABEL_COUNTS.items():
        counts = tuple(int(c) for c in np.bincount(arrays[key], minlength=10))
        if counts != expected:
            raise DataVerificationError(f"{where}: {key} label counts {counts}, expected {expected}")
    for key, expected in IDX_SHA256.items():
        got = idx_sha256(arrays[key])
        if got != expected:
            raise DataVerificationError(
                f"{where}: {key} content digest (IDX SHA-256) is {got}, expected {expected}"
            )


def verify_mnist(path):
    """Accept Keras's file by its hash; otherwise verify the decoded arrays."""
    if path.stat().st_size > 0 and sha256(path) == KERAS_FILE_SHA256:
        return
    check_arrays(_read_npz(path), where=str(path))


MNIST = Dataset(
    name="MNIST",
    path="mnist.npz",
    origins=(KERAS_URL,),
    verify=verify_mnist,
    help="Any mnist.npz with the Keras layout whose arrays equal the original IDX data is accepted.",
)


def load_mnist(data_dir=None, download=None):
    """MNIST as uint8 NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

    `data_dir` overrides $TFCORE_DATA; `download=False` forbids network access
    (default: allowed unless $TFCORE_OFFLINE is set). The file is verified
    before it is read.
    """
    path = fetch(MNIST, data_dir=data_dir, download=download)
    arrays = _read_npz(path)
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def scale_images(images):
    """uint8 pixels 0..255 -> float32 in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / np.float32(255.0)


def one_hot(labels, num_classes=10):
    """Integer labels (n,) -> float32 one-hot rows (n, num_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"one_hot: labels must be 1-D, got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must be in [0, {num_classes}), got {labels.min()}..{labels.max()}")
    encoded = np.zeros((labels.shape[0], num_classes), dtype=np.float32)
    encoded[np.arange(labels.shape[0]), labels.astype(np.int64)] = 1.0
    return encoded
