"""`python -m tfcore.learn list | check | grade | test | regenerate | notebook`: the exercises' checker and the course's tools.

Exit status: 0 when everything passed, 1 when a check, a grade or a chapter failed
(a wrong answer, a time-out, an exit or a crash in your code), 2 for usage errors
(an unknown exercise or chapter, a missing file or function, a bad flag). `list`
and every usage error answer without importing TensorFlow; `check` and `grade`
run your code in a child process (tfcore/learn/sandbox.py).
"""

from __future__ import annotations

import argparse
import os
import sys

from tfcore.cli import (SEED, existing_dir, non_negative_int, positive_float, positive_int,
                        writable_dir, writable_file)
from tfcore.learn import course, exercises, sandbox


def _parser():
    p = argparse.ArgumentParser(prog="python -m tfcore.learn", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the exercises, with the signature your function must have")
    c = sub.add_parser("check", help="check your function: python -m tfcore.learn check conv2d mine.py:conv2d")
    c.add_argument("exercise", help="an exercise name (see `list`)")
    c.add_argument("function", metavar="FILE.py:FUNCTION", help="your function, in a Python file")
    c.add_argument("--cases", type=positive_int, default=None, help="check only the first N cases")
    c.add_argument("--seed", type=non_negative_int, default=0, help="draws the random cases' values (default 0)")
    _add_sandbox_flags(c)
    g = sub.add_parser("grade", help="(teachers) grade a folder holding <exercise>.py files")
    g.add_argument("directory", metavar="DIR", type=existing_dir,
                   help="one file per exercise, <exercise>.py defining a function <exercise>")
    g.add_argument("--seed", type=SEED, default=None, help="the hidden cases' seed (default: drawn, then printed)")
    g.add_argument("--json", type=writable_file, metavar="FILE", help="also write the scores as JSON")
    g.add_argument("--junit", type=writable_file, metavar="FILE", help="also write JUnit XML (one test per exercise)")
    _add_sandbox_flags(g)
    t = sub.add_parser("test", help="run chapters and compare what they print with their output blocks")
    t.add_argument("chapters", nargs="*", help="numbers, names or paths (default: every chapter)")
    r = sub.add_parser("regenerate", help="(authors) rewrite chapters' output blocks from a run")
    r.add_argument("chapters", nargs="+", help="numbers, names or paths")
    _notebook_parser(sub)
    return p


def _notebook_parser(sub):
    n = sub.add_parser("notebook", help="write chapters as Jupyter notebooks (needs tfcore[learn])")
    n.add_argument("chapters", nargs="+", help="numbers, names or paths, or `all`")
    n.add_argument("--out", type=writable_dir, default="notebooks",
                   help="the folder for the .ipynb files and their figures/ (default: ./notebooks)")
    n.add_argument("--solutions", action="store_true", help="include the worked solutions")
    n.add_argument("--no-outputs", dest="run", action="store_false",
                   help="write the cells without running the chapter (no outputs, no figures)")


def _notebooks(args, paths):
    from tfcore.learn import notebook  # nbformat is an extra: only this command needs it

    for path in paths:
        try:
            target = notebook.write(path, args.out, solutions=args.solutions, run=args.run)
        except (ImportError, course.ChapterError) as err:
            print("%s: %s" % (path, err), file=sys.stderr)
            return 1
        print("%s -> %s" % (path, target))
    return 0


def _add_sandbox_flags(parser):
    parser.add_argument("--timeout", type=positive_float, default=sandbox.DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="time limit for each function (default %(default)g s)")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's log lines too")


def _check(p, args):
    try:
        exercises.get_exercise(args.exercise)
        path, name = sandbox.parse_spec(args.function)
    except exercises.UsageError as err:
        p.error(str(err))
    job = {"exercise": args.exercise, "file": path, "function": name, "seed": args.seed,
           "cases": args.cases, "keep_going": False}
    (result,) = sandbox.run_jobs([job], args.timeout, args.verbose, on_line=lambda _, line: print(line, flush=True))
    if result["status"] not in ("pass", "fail"):  # no report came: say why, in one line
        print("FAIL %s: %s" % (args.exercise, result["failure"]))
    return 0 if result["status"] == "pass" else 1


def _grade(args):
    from tfcore.learn import grade

    seed = grade.draw_seed() if args.seed is None else args.seed
    print("grading %s, seed %d (--seed %d repeats this run), time limit %g s per exercise"
          % (args.directory, seed, seed, args.timeout), flush=True)
    scores = grade.grade(args.directory, seed, args.timeout, args.verbose)
    grade.write_text(scores, seed, sys.stdout)
    if args.json:
        grade.write_json(scores, seed, args.json)
    if args.junit:
        grade.write_junit(scores, seed, args.junit)
    return 0 if all(s.status == "pass" for s in scores) else 1


def _find(p, specs):
    try:
        return [course.find_chapter(s) for s in specs] if specs else course.chapters()
    except LookupError as err:
        p.error(str(err))


def main(argv: list[str] | None = None) -> int:
    p = _parser()
    args = p.parse_args(argv)
    if args.command == "list":
        exercises.list_exercises()
        return 0
    if args.command == "check":
        return _check(p, args)
    if args.command == "grade":
        return _grade(args)
    if args.command == "notebook":
        return _notebooks(args, _find(p, [] if args.chapters == ["all"] else args.chapters))
    paths = _find(p, args.chapters)
    if "tensorflow" not in sys.modules:  # read once, at TensorFlow's import (the chapters do it)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no C++ warnings among the output
    status = 0
    for path in paths:
        try:
            if args.command == "regenerate":
                print("%s: %d output block(s) rewritten" % (path, course.regenerate(path)))
                continue
            problems = course.check_chapter(path)
        except course.ChapterError as err:
            problems = [str(err)]
        print("%s: %s" % (path, "ok" if not problems else "FAILED"))
        for message in problems:
            print(message)
        status = status or (1 if problems else 0)
    return status


if __name__ == "__main__":  # the command, not a test calling main(): set up the process first
    from tfcore import quiet

    quiet.for_command()  # TensorFlow's start-up banners filtered, a crash always shown
    from tfcore.cli import exit_with

    exit_with(main)
