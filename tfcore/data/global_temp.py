"""Monthly global temperature anomalies: the `global-temp` data package.

The Frictionless data package `core/global-temp` (datahub.io; GitHub
`datasets/global-temp`) holds `data/monthly.csv` with columns
`Source,Year,Mean`: Source is `gcag` (NOAA Climate at a Glance, base = 20th
century mean) or `GISTEMP` (NASA, base 1951-1980), Year is `YYYY-MM`, Mean is
the anomaly in degrees Celsius. The descriptor is read as JSON and the CSV with
Python's `csv` module: a data package library would follow a URL in the
descriptor (network access even with TFCORE_OFFLINE=1) and would invent a day
of the month for the `YYYY-MM` dates; we parse them ourselves and sort by date.

Verification. The upstream series is revised every month (NOAA re-estimates
recent anomalies), so a copy downloaded today cannot be held to a fixed hash.
A copy is accepted when its structure is right: the descriptor opens and names
only files inside its folder (no URL, no absolute path, no `..`), each file has
the `bytes` and `hash` the descriptor declares (when it declares them), the
`monthly` resource has the schema and columns Source, Year, Mean, every Year is
a valid `YYYY-MM` from 1850 on, every Mean is a finite number within +-5
degrees C, no (source, month) repeats, and there are GCAG rows. A copy whose files equal the snapshot staged for this project
(SHA-256 below) is the "pinned" snapshot that the documented figures come
from; any other accepted copy gives a GlobalTempSnapshotWarning on load, and
`pinned=True` refuses it.

For the LSTM example:

    windows:  X[i] = s[i : i + w],  y[i] = s[i + w],   i = 0 .. n - w - 1
    scaling:  s' = a + (s - min) (b - a) / (max - min)   into (a, b) = (-1, 1)
"""

import csv
import hashlib
import json
import math
import pathlib
import re
import urllib.parse
import warnings

import numpy as np

from tfcore.data.cache import Dataset, DataVerificationError, download_file, fetch, sha256

ORIGINS = (
    "https://datahub.io/core/global-temp/datapackage.json",
    "https://raw.githubusercontent.com/datasets/global-temp/main/datapackage.json",
)
# The snapshot staged for this project (datasets/global-temp at commit 80921494).
PINNED_SHA256 = {
    "datapackage.json": "e2cab41fb8d41f9d28d8c073c9a854aadfd791b4575841b5d35c27e5b2381d75",
    "data/monthly.csv": "b21c8bfd6a775b04f1c42cc70c91e95246b06570391a8f5dec0b9f31888658f1",
}
COLUMNS = ["Source", "Year", "Mean"]
# What a monthly row may hold: the instrumental record starts in 1850, and
# global monthly anomalies stay within about +-2 degrees C of any base period.
PLAUSIBLE_YEARS = (1850, 2100)
PLAUSIBLE_ANOMALY = (-5.0, 5.0)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class GlobalTempSnapshotWarning(UserWarning):
    """The global-temp copy is valid but not the pinned snapshot: figures may differ."""


def parse_month(text, what="date"):
    """'YYYY-MM' -> (year, month); ValueError otherwise."""
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{what} must be 'YYYY-MM', got {text!r}")
    return int(match.group(1)), int(match.group(2))


