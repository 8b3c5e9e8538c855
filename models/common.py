"""What every example's command line shares: flags, the output folder, metrics.json, figures.

Each example module has `build(...)` (the graph, reading as its architecture)
and `main(argv)`; `main` parses the shared flags with `parser(...)`, trains or
runs, then calls `write_metrics` and saves its figures with `save_figure`.
"""

import argparse
import contextlib
import errno
import json
import os
import pathlib
import platform
import re
import shutil
import sys
import time
import warnings

import numpy as np
import tensorflow as tf

import tfcore
import tfcore.cli
from tfcore import checkpoint


def failures():
    """The errors an example ends with as a one-line message: data, training, checkpoints."""
    from tfcore.data import DataError
    from tfcore.train import NonFiniteLossError

    return (DataError, NonFiniteLossError, checkpoint.CheckpointError, checkpoint.DiskFull)


def cli(main):
    """Run `main(sys.argv[1:])`; data and training failures end with their message, not a traceback."""
    try:
        main(sys.argv[1:])
    except failures() as err:
        sys.exit("error: %s" % err)
    except KeyboardInterrupt:
        sys.exit(130)  # fit already said where the last checkpoint is


# Flags that do not change what training computes: a run may resume with other values.
NOT_SHAPING = frozenset(["epochs", "out", "data_dir", "device", "progress", "fresh", "quick",
                         "towers", "steps_per_run", "tensorboard", "export"])
MANIFEST = "tfcore-run.json"
LOCK = checkpoint.LOCK_FILE
# The files tfcore.checkpoint and TensorFlow's Saver write in a checkpoint folder.
# Temporary files: tfcore.checkpoint.write_atomically's `.<name>.<random>.tmp` of its own
# files, and the Saver's `checkpoint.tmp<hex>`; never any other hidden *.tmp (a user's).
CHECKPOINT_FILES = re.compile(
    r"^(checkpoint|train_state\.json|ckpt-\d+(\.index|\.data-\d+-of-\d+|\.json|_temp.*)"
    r"|checkpoint\.tmp[0-9a-f]+|\.(checkpoint|train_state\.json|ckpt-\d+\.json)\.[^.]+\.tmp)$")
_VALIDATING = []


class _Validated(Exception):
    """Raised by `parse` inside `validating()`: the flags are good, nothing was run."""


@contextlib.contextmanager
def validating():
    """Within this block an example's `main(argv)` only checks its flags, then raises _Validated."""
    _VALIDATING.append(True)
    try:
        yield
    finally:
        _VALIDATING.pop()


def parser(name, description, epochs, batch_size):
    """The shared flags: --epochs --batch-size --data-dir --out --seed --device --quick --fresh --no-progress."""
    # No abbreviations: `models all --ou DIR` must be an error, not a silent ./runs/.
    p = argparse.ArgumentParser(prog="python -m models.%s" % name, description=description,
                                allow_abbrev=False)
    p.add_argument("--epochs", type=tfcore.cli.non_negative_int, default=epochs,
                   help="training epochs (default %(default)s); 0 trains nothing: the model "
                        "(fresh, or resumed from --out) is only evaluated and metrics.json written")
    p.add_argument("--batch-size", type=tfcore.cli.positive_int, default=batch_size,
                   help="rows per step (default %(default)s)")
    p.add_argument("--data-dir", type=tfcore.cli.existing_dir, default=None,
                   help="folder with the staged datasets (default: $TFCORE_DATA, then the cache)")
    p.add_argument("--out", type=tfcore.cli.writable_dir, default=os.path.join("runs", name),
                   help="the run's folder: metrics.json, figures, checkpoints (default %(default)s)")
    p.add_argument("--seed", type=tfcore.cli.SEED, default=0,
                   help="graph, initialisation and shuffling seed (0 .. 2**31 - 1)")
    p.add_argument("--device", default=None,
                   help="cpu, gpu, gpu:N or /device:GPU:N (default: TensorFlow chooses)")
    p.add_argument("--quick", action="store_true", help="a short run for a tour or a smoke test")
    p.add_argument("--fresh", action="store_true",
                   help="start afresh: remove the files tfcore wrote in --out (its manifest lists "
                        "them; nothing else is touched) instead of resuming")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    p.add_argument("--precision", choices=tfcore.precision.POLICIES, default="float32",
                   help="arithmetic: float32, or float32 variables with bfloat16 (CPU, oneDNN) "
                        "or float16 (GPU only) compute; see tfcore.precision (default %(default)s)")
    p.set_defaults(example=name)
    add_shipping_flags(p, trains=epochs is not None)
    return p


