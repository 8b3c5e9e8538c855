"""The course in `tfcore/learn/chapters/` (the index is docs/learn/README.md): Markdown chapters whose code runs and whose printed output is checked.

The format, which keeps a chapter from going stale:

* every fenced block opened with `` ```python `` runs, in order, all of a chapter's
  blocks in one namespace (a fresh one per chapter), the exercises' solutions too;
* a block that prints is followed, with only blank lines between, by an
  `` ```output `` block holding exactly what it prints; a block that prints
  nothing has none;
* other fences (`` ```bash ``, `` ```text ``) are shown, never run;
* the worked solutions sit in a folded `<details><summary>Solutions</summary>`
  ... `</details>` element (any `<details>` whose summary names a solution):
  their blocks are marked `solution`, which the front door hides unless asked
  (`python -m tfcore 5 --solutions`) and a notebook leaves out; the checks
  and `regenerate` run them all;
* a picture is drawn by the chapter's code (`figures.save(fig, "05_x.png")`)
  and linked as `![what it shows](figures/05_x.png)`: the check fails if a
  linked figure is not committed next to the chapter or not drawn by its run.

Comparison is exact after one normalisation: trailing spaces at line ends and
blank lines at the end are ignored. Chapters therefore print rounded numbers
(`%.4f`, `np.round`) from seeded graphs, so the text is the same on every run.

    check_chapter(path)   -> a list of failures (the file, the block's line, a diff, a figure)
    run_chapter(path)     -> the blocks with what each printed (echo=sys.stdout shows them live)
    regenerate(path)      -> rewrites the output blocks (and figures/) from a run (for authors)
    segments(text)        -> the chapter as Markdown and python pieces, in order (notebooks)
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import pathlib
import re
import tempfile
import textwrap
import traceback
from typing import IO, Any, Iterable

from tfcore.learn import figures

COURSE_DIR = pathlib.Path(__file__).resolve().parent / "chapters"
_FENCE = re.compile(r"^```\s*([\w-]*)\s*$")
_DETAILS_OPEN, _DETAILS_CLOSE = re.compile(r"^\s*<details\b", re.I), re.compile(r"</details>", re.I)
_SOLUTION_SUMMARY = re.compile(r"<summary>[^<]*solution", re.I)
_FIGURE_LINK = re.compile(r"!\[[^\]]*\]\(figures/([^)\s]+\.png)\)")


@dataclasses.dataclass
class Block:
    """One fenced block: its language, text, and where it sits (1-based lines of its fences)."""

    kind: str
    text: str
    open_line: int
    close_line: int
    output: Block | None = None  # for a python block: the output block right after it, if any
    solution: bool = False  # inside the folded <details><summary>Solutions</summary>


@dataclasses.dataclass
class BlockRun:
    """A python block after running: what it printed, the error it raised (traceback text), the figures it saved."""

    block: Block
    printed: str
    error: str | None = None
    figures: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Segment:
    """A piece of a chapter: Markdown text (with any shown-only fences) or a python block."""

    kind: str  # "markdown" or "python"
    text: str
    solution: bool
    block: Block | None = None


class ChapterError(ValueError):
    """The chapter's Markdown breaks the format (an unclosed fence, an output block with no code)."""


def chapters(directory: str | pathlib.Path | None = None) -> list[pathlib.Path]:
    """The chapter files, in order: `NN_name.md` (README.md, the index, is not a chapter)."""
    directory = pathlib.Path(directory or COURSE_DIR)
    if not directory.is_dir():
        # The chapters ship inside the package (package data).
        raise LookupError("the course's chapters are not at %s: run from a tfcore checkout "
                          "(git clone, then pip install -e .)" % directory)
    return sorted(p for p in directory.glob("[0-9][0-9]_*.md"))


def find_chapter(spec: str, directory: str | pathlib.Path | None = None) -> pathlib.Path:
    """The chapter named by `spec`: a number (`5`, `05`), a file stem (`05_conv`) or a path."""
    path = pathlib.Path(spec)
    if path.suffix == ".md" and path.is_file():
        return path
    found = chapters(directory)
    for p in found:
        if spec.isdigit() and int(p.name[:2]) == int(spec) or p.stem == spec:
            return p
    raise LookupError("no chapter %r in %s; chapters: %s"
                      % (spec, directory or COURSE_DIR, ", ".join(p.stem for p in found) or "none"))


def _fences(text, name):
    """Every fenced block of the text, in order, whatever its language."""
    blocks, current, start, body = [], None, 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _FENCE.match(line)
        if current is None:
            if match and line.startswith("```"):
                current, start, body = match.group(1) or "text", number, []
        elif line.rstrip() == "```":
            blocks.append(Block(current, "\n".join(body) + ("\n" if body else ""), start, number))
            current = None
        else:
            body.append(line)
    if current is not None:
        raise ChapterError("%s:%d: the ```%s block is never closed" % (name, start, current))
    return blocks


