"""`python -m models all --quick`: the tour of every example runs as a command and writes each one's outputs.

test_run_dir.py checks `all`'s flags and folders with the examples faked; this
runs them for real. (The course's front door, `python -m tfcore`, is tested in
test_course.py and `python -m tfcore.learn check` in test_learn_checker.py.)
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from models.__main__ import EXAMPLES
from tests.helpers import require_data

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_python_m_models_all_quick_runs_every_example(tmp_path):
    require_data("mnist", "face", "global-temp")  # the tour runs every example on real data
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "models", "all", "--quick", "--no-progress"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for name in EXAMPLES:
        assert "== %s ==" % name in done.stdout
        metrics = json.loads((tmp_path / "runs" / name / "metrics.json").read_text())
        assert metrics, name
