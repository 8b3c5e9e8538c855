"""`python -m tfcore.learn notebook`: a chapter as a Jupyter notebook, executed headless and compared with the chapter.

The oracle is the chapter itself: every code cell that comes from a ```python
block, run by a real kernel (nbclient, ipykernel), must print exactly the block's
```output (the same normalisation as the course's check). The exercises' stub cells
must make the checker report a failure, not crash the notebook.
"""

import base64
import os
import textwrap

import pytest

from tfcore.learn import course, figures
from tfcore.learn import notebook as nb_lib
from tfcore.learn.__main__ import main as learn_main

nbformat = pytest.importorskip("nbformat")

CHAPTER = """\
    # 7. Example

    See [the convolution chapter](05_conv.md) and the picture:

    ![a line](figures/07_line.png)

    ~~~python
    from tfcore.learn import figures
    fig = figures.new()
    fig.axes[0].plot([0, 1], [1, 0])
    path = figures.save(fig, "07_line.png")
    print("drew", path.name)
    ~~~

    ~~~output
    drew 07_line.png
    ~~~

    ## Exercises

    1. Write `relu(x)` and check it.

    <details><summary>Solutions</summary>

    ~~~python
    from tfcore.learn import check


    def my_relu(values):
        return values * 0  # a wrong solution is still a solution block


    result = check("relu", my_relu, print_fn=None)
    print("solved")
    ~~~

    ~~~output
    solved
    ~~~

    2. Prose answers stay Markdown.

    </details>
    """


def _chapter(tmp_path):
    path = tmp_path / "07_example.md"
    path.write_text(textwrap.dedent(CHAPTER).replace("~~~", "```"))
    return path


def _sources(notebook, kind):
    return [cell.source for cell in notebook.cells if cell.cell_type == kind]


def test_a_notebook_has_the_text_the_code_its_outputs_and_figures_and_stubs_not_solutions(tmp_path):
    target = nb_lib.write(_chapter(tmp_path), tmp_path / "out")
    notebook = nbformat.read(str(target), as_version=4)
    nbformat.validate(notebook)
    assert target.name == "07_example.ipynb" and (tmp_path / "out" / "figures" / "07_line.png").is_file()
    markdown, code = _sources(notebook, "markdown"), _sources(notebook, "code")
    assert "See [the convolution chapter](05_conv.ipynb)" in markdown[1]
    assert any(m.startswith("## Exercises\n\n1. Write `relu(x)`") for m in markdown)
    (drawing,) = [c for c in notebook.cells if c.metadata.get("tfcore", {}).get("line") == 7]
    assert drawing.outputs[0].text == "drew 07_line.png\n"
    png = base64.b64decode(drawing.outputs[1].data["image/png"])
    assert png == (tmp_path / "out" / "figures" / "07_line.png").read_bytes()
    # The solution's code and prose are left out; a stub with its signature and a check stand in.
    assert not any("solved" in c or "values * 0" in c for c in code)
    assert not any("Prose answers" in m or "details" in m for m in markdown)
    stub, check = code[-2:]
    assert stub.startswith('def my_relu(values):\n    """relu(x) -> y') and "raise NotImplementedError" in stub
    assert check.endswith('result = check("relu", my_relu)')


def test_with_solutions_the_folded_part_follows_as_cells_with_outputs(tmp_path):
    with figures.writing_to(tmp_path / "drawn"):
        notebook = nb_lib.build(_chapter(tmp_path), solutions=True, run=True)
    assert (tmp_path / "drawn" / "07_line.png").is_file()
    markdown = _sources(notebook, "markdown")
    assert markdown[-2].startswith("## Solutions") and markdown[-1] == "2. Prose answers stay Markdown."
    solved = notebook.cells[-2]
    assert "values * 0" in solved.source and solved.outputs[0].text == "solved\n"


def test_the_notebook_command_writes_all_or_named_chapters_and_says_what_is_wrong(tmp_path, capsys):
    path = _chapter(tmp_path)
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "07_line.png").write_bytes(b"the committed picture")
    assert learn_main(["notebook", str(path), "--out", str(tmp_path / "nb"), "--no-outputs"]) == 0
    assert "-> %s" % (tmp_path / "nb" / "07_example.ipynb") in capsys.readouterr().out
    notebook = nbformat.read(str(tmp_path / "nb" / "07_example.ipynb"), as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells)
    # Not run, so not drawn: the Markdown's link gets the chapter's committed figure.
    assert (tmp_path / "nb" / "figures" / "07_line.png").read_bytes() == b"the committed picture"
    broken = tmp_path / "08_broken.md"
    broken.write_text("```python\n1 / 0\n```\n")
    assert learn_main(["notebook", str(broken), "--out", str(tmp_path / "nb")]) == 1
    assert "08_broken.md:1: the python block raised" in capsys.readouterr().err
    with pytest.raises(SystemExit) as err:
        learn_main(["notebook", "99", "--out", str(tmp_path)])
    assert err.value.code == 2


def _execute(notebooks, folder):
    """Run the notebooks' cells in one headless kernel (each in a fresh namespace), as Jupyter would."""
    nbclient = pytest.importorskip("nbclient")
    client = nbclient.NotebookClient(notebooks[0], kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel():
        for notebook in notebooks:
            client.nb = notebook
            client.execute_cell(nbformat.v4.new_code_cell("%reset -f"), 0)
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)


def _printed(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def _compare_with_the_chapter(notebook):
    """Every chapter cell printed what its block's output block shows; returns how many were compared."""
    tags = [c.metadata["tfcore"] for c in notebook.cells if "chapter" in c.metadata.get("tfcore", {})]
    path = course.COURSE_DIR / tags[0]["chapter"]
    blocks = {b.open_line: b for b in course.parse(path.read_text())}
    compared = 0
    for cell in notebook.cells:
        tag = cell.metadata.get("tfcore", {})
        if "line" in tag:
            block = blocks[tag["line"]]
            expected = course.normalise(block.output.text) if block.output else ""
            assert course.normalise(_printed(cell)) == expected, "%s:%d" % (path.name, tag["line"])
            compared += 1
    return compared


def test_notebooks_executed_headless_print_what_the_chapters_show(tmp_path):
    lesson = nb_lib.build(course.find_chapter("7"), run=False)             # stubs, no solutions
    solved = nb_lib.build(course.find_chapter("2"), solutions=True, run=False)
    _execute([lesson, solved], tmp_path)
    blocks = {n: course.parse(course.find_chapter(n).read_text()) for n in ("2", "7")}
    assert _compare_with_the_chapter(lesson) == len([b for b in blocks["7"] if not b.solution])
    assert _compare_with_the_chapter(solved) == len(blocks["2"])
    (check,) = [c for c in lesson.cells if c.metadata.get("tfcore", {}).get("exercise") == "dropout"
                and "check(" in c.source]
    assert "FAIL dropout, case 1 of" in _printed(check) and "NotImplementedError" in _printed(check)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("TFCORE_ALL_NOTEBOOKS") != "1",
                    reason="about 2 minutes here (every chapter in a kernel): TFCORE_ALL_NOTEBOOKS=1 runs it")
def test_every_chapter_as_a_notebook_with_solutions_prints_what_it_shows(tmp_path):
    notebooks = [nb_lib.build(path, solutions=True, run=False) for path in course.chapters()]
    _execute(notebooks, tmp_path)
    for path, notebook in zip(course.chapters(), notebooks):
        assert _compare_with_the_chapter(notebook) == len(course.parse(path.read_text()))
