"""`python -m models NAME [flags]` runs one example; `python -m models all --quick` runs the tour.

`all` checks the flags against every example before it runs the first one (a
typo fails at once, not after five examples), and gives each example its own
folder: `--out DIR` becomes `DIR/<example>` (default `runs/<example>`), so no
two examples share a metrics.json or a checkpoint.
"""

import importlib
import os
import sys

EXAMPLES = ("gradients", "logistic_regression", "mlp", "laplacian", "mnist_cnn", "lstm_temperature")


def split_out(flags):
    """(the flags without --out, the --out value or None); accepts `--out DIR` and `--out=DIR`."""
    rest, out, i = [], None, 0
    while i < len(flags):
        if flags[i] == "--out" and i + 1 < len(flags):
            out, i = flags[i + 1], i + 2
            continue
        if flags[i].startswith("--out="):
            out = flags[i][len("--out="):]
        else:
            rest.append(flags[i])
        i += 1
    return rest, out


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in EXAMPLES + ("all",):
        print("usage: python -m models {%s} [flags]   (python -m models NAME --help for flags)"
              % "|".join(EXAMPLES + ("all",)))
        if argv and argv[0] not in ("-h", "--help"):
            print("python -m models: error: unknown example %r" % argv[0], file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    from models import common

    if argv[0] != "all":
        return run(importlib.import_module("models." + argv[0]), argv[1:], common)
    rest, out = split_out(argv[1:])
    modules = [importlib.import_module("models." + name) for name in EXAMPLES]
    flags = [rest + ["--out", os.path.join(out or "runs", name)] for name in EXAMPLES]
    for module, these in zip(modules, flags):
        try:
            with common.validating():
                module.main(these)  # parses and checks the flags, then stops: nothing runs
        except common._Validated:
            pass
    for name, module, these in zip(EXAMPLES, modules, flags):
        print("\n== %s ==" % name)
        status = run(module, these, common)
        if status:
            return status
    return 0


def run(module, flags, common):
    """Run one example; its data, training and checkpoint errors end as one line (exit 1)."""
    try:
        module.main(flags)
    except common.failures() as err:
        print("error: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
