"""The course runs wherever tfcore is installed: built as a wheel, installed in a fresh virtualenv, run from elsewhere.

The wheel is built from a copy of the package's sources (so the checkout gets no
build/ or egg-info), installed with `--no-deps` into a virtualenv that sees the
system's packages (TensorFlow is not installed again) and run from an empty folder
with no PYTHONPATH: the tfcore it imports must be the wheel's, not this checkout's
editable install, and the chapter must find its Markdown inside the installed
package and write its figures into that folder's ./figures.
"""

import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import pytest

from tfcore.learn import course

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(args, cwd, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, "%s\n%s\n%s" % (" ".join(map(str, args)), done.stdout[-3000:],
                                                  done.stderr[-3000:])
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "tfcore", source / "tfcore", ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "-q", "-w", str(folder / "dist"), str(source)], cwd=folder)
    (built,) = (folder / "dist").glob("tfcore-*.whl")
    return built


def test_the_wheel_holds_every_chapter_and_figure(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    chapters = {"tfcore/learn/chapters/%s" % p.name for p in course.chapters()}
    pictures = {"tfcore/learn/chapters/figures/%s" % p.name
                for p in (course.COURSE_DIR / "figures").glob("*.png")}
    assert len(chapters) >= 16 and not chapters - names
    assert not pictures - names
    assert "tfcore/learn/course.py" in names and not any(n.startswith("models/") for n in names)


def test_the_wheel_marks_tfcore_as_typed(wheel):
    # PEP 561: without the marker a user's type checker ignores tfcore's hints (tests/test_types.py).
    assert "tfcore/py.typed" in zipfile.ZipFile(wheel).namelist()


@pytest.mark.slow  # ~25 s here: a fresh process imports TensorFlow
def test_a_chapter_runs_from_the_installed_wheel_in_another_folder(wheel, tmp_path):
    venv = tmp_path / "venv"
    # --without-pip: the system's pip (seen through --system-site-packages) installs into it.
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", "--no-index", str(wheel)],
         cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = _run([python, "-c", "import tfcore.learn.course as c; print(c.__file__)"], cwd=elsewhere)
    assert pathlib.Path(found.stdout.strip()).is_relative_to(venv), found.stdout
    done = _run([python, "-m", "tfcore", "1"], cwd=elsewhere)
    assert "01_graphs.md: all" in done.stdout and "printed what the chapter shows" in done.stdout
    drawn = course.linked_figures((course.COURSE_DIR / "01_graphs.md").read_text())
    assert sorted(p.name for p in (elsewhere / "figures").glob("*.png")) == sorted(drawn)
