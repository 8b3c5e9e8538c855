"""`python -m tfcore`: the course's front door.

    python -m tfcore            list the course's chapters (tfcore/learn/chapters/)
    python -m tfcore 5          run chapter 5's code blocks, printing each block and its output
    python -m tfcore run 05     the same (a number, a file name such as 05_conv, or a path)

A run ends by saying whether every block printed what the chapter shows (exit 0)
or which ones differ (exit 1): edit a chapter's code and see what changes.
"""

import argparse
import re
import sys

from tfcore.learn import course


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
              "  python -m tfcore.learn list        exercises whose solutions the checker verifies\n"
              "  python -m tfcore.learn check conv2d my_file.py:my_conv2d\n")


def run(path, out):
    out.write("%s\n%s\n" % (title(path), "=" * len(title(path))))
    runs = course.run_chapter(path, echo=out)
    problems = course.failures(runs, path)
    if problems:
        out.write("\n%d block(s) differ from the chapter:\n%s\n" % (len(problems), "\n".join(problems)))
        return 1
    out.write("\n%s: all %d code blocks ran and printed what the chapter shows.\n" % (path.name, len(runs)))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tfcore", description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.splitlines()[2:6]))
    p.add_argument("words", nargs="*", metavar="[run] CHAPTER",
                   help="a chapter to run: a number (5), a name (05_conv) or a path")
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's start-up lines too (hidden by default: tfcore.quiet)")
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
    return run(path, sys.stdout)


if __name__ == "__main__":  # the command, not a test calling main(): set up the process first
    from tfcore import quiet

    quiet.for_command()  # TensorFlow's start-up banners filtered, a crash always shown
    sys.exit(main())
