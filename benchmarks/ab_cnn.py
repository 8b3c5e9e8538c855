"""Levers 8, 15, 16, 18, 19, 33 and 35-38 of NOTES.md: a model's step built in variants, A B C ... in one process.

    python benchmarks/ab_cnn.py MODEL [--rounds 4] [--steps 6] [--variants tfcore,float-masks,...]
                                      [--precision mixed_bfloat16]

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

The batch-norm CNN's levers 36-38 (NOTES.md, seventh session; all but relugrad-f32
for the batch-norm CNN only, the registry's `_bn` model):
  channels-first
                tfcore's own data_format="channels_first" in every Conv2D, AvgPool2D
                (and axis=1 in BatchNormalization): the input transposed to NCHW once,
                back before Flatten; tfcore's layers compute channels-last between
                two transposes (tfcore/layers/layout.py), Grappler may fold the pairs
  nchw          the same network on TensorFlow's NCHW kernels (Conv2D, BiasAdd,
                AvgPool with data_format="NCHW"; FusedBatchNormV3 on axis 1): no
                transposes between the layers, oneDNN's NCHW path
  relugrad-f32  (with --precision mixed_bfloat16) ReluGrad on the rewrite's deny
                list, so it runs in float32 between two casts
  stated-relu   the readable relu alone: max(0, x) (not fusable), derivative dy * [x > 0]
                (Greater, Cast, Mul) instead of one ReluGrad
  relu-stated-grad
                tf.nn.relu forward (fusable), the stated derivative dy * [y > 0] backward
  dense-bn-fused
                the Dense layer's batch norm through FusedBatchNormV3 on a
                (batch, 1, 1, 512) view, so Grappler can fuse it with its ReLU as it
                does the convolutions' (the readable 2-D path cannot be)

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
from tfcore.layers import AvgPool2D, BatchNormalization, Conv2D, dropout  # noqa: E402
from tfcore.module import Module  # noqa: E402


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


def bn_network(conv, pool, normalize, first, dense_norm=None):
    """The CNN-BN's layers (the list of the CNN's `network` in models/) with the given conv, pool and
    batch norm makers; `first` computes NCHW between the input and Flatten."""
    from tfcore.layers import Dense, Flatten

    relu = activations.relu
    layers = [conv(16), normalize(), relu, conv(16), normalize(), relu, pool(),
              conv(32), normalize(), relu, pool(), conv(64), normalize(), relu, pool()]
    head = ([Flatten(), Dense(512), BatchNormalization(), relu, Dense(10)] if dense_norm is None
            else [Flatten(), Dense(512), dense_norm(), relu, Flatten(), Dense(10)])

    def forward(x, training):
        x = tf.transpose(x, [0, 3, 1, 2]) if first else x
        for layer in layers:
            x = layer(x, training=training) if isinstance(layer, Module) else layer(x)
        x = tf.transpose(x, [0, 2, 3, 1]) if first else x  # Flatten in NHWC order: same weights
        for layer in head:
            x = layer(x, training=training) if isinstance(layer, Module) else layer(x)
        return x

    return forward


class NCHWConv2D(Conv2D):
    """Conv2D on TensorFlow's NCHW kernels: conv and bias add with data_format="NCHW"."""

    def _call(self, inputs):
        y = tf.nn.conv2d(inputs, self.kernel, strides=[1, 1, 1, 1], padding=self.padding,
                         data_format="NCHW")
        return self.activation(tf.nn.bias_add(y, self.bias, data_format="NCHW"))


class NCHWAvgPool2D(AvgPool2D):
    """AvgPool2D on TensorFlow's NCHW kernel."""

    def call(self, inputs, training=False):
        return tf.nn.avg_pool2d(inputs, self.pool_size, self.strides, self.padding,
                                data_format="NCHW")


@contextlib.contextmanager
def cnn_bn_network(network):
    """The model's builder hands `network` to `train.assemble` instead of its own forward."""
    assemble = train.assemble
    train.assemble = lambda graph, x, y, forward, *args, **kwargs: assemble(
        graph, x, y, network, *args, **kwargs)
    try:
        yield
    finally:
        train.assemble = assemble


def channels_first():
    return cnn_bn_network(bn_network(
        lambda f: Conv2D(f, 3, padding="SAME", data_format="channels_first"),
        lambda: AvgPool2D(2, padding="SAME", data_format="channels_first"),
        lambda: BatchNormalization(axis=1, fused=True), first=True))


def nchw():
    return cnn_bn_network(bn_network(
        lambda f: NCHWConv2D(f, 3, padding="SAME", data_format="channels_first"),
        lambda: NCHWAvgPool2D(2, padding="SAME", data_format="channels_first"),
        lambda: BatchNormalization(axis=1, fused=True), first=True))


class DenseBatchNorm(BatchNormalization):
    """The Dense layer's batch norm through FusedBatchNormV3 on a (batch, 1, 1, C) view; the
    output stays 4-D, so the ReLU after it meets the kernel directly and can fuse with it
    (a Flatten after the ReLU goes back to 2-D)."""

    def build(self, input_shape):
        super().build(tf.TensorShape([input_shape[0], 1, 1, input_shape[-1]]))
        self.input_spec = None

    def call(self, inputs, training=False):
        return super().call(tf.reshape(inputs, [-1, 1, 1, inputs.shape[-1]]), training)


