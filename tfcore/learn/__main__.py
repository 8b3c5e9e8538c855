"""`python -m tfcore.learn list | check | test | regenerate`: the exercises' checker and the course's tools.

Exit status: 0 when everything passed, 1 when a check or a chapter failed,
2 for usage errors (an unknown exercise or chapter, a missing file or function).
"""

import argparse
import sys

from tfcore.cli import non_negative_int, positive_int
from tfcore.learn import checker, course


def _parser():
    p = argparse.ArgumentParser(prog="python -m tfcore.learn", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the exercises, with the signature your function must have")
    c = sub.add_parser("check", help="check your function: python -m tfcore.learn check conv2d mine.py:conv2d")
    c.add_argument("exercise", help="an exercise name (see `list`)")
    c.add_argument("function", metavar="FILE.py:FUNCTION", help="your function, in a Python file")
    c.add_argument("--cases", type=positive_int, default=None, help="check only the first N cases")
    c.add_argument("--seed", type=non_negative_int, default=0, help="draws the cases' values")
    t = sub.add_parser("test", help="run chapters and compare what they print with their output blocks")
    t.add_argument("chapters", nargs="*", help="numbers, names or paths (default: every chapter)")
    r = sub.add_parser("regenerate", help="(authors) rewrite chapters' output blocks from a run")
    r.add_argument("chapters", nargs="+", help="numbers, names or paths")
    return p


def _find(p, specs):
    try:
        return [course.find_chapter(s) for s in specs] if specs else course.chapters()
    except LookupError as err:
        p.error(str(err))


def main(argv=None):
    p = _parser()
    args = p.parse_args(argv)
    if args.command == "list":
        checker.list_exercises()
        return 0
    if args.command == "check":
        try:
            checker.get_exercise(args.exercise)
            function = checker.load_function(args.function)
        except checker.UsageError as err:
            p.error(str(err))
        return 0 if checker.check(args.exercise, function, seed=args.seed, cases=args.cases).ok else 1
    paths = _find(p, args.chapters)
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
    sys.exit(main())
