"""Data loaders: staged copies load and verify; bad copies are refused; downloads are safe.

Oracles: the staged files parsed independently (csv, numpy, hashlib),
scipy.datasets.face itself (in a subprocess pointed at a copy of face.dat),
direct scikit-learn calls, NumPy loops. Downloads are simulated by a local
HTTP server on 127.0.0.1 serving copies of the staged files; nothing here uses
the internet.
"""

import csv
import dataclasses
import functools
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from tfcore.data import cache as cache_module
from tfcore.data import face as face_module
from tfcore.data import global_temp as temp_module
from tfcore.data import mnist as mnist_module
from tfcore.data.cache import DataNotFoundError, DataVerificationError
from tfcore.data.face import load_face
from tfcore.data.global_temp import (
    GlobalTempSnapshotWarning,
    load_global_temp,
    make_windows,
    scale_series,
    unscale_series,
)
from tfcore.data.mnist import load_mnist, one_hot, scale_images
from tfcore.data.synthetic import classification, synthetic

README_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
README_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def staged():
    path = os.environ.get("TFCORE_DATA")
    if not path or not (pathlib.Path(path) / "mnist.npz").is_file():
        pytest.skip("the staged data directory (../shared/data or TFCORE_DATA) is not available")
    return pathlib.Path(path)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private, empty cache for this test (the conftest one is shared by the session)."""
    directory = tmp_path / "cache"
    monkeypatch.setenv("TFCORE_CACHE", str(directory))
    monkeypatch.delenv("TFCORE_OFFLINE", raising=False)
    return directory


@pytest.fixture
def empty_data_dir(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir()
    return directory


def files_under(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")) if directory.exists() else []


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/'www'; yields (root dir, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def with_origin(monkeypatch, module, attribute, url):
    dataset = getattr(module, attribute)
    monkeypatch.setattr(module, attribute, dataclasses.replace(dataset, origins=(url,)))


# ----------------------------------------------------------------------------- MNIST


def test_staged_mnist_has_keras_layout_readme_label_counts_and_the_idx_digests(staged, cache):
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == README_TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == README_TEST_COUNTS
    # Independent oracle: the arrays equal the staged file read with plain numpy.
    with np.load(staged / "mnist.npz") as f:
        np.testing.assert_array_equal(x_train, f["x_train"])
        np.testing.assert_array_equal(y_test, f["y_test"])
    # The IDX digest is hashlib over a hand-built IDX header + bytes (README values).
    header = bytes([0, 0, 8, 1]) + (10000).to_bytes(4, "big")
    assert hashlib.sha256(header + y_test.tobytes()).hexdigest() == (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    )
    assert files_under(cache) == []


def test_mnist_copy_that_differs_bytewise_but_not_in_content_is_accepted_and_data_dir_untouched(
    staged, cache, empty_data_dir
):
    with np.load(staged / "mnist.npz") as f:
        arrays = {k: f[k] for k in f.files}
    np.savez(empty_data_dir / "mnist.npz", **arrays)  # uncompressed: other bytes, same data
    assert cache_module.sha256(empty_data_dir / "mnist.npz") != cache_module.sha256(staged / "mnist.npz")
    before = files_under(empty_data_dir)
    (x_train, _), (_, y_test) = load_mnist(data_dir=empty_data_dir)
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert files_under(empty_data_dir) == before
    assert files_under(cache) == []


def test_mnist_file_with_keras_file_hash_is_accepted_without_decoding(tmp_path, monkeypatch):
    fake = tmp_path / "mnist.npz"
    fake.write_bytes(b"stands in for Keras's own file")
    monkeypatch.setattr(mnist_module, "KERAS_FILE_SHA256", hashlib.sha256(fake.read_bytes()).hexdigest())
    mnist_module.verify_mnist(fake)  # would raise "not a readable .npz" if it decoded
    monkeypatch.setattr(mnist_module, "KERAS_FILE_SHA256", "0" * 64)
    with pytest.raises(DataVerificationError, match="not a readable .npz"):
        mnist_module.verify_mnist(fake)


def test_mnist_with_one_changed_pixel_is_refused_naming_file_and_array(staged, cache, empty_data_dir):
    with np.load(staged / "mnist.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["x_test"] = arrays["x_test"].copy()
    arrays["x_test"][123, 14, 14] ^= 1
    np.savez_compressed(empty_data_dir / "mnist.npz", **arrays)
    with pytest.raises(DataVerificationError) as err:
        load_mnist(data_dir=empty_data_dir)
    message = str(err.value)
    assert str(empty_data_dir / "mnist.npz") in message and "x_test" in message and "digest" in message
    assert files_under(cache) == []


def test_mnist_with_wrong_labels_is_refused_by_label_counts(staged, cache, empty_data_dir):
    with np.load(staged / "mnist.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays["y_train"] = arrays["y_train"].copy()
    arrays["y_train"][0] = (arrays["y_train"][0] + 1) % 10
    np.savez(empty_data_dir / "mnist.npz", **arrays)
    with pytest.raises(DataVerificationError, match="y_train label counts"):
        load_mnist(data_dir=empty_data_dir)


def test_truncated_mnist_is_refused_as_unreadable(staged, cache, empty_data_dir):
    (empty_data_dir / "mnist.npz").write_bytes((staged / "mnist.npz").read_bytes()[:100000])
    with pytest.raises(DataVerificationError, match=r"mnist\.npz.*not a readable \.npz"):
        load_mnist(data_dir=empty_data_dir)
    assert files_under(cache) == []


def test_scale_images_and_one_hot_match_numpy():
    images = np.array([[0, 128, 255]], dtype=np.uint8)
    scaled = scale_images(images)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, images.astype(np.float64) / 255.0, rtol=1e-7)
    labels = np.array([3, 0, 9, 3])
    np.testing.assert_array_equal(one_hot(labels), np.eye(10, dtype=np.float32)[labels])
    with pytest.raises(ValueError, match="one_hot"):
        one_hot(np.array([10]))


# ----------------------------------------------------------------------------- global-temp


def csv_series(path, source):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Source"].lower() == source.lower()]
    rows.sort(key=lambda r: r["Year"])
    return [r["Year"] for r in rows], np.array([float(r["Mean"]) for r in rows])


def test_staged_gcag_1880_to_2016_has_1644_values_equal_to_the_csv_sorted(staged, cache):
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlobalTempSnapshotWarning)  # the staged copy is the pinned one
        dates, values = load_global_temp()
    assert len(dates) == len(values) == 1644
    assert dates[0] == "1880-01" and dates[-1] == "2016-12"
    all_dates, all_values = csv_series(staged / "global-temp" / "data" / "monthly.csv", "gcag")
    first = all_dates.index("1880-01")
    assert dates == all_dates[first : first + 1644]
    np.testing.assert_array_equal(values, all_values[first : first + 1644])
    assert files_under(cache) == []


def test_global_temp_source_is_case_insensitive_and_none_bounds_give_whole_series(staged, cache):
    dates, values = load_global_temp(source="gistemp", start=None, end=None)
    expected_dates, expected_values = csv_series(staged / "global-temp" / "data" / "monthly.csv", "GISTEMP")
    assert dates == expected_dates and len(dates) == 1728
    np.testing.assert_array_equal(values, expected_values)


def test_global_temp_bad_arguments_name_the_loader(staged, cache):
    with pytest.raises(ValueError, match="load_global_temp: start"):
        load_global_temp(start="1880-13")
    with pytest.raises(ValueError, match="outside"):
        load_global_temp(end="2999-01")
    with pytest.raises(ValueError, match="not in the data"):
        load_global_temp(source="hadcrut")


def copy_global_temp(staged, data_dir):
    shutil.copytree(staged / "global-temp", data_dir / "global-temp")
    for path in (data_dir / "global-temp").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the staged copy is read-only
    return data_dir / "global-temp" / "data" / "monthly.csv"


def test_global_temp_with_a_bad_date_is_refused_naming_the_line(staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    monthly.write_text(monthly.read_text().replace("gcag,1850-03,", "gcag,1850-3,", 1))
    with pytest.raises(DataVerificationError, match=r"global-temp.*refused.*monthly.csv line 4 Year"):
        load_global_temp(data_dir=empty_data_dir)
    assert files_under(cache) == []


def test_global_temp_with_missing_column_is_refused(staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    monthly.write_text("\n".join(line.rsplit(",", 1)[0] for line in monthly.read_text().splitlines()))
    with pytest.raises(DataVerificationError, match="refused"):
        load_global_temp(data_dir=empty_data_dir)


def test_global_temp_revised_value_is_accepted_with_warning_but_refused_when_pinned(staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    text = monthly.read_text()
    line = next(l for l in text.splitlines() if l.startswith("gcag,1880-01,"))
    monthly.write_text(text.replace(line, "gcag,1880-01,0.5"))
    with pytest.warns(GlobalTempSnapshotWarning):
        dates, values = load_global_temp(data_dir=empty_data_dir)
    assert dates[0] == "1880-01" and values[0] == 0.5
    with pytest.raises(DataVerificationError, match="pinned"):
        load_global_temp(data_dir=empty_data_dir, pinned=True)


def test_global_temp_with_a_missing_month_reports_the_gap(staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    lines = monthly.read_text().splitlines(keepends=True)
    monthly.write_text("".join(l for l in lines if not l.startswith("gcag,1900-05,")))
    with pytest.warns(GlobalTempSnapshotWarning), pytest.raises(DataVerificationError, match="gap before 1900-06"):
        load_global_temp(data_dir=empty_data_dir)
    with pytest.raises(ValueError, match="after end"):
        load_global_temp(data_dir=empty_data_dir, start="1990-01", end="1980-01")


def test_pinned_request_refuses_but_keeps_a_valid_newer_copy_in_the_cache(staged, cache, empty_data_dir):
    cache.mkdir()
    monthly = copy_global_temp(staged, cache)
    monthly.write_text(monthly.read_text().replace("gcag,1880-01,-0.3939", "gcag,1880-01,0.1", 1))
    before = files_under(cache)
    with pytest.raises(DataVerificationError, match="pinned"):
        load_global_temp(data_dir=empty_data_dir, pinned=True, download=False)
    assert files_under(cache) == before


def test_make_windows_matches_a_numpy_loop_without_off_by_one(rng):
    series = rng.randn(57)
    x, y = make_windows(series, window=20)
    expected_x = np.zeros((37, 20, 1))
    expected_y = np.zeros((37, 1))
    for i in range(37):
        expected_x[i, :, 0] = series[i : i + 20]
        expected_y[i, 0] = series[i + 20]
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    assert make_windows(np.arange(1600.0), window=20)[0].shape == (1580, 20, 1)
    with pytest.raises(ValueError, match="make_windows"):
        make_windows(np.arange(20.0), window=20)
    with pytest.raises(ValueError, match="make_windows: window"):
        make_windows(series, window=0)


def test_scale_series_matches_minmax_formula_and_inverts(rng):
    series = rng.randn(50) * 3.0 + 1.0
    scaled, scaler = scale_series(series, feature_range=(-1, 1))
    expected = -1.0 + (series - series.min()) * 2.0 / (series.max() - series.min())
    np.testing.assert_allclose(scaled, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(unscale_series(scaled[:, None], scaler)[:, 0], series, rtol=1e-12)
    train_only, _ = scale_series(series, fit_on=series[:30])
    np.testing.assert_allclose(train_only[:30].min(), -1.0)
    np.testing.assert_allclose(train_only[:30].max(), 1.0)


# ----------------------------------------------------------------------------- face


def scipy_face(tmp_path, face_dat):
    """scipy.datasets.face(gray=False/True) in a subprocess whose pooch cache holds `face_dat`."""
    xdg = tmp_path / "xdg"
    (xdg / "scipy-data").mkdir(parents=True)
    shutil.copyfile(face_dat, xdg / "scipy-data" / "face.dat")
    out = tmp_path / "scipy_face.npz"
    code = (
        "import sys, numpy as np, scipy.datasets as d;"
        "np.savez(sys.argv[1], rgb=d.face(), gray=d.face(gray=True))"
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(xdg))
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
    with np.load(out) as f:
        return f["rgb"], f["gray"]


def test_face_equals_scipy_datasets_face_in_rgb_and_gray(staged, cache, tmp_path):
    expected_rgb, expected_gray = scipy_face(tmp_path, staged / "scipy-data" / "face.dat")
    gray = load_face()
    rgb = load_face(gray=False)
    assert gray.shape == (768, 1024) and gray.dtype == np.uint8
    assert rgb.shape == (768, 1024, 3) and rgb.dtype == np.uint8 and rgb.flags.writeable
    np.testing.assert_array_equal(rgb, expected_rgb)
    np.testing.assert_array_equal(gray, expected_gray)


def test_face_with_a_flipped_byte_is_refused_by_sha256(staged, cache, empty_data_dir):
    data = bytearray((staged / "scipy-data" / "face.dat").read_bytes())
    data[1000] ^= 0xFF
    (empty_data_dir / "scipy-data").mkdir()
    (empty_data_dir / "scipy-data" / "face.dat").write_bytes(bytes(data))
    with pytest.raises(DataVerificationError, match=r"face\.dat.*SHA-256"):
        load_face(data_dir=empty_data_dir)
    assert files_under(cache) == []


# ----------------------------------------------------------------------------- offline and downloads


def test_offline_with_no_copy_says_where_to_put_the_file_and_what_was_tried(cache, empty_data_dir):
    with pytest.raises(DataNotFoundError) as err:
        load_mnist(data_dir=empty_data_dir, download=False)
    message = str(err.value)
    for needed in (str(empty_data_dir / "mnist.npz"), "TFCORE_DATA", "--data-dir", str(cache / "mnist.npz"),
                   "download: disabled"):
        assert needed in message, needed
    assert files_under(cache) == []


def test_offline_env_var_disables_downloads(cache, empty_data_dir, monkeypatch):
    monkeypatch.setenv("TFCORE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="TFCORE_OFFLINE"):
        load_face(data_dir=empty_data_dir)


def test_unreachable_origin_is_reported_with_its_url(cache, empty_data_dir, monkeypatch, server):
    _, base = server
    url = base + "/no-such/mnist.npz"  # 404 from a live local server: no internet needed
    with_origin(monkeypatch, mnist_module, "MNIST", url)
    with pytest.raises(DataNotFoundError) as err:
        load_mnist(data_dir=empty_data_dir)
    assert url in str(err.value) and "failed" in str(err.value)
    assert files_under(cache) == []


def test_download_lands_in_cache_only_after_verification(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    shutil.copyfile(staged / "mnist.npz", root / "mnist.npz")
    with_origin(monkeypatch, mnist_module, "MNIST", base + "/mnist.npz")
    (x_train, y_train), _ = load_mnist(data_dir=empty_data_dir)
    assert files_under(cache) == ["mnist.npz"]  # no staging directory left behind
    assert cache_module.sha256(cache / "mnist.npz") == cache_module.sha256(staged / "mnist.npz")
    assert np.bincount(y_train).tolist() == README_TRAIN_COUNTS
    assert files_under(empty_data_dir) == []
    # The second call is served by the cache: the origin is gone.
    (root / "mnist.npz").unlink()
    (x_again, _), _ = load_mnist(data_dir=empty_data_dir)
    np.testing.assert_array_equal(x_again, x_train)


def test_stale_staging_directories_are_swept_but_fresh_ones_kept(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    shutil.copyfile(staged / "scipy-data" / "face.dat", root / "face.dat")
    stale, fresh = cache / ".partial-old", cache / ".partial-live"
    for directory in (stale, fresh):
        directory.mkdir(parents=True)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    with_origin(monkeypatch, face_module, "FACE", base + "/face.dat")
    load_face(data_dir=empty_data_dir)
    assert files_under(cache) == [".partial-live", "scipy-data", "scipy-data/face.dat"]


def test_corrupt_download_leaves_nothing_in_the_cache(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    data = bytearray((staged / "scipy-data" / "face.dat").read_bytes())
    data[-10] ^= 0x01
    (root / "face.dat").write_bytes(bytes(data))
    with_origin(monkeypatch, face_module, "FACE", base + "/face.dat")
    with pytest.raises(DataNotFoundError, match="failed verification"):
        load_face(data_dir=empty_data_dir)
    assert files_under(cache) == []


def test_damaged_cache_copy_is_replaced_by_a_verified_download(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    shutil.copyfile(staged / "scipy-data" / "face.dat", root / "face.dat")
    (cache / "scipy-data").mkdir(parents=True)
    (cache / "scipy-data" / "face.dat").write_bytes(b"half a file")
    with_origin(monkeypatch, face_module, "FACE", base + "/face.dat")
    load_face(data_dir=empty_data_dir)
    assert cache_module.sha256(cache / "scipy-data" / "face.dat") == face_module.FACE_SHA256
    # The damaged copy is kept beside it, byte for byte, never deleted.
    rejected = [p for p in (cache / "scipy-data").iterdir() if p.name.startswith("face.dat.rejected-")]
    assert [p.read_bytes() for p in rejected] == [b"half a file"]
    assert len(files_under(cache)) == 3


def test_global_temp_download_fetches_descriptor_and_resources_into_cache(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    shutil.copytree(staged / "global-temp", root / "global-temp")
    with_origin(monkeypatch, temp_module, "GLOBAL_TEMP", base + "/global-temp/datapackage.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlobalTempSnapshotWarning)  # same bytes: still the pinned snapshot
        dates, values = load_global_temp(data_dir=empty_data_dir)
    assert files_under(cache) == [
        "global-temp", "global-temp/data", "global-temp/data/annual.csv",
        "global-temp/data/monthly.csv", "global-temp/datapackage.json",
    ]
    expected_dates, expected_values = load_global_temp(data_dir=staged)
    assert dates == expected_dates
    np.testing.assert_array_equal(values, expected_values)


def test_global_temp_download_with_broken_csv_leaves_nothing(staged, cache, empty_data_dir, monkeypatch, server):
    root, base = server
    monthly = copy_global_temp(staged, root)
    monthly.write_text(monthly.read_text().replace("gcag,1850-01,-0.6746", "gcag,1850-01,warm", 1))
    with_origin(monkeypatch, temp_module, "GLOBAL_TEMP", base + "/global-temp/datapackage.json")
    with pytest.raises(DataNotFoundError, match="failed verification"):
        load_global_temp(data_dir=empty_data_dir)
    assert files_under(cache) == []


# ----------------------------------------------------------------------------- generated data


def test_classification_equals_make_classification_with_the_documented_settings():
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    (x, y), (x_test, y_test) = classification("logistic", seed=3)
    expected_x, expected_y = make_classification(
        n_samples=500, n_features=2, n_informative=2, n_redundant=0, n_classes=2,
        n_clusters_per_class=1, random_state=3,
    )
    np.testing.assert_array_equal(x, expected_x.astype(np.float32))
    np.testing.assert_array_equal(y[:, 0], expected_y)
    assert x.dtype == y.dtype == np.float32 and x_test.shape == (0, 2) and y_test.shape == (0, 1)

    (x_train, y_train), (x_test, y_test) = classification("mlp", seed=5)
    mx, my = make_classification(
        n_samples=1000, n_features=3, n_informative=3, n_redundant=0, n_classes=2,
        n_clusters_per_class=3, random_state=5,
    )
    ex_train, ex_test, ey_train, ey_test = train_test_split(mx, my, test_size=0.2, random_state=5)
    np.testing.assert_array_equal(x_train, ex_train.astype(np.float32))
    np.testing.assert_array_equal(y_test[:, 0], ey_test)
    assert x_train.shape == (800, 3) and x_test.shape == (200, 3)
    with pytest.raises(ValueError, match="classification: kind"):
        classification("svm")


def test_default_logistic_problem_reaches_the_chapter_loss_with_the_chapter_settings():
    # NumPy gradient descent, lr 0.025, 5000 steps from zero (the chapter's recipe).
    (x, y), _ = classification("logistic")
    x, y = x.astype(np.float64), y[:, 0].astype(np.float64)
    w, b = np.zeros(2), 0.0
    for _ in range(5000):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= 0.025 * x.T @ (p - y) / len(y)
        b -= 0.025 * np.mean(p - y)
    p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert abs(loss - 0.26) < 0.02  # the chapter reports ~0.26


def test_default_mlp_problem_gives_the_chapter_logistic_baseline():
    from sklearn.linear_model import LogisticRegression

    (x_train, y_train), (x_test, y_test) = classification("mlp")
    score = LogisticRegression().fit(x_train, y_train[:, 0]).score(x_test, y_test[:, 0])
    assert abs(score - 0.715) < 0.03  # the chapter reports ~0.715


@pytest.mark.parametrize("x_shape,x_values,y_shape,y_values", [
    ((28, 28, 1), ("uniform", 0.0, 1.0), (10,), ("one_hot",)),
    ((20, 1), ("uniform", -1.0, 1.0), (1,), ("uniform", -1.0, 1.0)),
    ((3,), ("normal", 0.0, 1.0), (1,), ("integers", 0, 2)),
    ((7, 5, 1), ("integers", 0, 256), None, None),
])
def test_synthetic_arrays_have_the_asked_shapes_ranges_and_seed(x_shape, x_values, y_shape, y_values):
    x, y = synthetic(500, x_shape, x_values, y_shape, y_values, seed=7)
    assert x.shape == (500,) + x_shape and x.dtype == np.float32
    assert (y is None) == (y_shape is None)
    for array, values in ((x, x_values), (y, y_values)):
        if array is None:
            continue
        kind = values[0]
        if kind in ("uniform", "integers"):
            assert values[1] <= array.min() and array.max() < values[2]
        if kind == "integers":
            np.testing.assert_array_equal(array, np.round(array))
            assert len(np.unique(array)) == min(values[2] - values[1], array.size)
        if kind == "normal":  # 1,500 draws: mean within 4 standard errors, std within 10%
            assert abs(array.mean() - values[1]) < 4 * values[2] / np.sqrt(array.size)
            assert abs(array.std() / values[2] - 1) < 0.1
        if kind == "one_hot":
            np.testing.assert_array_equal(array.sum(axis=-1), 1.0)
            assert set(np.unique(array)) == {0.0, 1.0}
    again, _ = synthetic(500, x_shape, x_values, y_shape, y_values, seed=7)
    other, _ = synthetic(500, x_shape, x_values, y_shape, y_values, seed=8)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)


@pytest.mark.parametrize("args,match", [
    ((0, (3,), ("normal", 0, 1)), "n must be a positive int"),
    ((4, (3, 0), ("normal", 0, 1)), "x_shape must be"),
    ((4, (3,), ("gamma", 1, 1)), "x_values must be one of"),
    ((4, (3,), ("uniform", 0)), "x_values must be one of"),
    ((4, (3,), ("uniform", 0, 1), (1,), "one_hot"), "y_values must be one of"),
])
def test_synthetic_rejects_bad_arguments_naming_them(args, match):
    with pytest.raises(ValueError, match="synthetic: " + match):
        synthetic(*args)


# ----------------------------------------------------------------------------- faults: offline,
# descriptors that point elsewhere, declared sizes and hashes, implausible rows, broken archives

@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (the oracle for 'offline means offline')."""
    import socket

    attempts = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise AssertionError("network access to %r while offline" % (address,))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setenv("TFCORE_OFFLINE", "1")
    return attempts


