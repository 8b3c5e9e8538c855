"""The course (tfcore/learn/chapters/, indexed by docs/learn/): every chapter's code runs and prints exactly what the chapter shows.

The oracle of each block is the chapter's own ```output block, written from a
run and checked on every run: a change in tfcore that alters what a chapter
prints fails here, naming the chapter file, the block's line and the diff.
The format's own rules are tested on small chapters written here.
"""

import ast
import importlib
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from tfcore.__main__ import main as front_door
from tfcore.learn import course, figures
from tfcore.learn.__main__ import main as learn_main

CHAPTERS = course.chapters()
ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_chapters_are_numbered_in_order_and_the_index_links_each_once():
    assert len(CHAPTERS) >= 13
    assert [p.name[:2] for p in CHAPTERS] == ["%02d" % i for i in range(1, len(CHAPTERS) + 1)]
    index = (ROOT / "docs" / "learn" / "README.md").read_text()
    linked = re.findall(r"\]\(\.\./\.\./tfcore/learn/chapters/(\d\d_\w+\.md)\)", index)
    assert linked == [p.name for p in CHAPTERS]


def _committed_figures():
    """The chapters' figures git tracks (None outside a git checkout)."""
    done = subprocess.run(["git", "ls-files", "tfcore/learn/chapters/figures"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    return None if done.returncode else {pathlib.Path(line).name for line in done.stdout.split()}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_prints_what_it_shows_and_draws_the_figures_it_links(path):
    # check_chapter also fails for a linked figure missing from chapters/figures/ or not
    # saved by the chapter's code in this run (drawn into a temporary folder).
    problems = course.check_chapter(path)
    assert not problems, "\n\n".join(problems)
    committed = _committed_figures()
    if committed is not None:
        untracked = set(course.linked_figures(path.read_text())) - committed
        assert not untracked, "figures linked by %s but not committed: %s" % (path.name, sorted(untracked))


def test_no_chapter_needs_the_checkouts_models_package():
    # The course ships in the wheel; `models/` (the examples) does not.
    for path in CHAPTERS:
        for block in course.parse(path.read_text()):
            assert not re.search(r"^\s*(from|import)\s+models\b", block.text, re.M), (path.name, block.open_line)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_exercises_and_worked_solutions_that_run(path):
    text = path.read_text()
    exercises = text.index("## Exercises")
    assert re.search(r"^[1-3]\. ", text[exercises:], re.M)
    solutions = text.index("<details><summary>Solutions</summary>", exercises)
    blocks = course.parse(text)
    start = text[:solutions].count("\n") + 1
    assert any(b.open_line > start for b in blocks)
    # Exactly the blocks after the folded summary are the solutions the front door hides.
    assert [b.solution for b in blocks] == [b.open_line > start for b in blocks]


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


def test_front_door_runs_a_chapter_printing_code_then_output(tmp_path, capsys):
    assert front_door(["run", "02", "--figures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("--- 02_gradients.md, line 16 ---") < out.index("    (dg,) = tf.gradients(g, x)")
    assert out.index("    (dg,) = tf.gradients(g, x)") < out.index("\n3x^2  [12.") < out.index("\n24 ops:")
    assert "02_gradients.md: all" in out and "printed what the chapter shows" in out


def test_front_door_exits_1_when_a_block_prints_something_else(tmp_path, capsys):
    path = _chapter(tmp_path, "# T\n\n~~~python\nprint(3)\n~~~\n\n~~~output\n4\n~~~\n")
    assert front_door([str(path), "--figures", str(tmp_path)]) == 1
    assert "1 block(s) differ from the chapter" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["99"], "no chapter '99'"), (["run"], "run needs a chapter"), (["1", "2"], "one chapter at a time"),
])
def test_front_door_usage_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as err:
        front_door(argv)
    assert err.value.code == 2 and message in capsys.readouterr().err


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


def _chapter_function(chapter, name):
    """The function `name` a chapter defines, with the imports of its blocks up to that one."""
    path = course.find_chapter(chapter)
    namespace, nodes = course.new_namespace(path), []
    for block in course.parse(path.read_text()):
        tree = ast.parse(block.text)
        nodes += [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        if any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body):
            nodes += [n for n in tree.body if isinstance(n, ast.FunctionDef)]
            exec(compile(ast.Module(nodes, []), str(path), "exec"), namespace)
            return namespace[name]
    raise LookupError("%s defines no %s" % (path.name, name))


def _ops(model):
    """Every node of the graph, whole: name, op, inputs, device and attributes (constants, shapes, seeds).

    A `tf.cond` branch's function name holds a process-wide counter
    (`dropout_cond_true_82`, `dropout_cond_true_grad_450`), and so does a custom gradient's
    `_gradient_op_type` (`CustomGradient-109`): both lose their numbers.
    """
    def unnumbered(match):
        return re.sub(r"_\d+", "", match.group(0))

    def ops(node):
        return re.sub(r"CustomGradient-\d+", "CustomGradient",
                      re.sub(r'func \{\s+name: "[^"]*"', unnumbered, str(node)))

    return [ops(node) for node in model.graph.as_graph_def().node]


@pytest.mark.parametrize("chapter, function, build, args", [
    ("10", "build", "mnist_cnn:build", {}),
    ("11", "build_with_switch", "mnist_cnn:build_with_switch", {}),
    ("4", "build_mlp", "mlp:build", {}),
    ("12", "build_mlp", "towers:build_mlp", {"hidden": (32,)}),
], ids=["10_cnn", "11_cnn_switch", "04_mlp", "12_towers"])
def test_the_chapters_builders_make_the_same_graphs_as_the_checkouts_models(chapter, function, build, args):
    # The chapters say so; tfcore's models/ (checkout only) has the command-line versions.
    module, name = build.split(":")
    reference = getattr(importlib.import_module("models." + module), name)
    mine = _chapter_function(chapter, function)
    if chapter == "12":
        for towers in (1, 2):
            assert _ops(mine(towers)) == _ops(reference(towers=towers, **args))
    else:
        assert _ops(mine()) == _ops(reference(**args))


def _builder_block(chapter):
    path = course.find_chapter(chapter)
    return [b.text for b in course.parse(path.read_text()) if "def build_cnn(" in b.text]


def test_chapters_15_and_16_share_one_cnn_builder():
    # One block, copied: the graph test below checks it once for the options of both chapters.
    assert len(_builder_block("15")) == 1 and _builder_block("15") == _builder_block("16")


@pytest.mark.parametrize("chapter, options", [
    ("15", {"batch_size": 32}),
    ("15", {"batch_size": 32, "batchnorm": True, "fused_batchnorm": True}),
    ("16", {"batch_size": 8, "implementation": "patches", "gradient": "manual"}),
], ids=["15_fused", "15_batchnorm", "16_patches_manual"])
def test_chapters_15_and_16_build_the_same_cnn_graphs_as_the_checkouts_models(chapter, options):
    # Chapter 10's CNN with the options these chapters use, node for node as models/mnist_cnn.py.
    reference = importlib.import_module("models.mnist_cnn").build
    assert _ops(_chapter_function(chapter, "build_cnn")(**options)) == _ops(reference(**options))
