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
    for name in names:
        print("\n== %s ==" % name)
        module = importlib.import_module("models." + name)
        extra = ["--out", "runs/" + name] if argv[0] == "all" and "--out" not in rest else []
        module.main(rest + extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
