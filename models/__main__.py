"""`python -m models NAME [flags]` runs one example; `python -m models all --quick` runs the tour."""

import importlib
import os
import sys

EXAMPLES = ("gradients", "logistic_regression", "mlp", "laplacian", "mnist_cnn", "lstm_temperature")


def _out_per_example(argv, name):
    """`--out DIR` (or the default `runs`) becomes `DIR/NAME` for each example of `all`."""
    argv, base = list(argv), "runs"
    for i, arg in enumerate(argv):
        if arg == "--out" and i + 1 < len(argv):
            base = argv.pop(i + 1)
            argv.pop(i)
            break
        if arg.startswith("--out="):
            base = argv.pop(i)[len("--out="):]
            break
    return argv + ["--out", os.path.join(base, name)]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in EXAMPLES + ("all",):
        print("usage: python -m models {%s} [flags]   (python -m models NAME --help for flags)"
              % "|".join(EXAMPLES + ("all",)))
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    names = EXAMPLES if argv[0] == "all" else (argv[0],)
    rest = argv[1:]
    from tfcore.data import DataError
    from tfcore.train import NonFiniteLossError

    for name in names:
        print("\n== %s ==" % name)
        module = importlib.import_module("models." + name)
        args = rest
        if argv[0] == "all":
            # Each example gets its own directory (its checkpoints must not meet another's).
            args = _out_per_example(rest, name)
        try:
            module.main(args)
        except (DataError, NonFiniteLossError) as err:
            print("error: %s" % err, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
