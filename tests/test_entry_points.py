"""`python -m models all --quick`: the tour of every example runs as a command and writes each one's outputs.

(The course's front door, `python -m tfcore`, is tested in test_course.py and
`python -m tfcore.learn check` in test_learn_checker.py.)
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from models.__main__ import EXAMPLES, _out_per_example

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_all_gives_each_example_its_own_output_directory():
    assert _out_per_example(["--quick"], "mlp") == ["--quick", "--out", os.path.join("runs", "mlp")]
    assert _out_per_example(["--out", "o", "--quick"], "mlp") == ["--quick", "--out", os.path.join("o", "mlp")]
    assert _out_per_example(["--out=o"], "laplacian") == ["--out", os.path.join("o", "laplacian")]


@pytest.mark.slow
def test_python_m_models_all_quick_runs_every_example(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "models", "all", "--quick", "--no-progress"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for name in EXAMPLES:
        assert "== %s ==" % name in done.stdout
        metrics = json.loads((tmp_path / "runs" / name / "metrics.json").read_text())
        assert metrics, name
