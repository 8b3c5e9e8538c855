"""`python -m tfcore`: the course's front door.

    python -m tfcore                  list the course's chapters (tfcore/learn/chapters/)
    python -m tfcore 5                run chapter 5's code blocks, printing each block and its
                                      output, then its exercises (the worked solutions stay folded)
    python -m tfcore 5 --solutions    run and show the worked solutions too
    python -m tfcore run 05_conv      the same as `5` (a number, a file name, or a path)

A run ends by saying whether every block printed what the chapter shows (exit 0)
or which ones differ (exit 1): edit a chapter's code and see what changes. The
pictures it draws go into ./figures (or --figures DIR), never into the installed
package.

This file imports no TensorFlow: the chapter list and every usage error answer at
once, and TensorFlow's C++ log lines can be turned down before the chapter's own
code imports it (`--verbose` leaves them on).
"""

import argparse
import os
import pathlib
import re
import sys

from tfcore import cli
from tfcore.learn import course, figures


def title(path):
    """The chapter's first heading, without the '#' (`5. Convolution: ...`)."""
    for line in path.read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return path.stem


def short_title(path):
    """The title without its number: the list shows the number already."""
    return re.sub(r"^\d+\.\s*", "", title(path))


def list_chapters(out):
    paths = course.chapters()
    out.write("The course (%d chapters). Read a chapter, then run its code:\n\n" % len(paths))
    for path in paths:
        out.write("  %s  %s\n" % (path.name[:2], short_title(path)))
    out.write("\n  python -m tfcore 5                 run chapter 5, printing as it goes\n"
              "  python -m tfcore 5 --solutions     ... and its exercises' worked solutions\n"
              "  python -m tfcore.learn notebook 5 --out DIR   the chapter as a Jupyter notebook\n"
              "  python -m tfcore.learn list        exercises whose solutions the checker verifies\n"
              "  python -m tfcore.learn check conv2d my_file.py:my_conv2d\n")


_EXERCISES = re.compile(r"^## Exercises\s*$", re.M | re.I)


def _plain(markdown):
    """Markdown for a terminal: the folding tags go, `<summary>Solutions</summary>` stays as its word."""
    return re.sub(r"</?details>|</?summary>", "", markdown).strip() + "\n"


def run(path, out, solutions=False):
    """Run a chapter for a learner, in its order: code and output, the exercises, the solutions if asked."""
    out.write("%s\n%s\n" % (title(path), "=" * len(title(path))))
    text = path.read_text()
    namespace, runs, folded = course.new_namespace(path), [], False
    for piece in course.segments(text, str(path)):
        if piece.solution and not solutions:
            folded = True
        elif piece.kind == "python":
            runs += course.run_blocks([piece.block], path, namespace, echo=out)
            if runs[-1].error:
                break
        elif piece.solution:
            out.write("\n%s" % _plain(piece.text))
        elif _EXERCISES.search(piece.text):
            out.write("\n%s" % course.exercises(text))
    if folded:
        out.write("\n(The worked solutions are folded: `python -m tfcore %d --solutions` runs "
                  "and shows them.)\n" % int(path.name[:2]))
    drawn = [name for r in runs for name in r.figures]
    if drawn:
        out.write("\nFigures written to %s: %s\n" % (figures.directory(), ", ".join(drawn)))
    problems = course.failures(runs, path)
    if problems:
        out.write("\n%d block(s) differ from the chapter:\n%s\n" % (len(problems), "\n".join(problems)))
        return 1
    out.write("\n%s: all %d code blocks ran and printed what the chapter shows.\n" % (path.name, len(runs)))
    return 0


def _parser():
    p = argparse.ArgumentParser(prog="python -m tfcore", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:8]))
    p.add_argument("words", nargs="*", metavar="[run] CHAPTER",
                   help="a chapter to run: a number (5), a name (05_conv) or a path")
    p.add_argument("--solutions", action="store_true",
                   help="also run and show the exercises' worked solutions (folded by default)")
    p.add_argument("--figures", metavar="DIR", type=cli.writable_dir, default=None,
                   help="where the chapter's pictures go (default: ./figures)")
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's start-up and C++ log lines too (hidden by default)")
    return p


def main(argv=None):
    p = _parser()
    args = p.parse_args(argv)
    words = args.words[1:] if args.words[:1] == ["run"] else args.words
    if not words:
        if args.words:
            p.error("run needs a chapter: python -m tfcore run 5")
        try:
            list_chapters(sys.stdout)
        except LookupError as err:
            p.exit(1, "python -m tfcore: %s\n" % err)
        return 0
    if len(words) > 1:
        p.error("one chapter at a time, got %s" % " ".join(words))
    try:
        path = course.find_chapter(words[0])
    except LookupError as err:
        p.error(str(err))
    if not args.verbose and "tensorflow" not in sys.modules:
        # TensorFlow reads this once, at its import (which the chapter's code does):
        # its C++ warnings ("Not handling type DT_DOUBLE") would land among the output.
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    folder = pathlib.Path(args.figures) if args.figures else pathlib.Path.cwd() / "figures"
    with figures.writing_to(folder):
        return run(path, sys.stdout, solutions=args.solutions)


if __name__ == "__main__":  # the command, not a test calling main(): set up the process first
    from tfcore import quiet

    quiet.for_command()  # TensorFlow's start-up banners filtered, a crash always shown
    from tfcore.cli import exit_with

    exit_with(main)
