"""Levers 8, 15, 16, 18, 19 and 33 of NOTES.md: a model's step built in variants, A B C ... in one process.

    python benchmarks/ab_cnn.py MODEL [--rounds 4] [--steps 6] [--variants tfcore,float-masks,...]

MODEL is a trainable model of the registry (`benchmarks/registry.py`); NOTES.md's
levers measured the MNIST CNN and its batch-norm variant (`[bn]` then, the `_bn` model now),
built with the fused batch norm, at the model's default batch, on synthetic data.

Variants (each changes one thing while the graph is built; tfcore itself is not changed):
  tfcore        tfcore as it is (fused activations since issue 13)
  readable      every activation on its readable path (activations.implementation("readable"))
  mixed_bfloat16
                the graph under tfcore.precision's mixed_bfloat16 policy (TF's oneDNN
                bfloat16 rewrite in the session)
  derived-relu  relu = max(0, x) differentiated by TensorFlow (GreaterEqual + Select)
                instead of the readable path's stated derivative [x > 0]
  float-masks   dropout draws one float per element instead of w-bit fields of uint32 words
  byte-masks    dropout's masks from whole bytes (w = 8, as before lever 33) instead of the
                narrowest fields (one bit per element at rate 0.5)
  tf.nn.relu    TensorFlow's fused relu (Grappler folds it into the convolution); since
                issue 13 what tfcore's relu builds by default, kept for the old levers' commands
  xla           tfcore as it is, its session compiling the whole step with XLA
                (global_jit_level ON; this script sets TF_XLA_FLAGS=--tf_xla_cpu_global_jit,
                which lets a session's setting apply on CPUs: the other sessions keep it off)
  no-dropout-no-relu
                not the model: dropout and relu made the identity, so the step is the
                convolutions, pooling, dense layers and Adam alone; its time bounds
                what any dropout or activation trick could reach

All graphs live in this process and are stepped alternately (`--rounds` x `--steps`
each, after 3 untimed steps), so load drift hits every variant alike; prints the wall
and process-CPU medians and each variant's wall median over the first variant's.
"""

import argparse
import contextlib
import os
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
if "--tf_xla_cpu_global_jit" not in os.environ.get("TF_XLA_FLAGS", ""):  # the xla variant's switch
    os.environ["TF_XLA_FLAGS"] = (os.environ.get("TF_XLA_FLAGS", "") + " --tf_xla_cpu_global_jit").strip()
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfcore  # noqa: E402
from benchmarks.harness import load_data  # noqa: E402
from benchmarks.params import make_params  # noqa: E402
from benchmarks.registry import MODELS  # noqa: E402
from tfcore import activations, precision, train  # noqa: E402
from tfcore.layers import dropout  # noqa: E402


@contextlib.contextmanager
def relu_as(relu):
    readable = activations._BY_NAME["relu"], activations.relu
    activations._BY_NAME["relu"] = activations.relu = relu
    try:
        yield
    finally:
        activations._BY_NAME["relu"], activations.relu = readable


@contextlib.contextmanager
def float_masks():
    keep = dropout.Dropout._keep

    def float_keep(self, shape, seed_pair, dtype):
        self.mask_bits = None
        return keep(self, shape, seed_pair, dtype)

    dropout.Dropout._keep = float_keep
    try:
        yield
    finally:
        dropout.Dropout._keep = keep


@contextlib.contextmanager
def no_dropout_no_relu():
    call = dropout.Dropout.call
    dropout.Dropout.call = lambda self, inputs, training=False: tf.identity(inputs)
    try:
        with relu_as(tf.identity):
            yield
    finally:
        dropout.Dropout.call = call


@contextlib.contextmanager
def byte_masks():
    widths = dropout.MASK_WIDTHS
    dropout.MASK_WIDTHS = (8, 16)
    try:
        yield
    finally:
        dropout.MASK_WIDTHS = widths


VARIANTS = {
    "tfcore": contextlib.nullcontext,
    "readable": lambda: activations.implementation("readable"),
    "mixed_bfloat16": lambda: precision.policy("mixed_bfloat16"),
    "derived-relu": lambda: relu_as(lambda x: tf.maximum(tf.constant(0, x.dtype), x)),
    "float-masks": float_masks,
    "byte-masks": byte_masks,
    "tf.nn.relu": lambda: relu_as(tf.nn.relu),
    "xla": contextlib.nullcontext,  # the same graph; its session compiles it (step_function)
    "no-dropout-no-relu": no_dropout_no_relu,
}


def step_function(variant, params):
    """The training step of `params.models[0]` built under `variant`: a callable of (x, y)."""
    name = params.models[0]
    with VARIANTS[variant]():
        model = MODELS[name].build(params, None, params.batch_for(name))
    session = tfcore.session(graph=model.graph, config=tfcore.session_config(xla=variant == "xla"))
    train.initialize(model, session)
    feeds = [model.inputs, model.targets] + ([model.training] if model.training is not None else [])
    run = session.make_callable([model.train_op, model.train_loss], feed_list=feeds)
    return (lambda x, y: run(x, y, True)) if model.training is not None else run


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=[m.name for m in MODELS.values() if not m.forward_only],
                   help="the registry's model whose step is varied")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help="comma-separated, from: %s" % ", ".join(VARIANTS))
    args = p.parse_args(argv)
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error("unknown variant(s) %s; choose from %s" % (", ".join(unknown), ", ".join(VARIANTS)))
    if "mixed_bfloat16" in names:  # the process's setup: the loss's softmax stays float32
        precision.keep_loss_in_float32()
    params = make_params(model=args.model, peer="none", json="", markdown="", plot="")
    batch = params.batch_for(args.model)
    x, y = load_data(args.model, batch, params)
    x, y = x[:batch], y[:batch]
    steps = {name: step_function(name, params) for name in names}
    for run in steps.values():
        for _ in range(3):
            run(x, y)
    wall, cpu = {k: [] for k in steps}, {k: [] for k in steps}
    for _ in range(args.rounds):
        for name, run in steps.items():
            for _ in range(args.steps):
                c, t = time.process_time(), time.perf_counter()
                run(x, y)
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
    print("load average %s" % " ".join("%.2f" % v for v in os.getloadavg()))
    base = np.median(wall[names[0]])
    for name in steps:
        print("%-18s median %6.1f ms  min %6.1f ms  CPU median %6.1f ms  time / %s's %.2f" % (
            name, 1e3 * np.median(wall[name]), 1e3 * min(wall[name]), 1e3 * np.median(cpu[name]),
            names[0], np.median(wall[name]) / base))


if __name__ == "__main__":
    main()
