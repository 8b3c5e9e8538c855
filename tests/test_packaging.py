"""Packaging: only the library installs; the examples and the benchmark run from the checkout."""

import configparser
import pathlib
import subprocess
import sys

import setuptools

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_only_tfcore_is_installed_as_a_top_level_package():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    include = config["options.packages.find"]["include"].split()
    packages = setuptools.find_packages(str(ROOT), include=include)
    assert "tfcore" in packages and "tfcore.layers" in packages and "tfcore.data" in packages
    assert {p.split(".")[0] for p in packages} == {"tfcore"}
    # Every package of the library is found (no folder without an __init__.py left out).
    folders = {str(p.parent.relative_to(ROOT)).replace("/", ".")
               for p in (ROOT / "tfcore").rglob("*.py") if "__pycache__" not in p.parts}
    assert folders <= set(packages)


def test_the_examples_run_from_the_checkouts_root():
    result = subprocess.run([sys.executable, "-m", "models", "--help"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "python -m models {gradients|" in result.stdout