def descriptor_with(data_dir, change):
    path = data_dir / "global-temp" / "datapackage.json"
    package = json.loads(path.read_text())
    monthly = next(r for r in package["resources"] if r["name"] == "monthly")
    change(monthly)
    path.write_text(json.dumps(package))
    return monthly


@pytest.mark.parametrize("path", [
    "https://example.com/global-temp/monthly.csv", "http://127.0.0.1:9/monthly.csv",
    "file:///etc/passwd", "/etc/passwd", "../../monthly.csv", "data/../../outside.csv",
])
def test_an_offline_loader_with_a_url_or_an_outside_path_in_its_descriptor_is_refused(
        staged, cache, empty_data_dir, no_network, path):
    copy_global_temp(staged, empty_data_dir)
    descriptor_with(empty_data_dir, lambda r: r.update(path=path))
    with pytest.raises(DataVerificationError, match=r"refused.*only name relative paths inside"):
        load_global_temp(data_dir=empty_data_dir)
    assert no_network == []


def test_offline_env_wins_over_download_true_and_no_request_reaches_the_origin(
        cache, empty_data_dir, monkeypatch, server):
    root, base = server
    (root / "face.dat").write_bytes(b"x")
    requests = []
    handler = http.server.SimpleHTTPRequestHandler
    monkeypatch.setattr(handler, "do_GET", lambda self: requests.append(self.path))
    with_origin(monkeypatch, face_module, "FACE", base + "/face.dat")
    monkeypatch.setenv("TFCORE_OFFLINE", "1")
    with pytest.raises(DataNotFoundError, match="TFCORE_OFFLINE"):
        load_face(data_dir=empty_data_dir, download=True)
    assert requests == []


