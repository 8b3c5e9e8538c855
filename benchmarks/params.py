"""The benchmark's parameters: one registry for the command line and for library use.

Every knob is declared once in `FLAGS` (name, default, help, choices, minimum),
and `Params` is generated from that list, so each default has one source. The
command line (`run.py`) builds its `argparse` parser from that list; tests and
notebooks call `make_params(model=[NAME], steps=2, ...)` and get the same
validated `Params` object, so the CLI stays a thin shell over the harness.

This module imports no TensorFlow: `run.py` parses and validates the flags
*before* TensorFlow is imported, because two of the settings
(`TF_USE_LEGACY_KERAS` for the tf-keras peer, `TF_ENABLE_ONEDNN_OPTS`) are read
once, when TensorFlow is imported.
"""

import argparse
import dataclasses
import importlib.util
import os
import pathlib
import re

from benchmarks import sweep as sweep_lib
from benchmarks.registry import MODELS, variants

FEEDS = ("feed_dict", "callable", "dataset", "resident")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # tfcore.precision.POLICIES (no TF here)

_DEVICE_RE = re.compile(r"^(cpu|gpu)(:\d+)?$|^all$|^/device:(cpu|gpu):\d+$", re.IGNORECASE)


class ParamsError(ValueError):
    """A parameter or a combination of parameters is invalid; the message says which."""


@dataclasses.dataclass(frozen=True)
class Flag:
    name: str  # the attribute name; the flag is --name-with-dashes
    default: object
    help: str
    type: object = str
    choices: tuple = None
    action: str = None  # "store_true" for switches
    minimum: int = None  # an int flag's lowest valid value
    former: str = None  # a switch's former spelling, still accepted: it asks for the default


FLAGS = (
    Flag("device", None, "cpu, gpu, gpu:N, /device:GPU:N or all (default: every device present)"),
    Flag("model", None, "comma-separated models or 'all' (default all: every model but the "
         "readable variants): " + ", ".join(MODELS)),
    Flag("variants", False, "also time the chosen models' readable variants, each reported beside "
         "its fast model: " + ", ".join(v for m in MODELS for v in variants(m))
         + " (slower: their steps take several times the fast one's)", type=bool, action="store_true"),
    Flag("batch_size", None, "rows per step for every model (default: each model's own: "
         + ", ".join("%s %d" % (m.name, m.batch) for m in MODELS.values()) + ")", type=int,
         minimum=1),
    Flag("warmup", 3, "untimed steps before timing (graph optimisation, allocator warm-up)", type=int,
         minimum=0),
    Flag("steps", 10, "timed steps per block (at least 2, for a spread); each side runs --rounds "
         "blocks", type=int, minimum=2),
    Flag("rounds", 3, "blocks per side, alternating tfcore / tf-keras A B A B", type=int, minimum=1),
    Flag("threads", "0", "intra-op threads, or INTRA,INTER (0 = TensorFlow's choice)"),
    Flag("verbose", False, "show TensorFlow's start-up lines too (hidden by default: tfcore.quiet)",
         type=bool, action="store_true"),
    Flag("xla", False, "XLA auto-clustering (sets TF_XLA_FLAGS=--tf_xla_cpu_global_jit on CPU "
         "and jit_compile in the peer)", type=bool, action="store_true"),
    Flag("onednn", "auto", "oneDNN: on/off sets TF_ENABLE_ONEDNN_OPTS; auto turns it on unless "
         "the environment already sets it", choices=("auto", "on", "off")),
    Flag("data", "synthetic", "synthetic (random arrays shaped like each model's data; offline) "
         "or real (the staged datasets)", choices=("synthetic", "real")),
    Flag("peer", None, "the frameworks timed beside tfcore, comma-separated, alternating A B C A B C: "
         "keras (tf-keras, Keras 2), torch (PyTorch, eager; the [peers] extra), all (every one "
         "installed) or none (default keras where tf-keras is installed)"),
    Flag("feed", "resident", "how tfcore's timed step gets its batch: feed_dict (session.run with a "
         "feed dict), callable (Session.make_callable: the same feed, less Python per run) or "
         "dataset (a tf.data iterator over the same arrays, prefetched) or resident (the arrays "
         "copied once into variables, each run slicing its batch in the graph, no feed)",
         choices=FEEDS),
    Flag("fused_batchnorm", True, "use the readable batch norm in the CNN-BN model instead of the "
         "fused kernel (FusedBatchNormV3)", type=bool, action="store_false"),
    Flag("precision", "float32", "arithmetic of both sides: float32, or float32 variables with "
         "bfloat16 compute (tfcore.precision; the tf-keras peer under its own mixed_bfloat16 "
         "policy) or float16 (GPU only); %% of peak then uses the same type's matmul peak",
         choices=PRECISIONS),
    Flag("lstm_implementation", "block", "the LSTM's strategy: block (fused BlockLSTM), unroll, while",
         choices=("block", "unroll", "while")),
    Flag("epoch", True, "skip the whole-epoch wall-time measurement", type=bool, action="store_false"),
    Flag("steps_per_run", 0, "training steps per session run in the epoch timed through "
         "tfcore.train.fit (its steps_per_run=); 0 (default) = the whole epoch in one run, "
         "1 = one run per batch", type=int, minimum=0),
    Flag("memory", True, "skip the peak host memory per step, which each framework's step, built "
         "and run once more in a fresh process per model, measures after the timing (benchmarks/"
         "memory.py; ~15-40 s for the default run, more under load)", type=bool,
         action="store_false", former="--memory"),
    Flag("peer_timeout", 300, "seconds a framework's own process (PyTorch, the memory probes) may "
         "take for one call before it is stopped and its row skipped with the reason", type=int,
         minimum=1),
    Flag("sweep", "", "AXIS=V1,V2,...: time every model at each value, every framework alternating: "
         "batch=32,64,128 (rows per step), threads=1,2 (intra-op threads, up to the cores present), "
         "length=10,50,200 (sequence length of the recurrent models); '' (default) = no sweep"),
    Flag("trace", "", "write one traced training step per model and framework into this folder "
         "(Chrome traces, per-op totals; see benchmarks/trace.py); '' (default) = none"),
    Flag("json", "runs/benchmarks/results.json", "where to write the JSON ('' to skip)"),
    Flag("markdown", "runs/benchmarks/results.md", "where to write the Markdown table ('' to skip)"),
    Flag("plot", "runs/benchmarks/samples_per_second.png", "where to write the bar chart ('' to skip)"),
    Flag("overwrite", False, "replace the saved results (--json, --markdown, --plot) even when this "
         "run measured less than they hold (fewer rows, or a skipped peer); without it such a run "
         "writes beside them, as NAME.partial.EXT", type=bool, action="store_true"),
    Flag("peak_size", 2048, "side of the square float32 matmul that measures the peak", type=int,
         minimum=64),
    Flag("quick", False, "a smoke run: 1 warm-up step, 3 steps, 1 round, small peak matmul",
         type=bool, action="store_true"),
    Flag("seed", 0, "graph and data seed (NumPy's generators take 0 .. 2**32 - 1)", type=int, minimum=0),
    Flag("towers", 1, "split each CNN training batch over N devices of the benchmarked device's "
         "kind (tfcore.parallel; on a CPU the sessions expose N logical CPU devices)", type=int,
         minimum=1),
    Flag("cpu_devices", 1, "logical CPU devices each session exposes (/device:CPU:0..N-1); with "
         "--device all each is benchmarked, exercising the multi-device paths on one CPU", type=int,
         minimum=1),
)
OUTPUTS = ("json", "markdown", "plot")  # the flags that name files the run writes


