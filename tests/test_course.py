"""The course (tfcore/learn/chapters/, indexed by docs/learn/): every chapter's code runs and prints exactly what the chapter shows.

The oracle of each block is the chapter's own ```output block, written from a
run and checked on every run: a change in tfcore that alters what a chapter
prints fails here, naming the chapter file, the block's line and the diff.
The format's own rules are tested on small chapters written here.
"""

import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from tfcore.__main__ import main as front_door
from tfcore.learn import course
from tfcore.learn.__main__ import main as learn_main

CHAPTERS = course.chapters()


def test_the_chapters_are_numbered_in_order_and_the_index_links_each_once():
    assert len(CHAPTERS) >= 13
    assert [p.name[:2] for p in CHAPTERS] == ["%02d" % i for i in range(1, len(CHAPTERS) + 1)]
    index = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "learn" / "README.md").read_text()
    linked = re.findall(r"\]\(\.\./\.\./tfcore/learn/chapters/(\d\d_\w+\.md)\)", index)
    assert linked == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_prints_what_it_shows(path):
    problems = course.check_chapter(path)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_exercises_and_worked_solutions_that_run(path):
    text = path.read_text()
    exercises = text.index("## Exercises")
    assert re.search(r"^[1-3]\. ", text[exercises:], re.M)
    solutions = text.index("<details><summary>Solutions</summary>", exercises)
    assert any(b.open_line > text[:solutions].count("\n") for b in course.parse(text))


def _chapter(tmp_path, body):
    path = tmp_path / "07_example.md"
    path.write_text(textwrap.dedent(body).replace("~~~", "```"))
    return path


def test_a_stale_output_fails_naming_the_file_the_line_and_the_diff(tmp_path):
    path = _chapter(tmp_path, """\
        # Example

        ~~~python
        total = 2 + 2
        print("total", total)
        ~~~

        ~~~output
        total 5
        ~~~
        """)
    (problem,) = course.check_chapter(path)
    assert problem.startswith("%s:3: printed output differs from the ```output block at line 8" % path)
    assert "-total 5" in problem and "+total 4" in problem


def test_blocks_share_one_namespace_and_trailing_spaces_do_not_count(tmp_path):
    path = _chapter(tmp_path, """\
        ~~~python
        n = 21
        ~~~

        Prose between blocks.

        ~~~python
        print("n is", n * 2, "  ")
        ~~~
        ~~~output
        n is 42
        ~~~
        """)
    assert course.check_chapter(path) == []


def test_an_error_names_the_chapter_line_where_it_happened(tmp_path):
    path = _chapter(tmp_path, """\
        # Example

        ~~~python
        x = 1
        y = x / 0
        ~~~
        """)
    (problem,) = course.check_chapter(path)
    assert problem.startswith("%s:3: the python block raised" % path)
    assert 'File "%s", line 5' % path in problem and "ZeroDivisionError" in problem


def test_a_block_that_prints_needs_an_output_block_and_an_orphan_output_block_is_an_error(tmp_path):
    path = _chapter(tmp_path, "~~~python\nprint(1)\n~~~\n")
    (problem,) = course.check_chapter(path)
    assert "prints but has no ```output block" in problem
    orphan = _chapter(tmp_path, "Text.\n\n~~~output\n1\n~~~\n")
    with pytest.raises(course.ChapterError, match=r"07_example.md:3: an ```output block must directly follow"):
        course.check_chapter(orphan)
    unclosed = _chapter(tmp_path, "~~~python\nprint(1)\n")
    with pytest.raises(course.ChapterError, match="never closed"):
        course.check_chapter(unclosed)


def test_regenerate_inserts_replaces_and_removes_output_blocks_and_then_the_check_passes(tmp_path):
    path = _chapter(tmp_path, """\
        ~~~python
        print("a")
        ~~~

        ~~~python
        print("b")
        ~~~

        ~~~output
        old b
        ~~~

        ~~~python
        quiet = 1
        ~~~

        ~~~output
        stale
        ~~~

        ~~~bash
        echo shown, never run
        ~~~
        """)
    assert course.regenerate(path) == 3
    text = path.read_text()
    assert "```output\na\n```" in text and "```output\nb\n```" in text
    assert "old b" not in text and "stale" not in text and "echo shown, never run" in text
    assert course.check_chapter(path) == [] and course.regenerate(path) == 0


def test_front_door_lists_every_chapter_with_its_title(capsys):
    assert front_door([]) == 0
    out = capsys.readouterr().out
    for path in CHAPTERS:
        title = path.read_text().splitlines()[0][2:]          # "5. Convolution: ..."
        assert "  %s  %s\n" % (path.name[:2], title.split(". ", 1)[1]) in out


def test_front_door_runs_a_chapter_printing_code_then_output(capsys):
    assert front_door(["run", "02"]) == 0
    out = capsys.readouterr().out
    assert out.index("--- 02_gradients.md, line 16 ---") < out.index("    (dg,) = tf.gradients(g, x)")
    assert out.index("    (dg,) = tf.gradients(g, x)") < out.index("\n3x^2  [12.") < out.index("\n24 ops:")
    assert "02_gradients.md: all" in out and "printed what the chapter shows" in out


def test_front_door_exits_1_when_a_block_prints_something_else(tmp_path, capsys):
    path = _chapter(tmp_path, "# T\n\n~~~python\nprint(3)\n~~~\n\n~~~output\n4\n~~~\n")
    assert front_door([str(path)]) == 1
    assert "1 block(s) differ from the chapter" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["99"], "no chapter '99'"), (["run"], "run needs a chapter"), (["1", "2"], "one chapter at a time"),
])
def test_front_door_usage_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as err:
        front_door(argv)
    assert err.value.code == 2 and message in capsys.readouterr().err


def test_python_m_tfcore_is_the_front_door():
    done = subprocess.run([sys.executable, "-m", "tfcore"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "01  Graphs and sessions" in done.stdout and "python -m tfcore 5" in done.stdout


def test_learn_test_and_regenerate_commands_compare_then_rewrite(tmp_path, capsys):
    path = _chapter(tmp_path, "~~~python\nprint(6 * 7)\n~~~\n\n~~~output\n41\n~~~\n")
    assert learn_main(["test", str(path)]) == 1
    assert "-41" in capsys.readouterr().out
    assert learn_main(["regenerate", str(path)]) == 0
    assert "1 output block(s) rewritten" in capsys.readouterr().out
    assert learn_main(["test", str(path)]) == 0
    assert "```output\n42\n```" in path.read_text()


def test_without_the_chapters_directory_the_front_door_says_where_they_belong(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(course, "COURSE_DIR", tmp_path / "missing")
    with pytest.raises(SystemExit) as err:
        front_door([])
    assert err.value.code == 1
    assert "chapters are not at %s" % (tmp_path / "missing") in capsys.readouterr().err