def test_declared_bytes_and_hash_are_checked_and_a_matching_declaration_is_accepted(
        staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    size, digest = monthly.stat().st_size, hashlib.sha256(monthly.read_bytes()).hexdigest()
    md5 = hashlib.md5(monthly.read_bytes()).hexdigest()
    for declared in ({"bytes": size, "hash": "sha256:" + digest}, {"hash": md5}):
        descriptor_with(empty_data_dir, lambda r: r.update(declared))
        with pytest.warns(temp_module.GlobalTempSnapshotWarning):  # the descriptor changed
            dates, _ = load_global_temp(data_dir=empty_data_dir)
        assert dates[0] == "1880-01"
    for declared, message in (({"bytes": size + 1}, "bytes, the descriptor declares"),
                              ({"bytes": size, "hash": "sha256:" + "0" * 64}, "sha256 is"),
                              ({"hash": "crc99:abc"}, "unknown")):
        descriptor_with(empty_data_dir, lambda r: (r.pop("hash", None), r.update(declared)))
        with pytest.raises(DataVerificationError, match=message):
            load_global_temp(data_dir=empty_data_dir)


def test_a_descriptor_whose_schema_differs_from_the_csv_is_refused(staged, cache, empty_data_dir):
    copy_global_temp(staged, empty_data_dir)
    descriptor_with(empty_data_dir, lambda r: r["schema"]["fields"][2].update(type="string"))
    with pytest.raises(DataVerificationError, match="schema declares"):
        load_global_temp(data_dir=empty_data_dir)


@pytest.mark.parametrize("row, line", [("gcag,1850-02,42.0", 3), ("gcag,1850-02,-7", 3),
                                       ("gcag,1850-02,1e300", 3)])
def test_implausible_values_are_refused_naming_the_row(staged, cache, empty_data_dir, row, line):
    monthly = copy_global_temp(staged, empty_data_dir)
    lines = monthly.read_text().splitlines()
    assert lines[line - 1].startswith("gcag,1850-02,")
    lines[line - 1] = row
    monthly.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataVerificationError, match=r"line %d \(%s\) is implausible" % (line, row)):
        load_global_temp(data_dir=empty_data_dir)


