"""Argument types for command lines: a bad value is a usage error (exit 2) before any work.

Pass them as argparse's `type=`; each returns the converted value or raises
`argparse.ArgumentTypeError`, which argparse turns into

    usage: python -m models.EXAMPLE [-h] ...
    python -m models.EXAMPLE: error: argument --batch-size: must be a positive integer, got '0'

so a typo costs nothing, instead of a traceback after minutes of training.

    positive_int, non_negative_int          counts (steps, units, towers, threads)
    positive_float, non_negative_float      rates, decays, timeouts, clip norms
    int_in(low, high), float_in(low, high)  sizes and fractions with a range
    SEED                                    a seed NumPy and TensorFlow both accept
    writable_dir, writable_file             output paths, checked before anything runs
    readable_file, existing_dir             inputs that must exist
"""

import argparse
import math
import os
import sys


def _number(text, kind, what):
    try:
        value = kind(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("must be %s, got %r" % (what, text)) from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError("must be %s, got %r" % (what, text))
    return value


def _checked(kind, what, ok, doc):
    """An argparse type: `text` as a finite `kind` (int or float) for which `ok(value)` holds."""
    def parse(text):
        value = _number(text, kind, what)
        if not ok(value):
            raise argparse.ArgumentTypeError("must be %s, got %r" % (what, text))
        return value
    parse.__name__ = "integer" if kind is int else "number"
    parse.__doc__ = doc
    return parse


positive_int = _checked(int, "a positive integer", lambda v: v >= 1,
                        "An int >= 1: a count of things that must exist (epochs, rows per batch).")
non_negative_int = _checked(int, "an integer >= 0", lambda v: v >= 0,
                            "An int >= 0 (0 usually means 'none' or 'choose for me').")
positive_float = _checked(float, "a number > 0", lambda v: v > 0,
                          "A finite float > 0 (a timeout, a scale).")
non_negative_float = _checked(float, "a number >= 0", lambda v: v >= 0,
                              "A finite float >= 0 (a learning rate, a decay, a dropout rate).")


def _bound(value, default):
    return default if value is None else value


def int_in(low, high):
    """A type for ints in [low, high] (either bound None: unbounded)."""
    return _checked(int, "an integer in [%s, %s]" % (_bound(low, "-inf"), _bound(high, "inf")),
                    lambda v: _bound(low, v) <= v <= _bound(high, v), int_in.__doc__)


def float_in(low, high):
    """A type for finite floats in [low, high] (either bound None: unbounded)."""
    return _checked(float, "a number in [%s, %s]" % (_bound(low, "-inf"), _bound(high, "inf")),
                    lambda v: _bound(low, v) <= v <= _bound(high, v), float_in.__doc__)


# NumPy's SeedSequence refuses negative seeds; TensorFlow's graph seed is an int64.
SEED = int_in(0, 2 ** 31 - 1)


def _nearest_existing(path):
    """`path` itself if it exists, else its closest existing ancestor."""
    path = os.path.abspath(path)
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def check_writable_dir(path):
    """Why `path` cannot be (made into) a writable folder, or None if it can."""
    existing = _nearest_existing(path)
    if existing == os.path.abspath(path) and not os.path.isdir(existing):
        return "%s exists and is not a folder" % path
    if not os.path.isdir(existing):
        return "%s cannot be created: %s is a file" % (path, existing)
    if not os.access(existing, os.W_OK | os.X_OK):
        return "%s is not writable (no write permission on %s)" % (path, existing)
    return None


def writable_dir(text):
    """A folder that exists and is writable, or that can be created (not created here)."""
    if not text:
        raise argparse.ArgumentTypeError("must name a folder")
    problem = check_writable_dir(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def writable_file(text):
    """A file path that can be written: not a folder, its folder writable or creatable."""
    if not text or text.endswith(os.sep):
        raise argparse.ArgumentTypeError("must name a file, got %r" % text)
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a folder, not a file" % text)
    if os.path.exists(text) and not os.access(text, os.W_OK):
        raise argparse.ArgumentTypeError("%s is not writable" % text)
    problem = check_writable_dir(os.path.dirname(os.path.abspath(text)))
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def readable_file(text):
    """An existing, readable file (not a folder)."""
    if not os.path.exists(text):
        raise argparse.ArgumentTypeError("%s does not exist" % text)
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is a folder, not a file" % text)
    if not os.access(text, os.R_OK):
        raise argparse.ArgumentTypeError("%s is not readable" % text)
    return text


def existing_dir(text):
    """An existing folder (an input such as a data directory)."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError("%s is not an existing folder" % text)
    return text


def exit_with(main, argv=None):
    """`sys.exit(main(argv))`, except that a reader closing the pipe (`... | head`) is no error:
    the rest of the output goes nowhere and the exit status is 0, as for `cat`."""
    try:
        status = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit
        status = 0
    sys.exit(status)
