"""What every example's command line shares: flags, the output folder, metrics.json, figures.

Each example module has `build(...)` (the graph, reading as its architecture)
and `main(argv)`; `main` parses the shared flags with `parser(...)`, trains or
runs, then calls `write_metrics` and saves its figures with `save_figure`.
"""

import argparse
import contextlib
import json
import os
import pathlib
import platform
import shutil
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore


def cli(main):
    """Run `main(sys.argv[1:])`; data and training failures end with their message, not a traceback."""
    from tfcore.data import DataError
    from tfcore.train import NonFiniteLossError

    try:
        main(sys.argv[1:])
    except (DataError, NonFiniteLossError) as err:
        sys.exit("error: %s" % err)
    except KeyboardInterrupt:
        sys.exit(130)  # fit already said where the last checkpoint is


def parser(name, description, epochs, batch_size):
    """The shared flags: --epochs --batch-size --data-dir --out --seed --device --quick --no-progress."""
    p = argparse.ArgumentParser(prog="python -m models.%s" % name, description=description)
    p.add_argument("--epochs", type=int, default=epochs, help="training epochs (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=batch_size, help="rows per step (default %(default)s)")
    p.add_argument("--data-dir", default=None,
                   help="folder with the staged datasets (default: $TFCORE_DATA, then the cache)")
    p.add_argument("--out", default=os.path.join("runs", name),
                   help="folder for metrics.json and the figures (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="graph, initialisation and shuffling seed")
    p.add_argument("--device", default=None,
                   help="cpu, gpu, gpu:N or /device:GPU:N (default: TensorFlow chooses)")
    p.add_argument("--quick", action="store_true", help="a short run for a tour or a smoke test")
    p.add_argument("--fresh", action="store_true",
                   help="discard the checkpoints in --out instead of resuming from them")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    add_shipping_flags(p, trains=epochs is not None)
    return p


def parse(p, argv):
    """Parse and validate the shared flags; resolve the device early (clear error if absent)."""
    args = p.parse_args(argv)
    if args.epochs is not None and args.epochs < 0:
        p.error("--epochs must be >= 0")
    if args.batch_size is not None and args.batch_size <= 0:
        p.error("--batch-size must be positive")
    try:
        args.device = tfcore.resolve_device(args.device)
    except ValueError as err:
        p.error(str(err))
    args.out = pathlib.Path(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def checkpoint_dir(args):
    """`out/checkpoints`: fit saves every epoch there and resumes from it (unless --fresh)."""
    path = args.out / "checkpoints"
    if args.fresh and path.exists():
        shutil.rmtree(path)
    return str(path)


def device_kind(device):
    """"cpu" or "gpu": the kind of a resolved device string (None: "cpu")."""
    return "gpu" if device and "GPU" in device.upper() else "cpu"


def device_scope(device):
    """`tf.device(device)`, or no pinning when `device` is None."""
    return tf.device(device) if device else contextlib.nullcontext()


def settings(args, **extra):
    """The run's settings for metrics.json: the flags plus what the example adds."""
    out = {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(args).items()}
    out.update(extra)
    out["tensorflow"] = tf.__version__
    out["python"] = platform.python_version()
    return out


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def write_metrics(out, results, history=None, settings=None):
    """Write `out/metrics.json`: the final figures, the per-epoch history, the settings."""
    doc = {"results": _plain(results), "history": _plain(history or {}),
           "settings": _plain(settings or {}), "written": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path = pathlib.Path(out) / "metrics.json"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    return path


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out, name):
    """Save `fig` as `out/name.png` and close it; return the path."""
    path = pathlib.Path(out) / (name + ".png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def plot_history(history, out, name="curves", metrics=("loss", "accuracy")):
    """Training and validation curves, one panel per metric, like the chapter's."""
    plt = pyplot()
    shown = [m for m in metrics if m in history]
    fig, axes = plt.subplots(1, len(shown), figsize=(5 * len(shown), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], shown):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], "o-", label="train")
        if "val_" + metric in history:
            ax.plot(epochs, history["val_" + metric], "s-", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, out, name)


# ---------------------------------------------------------------------------
# Watching and shipping a trained model: --tensorboard, --export, --verbose
# ---------------------------------------------------------------------------

def add_shipping_flags(p, trains=True):
    """--verbose for every example; --tensorboard DIR and --export DIR for those that train."""
    p.add_argument("--verbose", action="store_true",
                   help="show TensorFlow's start-up lines too (hidden by default: tfcore.quiet)")
    if trains:
        p.add_argument("--tensorboard", metavar="DIR", default=None,
                       help="write TensorBoard curves, histograms and the graph to DIR while training")
        p.add_argument("--export", metavar="DIR", default=None,
                       help="after training, write DIR/saved_model (serving_default) and, for a "
                            "model without state, DIR/frozen_graph.pb")


def fit(args, model, session, x, y, **settings):
    """`tfcore.train.fit` with --tensorboard's callback, then --export's files; returns the History."""
    from tfcore import callbacks, export, train

    extra = [callbacks.TensorBoard(args.tensorboard, histogram_freq=1)] if args.tensorboard else []
    history = train.fit(model, session, x, y, callbacks=extra + settings.pop("callbacks", []),
                        **settings)
    if args.export:
        target = pathlib.Path(args.export)
        if (target / "saved_model").exists():
            shutil.rmtree(target / "saved_model")  # a re-run replaces its own export
        export.save(model, session, target / "saved_model")
        written = [str(target / "saved_model")]
        if not model.reset_ops:  # a frozen graph cannot carry a stateful layer's state
            export.freeze(model, session, str(target / "frozen_graph.pb"))
            written.append(str(target / "frozen_graph.pb"))
        print("exported %s" % " and ".join(written))
    return history