def test_a_year_before_the_instrumental_record_is_refused(staged, cache, empty_data_dir):
    monthly = copy_global_temp(staged, empty_data_dir)
    monthly.write_text(monthly.read_text().replace("gcag,1850-02,", "gcag,1250-02,", 1))
    with pytest.raises(DataVerificationError, match=r"line 3 \(gcag,1250-02,.*implausible"):
        load_global_temp(data_dir=empty_data_dir)


def small_npz(path, compressed=True):
    arrays = {"x_train": np.arange(4000, dtype=np.uint8).reshape(5, 800),
              "y_train": np.zeros(5, np.uint8), "x_test": np.ones((2, 3), np.uint8),
              "y_test": np.zeros(2, np.uint8)}
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


def damage_npz(path, where):
    data = bytearray(path.read_bytes())
    if where == "inside a deflate stream":
        start = data.index(b"x_train.npy") + len(b"x_train.npy") + 40
        for i in range(start, start + 30):
            data[i] ^= 0x5A
    elif where == "the central directory":
        end = data.rindex(b"PK\x05\x06")
        data[end - 30:end] = b"\x00" * 30
    elif where == "cut in half":
        data = data[:len(data) // 2]
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("where", ["inside a deflate stream", "the central directory", "cut in half"])
def test_every_archive_decoding_failure_is_a_verification_error_naming_the_file(tmp_path, where):
    path = small_npz(tmp_path / "mnist.npz")
    damage_npz(path, where)
    with pytest.raises(DataVerificationError, match=r"mnist.npz: not a readable .npz archive"):
        mnist_module._read_npz(path)


@pytest.mark.parametrize("relative", ["mnist.npz", "scipy-data/face.dat", "global-temp/datapackage.json",
                                      "global-temp/data/monthly.csv"])
def test_a_folder_where_a_file_belongs_is_a_clear_error(staged, cache, empty_data_dir, relative):
    if relative.startswith("global-temp"):
        copy_global_temp(staged, empty_data_dir)
        (empty_data_dir / relative).unlink()
    (empty_data_dir / relative).mkdir(parents=True)
    loader = {"mnist.npz": load_mnist, "scipy-data/face.dat": load_face}.get(relative, load_global_temp)
    with pytest.raises(DataVerificationError, match="is a folder"):
        loader(data_dir=empty_data_dir)


def test_a_file_where_the_global_temp_folder_belongs_is_a_clear_error(cache, empty_data_dir):
    (empty_data_dir / "global-temp").write_text("not a folder")
    with pytest.raises(DataVerificationError, match="is a file; expected a folder"):
        load_global_temp(data_dir=empty_data_dir, download=False)