def _batch_for(self, model):
    """The batch of `model` in this run: --batch-size, or the model's default."""
    return self.batch_size or MODELS[model].batch


def _as_dict(self):
    return dataclasses.asdict(self)


# One attribute per flag, its default the flag's (FLAGS is the one source of defaults),
# plus the fields `validate` derives. As tf_cnn_benchmarks' make_params does.
Params = dataclasses.make_dataclass(
    "Params",
    [(f.name, object, dataclasses.field(default=f.default)) for f in FLAGS] + [
        ("models", list, dataclasses.field(default_factory=list)),  # the --model names, resolved
        ("peers", list, dataclasses.field(default_factory=list)),  # the --peer names, resolved
        ("intra_op_threads", int, 0),  # --threads, parsed
        ("inter_op_threads", int, 0),
        ("sweep_axis", str, None),  # --sweep, parsed (benchmarks/sweep.py)
        ("sweep_values", list, dataclasses.field(default_factory=list)),
        ("sweep_left_out", dict, dataclasses.field(default_factory=dict)),  # model -> why
        ("length", int, None)],  # the recurrent models' sequence length (a length sweep's point)
    namespace={"batch_for": _batch_for, "as_dict": _as_dict,
               "__doc__": "The benchmark's parameters: every flag of FLAGS, then the derived fields."})


def keras_installed():
    """Whether tf-keras can be imported (looked up without importing it or TensorFlow)."""
    return importlib.util.find_spec("tf_keras") is not None


def torch_installed():
    """Whether PyTorch can be imported (looked up without importing it)."""
    return importlib.util.find_spec("torch") is not None