def parse(p, argv, quick=None):
    """Parse the flags, then open the run directory; every check happens before any work.

    `quick` ({"epochs": 1, "limit": 6000}) is what --quick changes: epochs are
    capped at its value, any other setting is filled in where not given.
    """
    args = p.parse_args(argv)
    _say_what_is_ignored(p, args)
    try:
        args.device = tfcore.resolve_device(args.device)
    except ValueError as err:
        p.error(str(err))
    try:  # the one place --precision is applied: every graph built after this carries it
        tfcore.precision.check_device(args.precision, bool(tf.config.list_physical_devices("GPU")))
    except ValueError as err:
        p.error(str(err))
    tfcore.precision.set_default_policy(args.precision)
    if args.precision != "float32":  # the process's setup: the loss's softmax stays float32
        tfcore.precision.keep_loss_in_float32()
    if args.quick:
        for key, value in (quick or {}).items():
            current = getattr(args, key)
            setattr(args, key, min(current, value) if key == "epochs" else
                    (value if current is None else current))
    if _VALIDATING:
        raise _Validated
    args.out = open_run(p, args)
    return args


def _say_what_is_ignored(p, args):
    """An example that does not train (gradients, laplacian) says so when given --epochs/--batch-size."""
    for flag in ("epochs", "batch_size"):
        if p.get_default(flag) is None and getattr(args, flag) is not None:
            print("%s: note: --%s %s is ignored: this example does not train"
                  % (p.prog, flag.replace("_", "-"), getattr(args, flag)), file=sys.stderr)


def open_run(p, args):
    """Lock `args.out`, check its manifest against these settings, honour --fresh; return the Path.

    One run at a time: a second process on the same folder stops at once,
    naming the process that holds it. A folder whose checkpoints were made with
    other settings is not resumed: the differences are listed.
    """
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _lock(p, out)
    settings = shaping_settings(args)
    manifest = _read_manifest(out, warn=not _checkpoint_files(out))  # else refused just below
    if args.fresh:
        if (out / "checkpoints").is_symlink():
            p.exit(2, "%s: error: --fresh: %s is a link to %s; tfcore never deletes files outside "
                      "%s. Empty that folder yourself, or choose another --out.\n"
                      % (p.prog, out / "checkpoints", os.path.realpath(out / "checkpoints"), out))
        remove_tfcore_files(out, manifest)
        manifest = None
    elif manifest is None and (out / MANIFEST).exists() and _checkpoint_files(out):
        p.exit(2, "%s: error: %s is damaged, so the settings of the checkpoints in %s cannot be "
                  "checked against these. Restore it from a backup, or start afresh with --fresh "
                  "(removes only the files tfcore wrote there) or choose another --out.\n"
                  % (p.prog, out / MANIFEST, out))
    elif manifest is not None and _checkpoint_files(out):
        before = dict(manifest.get("settings", {}), example=manifest.get("example"))
        now = json.loads(json.dumps(_plain(dict(settings, example=args.example))))
        different = [k for k in sorted(set(before) & set(now)) if before[k] != now[k]]
        if different:
            p.exit(2, "%s: error: %s holds checkpoints of a run with other settings: %s.\n"
                      "Resume it with its settings, or start afresh with --fresh (removes only "
                      "the files tfcore wrote there) or choose another --out.\n" % (
                          p.prog, out, "; ".join("%s %r (that run) vs %r (now)" % (k, before[k], now[k])
                                                 for k in different)))
    elif manifest is None and _checkpoint_files(out):
        warnings.warn("%s holds checkpoints but no %s (an older tfcore, or it was removed): the "
                      "settings they were made with cannot be checked; the model's variables "
                      "still are when they are restored" % (out, MANIFEST), stacklevel=2)
    files = manifest.get("files", []) if manifest else []
    _write_manifest(out, {"example": args.example, "settings": settings, "files": files})
    return out


def shaping_settings(args):
    """The flags that decide what training computes (not where, how fast or for how long)."""
    return {k: (str(v) if isinstance(v, pathlib.Path) else v) for k, v in vars(args).items()
            if k not in NOT_SHAPING and k != "example"}


def _lock(p, out):
    """Hold the run directory's fcntl lock for this process's lifetime (tfcore.checkpoint.lock)."""
    try:
        checkpoint.lock(str(out))
    except checkpoint.DirectoryInUse as err:
        p.exit(1, "%s: error: %s; or choose another --out.\n" % (p.prog, err))