def solution_lines(text: str, blocks: list[Block]) -> set[int]:
    """The set of (1-based) line numbers inside a `<details>` whose `<summary>` names a solution.

    Tags inside fenced blocks do not count; nested `<details>` are followed, so a
    solution region ends at its own `</details>`.
    """
    fenced = {n for b in blocks for n in range(b.open_line, b.close_line + 1)}
    stack: list[bool] = []  # per open <details>: whether its <summary> names a solution
    inside = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if number in fenced:
            if any(stack):
                inside.add(number)
            continue
        if _DETAILS_OPEN.match(line):
            stack.append(False)
        if stack and _SOLUTION_SUMMARY.search(line):
            stack[-1] = True
        if any(stack):
            inside.add(number)
        for _ in _DETAILS_CLOSE.findall(line):
            if stack:
                stack.pop()
    return inside


def parse(text: str, name: str = "chapter") -> list[Block]:
    """The python blocks of a chapter, each with its output block attached and its `solution` mark."""
    blocks = _fences(text, name)
    lines = text.splitlines()
    in_solutions = solution_lines(text, blocks)
    code = []
    for i, block in enumerate(blocks):
        if block.kind == "python":
            block.solution = block.open_line in in_solutions
            code.append(block)
        elif block.kind == "output":
            before = blocks[i - 1] if i else None
            between = lines[before.close_line:block.open_line - 1] if before else ["x"]
            if before is None or before.kind != "python" or any(s.strip() for s in between):
                raise ChapterError("%s:%d: an ```output block must directly follow a ```python block"
                                   % (name, block.open_line))
            before.output = block
    return code


def segments(text: str, name: str = "chapter") -> list[Segment]:
    """The chapter in order as Markdown and python `Segment`s; output blocks go with their code.

    A Markdown segment never straddles the start or end of the solutions, so each
    is wholly `solution` or not (the `<details>` lines themselves count as solution).
    """
    lines = text.splitlines()
    in_solutions = solution_lines(text, _fences(text, name))
    pieces: list[Segment] = []
    markdown: list[tuple[str, bool]] = []  # (line, in the solutions) not yet in a segment
    number = 1
    blocks = {b.open_line: b for b in parse(text, name)}

    def flush():
        if any(line.strip() for line, _ in markdown):
            pieces.append(Segment("markdown", "\n".join(line for line, _ in markdown).strip("\n") + "\n",
                                  markdown[0][1]))
        markdown.clear()

    while number <= len(lines):
        block = blocks.get(number)
        if block is not None:
            flush()
            pieces.append(Segment("python", block.text, block.solution, block))
            number = (block.output or block).close_line + 1
            continue
        solution = number in in_solutions
        if markdown and markdown[-1][1] != solution:
            flush()
        markdown.append((lines[number - 1], solution))
        number += 1
    flush()
    return pieces


def exercises(text: str, name: str = "chapter") -> str:
    """The exercises, as the chapter states them: from `## Exercises` up to the folded solutions."""
    lines = text.splitlines()
    in_solutions = solution_lines(text, _fences(text, name))
    start = next((i for i, line in enumerate(lines) if line.strip().lower() == "## exercises"), None)
    if start is None:
        return ""
    end = start + 1
    while end < len(lines) and end + 1 not in in_solutions and not lines[end].startswith("## "):
        end += 1
    return "\n".join(lines[start:end]).strip() + "\n"


def linked_figures(text: str) -> list[str]:
    """The figure files a chapter links to (`![...](figures/NAME.png)`), in order, once each."""
    return list(dict.fromkeys(_FIGURE_LINK.findall(text)))


def normalise(text: str) -> str:
    """Trailing spaces at line ends and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def new_namespace(path: str | pathlib.Path) -> dict[str, Any]:
    """The fresh namespace a chapter's blocks share."""
    return {"__name__": "__course__", "__file__": str(path)}


def run_chapter(path: str | pathlib.Path, echo: IO[str] | None = None,
                solutions: bool = True) -> list[BlockRun]:
    """Run a chapter's python blocks in order in one fresh namespace; returns `[BlockRun]`.

    `echo`, a stream (`sys.stdout`), if given, is shown each block's code (indented)
    and then its output as it runs (the front door, `python -m tfcore 5`). A block that
    raises stops the run. `solutions=False` leaves out the worked solutions' blocks.
    Figures go where `figures.directory()` says (see `figures.writing_to`).
    """
    path = pathlib.Path(path)
    blocks = [b for b in parse(path.read_text(), str(path)) if solutions or not b.solution]
    return run_blocks(blocks, path, new_namespace(path), echo)