def parser():
    """The `argparse` parser of `run.py`, generated from `FLAGS` (no abbreviated flags)."""
    p = argparse.ArgumentParser(
        prog="python benchmarks/run.py", allow_abbrev=False,
        description="Training-step times of tfcore's example models on each device, with the "
                    "same models in tf-keras measured in the same run.")
    for flag in FLAGS:
        dashed = flag.name.replace("_", "-")
        if flag.action == "store_false":  # a switch that is on by default: --no-NAME
            p.add_argument("--no-" + dashed, dest=flag.name, action="store_false", help=flag.help)
            if flag.former:  # e.g. --memory, opt-in before it became the default
                p.add_argument(flag.former, dest=flag.name, action="store_true",
                               help="the default, accepted for older commands")
        elif flag.action == "store_true":
            p.add_argument("--" + dashed, dest=flag.name, action="store_true", help=flag.help)
        else:
            p.add_argument("--" + dashed, dest=flag.name, type=flag.type, choices=flag.choices,
                           default=flag.default, help=flag.help)
    p.set_defaults(**{f.name: f.default for f in FLAGS})
    return p


def make_params(**options):
    """A validated `Params` from keyword options (the flags' names); raises ParamsError."""
    unknown = set(options) - {f.name for f in FLAGS}
    if unknown:
        raise ParamsError("unknown parameter(s): %s" % ", ".join(sorted(unknown)))
    params = Params(**options)
    validate(params)
    return params


def parse(argv=None):
    """Parse and validate the command line; a bad flag or combination exits 2 with argparse's error."""
    p = parser()
    args = p.parse_args(argv)
    try:
        return make_params(**vars(args))
    except ParamsError as err:
        p.error(str(err))


def validate(params):
    """Check every parameter and the combinations up front; fill in the derived fields."""
    if params.quick:
        params.warmup, params.steps, params.rounds = min(params.warmup, 1), min(params.steps, 3), 1
        params.peak_size = min(params.peak_size, 1024)
    params.models = _resolve_models(params.model, params.variants)
    if params.device is not None and not _DEVICE_RE.match(str(params.device)):
        raise ParamsError("--device: %r is not cpu, gpu, gpu:N, /device:GPU:N or all" % params.device)
    _check_ints(params)
    _check_batch(params)
    match = re.match(r"^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$", str(params.threads))
    if not match:
        raise ParamsError("--threads must be N or INTRA,INTER with non-negative ints (got %r)"
                          % params.threads)
    params.intra_op_threads = int(match.group(1))
    params.inter_op_threads = int(match.group(2)) if match.group(2) else 0
    _check_peer(params)
    _check_devices(params)
    _check_sweep(params)
    for name in OUTPUTS:
        _check_writable(name, getattr(params, name))
    if params.trace and pathlib.Path(params.trace).exists() and not pathlib.Path(params.trace).is_dir():
        raise ParamsError("--trace %s is a file; give a folder (it is created if missing)" % params.trace)
    return params


def _resolve_models(model, with_variants=False):
    """The list of model names `--model` asks for (comma-separated, a list, or 'all'), in run order.

    'all' leaves out the readable variants (the registry's `variant_of`);
    `with_variants` (--variants) adds each chosen model's right after it. A variant
    always comes with its fast model.
    """
    if isinstance(model, str):
        names = [m.strip() for m in model.split(",") if m.strip()]
    else:
        names = ["all"] if model is None else list(model)
    if not names:
        raise ParamsError("--model: no model named (got %r); choose from %s or all"
                          % (model, ", ".join(MODELS)))
    if "all" in names:
        if len(names) > 1:
            raise ParamsError("--model: 'all' cannot be combined with other models")
        names = [m for m in MODELS if not MODELS[m].variant_of]
    bad = [m for m in names if m not in MODELS]
    if bad:
        raise ParamsError("--model: unknown model(s) %s; choose from %s or all"
                          % (", ".join(bad), ", ".join(MODELS)))
    if with_variants:
        names = [v for m in names for v in [m] + variants(m)]
    # A readable variant is reported as a cost over its fast model: time that one too, first.
    names = [fast for m in names for fast in (MODELS[m].variant_of, m) if fast]
    return list(dict.fromkeys(names))


def _check_ints(params):
    """Every int flag is an int (not a bool) at or above its minimum."""
    for flag in FLAGS:
        value = getattr(params, flag.name)
        if flag.type is not int or (value is None and flag.default is None):
            continue
        low = flag.minimum
        if not isinstance(value, int) or isinstance(value, bool) or (low is not None and value < low):
            raise ParamsError("--%s must be an int%s (got %r)%s" % (
                flag.name.replace("_", "-"), "" if low is None else " >= %d" % low, value,
                "; the spread needs at least 2 timed steps" if flag.name == "steps" else ""))


