"""Where datasets come from: a data directory, a user cache, or the public origin.

Every loader asks `fetch(dataset)` for a local path and gets one only after the
data passed the dataset's own verification. The search order is

    1. the data directory: the `data_dir=` argument (the models' `--data-dir`
       flag passes it), else the environment variable TFCORE_DATA;
       a file found there is verified and used, never modified;
    2. the user cache: TFCORE_CACHE, else ~/.cache/tfcore;
    3. the public origin, downloaded with pooch into the cache.

A download goes to a private staging directory inside the cache, is verified
there, and only then is moved into place with `os.replace` (atomic on one file
system). So an interrupted or corrupt download never leaves a file that a later
run could mistake for good data: the staging directory is always removed.

A corrupt copy in the data directory is refused with an error naming the file
and the failed check (we never fall back silently: the user put it there on
purpose). A copy in the cache that fails verification is never deleted: the
user may have copied it there (the "not found" message suggests it), or put
notes beside it, and offline nothing could replace it. It is moved aside to
`NAME.rejected-<UTC time>` next to where it was, every file in it kept, and
the message says where it went; then the dataset is fetched again (or, when
offline, the error names the rejected copy). tfcore deletes only files it
wrote itself: its own staging directories.

Set TFCORE_OFFLINE=1 to forbid every network access (it wins over
`download=True`), or pass `download=False`; a missing dataset then fails at
once with a message saying where to put it. Nothing else in tfcore.data opens a
connection: a data package's descriptor may only name files in its own folder.

The layout is the same in the data directory and in the cache:

    mnist.npz
    global-temp/datapackage.json, global-temp/data/monthly.csv, .../annual.csv
    scipy-data/face.dat
"""

import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

DATA_ENV = "TFCORE_DATA"
CACHE_ENV = "TFCORE_CACHE"
OFFLINE_ENV = "TFCORE_OFFLINE"
STALE_SECONDS = 24 * 3600


class DataError(Exception):
    """Base class of the data loaders' errors."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No local copy of a dataset, and it could not be downloaded."""


class DataVerificationError(DataError, ValueError):
    """A dataset file exists but failed verification (hash, structure, shapes)."""


@dataclass(frozen=True)
class Dataset:
    """How to find, download and verify one dataset.

    `path` is relative to the data directory (and to the cache). `verify`
    receives the local path and raises DataVerificationError saying what failed.
    `origins` are tried in order; by default each is one file saved as `path`,
    while a custom `download(url, staging)` (a data package of several files)
    must leave the dataset at `staging / path`.
    """

    name: str
    path: str
    origins: Sequence[str]
    verify: Callable[[pathlib.Path], None]
    download: Optional[Callable[[str, pathlib.Path], None]] = None
    help: str = ""
    folder: bool = False  # the dataset is a folder (a data package), not one file


def sha256(path, chunk_size=1 << 20):
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def data_directory(explicit=None):
    """The data directory: `explicit`, else $TFCORE_DATA, else None."""
    chosen = explicit if explicit is not None else os.environ.get(DATA_ENV) or None
    return pathlib.Path(chosen).expanduser() if chosen else None


def cache_dir():
    """The user cache: $TFCORE_CACHE, else ~/.cache/tfcore (created on demand)."""
    chosen = os.environ.get(CACHE_ENV) or os.path.join("~", ".cache", "tfcore")
    return pathlib.Path(chosen).expanduser()


def downloads_allowed(download=None):
    """False when $TFCORE_OFFLINE is set to a true value (it wins over everything), else `download`
    if given, else True."""
    if offline():
        return False
    return True if download is None else bool(download)


def offline():
    """True when $TFCORE_OFFLINE forbids every network access."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def download_file(url, target, timeout=60):
    """Download `url` to the file `target` with pooch's HTTP downloader (never when offline)."""
    if offline():
        raise DataNotFoundError(f"{url}: not downloaded, {OFFLINE_ENV} forbids network access")
    import pooch  # imported here: only downloads need it (and requests)

    downloader = pooch.HTTPDownloader(progressbar=sys.stderr.isatty(), timeout=timeout)
    downloader(url, str(target), None)