def _read_monthly(directory):
    """Rows of the monthly resource as (source, 'YYYY-MM', mean), checking everything first.

    The descriptor is read as plain JSON and checked by `_monthly_file` before
    any data file is opened: a path may only name a file inside `directory`
    (no URL, which a data package library would download, no absolute path, no
    `..`), and the declared `bytes`, `hash` and schema must match.
    """
    monthly = _monthly_file(directory)
    try:
        with open(monthly, newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataVerificationError(f"{monthly}: not a readable CSV file ({err})") from None
    headers = table[0] if table else []
    if headers != COLUMNS:
        raise DataVerificationError(f"{directory}: monthly columns are {headers}, expected {COLUMNS}")
    rows, seen = [], set()
    for line, row in enumerate(table[1:], start=2):
        if len(row) != 3:
            raise DataVerificationError(f"{directory}: monthly.csv line {line} has {len(row)} fields, expected 3")
        source, month, mean = (str(value).strip() for value in row)
        try:
            year, _ = parse_month(month, what=f"monthly.csv line {line} Year")
        except ValueError as err:
            raise DataVerificationError(f"{directory}: {err} (Mean {mean!r})") from None
        try:
            value = float(mean)
        except ValueError:
            raise DataVerificationError(
                f"{directory}: monthly.csv line {line} Mean is {mean!r}, not a number") from None
        if not math.isfinite(value):
            raise DataVerificationError(f"{directory}: monthly.csv line {line} Mean is {mean!r}")
        if not (PLAUSIBLE_YEARS[0] <= year <= PLAUSIBLE_YEARS[1] and
                PLAUSIBLE_ANOMALY[0] <= value <= PLAUSIBLE_ANOMALY[1]):
            raise DataVerificationError(
                f"{directory}: monthly.csv line {line} ({source},{month},{mean}) is implausible: "
                f"years {PLAUSIBLE_YEARS[0]}..{PLAUSIBLE_YEARS[1]} and anomalies "
                f"{PLAUSIBLE_ANOMALY[0]}..{PLAUSIBLE_ANOMALY[1]} degrees C are accepted")
        key = (source.lower(), month)
        if key in seen:
            raise DataVerificationError(f"{directory}: monthly.csv line {line} repeats {source} {month}")
        seen.add(key)
        rows.append((source, month, value))
    if not any(source.lower() == "gcag" for source, _, _ in rows):
        raise DataVerificationError(f"{directory}: monthly.csv has no gcag rows")
    return rows


def _monthly_file(directory):
    """The `monthly` resource's file, after checking the descriptor's paths, sizes, hashes, schema."""
    descriptor = directory / "datapackage.json"
    if descriptor.is_dir():
        raise DataVerificationError(f"{descriptor}: is a folder, expected the descriptor file")
    if not descriptor.is_file():
        raise DataVerificationError(f"{descriptor}: missing")
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        resources = package["resources"]
        if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
            raise TypeError("resources is not a list of objects")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise DataVerificationError(f"{descriptor}: not a data package descriptor ({err})") from None
    for resource in resources:
        _check_resource(directory, descriptor, resource)
    monthly = [r for r in resources if r.get("name") == "monthly"]
    if not monthly:
        raise DataVerificationError(f"{descriptor}: no resource named 'monthly'")
    fields = (monthly[0].get("schema") or {}).get("fields")
    if fields is not None:
        names = [f.get("name") if isinstance(f, dict) else f for f in fields]
        types = {f.get("name"): f.get("type") for f in fields if isinstance(f, dict)}
        if names != COLUMNS or types.get("Mean", "number") != "number":
            raise DataVerificationError(
                f"{descriptor}: the monthly schema declares fields {names} (Mean: {types.get('Mean')}), "
                f"expected {COLUMNS} with Mean a number")
    return directory / monthly[0]["path"]


def _check_resource(directory, descriptor, resource):
    """A resource's `path` names a file inside `directory`, with the declared bytes and hash."""
    name, path = resource.get("name"), resource.get("path")
    if not isinstance(path, str) or not path:
        raise DataVerificationError(f"{descriptor}: resource {name!r} must have one path, got {path!r}")
    parts = pathlib.PurePosixPath(path).parts
    if urllib.parse.urlparse(path).scheme or path.startswith(("/", "\\")) or ".." in parts \
            or pathlib.PureWindowsPath(path).drive:
        raise DataVerificationError(
            f"{descriptor}: resource {name!r} path {path!r} is refused: a data package here may "
            "only name relative paths inside its own folder (no URL, no absolute path, no '..')")
    local = directory / path
    if local.is_dir():
        raise DataVerificationError(f"{local}: is a folder, expected resource {name!r}'s file")
    if not local.is_file():
        raise DataVerificationError(f"{local}: missing (resource {name!r} of {descriptor})")
    if directory.resolve() not in local.resolve().parents:  # a symlink pointing out
        raise DataVerificationError(f"{local}: resolves outside {directory}")
    declared = resource.get("bytes")
    if declared is not None and declared != local.stat().st_size:
        raise DataVerificationError(
            f"{local}: {local.stat().st_size} bytes, the descriptor declares {declared}")
    if resource.get("hash") is not None:
        algorithm, _, digest = str(resource["hash"]).rpartition(":")
        algorithm = algorithm or "md5"  # Frictionless: a bare hash is MD5
        if algorithm not in ("md5", "sha1", "sha256", "sha512"):
            raise DataVerificationError(f"{descriptor}: resource {name!r} hash algorithm {algorithm!r} unknown")
        got = hashlib.new(algorithm, local.read_bytes()).hexdigest()
        if got != digest.lower():
            raise DataVerificationError(
                f"{local}: {algorithm} is {got}, the descriptor declares {digest}")


def is_pinned(directory):
    """True when the copy's files equal the staged snapshot byte for byte."""
    return all(
        (directory / name).is_file() and sha256(directory / name) == digest
        for name, digest in PINNED_SHA256.items()
    )


def _download_package(url, staging):
    """Descriptor + its monthly and annual CSVs, stored as data/<name>.csv."""
    root = staging / "global-temp"
    (root / "data").mkdir(parents=True)
    download_file(url, root / "datapackage.json")
    try:
        descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
        resources = [r for r in descriptor["resources"] if r.get("name") in ("monthly", "annual")]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise DataVerificationError(f"{url}: not a data package descriptor ({err})") from None
    changed = len(resources) != len(descriptor["resources"])
    for resource in resources:
        if not isinstance(resource.get("path"), str):
            raise DataVerificationError(f"{url}: resource {resource['name']} has no single path")
        # Relative paths resolve against the descriptor's URL; absolute ones stay.
        local = f"data/{resource['name']}.csv"
        download_file(urllib.parse.urljoin(url, resource["path"]), root / local)
        changed = changed or resource["path"] != local
        resource["path"] = local
    if changed:
        # Only a descriptor that pointed elsewhere is rewritten: an unchanged one
        # keeps its bytes, so a copy equal to the pinned snapshot stays pinned.
        descriptor["resources"] = resources
        (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


GLOBAL_TEMP = Dataset(
    name="global-temp data package",
    path="global-temp",
    origins=ORIGINS,
    verify=_read_monthly,
    download=_download_package,
    folder=True,
    help="The directory holds datapackage.json and data/monthly.csv (datahub.io core/global-temp).",
)


def load_global_temp(data_dir=None, source="gcag", start="1880-01", end="2016-12", pinned=False, download=None):
    """One monthly anomaly series: (dates as 'YYYY-MM' strings, float64 values in degrees C).

    `source` is matched case-insensitively ('gcag' or 'GISTEMP'); `start` and
    `end` are inclusive 'YYYY-MM' bounds (None: the whole series). The chapter's
    1880-01 .. 2016-12 GCAG series has 1,644 values. `pinned=True` accepts only
    the snapshot the documented figures come from.
    """
    first = parse_month(start, "load_global_temp: start") if start is not None else None
    last = parse_month(end, "load_global_temp: end") if end is not None else None
    if first and last and first > last:
        raise ValueError(f"load_global_temp: start {start} is after end {end}")

    directory = fetch(GLOBAL_TEMP, data_dir=data_dir, download=download)
    if not is_pinned(directory):
        if pinned:
            # Not a damaged copy, so it is not deleted from the cache: only refused.
            raise DataVerificationError(
                f"{directory}: pinned=True but the files differ from the pinned snapshot "
                f"(SHA-256 of {', '.join(PINNED_SHA256)})"
            )
        warnings.warn(
            f"{directory} is a valid global-temp copy but not the pinned snapshot; "
            "figures may differ from the documented ones",
            GlobalTempSnapshotWarning,
            stacklevel=2,
        )
    rows = _read_monthly(directory)

    available = sorted({s for s, _, _ in rows})
    series = sorted((parse_month(m), m, v) for s, m, v in rows if s.lower() == str(source).lower())
    if not series:
        raise ValueError(f"load_global_temp: source {source!r} not in the data; available: {available}")
    have_first, have_last = series[0][0], series[-1][0]
    if (first and first < have_first) or (last and last > have_last):
        raise ValueError(
            f"load_global_temp: {source} covers {series[0][1]} .. {series[-1][1]}; "
            f"start={start!r}, end={end!r} is outside it"
        )
    selected = [(ym, m, v) for ym, m, v in series if (not first or ym >= first) and (not last or ym <= last)]
    for (a, _, _), (b, month, _) in zip(selected, selected[1:]):
        if b != (a[0] + (a[1] == 12), a[1] % 12 + 1):
            raise DataVerificationError(f"{directory}: {source} has a gap before {month}")
    return [m for _, m, _ in selected], np.array([v for _, _, v in selected], dtype=np.float64)


def make_windows(series, window=20):
    """Sliding windows: X (n - window, window, 1) and the next value y (n - window, 1).

    X[i] = series[i : i + window] and y[i] = series[i + window], so every value
    after the first window is a target exactly once.
    """
    values = np.asarray(series)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"make_windows: series must be 1-D (or (n, 1)), got shape {np.shape(series)}")
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"make_windows: window must be a positive int, got {window!r}")
    count = values.shape[0] - window
    if count < 1:
        raise ValueError(f"make_windows: a series of {values.shape[0]} values has no window of {window} + 1")
    inputs = np.lib.stride_tricks.sliding_window_view(values[:-1], window)
    return inputs[..., None].copy(), values[window:, None].copy()


def scale_series(series, feature_range=(-1, 1), fit_on=None):
    """Min-max scale a 1-D series: (scaled 1-D array, fitted sklearn MinMaxScaler).

    The scaler is fitted on `fit_on` (e.g. the training part, to keep validation
    values out of the min and max) or on the whole series; `unscale_series`
    inverts it.
    """
    from sklearn.preprocessing import MinMaxScaler

    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"scale_series: series must be 1-D, got shape {values.shape}")
    reference = values if fit_on is None else np.asarray(fit_on, dtype=np.float64).reshape(-1)
    scaler = MinMaxScaler(feature_range=feature_range).fit(reference.reshape(-1, 1))
    return scaler.transform(values.reshape(-1, 1))[:, 0], scaler


def unscale_series(scaled, scaler):
    """Invert `scale_series`: any shape in, the same shape out, in the original units."""
    scaled = np.asarray(scaled, dtype=np.float64)
    return scaler.inverse_transform(scaled.reshape(-1, 1)).reshape(scaled.shape)