def _check_batch(params):
    """--batch-size against the models: full batches for stateful ones, none for single-batch ones."""
    if params.batch_size is None:
        return
    for spec in (MODELS[m] for m in params.models):
        if spec.stateful and spec.epoch % params.batch_size:
            raise ParamsError("--batch-size %d does not divide %s's %s training samples (a "
                              "stateful model needs full batches); use a divisor such as %d, or "
                              "leave %s out of --model" % (params.batch_size, spec.name,
                                                           format(spec.epoch, ","), spec.batch,
                                                           spec.name))
    if params.batch_size != 1 and all(MODELS[m].single_batch for m in params.models):
        raise ParamsError("--batch-size: %s runs one fixed input (%s)"
                          % (", ".join(params.models), MODELS[params.models[0]].description))


# --peer NAME -> (is it installed?, what a missing one needs); looked up when validating.
PEERS = {
    "keras": (lambda: keras_installed(), "tf-keras: pip install 'tf-keras>=2.21,<2.22'"),
    "torch": (lambda: torch_installed(), "PyTorch, which is not installed: pip install -e "
              "'.[peers]' (a CPU-only build avoids the large CUDA wheels: see PyTorch's install "
              "selector)"),
}


def _check_peer(params):
    """--peer resolved to `params.peers` (in the order given) and written back as 'a,b' or 'none'."""
    if params.peer is None:
        names = ["keras"] if keras_installed() else []
    else:
        given = params.peer.split(",") if isinstance(params.peer, str) else list(params.peer)
        names = [str(n).strip() for n in given if str(n).strip()]
        bad = [n for n in names if n not in PEERS and n not in ("all", "none")]
        if bad or not names:
            raise ParamsError("--peer: %s; give keras, torch (comma-separated), all or none"
                              % ("unknown peer(s) %s" % ", ".join(map(repr, bad)) if bad
                                 else "no peer named (got %r)" % (params.peer,)))
        alone = [n for n in ("all", "none") if n in names]
        if alone and len(names) > 1:
            raise ParamsError("--peer: '%s' cannot be combined with other peers" % alone[0])
        if len(set(names)) != len(names):
            raise ParamsError("--peer: a peer is named twice (%s)" % ",".join(names))
        if names == ["all"]:
            names = [n for n, (installed, _) in PEERS.items() if installed()]
        names = [n for n in names if n != "none"]
    for name in names:
        if not PEERS[name][0]():
            raise ParamsError("--peer %s needs %s; or leave %s out of --peer (--peer none: no peer)"
                              % (name, PEERS[name][1], name))
    params.peers = names
    params.peer = ",".join(names) or "none"


def _check_devices(params):
    """--towers only for models that support them; --cpu-devices only without the peer."""
    if params.precision == "mixed_float16" and not str(params.device or "").lower().startswith(
            ("gpu", "/device:gpu")):
        raise ParamsError("--precision mixed_float16 runs on GPUs only (TensorFlow's float16 "
                          "rewrite converts GPU ops): pass --device gpu, or use mixed_bfloat16")
    tower_models = [m for m in MODELS if MODELS[m].towers]
    if params.towers > 1 and set(params.models) - set(tower_models):
        raise ParamsError("--towers applies to %s; pass --model %s"
                          % (", ".join(tower_models), ",".join(tower_models)))
    if params.cpu_devices > 1 and params.peer != "none":
        raise ParamsError("--cpu-devices > 1 makes logical CPU devices for tfcore's sessions only; "
                          "the peer (tf-keras, PyTorch) cannot use them: pass --peer none")


def _check_sweep(params):
    """--sweep parsed; the models that cannot take every point refused (--model) or left out."""
    try:
        parsed = sweep_lib.parse(params.sweep)
        if parsed is None:
            return
        axis, values = parsed
        if axis == "batch" and params.batch_size is not None:
            raise ValueError("--sweep batch sets the batch: leave out --batch-size")
        if axis == "threads" and str(params.threads).strip() != "0":
            raise ValueError("--sweep threads sets the threads: leave out --threads")
        if axis == "length" and params.data != "synthetic":
            raise ValueError("--sweep length needs --data synthetic (the staged series has "
                             "windows of 20)")
        params.models, params.sweep_left_out = sweep_lib.select_models(
            axis, values, params.models, explicit=params.model is not None)
    except ValueError as err:
        raise ParamsError(str(err)) from None
    params.sweep_axis, params.sweep_values = axis, values


def _check_writable(name, target):
    """An output path must be writable before anything is measured ('' skips the output)."""
    if not target:
        return
    path = pathlib.Path(target)
    if path.is_dir():
        raise ParamsError("--%s %s is a directory; give a file name" % (name, target))
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ParamsError("--%s %s is not writable" % (name, target))
        return
    folder = path.parent
    while not folder.exists():  # the run creates the missing folders: check the first that exists
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise ParamsError("--%s %s cannot be written: %s is not a writable directory"
                          % (name, target, folder))
