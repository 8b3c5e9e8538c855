"""The learner's code in a child process: an exit, a hang, a recursion or a crash fails with its reason.

Also teacher mode (`grade`): scores per exercise as text, JSON and JUnit XML (parsed
back here), a missing file scoring 0, the seed printed and used; and fast feedback:
`list` and the usage errors never import TensorFlow.

Each run of `check` or `grade` starts one checker process (TensorFlow's start-up,
~5-15 s here), so the many ways learner code can misbehave share one `grade` run.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ElementTree

import pytest

from tests import learn_solutions as solutions
from tfcore.learn import EXERCISES, grade
from tfcore.learn.__main__ import main as learn_main

BROKEN = {
    "relu": "import sys\ndef relu(x):\n    sys.exit(0)\n",
    "sigmoid": "import os\ndef sigmoid(x):\n    print('leaving now')\n    os._exit(0)\n",
    "softmax": "def softmax(x):\n    while True:\n        pass\n",
    "softmax_cross_entropy": "def softmax_cross_entropy(labels, logits):\n"
                             "    return softmax_cross_entropy(labels, logits)\n",
    "conv2d": "import os, signal\ndef conv2d(x, kernel, strides, padding):\n"
              "    os.kill(os.getpid(), signal.SIGSEGV)\n",
    "max_pool2d": "def max_pool2d(x, pool_size, strides, padding)\n    return x\n",
    "avg_pool2d": "def average(x):\n    return x\n",
    "dense": "import tensorflow as tf\ndef dense(x, w, b):\n    return tf.matmul(x, w) + b\n",
    "dropout": "def dropout(x, keep_mask, rate):\n    return x * keep_mask\n",
    "gru_cell": "import tensorflow as tf\ndef gru_cell(x, h, kernel, recurrent_kernel, bias):\n"
                "    queue = tf.queue.FIFOQueue(1, [tf.float64])\n"
                "    return h + queue.dequeue()  # nothing is ever enqueued: Session.run blocks\n",
}
TF_LOG_MARKS = ("I0000", "W0000", "E0000", "Not handling type", "oneDNN", "absl::InitializeLog")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One `grade` run over a folder of broken, right, wrong and missing solutions (timeout 5 s)."""
    folder = tmp_path_factory.mktemp("student")
    for name, source in BROKEN.items():
        (folder / ("%s.py" % name)).write_text(source)
    reports = tmp_path_factory.mktemp("reports")
    argv = ["grade", str(folder), "--seed", "1234", "--timeout", "5",
            "--json", str(reports / "grade.json"), "--junit", str(reports / "grade.xml")]
    run = subprocess.run([sys.executable, "-m", "tfcore.learn", *argv], capture_output=True, text=True,
                         timeout=600)
    return run, json.loads((reports / "grade.json").read_text()), ElementTree.parse(reports / "grade.xml")


@pytest.mark.parametrize("name, status, reason", [
    ("relu", "exit", "relu.py:relu called sys.exit(0) during the check"),
    ("sigmoid", "exit", "ended the process before the check finished: the process exited with status 0"),
    ("softmax", "timeout", "softmax.py:softmax did not finish within 5 s: an infinite loop"),
    ("gru_cell", "timeout", "gru_cell.py:gru_cell did not finish within 5 s: an infinite loop, a blocking op"),
    ("softmax_cross_entropy", "fail", "RecursionError: maximum recursion depth exceeded (it calls itself"),
    ("conv2d", "crash", "crashed: killed by signal SIGSEGV"),
    ("max_pool2d", "error", "max_pool2d.py: SyntaxError"),
    ("avg_pool2d", "error", "has no function 'avg_pool2d'; functions there: average"),
    ("batch_norm", "missing", "missing file "),
    ("dropout", "fail", "this equals the result without the 1 / (1 - rate) scale"),
])
def test_each_misbehaviour_scores_0_with_its_own_reason(graded, name, status, reason):
    run, report, _ = graded
    entry = report["exercises"][name]
    assert (entry["status"], entry["score"], entry["passed"]) == (status, 0.0, 0), entry
    assert reason in entry["message"]
    assert len(entry["message"].splitlines()) <= 30  # bounded, not a thousand recursion frames
    assert reason.splitlines()[0][:40] in run.stdout


def test_grade_scores_the_right_file_1_and_reports_text_json_junit(graded):
    run, report, junit = graded
    assert run.returncode == 1, run.stdout + run.stderr  # not every exercise passed
    assert report["seed"] == 1234 and report["max"] == len(EXERCISES)
    dense = report["exercises"]["dense"]
    assert dense == {"score": 1.0, "status": "pass", "passed": dense["cases"],
                     "cases": len(EXERCISES["dense"].all_cases(1234)), "message": ""}
    assert report["total"] == 1.0
    assert "seed 1234" in run.stdout and "total 1.00 / %d" % len(EXERCISES) in run.stdout
    suite = junit.getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(EXERCISES)
    assert int(suite.get("failures")) == len(EXERCISES) - 1
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == set(EXERCISES)
    assert cases["dense"].find("failure") is None
    assert cases["batch_norm"].find("failure").get("type") == "missing"
    assert "did not finish within 5 s" in cases["softmax"].find("failure").get("message")


