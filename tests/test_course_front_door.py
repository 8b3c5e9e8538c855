"""The course's front door for a learner: folded solutions, figures, and answers without TensorFlow.

    python -m tfcore 5               runs the lesson, prints the exercises, keeps the solutions folded
    python -m tfcore 5 --solutions   runs and shows them too
    --figures DIR                    where the pictures go (default ./figures)

The chapters here are small ones written by the tests; the real chapters run in
tests/test_course.py.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from tfcore.__main__ import main as front_door
from tfcore.learn import course, figures
from tfcore.learn.__main__ import main as learn_main

ROOT = pathlib.Path(__file__).resolve().parents[1]

LESSON = """\
    # 7. Example

    ~~~python
    total = 2 + 2
    print("lesson", total)
    ~~~

    ~~~output
    lesson 4
    ~~~

    ## Exercises

    1. Double the total.
    2. Say why.

    <details><summary>Solutions</summary>

    ~~~python
    print("solution", total * 2)
    ~~~

    ~~~output
    solution 8
    ~~~

    2. Because the ```python fence ``` text and a <details> in prose do not fold anything.

    </details>

    After the fold.

    ~~~python
    print("epilogue")
    ~~~

    ~~~output
    epilogue
    ~~~
    """

DRAWING = """\
    # 7. Drawing

    ![a line](figures/07_line.png)

    ~~~python
    from tfcore.learn import figures
    fig = figures.new()
    fig.axes[0].plot([0, 1], [1, 0])
    path = figures.save(fig, "07_line.png")
    ~~~
    """


def _chapter(tmp_path, body, name="07_example.md"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).replace("~~~", "```"))
    return path


def test_solution_blocks_are_the_ones_inside_a_folded_solutions_element(tmp_path):
    text = _chapter(tmp_path, LESSON).read_text()
    blocks = course.parse(text)
    assert [b.solution for b in blocks] == [False, True, False]
    assert course.exercises(text) == "## Exercises\n\n1. Double the total.\n2. Say why.\n"
    pieces = course.segments(text)
    assert [(p.kind, p.solution) for p in pieces] == [
        ("markdown", False), ("python", False), ("markdown", False), ("markdown", True),
        ("python", True), ("markdown", True), ("markdown", False), ("python", False)]
    # Output blocks go with their code; everything else is kept, in order.
    assert "lesson 4" not in "".join(p.text for p in pieces)
    assert pieces[5].text.startswith("2. Because") and pieces[5].text.rstrip().endswith("</details>")


def test_a_details_element_that_is_not_a_solution_folds_nothing(tmp_path):
    text = "<details><summary>More on padding</summary>\n\n```python\nx = 1\n```\n\n</details>\n"
    (block,) = course.parse(text)
    assert not block.solution


def test_front_door_prints_the_exercises_and_keeps_the_solutions_folded(tmp_path, capsys):
    path = _chapter(tmp_path, LESSON)
    assert front_door([str(path), "--figures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "lesson 4" in out and "## Exercises\n\n1. Double the total." in out
    assert "solution" not in out.replace("worked solutions are folded", "").replace("--solutions", "")
    assert "`python -m tfcore 7 --solutions` runs and shows them" in out
    assert "epilogue" in out and "all 2 code blocks ran" in out


def test_front_door_solutions_flag_runs_and_shows_them_with_their_prose(tmp_path, capsys):
    path = _chapter(tmp_path, LESSON)
    assert front_door([str(path), "--solutions", "--figures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("## Exercises") < out.index("\nSolutions\n") < out.index('print("solution", total * 2)')
    assert out.index("\nsolution 8\n") < out.index("2. Because") < out.index("epilogue")
    assert "<details>" not in out.replace("a <details> in prose", "") and "all 3 code blocks ran" in out


def test_the_checks_and_regenerate_still_run_the_solutions(tmp_path):
    path = _chapter(tmp_path, LESSON.replace("solution 8", "solution 9"))
    (problem,) = course.check_chapter(path)
    assert "-solution 9" in problem and "+solution 8" in problem
    assert course.regenerate(path) == 1 and course.check_chapter(path) == []


def test_a_chapter_draws_its_figures_into_the_folder_the_runner_chose(tmp_path, monkeypatch, capsys):
    path = _chapter(tmp_path, DRAWING)
    chosen = tmp_path / "chosen"
    assert front_door([str(path), "--figures", str(chosen)]) == 0
    assert (chosen / "07_line.png").read_bytes().startswith(b"\x89PNG")
    assert "Figures written to %s: 07_line.png" % chosen in capsys.readouterr().out
    # Without --figures: ./figures under the learner's current folder.
    monkeypatch.chdir(tmp_path / "chosen")
    assert front_door([str(path)]) == 0
    assert (tmp_path / "chosen" / "figures" / "07_line.png").is_file()
    assert not (tmp_path / "figures").exists()


def test_regenerate_writes_figures_next_to_the_chapter_and_the_check_wants_them_there(tmp_path):
    path = _chapter(tmp_path, DRAWING)
    (problem,) = course.check_chapter(path)
    assert "links figures/07_line.png, which is not in %s" % (tmp_path / "figures") in problem
    assert course.regenerate(path) == 0
    assert (tmp_path / "figures" / "07_line.png").is_file()
    assert course.check_chapter(path) == []
    assert figures.saved == []  # the runs' records do not leak out of writing_to


def test_a_linked_figure_the_code_does_not_draw_fails_the_check(tmp_path):
    path = _chapter(tmp_path, DRAWING.replace('path = figures.save(fig, "07_line.png")', "path = None"))
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "07_line.png").write_bytes(b"an old drawing")
    (problem,) = course.check_chapter(path)
    assert problem == ("%s: links figures/07_line.png, but its code never saved it "
                       "(figures.save(fig, '07_line.png'))" % path)
    assert learn_main(["test", str(path)]) == 1
    assert (tmp_path / "figures" / "07_line.png").read_bytes() == b"an old drawing"


def _python(*args, env=None):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env)


@pytest.mark.parametrize("argv, status, says", [
    ([], 0, "01  Graphs and sessions"),
    (["99"], 2, "no chapter '99'"),
    (["5", "--bogus"], 2, "unrecognized arguments: --bogus"),
    (["run"], 2, "run needs a chapter"),
    (["5", "--figures", ""], 2, "argument --figures: must name a folder"),
])
def test_the_chapter_list_and_usage_errors_answer_without_importing_tensorflow(argv, status, says):
    done = _python("-X", "importtime", "-m", "tfcore", *argv)
    assert done.returncode == status, done.stderr
    assert says in done.stdout + done.stderr
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")]
    assert "tfcore.learn.course" in imported and "tensorflow" not in imported


def test_tensorflow_cxx_warnings_are_turned_down_before_the_chapter_imports_it(tmp_path):
    path = _chapter(tmp_path, """\
        ~~~python
        import os
        import sys
        print("level", os.environ.get("TF_CPP_MIN_LOG_LEVEL"), "tensorflow" in sys.modules)
        ~~~
        """)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = _python("-m", "tfcore", str(path), "--figures", str(tmp_path), env=env)
    assert "\nlevel 2 False\n" in quiet.stdout, quiet.stdout + quiet.stderr
    verbose = _python("-m", "tfcore", str(path), "--verbose", "--figures", str(tmp_path), env=env)
    assert "\nlevel None False\n" in verbose.stdout, verbose.stdout + verbose.stderr


@pytest.mark.parametrize("command", [["-m", "tfcore"], ["-m", "tfcore.learn", "list"]])
def test_a_reader_that_stops_early_is_no_error(command):
    # `python -m tfcore | head -0`: the pipe is closed before the command writes; no
    # traceback, exit 0.
    read, write = os.pipe()
    os.close(read)
    writer = subprocess.Popen([sys.executable, *command], stdout=write, stderr=subprocess.PIPE, cwd=ROOT)
    os.close(write)
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err.decode()
    assert b"Traceback" not in err
