"""`python -m tfcore.inspect MODEL [--expand] [--picture out.png] [--tensorboard DIR] [--placement]`.

MODEL is a module of the checkout's `models/` package (one per example of the
chapter; an unknown name lists them) or `package.module[:function]` whose function (default `build`) returns a TrainGraph, a `tf.Graph` or a
`(graph, tensors...)` tuple. Prints the per-layer summary and the graph
statistics; the flags open the control flow (the ops inside each `If` and
`While`: the dropout mask, an RNN's time step), and add a picture, a
TensorBoard event file and a traced step's device placement.
"""

if __name__ == "__main__":  # the command, not a test importing main(): set up the process first
    from tfcore import quiet

    quiet.for_command()  # before TensorFlow's import: its start-up banners are filtered

import argparse  # noqa: E402
import importlib  # noqa: E402
import inspect as python_inspect  # noqa: E402
import pkgutil  # noqa: E402
import sys  # noqa: E402

import tensorflow as tf  # noqa: E402

from tfcore.cli import positive_int, writable_file  # noqa: E402
from tfcore.inspect.control_flow import control_flow, format_control_flow  # noqa: E402
from tfcore.inspect.graph_stats import graph_stats  # noqa: E402
from tfcore.inspect.layers import resolve, summary  # noqa: E402
from tfcore.inspect.picture import render  # noqa: E402
from tfcore.inspect.placement import placement_report  # noqa: E402
from tfcore.inspect.tensorboard import write_graph  # noqa: E402


def load_builder(spec):
    """The build function named by `spec`: `NAME` (models.NAME), `models.NAME`, `pkg.mod:function`."""
    module_name, _, function = spec.partition(":")
    candidates = [module_name] if "." in module_name else ["models." + module_name, module_name]
    for name in candidates:
        try:
            module = importlib.import_module(name)
            break
        except ModuleNotFoundError as err:
            if err.name not in (name, name.split(".")[0]):
                raise
    else:
        raise LookupError("no model %r (try %s, or package.module:function)"
                          % (spec, ", ".join(example_names()) or "a module of models/"))
    builder = getattr(module, function or "build", None)
    if not callable(builder):
        raise LookupError("%s has no function %r" % (module.__name__, function or "build"))
    return builder


def example_names():
    """The modules of the `models` package that define `build`, if it can be imported here."""
    try:
        package = importlib.import_module("models")
    except ImportError:
        return []
    names = [m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return [n for n in names if callable(getattr(importlib.import_module("models." + n), "build", None))]


def build_model(builder, batch_size=None, device=None):
    """Call `builder` with the keyword arguments it accepts among batch_size and device."""
    accepted = python_inspect.signature(builder).parameters
    kwargs = {}
    if batch_size is not None and "batch_size" in accepted:
        kwargs["batch_size"] = batch_size
    if device is not None and "device" in accepted:
        kwargs["device"] = device
    model = builder(**kwargs)
    if isinstance(model, tuple):  # (graph, tensors...) with tensors possibly nested
        model = (model[0],) + tuple(tf.nest.flatten(list(model[1:])))
    return model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tfcore.inspect", description=__doc__.splitlines()[0],
                                allow_abbrev=False)
    p.add_argument("model", help="a module of models/ (an example) or package.module[:function]")
    p.add_argument("--expand", action="store_true",
                   help="show the ops inside each layer's control flow (If/While branches)")
    p.add_argument("--picture", metavar="FILE", type=writable_file, help="draw the layer graph to FILE (.png, .svg, .pdf)")
    p.add_argument("--engine", default="auto", choices=("auto", "graphviz", "matplotlib"),
                   help="picture renderer (auto: graphviz's dot if installed, else matplotlib)")
    p.add_argument("--tensorboard", metavar="DIR", help="write the graph for `tensorboard --logdir DIR`")
    p.add_argument("--placement", action="store_true", help="run one traced step and report devices")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="build with this batch size where the model takes one; FLOPs count a None "
                        "batch dimension as this (default 1: per example)")
    p.add_argument("--device", default=None, help="build under tf.device (cpu, gpu, gpu:N)")
    p.add_argument("--cpu-devices", type=positive_int, default=1, help="CPU devices of the placement session")
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's start-up lines too (hidden by default: tfcore.quiet)")
    args = p.parse_args(argv)

    try:
        builder = load_builder(args.model)
    except LookupError as err:
        p.error(str(err))
    model = build_model(builder, args.batch_size, args.device)
    graph, outputs = resolve(model)
    s = summary(model, batch_size=args.batch_size)
    if args.expand:
        print()
        print(format_control_flow(control_flow(model)))
    print()
    print(graph_stats(model if not isinstance(model, tuple) else graph))
    if args.picture:
        engine = render(s, args.picture, engine=args.engine, title=args.model)
        print("\npicture (%s): %s" % (engine, args.picture))
    if args.tensorboard:
        path = write_graph(graph, args.tensorboard)
        print("\nTensorBoard event file: %s\n  view it with: tensorboard --logdir %s"
              % (path, args.tensorboard))
    if args.placement:
        print("\nplacement of one %s:" % ("training step" if hasattr(model, "train_op") else "run"))
        if hasattr(model, "train_op") and model.train_op is not None:
            placement_report(model, batch_size=args.batch_size or 2, cpu_devices=args.cpu_devices)
        else:
            placement_report(graph, fetches=outputs, batch_size=args.batch_size or 2,
                             cpu_devices=args.cpu_devices)
    return 0


if __name__ == "__main__":
    sys.exit(main())
