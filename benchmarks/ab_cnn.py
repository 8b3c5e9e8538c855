"""Levers 8, 15 and 16 of NOTES.md: the MNIST CNN step built in variants, A B C ... in one process.

    python benchmarks/ab_cnn.py [bn] [--rounds 4] [--steps 6] [--variants tfcore,float-masks,...]

Variants (each changes one thing while the graph is built; tfcore itself is not changed):
  tfcore        tfcore as it is
  derived-relu  relu = max(0, x) differentiated by TensorFlow (GreaterEqual + Select)
                instead of tfcore's stated derivative [x > 0]
  float-masks   dropout draws one float per element instead of bytes of uint32 words
  tf.nn.relu    TensorFlow's fused relu (Grappler folds it into the convolution)
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
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import tfcore  # noqa: E402
from models import mnist_cnn  # noqa: E402
from tfcore import activations, train  # noqa: E402
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


VARIANTS = {
    "tfcore": contextlib.nullcontext,
    "derived-relu": lambda: relu_as(lambda x: tf.maximum(tf.constant(0, x.dtype), x)),
    "float-masks": float_masks,
    "tf.nn.relu": lambda: relu_as(tf.nn.relu),
    "no-dropout-no-relu": no_dropout_no_relu,
}


def step_function(variant, batchnorm):
    with VARIANTS[variant]():
        model = mnist_cnn.build(batchnorm=batchnorm, batch_size=256, fused_batchnorm=True)
    session = tfcore.session(graph=model.graph)
    train.initialize(model, session)
    return session.make_callable([model.train_op, model.loss],
                                 feed_list=[model.inputs, model.targets, model.training])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bn", nargs="?", choices=["bn"], help="the batch-norm variant of the CNN")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help="comma-separated, from: %s" % ", ".join(VARIANTS))
    args = p.parse_args(argv)
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        p.error("unknown variant(s) %s; choose from %s" % (", ".join(unknown), ", ".join(VARIANTS)))
    rng = np.random.RandomState(0)
    x = rng.rand(256, 28, 28, 1).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, 256)]
    steps = {name: step_function(name, args.bn == "bn") for name in names}
    for run in steps.values():
        for _ in range(3):
            run(x, y, True)
    wall, cpu = {k: [] for k in steps}, {k: [] for k in steps}
    for _ in range(args.rounds):
        for name, run in steps.items():
            for _ in range(args.steps):
                c, t = time.process_time(), time.perf_counter()
                run(x, y, True)
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
