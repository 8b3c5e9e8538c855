"""The benchmark's parameters: one registry for the command line and for library use.

Every knob is declared once in `FLAGS` (name, default, help, choices). The
command line (`run.py`) builds its `argparse` parser from that list; tests and
notebooks call `make_params(model=["mlp"], steps=2, ...)` and get the same
validated `Params` object, so the CLI stays a thin shell over the harness.

This module imports no TensorFlow: `run.py` parses and validates the flags
*before* TensorFlow is imported, because two of the settings
(`TF_USE_LEGACY_KERAS` for the tf-keras peer, `TF_ENABLE_ONEDNN_OPTS`) are read
once, when TensorFlow is imported.
"""

import argparse
import importlib.util
import re
from dataclasses import dataclass, field, fields

MODELS = ("mnist_cnn", "mnist_cnn_bn", "lstm_temperature", "mlp", "logistic_regression", "laplacian")
# What one "sample" is, and the default batch of each model (the chapter's).
DEFAULT_BATCH = {"mnist_cnn": 256, "mnist_cnn_bn": 256, "lstm_temperature": 20, "mlp": 50,
                 "logistic_regression": 500, "laplacian": 1}
# The chapter's training-set sizes: one epoch is this many samples.
EPOCH_SAMPLES = {"mnist_cnn": 60000, "mnist_cnn_bn": 60000, "lstm_temperature": 1400, "mlp": 800,
                 "logistic_regression": 500, "laplacian": 1}
FEEDS = ("feed_dict", "callable", "dataset")

_DEVICE_RE = re.compile(r"^(cpu|gpu)(:\d+)?$|^all$|^/device:(cpu|gpu):\d+$", re.IGNORECASE)


class ParamsError(ValueError):
    """A parameter or a combination of parameters is invalid; the message says which."""


@dataclass(frozen=True)
class Flag:
    name: str  # the attribute name; the flag is --name-with-dashes
    default: object
    help: str
    type: object = str
    choices: tuple = None
    action: str = None  # "store_true" for switches


FLAGS = (
    Flag("device", None, "cpu, gpu, gpu:N, /device:GPU:N or all (default: every device present)"),
    Flag("model", None, "comma-separated models or 'all' (default all): " + ", ".join(MODELS)),
    Flag("batch_size", None, "rows per step for every model (default: each model's own: "
         + ", ".join("%s %d" % kv for kv in DEFAULT_BATCH.items()) + ")", type=int),
    Flag("warmup", 3, "untimed steps before timing (graph optimisation, allocator warm-up)", type=int),
    Flag("steps", 10, "timed steps per block; each side runs --rounds blocks", type=int),
    Flag("rounds", 3, "blocks per side, alternating tfcore / tf-keras A B A B", type=int),
    Flag("threads", "0", "intra-op threads, or INTRA,INTER (0 = TensorFlow's choice)"),
    Flag("xla", False, "XLA auto-clustering (sets TF_XLA_FLAGS=--tf_xla_cpu_global_jit on CPU "
         "and jit_compile in the peer)", type=bool, action="store_true"),
    Flag("onednn", "auto", "oneDNN: on/off sets TF_ENABLE_ONEDNN_OPTS; auto turns it on unless "
         "the environment already sets it", choices=("auto", "on", "off")),
    Flag("data", "synthetic", "synthetic (random arrays shaped like each model's data; offline) "
         "or real (the staged datasets)", choices=("synthetic", "real")),
    Flag("peer", None, "keras (tf-keras, Keras 2) or none (default keras where tf-keras is installed)",
         choices=("keras", "none")),
    Flag("feed", "callable", "how tfcore's timed step gets its batch: feed_dict (session.run with a "
         "feed dict), callable (Session.make_callable: the same feed, less Python per run) or "
         "dataset (a tf.data iterator over the same arrays, prefetched)", choices=FEEDS),
    Flag("fused_batchnorm", True, "", type=bool, action="store_true"),
    Flag("lstm_implementation", "block", "the LSTM's strategy: block (fused BlockLSTM), unroll, while",
         choices=("block", "unroll", "while")),
    Flag("epoch", True, "", type=bool, action="store_true"),
    Flag("steps_per_run", 0, "training steps per session run in the epoch timed through "
         "tfcore.train.fit (its steps_per_run=); 0 (default) = the whole epoch in one run, "
         "1 = one run per batch", type=int),
    Flag("json", "runs/benchmarks/results.json", "where to write the JSON ('' to skip)"),
    Flag("markdown", "runs/benchmarks/results.md", "where to write the Markdown table ('' to skip)"),
    Flag("plot", "runs/benchmarks/samples_per_second.png", "where to write the bar chart ('' to skip)"),
    Flag("peak_size", 2048, "side of the square float32 matmul that measures the peak", type=int),
    Flag("quick", False, "a smoke run: 1 warm-up step, 3 steps, 1 round, small peak matmul",
         type=bool, action="store_true"),
    Flag("seed", 0, "graph and data seed", type=int),
    Flag("towers", 1, "split each CNN training batch over N devices of the benchmarked device's "
         "kind (tfcore.parallel; on a CPU the sessions expose N logical CPU devices)", type=int),
    Flag("cpu_devices", 1, "logical CPU devices each session exposes (/device:CPU:0..N-1); with "
         "--device all each is benchmarked, exercising the multi-device paths on one CPU", type=int),
)
# Switches whose default is on get a --no-... flag instead.
NEGATED = {"fused_batchnorm": "use the readable batch norm in the CNN-BN model instead of the fused "
                              "kernel (FusedBatchNormV3)",
           "epoch": "skip the whole-epoch wall-time measurement"}


