"""A chapter as a Jupyter notebook: its text, its code with the outputs of a run, and the exercises to do.

    python -m tfcore.learn notebook 5 --out notebooks/     05_conv.ipynb and its figures/
    python -m tfcore.learn notebook all --out notebooks/   every chapter
    ... --solutions                                        with the worked solutions

The notebook is the chapter, cut where its fences are (`course.segments`):

* its Markdown becomes Markdown cells, unchanged but for links to other chapters,
  which point at their notebooks (`05_conv.md` -> `05_conv.ipynb`);
* each ```python block becomes a code cell holding the outputs of a run made
  while writing the notebook (in this process, the blocks in order in one
  namespace): what it printed, as a `stream`, and every figure it saved, as
  an `image/png` (the files go into `figures/` next to the notebook, where the
  Markdown's `![...](figures/05_x.png)` links look);
* after the exercises' text, each exercise the checker knows (a solution block
  calling `check("conv2d", my_conv2d)`) gets a stub cell, `my_conv2d` with the
  solution's signature raising NotImplementedError, and a check cell calling
  `tfcore.learn.check` on it, in the kernel's own process;
* the folded solutions (`<details><summary>Solutions</summary>`) are left out,
  unless `solutions=True`: then they follow, as Markdown and code cells with
  their outputs.

Each code cell from the chapter carries `metadata.tfcore = {"chapter": "05_conv.md",
"line": N}` (the line of its fence), and each stub and check cell
`{"exercise": "conv2d"}`, so a test can compare an executed notebook's outputs
with the chapter's output blocks. nbformat is imported lazily: it is an extra
(`pip install tfcore[learn]`).
"""

from __future__ import annotations

import ast
import base64
import pathlib
import re
import shutil
import textwrap
from typing import Any, Iterable

from tfcore.learn import course, figures

_CHAPTER_LINK = re.compile(r"\]\((\d\d_\w+)\.md\)")
_DETAILS_TAGS = re.compile(r"^\s*</?details>|<summary>(.*?)</summary>", re.M)


def _nbformat():
    try:
        import nbformat
    except ImportError as err:
        raise ImportError("notebooks need nbformat: pip install -e '.[learn]' in a checkout "
                          "(nbformat, nbclient, ipykernel)") from err
    return nbformat


def checked_exercises(blocks: Iterable[course.Block]) -> list[tuple[str, str, str | None]]:
    """[(exercise, function name, signature source)] for each `check("name", fn)` in `blocks`.

    The signature is the one of the `def fn(...)` in the same blocks (the
    exercise's own argument names otherwise).
    """
    found: list[tuple[Any, str]] = []  # (exercise name, as the chapter wrote it; function name)
    defs: dict[str, str] = {}  # function name -> its arguments' source
    for block in blocks:
        tree = ast.parse(block.text)
        defs.update({node.name: ast.unparse(node.args) for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef)})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check"
                    and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[1], ast.Name)):
                found.append((node.args[0].value, node.args[1].id))
    return [(name, function, defs.get(function)) for name, function in found]


def _stub_cells(nbformat, exercises):
    """For each checked exercise: a stub to fill in, then a cell checking it."""
    from tfcore.learn import EXERCISES  # the exercises' signatures and what they compute

    cells = []
    for name, function, arguments in exercises:
        spec = EXERCISES[name]
        if arguments is None:
            arguments = spec.signature.split("(", 1)[1].split(")", 1)[0]
        doc = textwrap.fill(spec.doc, 80, initial_indent="    ", subsequent_indent="    ")
        stub = ('def %s(%s):\n    """%s\n\n%s\n    """\n    # Your code: TensorFlow ops on the tensors '
                'you are given; return the output tensor.\n    raise NotImplementedError("write %s, '
                'then run the next cell")\n' % (function, arguments, spec.signature, doc, function))
        check = 'from tfcore.learn import check\n\nresult = check("%s", %s)\n' % (name, function)
        for source in (stub, check):
            cells.append(nbformat.v4.new_code_cell(source.rstrip("\n"),
                                                   metadata={"tfcore": {"exercise": name}}))
    return cells


