"""`python -m models NAME [flags]` runs one example; `python -m models all --quick` runs the tour."""

import importlib
import sys

EXAMPLES = ("gradients", "logistic_regression", "mlp", "laplacian", "mnist_cnn", "lstm_temperature")


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
        extra = ["--out", "runs/" + name] if argv[0] == "all" and "--out" not in rest else []
        try:
            module.main(rest + extra)
        except (DataError, NonFiniteLossError) as err:
            print("error: %s" % err, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
