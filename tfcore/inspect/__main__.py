"""`python -m tfcore.inspect MODEL [--expand] [--picture out.png] [--tensorboard DIR] [--placement]`.

MODEL is a module of the checkout's `models/` package (one per example of the
chapter; an unknown name lists them) or `package.module[:function]` whose function (default `build`) returns a TrainGraph, a `tf.Graph` or a
`(graph, tensors...)` tuple. Prints the per-layer summary and the graph
statistics; the flags open the control flow (the ops inside each `If` and
`While`: the dropout mask, an RNN's time step), and add a picture, a
TensorBoard event file and a traced step's device placement; `--optimized`
shows the graph the runtime ran after Grappler's rewrites (fusions, folding),
`--profile` traces a training and an inference step (time, memory).
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
    add_runtime_flags(p)
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="build with this batch size where the model takes one; FLOPs count a None "
                        "batch dimension as this (default 1: per example)")
    p.add_argument("--device", default=None, help="build under tf.device (cpu, gpu, gpu:N)")
    p.add_argument("--cpu-devices", type=positive_int, default=1, help="CPU devices of the placement session")
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's start-up lines too (hidden by default: tfcore.quiet)")
    args = p.parse_args(argv)
    check_runtime_flags(p, args)

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
    runtime_reports(p, model, graph, outputs, args)
    return 0


def add_runtime_flags(parser):
    """The flags that run the model and show what the runtime did: --optimized, --profile."""
    parser.add_argument("--optimized", action="store_true",
                        help="run one step and show the graph the runtime executed after Grappler: "
                             "op counts before and after, fusions, folded and removed ops")
    parser.add_argument("--profile", action="store_true",
                        help="trace one training and one inference step: time per op type and "
                             "layer, peak memory, what backprop keeps alive (a TrainGraph model)")
    parser.add_argument("--picture-dir", metavar="DIR",
                        help="with --profile: draw DIR/MODEL-timeline.png and DIR/MODEL-memory.png")


def check_runtime_flags(parser, args):
    """Usage errors of `add_runtime_flags`' flags, before anything is built."""
    if args.picture_dir and not args.profile:
        parser.error("--picture-dir draws the profile's pictures: add --profile")
    if args.picture_dir:
        _check_writable_folder(parser, args.picture_dir)


def runtime_reports(parser, model, graph, outputs, args):
    """Print the reports of `add_runtime_flags`' flags (one training step, else one run)."""
    trains = getattr(model, "train_op", None) is not None
    if args.profile and not trains:
        parser.error("--profile traces a training step: %s builds no train op" % args.model)
    if args.optimized:
        from tfcore.inspect.optimized import optimized

        print("\nwhat the runtime ran for one %s:" % ("training step" if trains else "run"))
        optimized(model if trains else graph, fetches=None if trains else outputs,
                  batch_size=args.batch_size or 2, cpu_devices=args.cpu_devices, print_fn=print)
    if args.profile:
        from tfcore.inspect.profile import draw_profile, profile

        print()
        report = profile(model, batch_size=args.batch_size or 32, cpu_devices=args.cpu_devices,
                         print_fn=print)
        if args.picture_dir:
            stem = args.model.replace(":", "-").replace(".", "-") + "-"
            print("\npictures: %s" % ", ".join(draw_profile(report, args.picture_dir, prefix=stem)))


def _check_writable_folder(parser, folder):
    """A usage error, before any work, if `folder` cannot be created or written."""
    import os

    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        parser.error("--picture-dir: cannot create %s (%s)" % (folder, err.strerror or err))
    if not os.access(folder, os.W_OK | os.X_OK):
        parser.error("--picture-dir: %s is not writable" % folder)


if __name__ == "__main__":
    sys.exit(main())
