"""The machine a benchmark ran on: what a reader needs to interpret its figures.

The header printed first and the JSON's `environment` name the TensorFlow
build, the CPU and the instruction-set features that decide its speed, the
thread settings, the process-wide switches (oneDNN, legacy Keras, XLA) and
who set them, the devices, and the load average at the start.

ISA features. TensorFlow's CPU kernels (and oneDNN's) pick their code path
from the CPU's flags in `/proc/cpuinfo`:

    AVX2          256-bit vectors and FMA: the baseline of the pip wheels
    AVX-512 (F)   512-bit vectors: twice the float32 FLOPs per cycle; oneDNN is on by
                  default only on such CPUs
    AVX512_BF16   bfloat16 dot products (VDPBF16PS): native mixed precision
    AMX           tile matrix units (AMX-TILE, with AMX-BF16 / AMX-INT8): bf16/int8 matmuls
                  many times faster than AVX-512

Where `/proc/cpuinfo` is absent (macOS, Windows), each feature is None: unknown.
"""

import os
import pathlib
import platform
import time

import numpy as np
import tensorflow as tf

import tfcore

# The report's name of each feature -> the /proc/cpuinfo flag that announces it.
ISA_FLAGS = {"AVX2": "avx2", "AVX-512F": "avx512f", "AVX512_BF16": "avx512_bf16",
             "AMX-TILE": "amx_tile", "AMX-BF16": "amx_bf16", "AMX-INT8": "amx_int8"}


def _cpuinfo(path="/proc/cpuinfo"):
    try:
        return pathlib.Path(path).read_text()
    except OSError:
        return None