def test_grade_output_has_no_tensorflow_log_lines(graded):
    run, _, _ = graded
    for mark in TF_LOG_MARKS:
        assert mark not in run.stdout + run.stderr


def test_grade_draws_a_seed_when_none_is_given_and_passes_it_to_every_job(tmp_path, monkeypatch, capsys):
    (tmp_path / "dense.py").write_text(BROKEN["dense"])
    seen = []

    def fake_run_jobs(jobs, timeout, verbose, on_line):
        seen.extend(jobs)
        return [{"status": "pass", "passed": 5, "total": 5, "failure": None} for _ in jobs]

    monkeypatch.setattr(grade.sandbox, "run_jobs", fake_run_jobs)
    monkeypatch.setattr(grade, "draw_seed", lambda: 98765)
    learn_main(["grade", str(tmp_path)])
    out = capsys.readouterr().out
    assert "seed 98765 (--seed 98765 repeats this run)" in out
    assert [(job["exercise"], job["seed"], job["keep_going"]) for job in seen] == [("dense", 98765, True)]
    assert 0 <= grade.draw_seed() < 2 ** 31


def test_the_cases_are_reproducible_from_the_seed_and_differ_between_seeds():
    for spec in EXERCISES.values():
        first, again, other = spec.all_cases(7), spec.all_cases(7), spec.all_cases(8)
        for (a, _, _), (b, _, _) in zip(first, again):
            assert all((a[k] == b[k]).all() for k in a)
        assert any((a[k] != b[k]).any() for (a, _, _), (b, _, _) in zip(first, other) for k in a)


def test_check_runs_in_a_child_exit_0_when_right_and_no_tensorflow_log_lines(capfd):
    assert learn_main(["check", "dense", solutions.__file__ + ":dense", "--cases", "2", "--timeout", "60"]) == 0
    out, err = capfd.readouterr()
    assert "PASS dense: all 2 cases" in out
    for mark in TF_LOG_MARKS:
        assert mark not in out + err


@pytest.mark.parametrize("status, failure, code, printed", [
    ("fail", "FAIL relu, case 1 of 4: ...", 1, None),
    ("exit", "mine.py:relu called sys.exit(0) during the check", 1, "FAIL relu: mine.py:relu called sys.exit(0)"),
    ("timeout", "mine.py:relu did not finish within 5 s", 1, "FAIL relu: mine.py:relu did not finish within 5 s"),
    ("crash", "mine.py:relu ended the process", 1, "FAIL relu: mine.py:relu ended the process"),
    ("pass", None, 0, None),
])
def test_check_exits_1_for_anything_but_a_pass_and_says_why_in_one_line(
        tmp_path, monkeypatch, capsys, status, failure, code, printed):
    (tmp_path / "mine.py").write_text("def relu(x):\n    return x\n")
    result = {"exercise": "relu", "status": status, "passed": 0, "total": 4, "failure": failure}
    monkeypatch.setattr("tfcore.learn.sandbox.run_jobs", lambda jobs, timeout, verbose, on_line: [result])
    assert learn_main(["check", "relu", str(tmp_path / "mine.py") + ":relu", "--timeout", "5"]) == code
    out = capsys.readouterr().out
    assert (printed in out) if printed else ("FAIL relu:" not in out)


NO_TENSORFLOW = textwrap.dedent("""
    import contextlib, io, sys
    from tfcore.learn.__main__ import main
    for argv in %r:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(argv)
            except SystemExit as exit:
                assert exit.code == 2, (argv, exit.code)
    print(sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow"))
""")


def test_list_and_every_usage_error_answer_without_importing_tensorflow(tmp_path):
    (tmp_path / "mine.py").write_text("def other(x):\n    return x\n")
    mine = str(tmp_path / "mine.py")
    argvs = [["list"], ["check", "conv3d", mine + ":other"], ["check", "relu", "/no/such.py:relu"],
             ["check", "relu", mine + ":relu"], ["check", "relu", mine],
             ["check", "relu", mine + ":other", "--timeout", "0"],
             ["grade", "/no/such/folder"], ["grade", str(tmp_path), "--seed", "-1"], ["nonsense"]]
    run = subprocess.run([sys.executable, "-c", NO_TENSORFLOW % argvs], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_reading_the_childs_lines_stops_at_the_deadline_or_when_nobody_waits():
    from tfcore.learn.sandbox import _lines

    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, b'{"line": "one"}\n{"line": "tw')  # the second line never ends
        assert list(_lines(read_fd, time.monotonic() + 0.5)) == ['{"line": "one"}']
        assert list(_lines(read_fd, time.monotonic() + 60, alive=lambda: False)) == []
        os.close(write_fd)
        write_fd = None
        assert list(_lines(read_fd, time.monotonic() + 60)) == []  # closed: returns at once
    finally:
        os.close(read_fd)
        if write_fd is not None:
            os.close(write_fd)