def fetch(dataset, data_dir=None, download=None):
    """Return a verified local path of `dataset` (see the module docstring for the order)."""
    tried = []
    directory = data_directory(data_dir)
    if directory is not None:
        source = "data_dir argument" if data_dir is not None else DATA_ENV
        candidate = directory / dataset.path
        if candidate.exists():
            _check_kind(dataset, candidate, f"the data directory ({source})")
            _verify_or_raise(dataset, candidate, f"the data directory ({source})")
            return candidate
        tried.append(f"data directory ({source}): {candidate} does not exist")
    else:
        tried.append(f"data directory: none given (no data_dir argument, {DATA_ENV} unset)")

    cache = cache_dir()
    cached = cache / dataset.path
    if cached.exists():
        try:
            _check_kind(dataset, cached, "the cache")
            dataset.verify(cached)
            return cached
        except DataVerificationError as err:
            # Moved aside, never deleted: it may hold the user's files (see the docstring).
            kept = _set_aside(cached)
            tried.append(f"cache: {cached} failed verification ({err}); it was moved, "
                         f"untouched, to {kept}")
    else:
        tried.append(f"cache ({CACHE_ENV} or ~/.cache/tfcore): {cached} does not exist")

    if not downloads_allowed(download):
        tried.append(f"download: disabled ({OFFLINE_ENV} is set or download=False)")
    else:
        for url in dataset.origins:
            try:
                return _download_verified(dataset, url, cache)
            except DataVerificationError as err:
                tried.append(f"download {url}: downloaded but failed verification, deleted ({err})")
            except Exception as err:  # network errors come from requests, urllib3, OSError...
                tried.append(f"download {url}: failed ({type(err).__name__}: {_first_line(err)})")

    raise DataNotFoundError(_not_found_message(dataset, directory, cached, tried))


def _check_kind(dataset, path, where):
    """A folder where a file belongs (or the reverse) is refused by name, not by a traceback."""
    if path.is_dir() != dataset.folder:
        raise DataVerificationError(
            f"{dataset.name}: {path} in {where} is a {'folder' if path.is_dir() else 'file'}; "
            f"expected a {'folder' if dataset.folder else 'file'}. Move it away or replace it.")


def _verify_or_raise(dataset, path, where):
    try:
        dataset.verify(path)
    except DataVerificationError as err:
        raise DataVerificationError(
            f"{dataset.name}: the copy in {where} at {path} is refused: {err}. "
            f"Replace it with a good copy, or remove it to use the cache or a download."
        ) from None


def _download_verified(dataset, url, cache):
    cache.mkdir(parents=True, exist_ok=True)
    # A process killed mid-download leaves its staging directory behind; it can
    # never be mistaken for data, but it wastes space. A day is far longer than
    # any download, so another process's live staging directory is not touched.
    for stale in cache.glob(".partial-*"):
        if time.time() - stale.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".partial-", dir=cache))
    try:
        staged = staging / dataset.path
        if dataset.download is None:
            staged.parent.mkdir(parents=True, exist_ok=True)
            download_file(url, staged)
        else:
            dataset.download(url, staging)
        dataset.verify(staged)
        final = cache / dataset.path
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staged, final)
        except OSError:
            # Another process finished first (a directory target is not replaced):
            # keep its copy if it verifies.
            dataset.verify(final)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _set_aside(path):
    """Rename a rejected cache copy to `NAME.rejected-<UTC time>[-k]` beside it; return the new path.

    A rename within one folder moves nothing on disk and keeps every file inside;
    the suffix counts up rather than overwrite an earlier rejected copy.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for attempt in range(1000):
        target = path.with_name(f"{path.name}.rejected-{stamp}" + (f"-{attempt}" if attempt else ""))
        if target.exists() or target.is_symlink():
            continue
        try:
            os.rename(path, target)
            return target
        except FileExistsError:
            continue
        except OSError as err:  # a read-only cache: then the copy simply stays where it is
            raise DataVerificationError(
                f"{path} failed verification and could not be moved aside ({err.strerror}); "
                f"move or replace it yourself") from None
    raise DataVerificationError(f"{path} failed verification; too many rejected copies beside it")


def _first_line(err):
    text = str(err).strip().splitlines()
    return text[0][:200] if text else ""


def _not_found_message(dataset, directory, cached, tried):
    lines = [f"{dataset.name} ({dataset.path}) was not found and could not be downloaded.", "Tried:"]
    lines += [f"  - {entry}" for entry in tried]
    where = f"{directory / dataset.path}" if directory is not None else f"DIR/{dataset.path}"
    lines += [
        "To use a local copy, put it at " + where + " and either pass data_dir=DIR "
        f"(models: --data-dir DIR) or set {DATA_ENV}=DIR; or copy it into the cache at {cached}.",
    ]
    if dataset.help:
        lines.append(dataset.help)
    return "\n".join(lines)
