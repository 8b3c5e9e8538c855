"""argparse types for the command lines: a bad number is a usage error (exit 2), not a traceback."""

import argparse


def positive_int(text):
    """An int > 0 (`--cases 3`, `--batch-size 8`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a positive integer, got %r" % text) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("expected a positive integer, got %d" % value)
    return value


def non_negative_int(text):
    """An int >= 0 (`--seed 0`)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an integer >= 0, got %r" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("expected an integer >= 0, got %d" % value)
    return value
