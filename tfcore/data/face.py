"""SciPy's raccoon face: `face.dat`, a bz2-compressed raw RGB image.

    rgb  = frombuffer(bz2.decompress(face.dat), uint8).reshape(768, 1024, 3)
    gray = uint8(0.21 R + 0.71 G + 0.07 B)          (SciPy's luminance weights)

The conversion truncates toward zero as `astype('uint8')` does, so `load_face`
returns exactly what `scipy.datasets.face(gray=...)` returns. The file is the
one SciPy's dataset registry pins, so it is verified by its SHA-256.
"""

import bz2

import numpy as np

from tfcore.data.cache import Dataset, DataVerificationError, fetch, sha256

FACE_URL = "https://raw.githubusercontent.com/scipy/dataset-face/main/face.dat"
# From scipy/datasets/_registry.py (scipy 1.17.1).
FACE_SHA256 = "9d8b0b4d081313e2b485748c770472e5a95ed1738146883d84c7030493e82886"
FACE_SHAPE = (768, 1024, 3)


def verify_face(path):
    got = sha256(path)
    if got != FACE_SHA256:
        raise DataVerificationError(f"{path}: SHA-256 is {got}, expected SciPy's {FACE_SHA256}")


FACE = Dataset(
    name="SciPy face image",
    path="scipy-data/face.dat",
    origins=(FACE_URL,),
    verify=verify_face,
    help="A copy from SciPy's own cache (~/.cache/scipy-data/face.dat) is the same file.",
)


def to_gray(rgb):
    """RGB uint8 (..., 3) -> gray uint8 with SciPy's luminance weights (truncated)."""
    rgb = np.asarray(rgb)
    if rgb.shape[-1:] != (3,):
        raise ValueError(f"to_gray: expected a last axis of size 3 (RGB), got shape {rgb.shape}")
    return (0.21 * rgb[..., 0] + 0.71 * rgb[..., 1] + 0.07 * rgb[..., 2]).astype(np.uint8)


def load_face(data_dir=None, gray=True, download=None):
    """The raccoon face as uint8: (768, 1024) if `gray`, else (768, 1024, 3) RGB."""
    path = fetch(FACE, data_dir=data_dir, download=download)
    try:
        with open(path, "rb") as f:
            raw = bz2.decompress(f.read())
        rgb = np.frombuffer(raw, dtype=np.uint8).reshape(FACE_SHAPE)
    except (OSError, ValueError, EOFError) as err:  # changed since it was verified
        raise DataVerificationError(f"{path}: not a bz2 RGB image of {FACE_SHAPE} ({err})") from None
    # frombuffer gives a read-only view of `raw`; callers expect an ordinary array.
    return to_gray(rgb) if gray else rgb.copy()