def _read_manifest(out, warn=True):
    """The run's manifest, or None when it is missing or damaged (then a warning, if `warn`)."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
        if not warn:
            return None
        warnings.warn("%s is damaged; the settings of the run in %s cannot be checked" % (path, out))
        return None
    return manifest


def _write_manifest(out, manifest):
    checkpoint.write_atomically(str(out / MANIFEST), json.dumps(_plain(manifest), indent=1) + "\n")


def _record(out, path):
    """Add `path` (a file tfcore just wrote in `out`) to the manifest, if a run is open there."""
    out = pathlib.Path(out)
    if os.path.realpath(out) not in checkpoint._LOCKS:
        return
    manifest = _read_manifest(out) or {"files": []}
    name = os.path.relpath(path, out)
    if name not in manifest["files"]:
        manifest["files"] = manifest["files"] + [name]
        _write_manifest(out, manifest)


def _checkpoint_files(out):
    folder = out / "checkpoints"
    return sorted(folder / n for n in os.listdir(folder) if CHECKPOINT_FILES.match(n)) \
        if folder.is_dir() else []


def remove_tfcore_files(out, manifest):
    """Remove what tfcore wrote in `out`: the manifest's files and the checkpoint files, nothing else.

    A symlink is never followed out of `out`: the files of a linked `checkpoints`
    folder are left alone (`--fresh` refuses such a folder before calling this).
    """
    root = out.resolve()
    for name in (manifest or {}).get("files", []):
        path = (out / name).resolve()
        if root in path.parents and path.is_file():  # never outside the folder
            path.unlink()
    for path in [] if (out / "checkpoints").is_symlink() else _checkpoint_files(out):
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    with contextlib.suppress(OSError):
        (out / "checkpoints").rmdir()  # only if nothing of the user's is left in it
    (out / MANIFEST).unlink(missing_ok=True)


def checkpoint_dir(args):
    """`out/checkpoints`: fit saves every epoch there and resumes from it (--fresh emptied it)."""
    return str(args.out / "checkpoints")


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
    checkpoint.write_atomically(str(path), json.dumps(doc, indent=2) + "\n")
    _record(out, path)
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
    temporary = path.with_name(".%s.%d.png" % (path.stem, os.getpid()))
    try:
        fig.savefig(temporary, dpi=110, bbox_inches="tight")
        os.replace(temporary, path)
    except OSError as err:
        temporary.unlink(missing_ok=True)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise checkpoint.DiskFull(err.errno, os.strerror(err.errno), str(path)) from None
        raise
    finally:
        pyplot().close(fig)
    _record(out, path)
    return path


def plot_history(history, out, name="curves", metrics=("loss", "accuracy")):
    """Training and validation curves, one panel per metric, like the chapter's."""
    shown = [m for m in metrics if history.get(m)]
    if not shown:
        return None  # --epochs 0: nothing trained, no curves
    plt = pyplot()
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
        # Checked as the flags are parsed, before training (not at its end).
        p.add_argument("--tensorboard", metavar="DIR", default=None, type=tfcore.cli.writable_dir,
                       help="write TensorBoard curves, histograms and the graph to DIR while training")
        p.add_argument("--export", metavar="DIR", default=None, type=tfcore.cli.writable_dir,
                       help="after training, write DIR/saved_model (serving_default) and, for a "
                            "model without state, DIR/frozen_graph.pb")


def fit(args, model, session, x, y, **settings):
    """`tfcore.train.fit` with --tensorboard's callback, then --export's files; returns the History."""
    from tfcore import callbacks, export, train

    target = pathlib.Path(args.export) if args.export else None
    if target is not None and (target / "saved_model").exists() \
            and any((target / "saved_model").iterdir()):  # say so before training
        sys.exit("error: --export: %s already holds files; remove it or choose another directory"
                 % (target / "saved_model"))
    extra = [callbacks.TensorBoard(args.tensorboard, histogram_freq=1)] if args.tensorboard else []
    history = train.fit(model, session, x, y, callbacks=extra + settings.pop("callbacks", []),
                        **settings)
    if target is not None:
        export.save(model, session, target / "saved_model")
        written = [str(target / "saved_model")]
        if not model.reset_ops:  # a frozen graph cannot carry a stateful layer's state
            export.freeze(model, session, str(target / "frozen_graph.pb"))
            written.append(str(target / "frozen_graph.pb"))
        print("exported %s" % " and ".join(written))
    return history