@dataclass
class Params:
    device: object = None
    model: object = None
    batch_size: int = None
    warmup: int = 3
    steps: int = 10
    rounds: int = 3
    threads: str = "0"
    xla: bool = False
    onednn: str = "auto"
    data: str = "synthetic"
    peer: str = None
    feed: str = "callable"
    fused_batchnorm: bool = True
    lstm_implementation: str = "block"
    epoch: bool = True
    steps_per_run: int = 0
    json: str = "runs/benchmarks/results.json"
    markdown: str = "runs/benchmarks/results.md"
    plot: str = "runs/benchmarks/samples_per_second.png"
    peak_size: int = 2048
    quick: bool = False
    seed: int = 0
    towers: int = 1
    cpu_devices: int = 1
    # Filled in by validation:
    models: list = field(default_factory=list)
    intra_op_threads: int = 0
    inter_op_threads: int = 0

    def batch_for(self, model):
        return self.batch_size or DEFAULT_BATCH[model]

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


def keras_installed():
    """Whether tf-keras can be imported (looked up without importing it or TensorFlow)."""
    return importlib.util.find_spec("tf_keras") is not None


def parser():
    """The `argparse` parser of `run.py`, generated from `FLAGS`."""
    p = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Training-step times of tfcore's example models on each device, with the "
                    "same models in tf-keras measured in the same run.")
    for flag in FLAGS:
        option = "--" + flag.name.replace("_", "-")
        if flag.name in NEGATED:
            p.add_argument("--no-" + flag.name.replace("_", "-"), dest=flag.name,
                           action="store_false", help=NEGATED[flag.name])
        elif flag.action == "store_true":
            p.add_argument(option, dest=flag.name, action="store_true", help=flag.help)
        else:
            p.add_argument(option, dest=flag.name, type=flag.type, choices=flag.choices,
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
    """Parse and validate the command line; a bad flag or combination exits with argparse's error."""
    p = parser()
    args = p.parse_args(argv)
    try:
        return make_params(**vars(args))
    except ParamsError as err:
        p.error(str(err))


# The models whose builders take `towers=` (in-graph replication, tfcore.parallel).
TOWER_MODELS = ("mnist_cnn", "mnist_cnn_bn")


def validate(params):
    """Check every parameter and the combinations up front; fill in the derived fields."""
    if params.quick:
        params.warmup, params.steps, params.rounds = min(params.warmup, 1), min(params.steps, 3), 1
        params.peak_size = min(params.peak_size, 1024)
    if isinstance(params.model, str):
        names = [m.strip() for m in params.model.split(",") if m.strip()]
    else:
        names = list(params.model or ["all"])
    if "all" in names:
        if len(names) > 1:
            raise ParamsError("--model: 'all' cannot be combined with other models")
        names = list(MODELS)
    bad = [m for m in names if m not in MODELS]
    if bad:
        raise ParamsError("--model: unknown model(s) %s; choose from %s or all"
                          % (", ".join(bad), ", ".join(MODELS)))
    params.models = list(dict.fromkeys(names))
    if params.device is not None and not _DEVICE_RE.match(str(params.device)):
        raise ParamsError("--device: %r is not cpu, gpu, gpu:N, /device:GPU:N or all" % params.device)
    for name, low in (("warmup", 0), ("steps", 2), ("rounds", 1), ("peak_size", 64),
                      ("steps_per_run", 0)):
        value = getattr(params, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ParamsError("--%s must be an int >= %d (got %r)%s" % (
                name.replace("_", "-"), low, value,
                "; the spread needs at least 2 timed steps" if name == "steps" else ""))
    if params.batch_size is not None and (not isinstance(params.batch_size, int) or params.batch_size < 1):
        raise ParamsError("--batch-size must be a positive int (got %r)" % params.batch_size)
    if params.batch_size is not None and "lstm_temperature" in params.models \
            and EPOCH_SAMPLES["lstm_temperature"] % params.batch_size:
        raise ParamsError("--batch-size %d does not divide the stateful LSTM's 1,400 training windows "
                          "(a stateful model needs full batches); use a divisor such as 20, or "
                          "leave lstm_temperature out of --model" % params.batch_size)
    if params.batch_size is not None and params.batch_size != 1 and params.models == ["laplacian"]:
        raise ParamsError("--batch-size: the Laplacian filters one 768x1024 image per run")
    match = re.match(r"^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$", str(params.threads))
    if not match:
        raise ParamsError("--threads must be N or INTRA,INTER with non-negative ints (got %r)"
                          % params.threads)
    params.intra_op_threads = int(match.group(1))
    params.inter_op_threads = int(match.group(2)) if match.group(2) else 0
    if params.peer is None:
        params.peer = "keras" if keras_installed() else "none"
    elif params.peer == "keras" and not keras_installed():
        raise ParamsError("--peer keras needs tf-keras: pip install 'tf-keras>=2.21,<2.22' "
                          "(or pass --peer none)")
    if not isinstance(params.towers, int) or isinstance(params.towers, bool) or params.towers < 1:
        raise ParamsError("--towers must be a positive int (got %r)" % (params.towers,))
    if params.towers > 1 and set(params.models) - set(TOWER_MODELS):
        raise ParamsError("--towers applies to the CNNs (%s); pass --model %s"
                          % (", ".join(TOWER_MODELS), ",".join(TOWER_MODELS)))
    if not isinstance(params.cpu_devices, int) or params.cpu_devices < 1:
        raise ParamsError("--cpu-devices must be a positive int (got %r)" % params.cpu_devices)
    if params.cpu_devices > 1 and params.peer == "keras":
        raise ParamsError("--cpu-devices > 1 makes logical CPU devices for tfcore's sessions only; "
                          "the tf-keras peer cannot use them: pass --peer none")
    return params
