"""Shared test setup.

* The data directory: tests read the staged datasets from `../shared/data`
  (read-only) unless `TFCORE_DATA` is already set; caches go to a temp dir.
* tf-keras oracle tests are marked `keras` and run in their own pytest process
  with `TF_USE_LEGACY_KERAS=1` (see README); a module-level guard in
  `tests/oracle.py` skips them with a clear reason in a process without it.
"""

import os
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

if "TFCORE_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["TFCORE_DATA"] = str(SHARED_DATA)


@pytest.fixture
def rng():
    return np.random.RandomState(1234)


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    # Never write into the (possibly read-only) data directory or the user's cache.
    if "TFCORE_CACHE" not in os.environ:
        monkeypatch.setenv("TFCORE_CACHE", str(tmp_path_factory.getbasetemp() / "tfcore-cache"))
