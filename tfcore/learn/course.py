"""The course in `tfcore/learn/chapters/` (the index is docs/learn/README.md): Markdown chapters whose code runs and whose printed output is checked.

The format, which keeps a chapter from going stale:

* every fenced block opened with `` ```python `` runs, in order, all of a chapter's
  blocks in one namespace (a fresh one per chapter), the exercises' solutions too;
* a block that prints is followed, with only blank lines between, by an
  `` ```output `` block holding exactly what it prints; a block that prints
  nothing has none;
* other fences (`` ```bash ``, `` ```text ``) are shown, never run.

Comparison is exact after one normalisation: trailing spaces at line ends and
blank lines at the end are ignored. Chapters therefore print rounded numbers
(`%.4f`, `np.round`) from seeded graphs, so the text is the same on every run.

    check_chapter(path)   -> a list of failures (the file, the block's line, a diff)
    run_chapter(path)     -> the blocks with what each printed (echo=sys.stdout shows them live)
    regenerate(path)      -> rewrites the output blocks from a run (for authors)
"""

import contextlib
import dataclasses
import difflib
import io
import pathlib
import re
import textwrap
import traceback

COURSE_DIR = pathlib.Path(__file__).resolve().parent / "chapters"
_FENCE = re.compile(r"^```\s*([\w-]*)\s*$")


@dataclasses.dataclass
class Block:
    """One fenced block: its language, text, and where it sits (1-based lines of its fences)."""

    kind: str
    text: str
    open_line: int
    close_line: int
    output: "Block" = None  # for a python block: the output block right after it, if any


@dataclasses.dataclass
class BlockRun:
    """A python block after running: what it printed, and the error it raised (traceback text)."""

    block: Block
    printed: str
    error: str = None


class ChapterError(ValueError):
    """The chapter's Markdown breaks the format (an unclosed fence, an output block with no code)."""


def chapters(directory=None):
    """The chapter files, in order: `NN_name.md` (README.md, the index, is not a chapter)."""
    directory = pathlib.Path(directory or COURSE_DIR)
    if not directory.is_dir():
        # The chapters ship inside the package (package data).
        raise LookupError("the course's chapters are not at %s: run from a tfcore checkout "
                          "(git clone, then pip install -e .)" % directory)
    return sorted(p for p in directory.glob("[0-9][0-9]_*.md"))


def find_chapter(spec, directory=None):
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


def parse(text, name="chapter"):
    """The python blocks of a chapter, each with its output block attached."""
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
    lines = text.splitlines()
    code = []
    for i, block in enumerate(blocks):
        if block.kind == "python":
            code.append(block)
        elif block.kind == "output":
            before = blocks[i - 1] if i else None
            between = lines[before.close_line:block.open_line - 1] if before else ["x"]
            if before is None or before.kind != "python" or any(s.strip() for s in between):
                raise ChapterError("%s:%d: an ```output block must directly follow a ```python block"
                                   % (name, block.open_line))
            before.output = block
    return code


def normalise(text):
    """Trailing spaces at line ends and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def run_chapter(path, echo=None):
    """Run a chapter's python blocks in order in one fresh namespace; returns `[BlockRun]`.

    `echo`, a stream (`sys.stdout`), if given, is shown each block's code (indented)
    and then its output as it runs (the front door, `python -m tfcore 5`). A block that
    raises stops the run.
    """
    path = pathlib.Path(path)
    namespace = {"__name__": "__course__", "__file__": str(path)}
    runs = []
    for block in parse(path.read_text(), str(path)):
        if echo:
            echo.write("\n--- %s, line %d ---\n%s\n\n" % (path.name, block.open_line + 1,
                                                       textwrap.indent(block.text.rstrip(), "    ")))
        # Blank lines before the code make a traceback's line numbers the file's.
        source = "\n" * block.open_line + block.text
        captured, error = io.StringIO(), None
        try:
            with contextlib.redirect_stdout(_Tee(captured, echo)):
                exec(compile(source, str(path), "exec"), namespace)
        except Exception:  # noqa: BLE001 - the chapter's error is the report
            error = traceback.format_exc()
        runs.append(BlockRun(block, captured.getvalue(), error))
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


def failures(runs, path):
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


def check_chapter(path):
    """Run a chapter and return its failures (an empty list: every block printed what it says)."""
    return failures(run_chapter(path), path)


def regenerate(path):
    """Rewrite a chapter's output blocks from a fresh run; returns how many blocks changed.

    A block that prints gets an output block (inserted if missing), a block that
    prints nothing loses it. A block that raises stops it, and nothing is written.
    """
    path = pathlib.Path(path)
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