def run_blocks(blocks: Iterable[Block], path: pathlib.Path, namespace: dict[str, Any],
               echo: IO[str] | None = None) -> list[BlockRun]:
    """Run `blocks` of the chapter at `path` in `namespace`, stopping at the first error."""
    runs = []
    for block in blocks:
        if echo:
            echo.write("\n--- %s, line %d ---\n%s\n\n" % (path.name, block.open_line + 1,
                                                       textwrap.indent(block.text.rstrip(), "    ")))
        # Blank lines before the code make a traceback's line numbers the file's.
        source = "\n" * block.open_line + block.text
        captured, error, drawn = io.StringIO(), None, len(figures.saved)
        try:
            with contextlib.redirect_stdout(_Tee(captured, echo)):
                exec(compile(source, str(path), "exec"), namespace)
        except Exception:  # noqa: BLE001 - the chapter's error is the report
            error = traceback.format_exc()
        runs.append(BlockRun(block, captured.getvalue(), error, figures.saved[drawn:]))
        if error:
            break
    return runs


class _Tee(io.TextIOBase):
    """Capture what a block prints and, for the front door, show it as it comes."""

    def __init__(self, buffer, echo):
        self.buffer, self.echo = buffer, echo

    def write(self, text):
        self.buffer.write(text)
        if self.echo:
            self.echo.write(text)
        return len(text)


def failures(runs: list[BlockRun], path: str | pathlib.Path) -> list[str]:
    """Messages for every block whose output differs from its output block, or that raised."""
    messages = []
    for run in runs:
        where = "%s:%d" % (path, run.block.open_line)
        if run.error:
            messages.append("%s: the python block raised:\n%s" % (where, run.error))
            continue
        expected = normalise(run.block.output.text) if run.block.output else ""
        got = normalise(run.printed)
        if got == expected:
            continue
        if run.block.output is None:
            messages.append("%s: the block prints but has no ```output block; it printed:\n%s"
                            % (where, got))
            continue
        diff = difflib.unified_diff(expected.splitlines(), got.splitlines(), "expected (the chapter)",
                                    "got (this run)", lineterm="")
        messages.append("%s: printed output differs from the ```output block at line %d:\n%s"
                        % (where, run.block.output.open_line, "\n".join(diff)))
    return messages


def figure_failures(path: str | pathlib.Path, drawn: Iterable[str]) -> list[str]:
    """Messages for every figure the chapter links that is not next to it or was not drawn."""
    path = pathlib.Path(path)
    messages = []
    for name in linked_figures(path.read_text()):
        if not (path.parent / "figures" / name).is_file():
            messages.append("%s: links figures/%s, which is not in %s (regenerate the chapter and "
                            "commit it)" % (path, name, path.parent / "figures"))
        if name not in drawn:
            messages.append("%s: links figures/%s, but its code never saved it "
                            "(figures.save(fig, %r))" % (path, name, name))
    return messages


def check_chapter(path: str | pathlib.Path) -> list[str]:
    """Run a chapter and return its failures (an empty list: every block printed what it says).

    Its figures are drawn into a temporary folder (the committed ones stay as they
    are); each one it links must be committed and drawn by this run.
    """
    with tempfile.TemporaryDirectory(prefix="tfcore-figures-") as folder, figures.writing_to(folder):
        runs = run_chapter(path)
        drawn = [name for run in runs for name in run.figures]
    return failures(runs, path) + figure_failures(path, drawn)


def regenerate(path: str | pathlib.Path) -> int:
    """Rewrite a chapter's output blocks from a fresh run; returns how many blocks changed.

    A block that prints gets an output block (inserted if missing), a block that
    prints nothing loses it. A block that raises stops it, and no output block is
    written. The figures it draws are written into `figures/` next to the chapter.
    """
    path = pathlib.Path(path)
    with figures.writing_to(path.parent / "figures"):
        runs = run_chapter(path)
    for run in runs:
        if run.error:
            raise ChapterError("%s:%d: the python block raised, nothing rewritten:\n%s"
                               % (path, run.block.open_line, run.error))
    lines = path.read_text().splitlines()
    changed = 0
    for run in reversed(runs):  # from the end, so earlier line numbers stay valid
        printed = normalise(run.printed)
        old = run.block.output
        if (old is None and not printed) or (old is not None and normalise(old.text) == printed):
            continue
        changed += 1
        new = ["", "```output"] + printed.splitlines() + ["```"] if printed else []
        if old is not None:
            lines[run.block.close_line:old.close_line] = new
        else:
            lines[run.block.close_line:run.block.close_line] = new
    path.write_text("\n".join(lines) + "\n")
    return changed