def _code_cell(nbformat, path, block, run):
    """A chapter block as a code cell, with the outputs of its run (if any)."""
    cell = nbformat.v4.new_code_cell(block.text.rstrip("\n"),
                                     metadata={"tfcore": {"chapter": path.name, "line": block.open_line}})
    if run is not None:
        if run.printed:
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=run.printed))
        for name in run.figures:
            png = base64.b64encode((figures.directory() / name).read_bytes()).decode("ascii")
            cell.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": png},
                                                       metadata={"tfcore": {"figure": name}}))
    return cell


def _markdown(text, solution):
    """Chapter Markdown for a notebook cell: links to chapters go to their notebooks.

    In the solutions the folding tags go (a cell cannot hold half an HTML element):
    `<details><summary>Solutions</summary>` becomes a `## Solutions` heading.
    """
    text = _CHAPTER_LINK.sub(r"](\1.ipynb)", text)
    if solution:
        text = _DETAILS_TAGS.sub(lambda m: "## %s" % m.group(1) if m.group(1) else "", text).strip()
    return text.strip("\n")


def build(path: str | pathlib.Path, solutions: bool = False, run: bool = True) -> Any:
    """The chapter at `path` as a notebook (an nbformat v4 `NotebookNode`).

    `run=True` runs the chapter's blocks (not the solutions' unless `solutions`) to
    fill in the outputs, drawing the figures where `figures.directory()` says. A
    block that raises stops everything: `course.ChapterError`.
    """
    nbformat, path = _nbformat(), pathlib.Path(path)
    pieces = [p for p in course.segments(path.read_text(), str(path)) if solutions or not p.solution]
    blocks = [p.block for p in pieces if p.block is not None]  # the python segments'
    runs = {}
    if run:
        done = course.run_blocks(blocks, path, course.new_namespace(path))
        if done and done[-1].error:
            raise course.ChapterError("%s:%d: the python block raised, no notebook written:\n%s"
                                      % (path, done[-1].block.open_line, done[-1].error))
        runs = {r.block.open_line: r for r in done}
    solved = [p.block for p in course.segments(path.read_text(), str(path)) if p.solution and p.block]
    note = ("*From `%s`, by `python -m tfcore.learn notebook %s`%s. Run the cells in order: "
            "they share one namespace, as the chapter's blocks do.*"
            % (path.name, path.stem, "" if solutions else " (the worked solutions are left "
               "out; `--solutions` adds them)"))
    cells = [nbformat.v4.new_markdown_cell(note)]
    for piece in pieces:
        if piece.block is not None:  # a python segment
            cells.append(_code_cell(nbformat, path, piece.block, runs.get(piece.block.open_line)))
            continue
        cells.append(nbformat.v4.new_markdown_cell(_markdown(piece.text, piece.solution)))
        if not piece.solution and re.search(r"^## Exercises\s*$", piece.text, re.M | re.I):
            cells += _stub_cells(nbformat, checked_exercises(solved))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return notebook


def write(path: str | pathlib.Path, out: str | pathlib.Path, solutions: bool = False,
          run: bool = True) -> pathlib.Path:
    """Write chapter `path` as `out/NN_name.ipynb`, its figures into `out/figures/`; returns the file.

    Without a run (`run=False`) the Markdown's figure links get the chapter's
    committed pictures instead, copied next to the notebook.
    """
    out, path = pathlib.Path(out), pathlib.Path(path)
    out.mkdir(parents=True, exist_ok=True)
    with figures.writing_to(out / "figures"):
        notebook = build(path, solutions=solutions, run=run)
    for name in course.linked_figures(path.read_text()):
        committed, copy = path.parent / "figures" / name, out / "figures" / name
        if not copy.exists() and committed.is_file():
            copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(committed, copy)
    target = out / (pathlib.Path(path).stem + ".ipynb")
    _nbformat().write(notebook, str(target))
    return target