def dense_bn_fused():
    return cnn_bn_network(bn_network(
        lambda f: Conv2D(f, 3, padding="SAME"), lambda: AvgPool2D(2, padding="SAME"),
        lambda: BatchNormalization(fused=True), first=False,
        dense_norm=lambda: DenseBatchNorm(fused=True)))


@contextlib.contextmanager
def relugrad_float32():
    """ReluGrad on the mixed-precision rewrite's deny list (read when a session first runs)."""
    # An op must sit in one list only, or the rewrite refuses the lists and converts nothing
    # ("Op present in multiple lists: ReluGrad"): out of every other list, into the deny list.
    # (Moving FusedBatchNorm(Grad)V3 to the allow list too, so they would not follow ReluGrad
    # to float32, aborts the process: oneDNN's kernel takes float32 statistics only.)
    prefix = "TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_"
    lists = {"INFERLIST_REMOVE": precision.FLOAT32_OPS + ",ReluGrad", "ALLOWLIST_REMOVE": "ReluGrad",
             "CLEARLIST_REMOVE": "ReluGrad", "DENYLIST_ADD": precision.FLOAT32_OPS + ",ReluGrad"}
    saved = {prefix + n: os.environ.get(prefix + n) for n in lists}
    os.environ.update({prefix + n: v for n, v in lists.items()})
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n)
            else:
                os.environ[n] = v


@tf.custom_gradient
def relu_with_stated_gradient(x):
    """tf.nn.relu forward (one Relu, which Grappler can fuse), the stated derivative backward."""
    y = tf.nn.relu(x)
    return y, lambda dy: dy * tf.cast(y > 0, dy.dtype)


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
    "channels-first": channels_first,
    "nchw": nchw,
    "dense-bn-fused": dense_bn_fused,
    "relugrad-f32": contextlib.nullcontext,  # the session's first runs: step_function
    "stated-relu": lambda: relu_as(activations._relu),
    "relu-stated-grad": lambda: relu_as(relu_with_stated_gradient),
}
BN_VARIANTS = ("channels-first", "nchw", "dense-bn-fused")


def step_function(variant, params, first_batch, policy="float32"):
    """The training step of `params.models[0]` built under `variant` (and precision `policy`):
    a callable of (x, y), run once on `first_batch` (the session's rewrites happen then)."""
    name = params.models[0]
    # float32 enters no block: the mixed_bfloat16 variant's own block must stay innermost.
    chosen = precision.policy(policy) if policy != "float32" else contextlib.nullcontext()
    with chosen, VARIANTS[variant]():
        model = MODELS[name].build(params, None, params.batch_for(name))
    session = tfcore.session(graph=model.graph, config=tfcore.session_config(xla=variant == "xla"))
    train.initialize(model, session)
    feeds = [model.inputs, model.targets] + ([model.training] if model.training is not None else [])
    run = session.make_callable([model.train_op, model.train_loss], feed_list=feeds)
    step = (lambda x, y: run(x, y, True)) if model.training is not None else run
    with relugrad_float32() if variant == "relugrad-f32" else contextlib.nullcontext():
        step(*first_batch)
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", choices=[m.name for m in MODELS.values() if not m.forward_only],
                   help="the registry's model whose step is varied")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--variants", default=",".join(v for v in VARIANTS if v not in BN_VARIANTS),
                   help="comma-separated, from: %s (%s: the batch-norm CNN only)"
                        % (", ".join(VARIANTS), ", ".join(BN_VARIANTS)))
    p.add_argument("--precision", default="float32", choices=precision.POLICIES[:2],
                   help="every variant's graph under this policy (mixed_bfloat16: TF's oneDNN "
                        "bfloat16 rewrite in its session)")
    args = p.parse_args(argv)
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error("unknown variant(s) %s; choose from %s" % (", ".join(unknown), ", ".join(VARIANTS)))
    if not args.model.endswith("_bn") and set(names) & set(BN_VARIANTS):
        p.error("%s: variants of the batch-norm CNN; pass the registry's _bn model"
                % ", ".join(sorted(set(names) & set(BN_VARIANTS))))
    if "mixed_bfloat16" in names or args.precision != "float32":  # the loss stays float32
        precision.keep_loss_in_float32()
    params = make_params(model=args.model, peer="none", json="", markdown="", plot="")
    batch = params.batch_for(args.model)
    x, y = load_data(args.model, batch, params)
    x, y = x[:batch], y[:batch]
    steps = {name: step_function(name, params, (x, y), args.precision) for name in names}
    for run in steps.values():
        for _ in range(2):
            run(x, y)
    wall, cpu = {k: [] for k in steps}, {k: [] for k in steps}
    for _ in range(args.rounds):
        for name, run in steps.items():
            for _ in range(args.steps):
                c, t = time.process_time(), time.perf_counter()
                run(x, y)
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
    print("load average %s; precision %s; %d rounds x %d steps, batch %d" % (
        " ".join("%.2f" % v for v in os.getloadavg()), args.precision, args.rounds, args.steps, batch))
    base = np.median(wall[names[0]])
    for name in steps:
        print("%-18s median %6.1f ms  min %6.1f ms  CPU median %6.1f ms  time / %s's %.2f" % (
            name, 1e3 * np.median(wall[name]), 1e3 * min(wall[name]), 1e3 * np.median(cpu[name]),
            names[0], np.median(wall[name]) / base))


if __name__ == "__main__":
    main()
