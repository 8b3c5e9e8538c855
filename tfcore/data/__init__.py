"""Datasets as NumPy arrays, from a data directory, a verified cache or the origin.

See `cache.py` for where files are looked for and how downloads are kept safe;
each loader's module says how its data is verified.
"""

from tfcore.data.cache import (
    DataError,
    DataNotFoundError,
    DataVerificationError,
    cache_dir,
    data_directory,
)
from tfcore.data.face import load_face, to_gray
from tfcore.data.global_temp import (
    GlobalTempSnapshotWarning,
    load_global_temp,
    make_windows,
    scale_series,
    unscale_series,
)
from tfcore.data.mnist import load_mnist, one_hot, scale_images
from tfcore.data.synthetic import classification, synthetic