def cpu_model(cpuinfo=None):
    """The CPU's model name (from /proc/cpuinfo, else the platform's)."""
    for line in (cpuinfo or _cpuinfo() or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def isa_features(cpuinfo=None):
    """`{feature: True/False}` for ISA_FLAGS, read from /proc/cpuinfo's flags; None each if unknown."""
    text = _cpuinfo() if cpuinfo is None else cpuinfo
    for line in (text or "").splitlines():
        if line.startswith(("flags", "Features")):  # x86; ARM says Features
            flags = set(line.split(":", 1)[1].split())
            return {name: flag in flags for name, flag in ISA_FLAGS.items()}
    return {name: None for name in ISA_FLAGS}


def format_isa(features):
    """`AVX2 yes, AVX-512F yes, AVX512_BF16 no, ...` (or `unknown` where the flags could not be read)."""
    if all(v is None for v in features.values()):
        return "ISA unknown (no /proc/cpuinfo flags)"
    return ", ".join("%s %s" % (name, "yes" if on else "no") for name, on in features.items())


def environment(params):
    """The JSON's `environment`: TF build, CPU and its ISA, threads, switches, GPUs, load, time."""
    info = dict(tf.sysconfig.get_build_info())
    try:
        import importlib.metadata as md
        keras_version = md.version("tf-keras")
    except Exception:  # noqa: BLE001  (not installed)
        keras_version = None
    return {
        "tensorflow": tf.__version__,
        "build": {k: info.get(k) for k in ("is_cuda_build", "is_rocm_build", "cuda_version",
                                           "cudnn_version") if k in info},
        "tf_keras": keras_version,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": cpu_model(),
        "isa": isa_features(),
        "cores": os.cpu_count(),
        "intra_op_threads": params.intra_op_threads,
        "inter_op_threads": params.inter_op_threads,
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "onednn_set_by": os.environ.get("TFCORE_BENCH_ONEDNN_SOURCE", "environment"),
        "TF_USE_LEGACY_KERAS": os.environ.get("TF_USE_LEGACY_KERAS"),
        "TF_XLA_FLAGS": os.environ.get("TF_XLA_FLAGS"),
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def header(env, params, devices, skipped):
    """The lines printed before any measurement."""
    b = env["build"]
    return "\n".join([
        "tfcore benchmarks: TensorFlow %s (CUDA build: %s, CUDA %s, cuDNN %s), tf-keras %s, Python %s"
        % (env["tensorflow"], b.get("is_cuda_build"), b.get("cuda_version") or "-",
           b.get("cudnn_version") or "-", env["tf_keras"] or "not installed", env["python"]),
        "CPU: %s, %s cores; %s" % (env["cpu"], env["cores"], format_isa(env["isa"])),
        "Threads intra/inter %s/%s (0 = TF's choice); GPUs: %s"
        % (env["intra_op_threads"], env["inter_op_threads"], ", ".join(env["gpus"]) or "none"),
        "oneDNN: TF_ENABLE_ONEDNN_OPTS=%s (%s; read when TensorFlow is imported); "
        "TF_USE_LEGACY_KERAS=%s (%s); XLA %s" % (
            env["TF_ENABLE_ONEDNN_OPTS"] or "unset", env["onednn_set_by"],
            env["TF_USE_LEGACY_KERAS"] or "unset",
            "set by run.py for the tf-keras peer" if "keras" in params.peers else "no tf-keras peer",
            "on" if params.xla else "off"),
        "Devices: %s%s; load average %s" % (", ".join(devices), "".join(
            "; skipped %s (%s)" % s for s in skipped),
            " ".join("%.2f" % v for v in env["load_average"] or [])),
        precision_line(env, params.precision),
        "Method: warm-up %d steps excluded; %d rounds x %d timed steps per side, in turn (%s); "
        "only the session run (a peer: the call) is timed, data already in host memory (%s data, "
        "feed %s)" % (params.warmup, params.rounds, params.steps,
                      ", ".join(["tfcore"] + list(params.peers)), params.data, params.feed),
    ])


def precision_line(env, precision):
    """The arithmetic of the run, and whether this CPU has native bfloat16."""
    isa = env["isa"]
    native = isa.get("AVX512_BF16") or isa.get("AMX-BF16")
    line = "Precision: %s" % precision
    if precision == "mixed_bfloat16":
        line += (" (TF's oneDNN bfloat16 rewrite in tfcore's sessions; tf-keras under its "
                 "mixed_bfloat16 policy); %s" % (
                     "native bfloat16 on this CPU (AVX512_BF16/AMX-BF16)" if native else
                     "this CPU lacks native bfloat16 (no AVX512_BF16/AMX-BF16): oneDNN emulates it, "
                     "expect it slower than float32" if native is False else
                     "native bfloat16 unknown (no /proc/cpuinfo flags)"))
    elif precision == "mixed_float16":
        line += " (TF's float16 rewrite on GPU ops, static loss scaling; tf-keras mixed_float16)"
    return line


def configure_threads(params):
    """Thread pools for the eager runtime (the tf-keras peer); sessions get theirs from the config."""
    try:
        if params.intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(params.intra_op_threads)
        if params.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(params.inter_op_threads)
    except RuntimeError:
        pass  # the runtime is already initialised (library use after other TF work)


def select_devices(params):
    """(devices to run, skipped [(what, why)]); raises ValueError naming the devices TF sees."""
    spec = params.device
    present = tfcore.available_devices(params.cpu_devices)
    if spec in (None, "all"):
        skipped = []
        if not any("GPU" in d for d in present):
            skipped.append(("gpu", "TensorFlow sees no GPU; devices here: %s. For GPU support "
                            "install `pip install 'tensorflow[and-cuda]'`" % ", ".join(present)))
        return present, skipped
    return [tfcore.resolve_device(spec, params.cpu_devices)], []


def session_config(params):
    """The sessions' ConfigProto: threads, XLA, and the logical CPU devices towers need."""
    return tfcore.session_config(intra_op_threads=params.intra_op_threads,
                                 inter_op_threads=params.inter_op_threads, xla=params.xla,
                                 cpu_devices=max(params.cpu_devices, params.towers))
