"""Samples per second of one MLP training step on 1..N towers (tfcore.parallel's demo).

    python -m models.towers --towers 1 2 1 2 --batch-size 512 --steps 50 --warmup 5

The model is an MLP 784-512-512-10 (softmax cross-entropy, SGD) built with
`tfcore.parallel.build`; with `--towers 1` the same code builds the plain
one-device graph, so 1 and N towers are compared on identical work. Logical
CPU devices share one process's thread pools: with `--intra-op-threads 1` a
tower's matmul uses one core, and `--inter-op-threads` decides how many
towers' ops run at the same time. `--kind gpu` needs as many GPUs as towers
and is refused (usage error) on a machine without them, rather than timing
CPUs under a "gpu" label. Only `session.run` is timed, warm-up excluded.
"""

import argparse
import json
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore
import tfcore.cli as types
from tfcore import losses, metrics, optimizers, parallel, train
from tfcore.layers.dense import Dense


def mlp_network(hidden=(512, 512), classes=10):
    """A `network(x, training)` for `parallel.build`: Dense layers made once, reused by every tower."""
    layers = [Dense(units, activation="relu", name="hidden_%d" % i) for i, units in enumerate(hidden)]
    layers.append(Dense(classes, name="logits"))

    def network(x, training=False):
        for layer in layers:
            x = layer(x)
        return x
    return network


def build_mlp(towers=1, features=784, hidden=(512, 512), classes=10, learning_rate=0.01,
              seed=0, kind="cpu"):
    """The timed model: the MLP on `towers` devices of `kind`, softmax cross-entropy, SGD."""
    graph = tfcore.new_graph(seed=seed)
    with graph.as_default():
        x = tfcore.placeholder((None, features), name="x")
        y = tfcore.placeholder((None, classes), name="y")
        return parallel.build(
            mlp_network(hidden, classes), losses.softmax_cross_entropy_with_logits,
            optimizers.SGD(learning_rate), x, y, parallel.tower_devices(towers, kind),
            metrics={"accuracy": lambda t, o: metrics.accuracy(t, o, kind="categorical")})


def samples_per_second(model, session, x, y, batch_size, steps=20, warmup=3):
    """Train `steps` steps on `(x, y)` batches; return per-step seconds and samples/s.

    Returns `{"median_step_s", "min_step_s", "max_step_s", "samples_per_s",
    "step_times"}`; samples/s is `batch_size / median step time`.
    """
    feed = {model.inputs: x[:batch_size], model.targets: y[:batch_size]}
    for _ in range(warmup):
        session.run(model.train_op, feed)
    times = []
    for _ in range(steps):
        began = time.perf_counter()
        session.run(model.train_op, feed)
        times.append(time.perf_counter() - began)
    median = float(np.median(times))
    return {"median_step_s": median, "min_step_s": float(np.min(times)),
            "max_step_s": float(np.max(times)), "samples_per_s": batch_size / median,
            "step_times": times}


def benchmark(towers=1, batch_size=512, steps=20, warmup=3, kind="cpu", intra_op_threads=0,
              inter_op_threads=0, seed=0):
    """Samples/s of one MLP training step on `towers` devices (logical CPUs or GPUs)."""
    model = build_mlp(towers=towers, seed=seed, kind=kind)
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    with tfcore.session(graph=model.graph, cpu_devices=towers if kind == "cpu" else 1,
                        intra_op_threads=intra_op_threads,
                        inter_op_threads=inter_op_threads) as sess:
        train.initialize(model, sess)
        result = samples_per_second(model, sess, x, y, batch_size, steps, warmup)
    result.update(towers=towers, batch_size=batch_size, kind=kind,
                  intra_op_threads=intra_op_threads, inter_op_threads=inter_op_threads)
    return result


def parse(argv):
    """The flags, every one checked before anything is built (usage error, exit 2)."""
    p = argparse.ArgumentParser(prog="python -m models.towers", description=__doc__.splitlines()[0],
                                allow_abbrev=False)  # --ou is not --out: unknown flags are errors
    p.add_argument("--towers", type=types.int_in(1, 64), nargs="+", default=[1, 2],
                   help="tower counts to time, in order (1-64 each)")
    p.add_argument("--batch-size", type=types.positive_int, default=512)
    p.add_argument("--steps", type=types.positive_int, default=30, help="timed steps")
    p.add_argument("--warmup", type=types.non_negative_int, default=5, help="untimed steps first")
    p.add_argument("--kind", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--intra-op-threads", type=types.non_negative_int, default=0,
                   help="threads inside one op (0: TF chooses)")
    p.add_argument("--inter-op-threads", type=types.non_negative_int, default=0,
                   help="ops run at once (0: TF chooses)")
    p.add_argument("--json", type=types.writable_file, default=None, help="also write the results here")
    args = p.parse_args(argv)
    if max(args.towers) > args.batch_size:
        p.error("--batch-size %d is smaller than --towers %d: every tower needs a row"
                % (args.batch_size, max(args.towers)))
    if args.kind == "gpu":
        gpus = len(tf.config.list_physical_devices("GPU"))
        if gpus < max(args.towers):
            p.error("--kind gpu --towers %d needs %d GPUs; TensorFlow sees %d (devices: %s)"
                    % (max(args.towers), max(args.towers), gpus, ", ".join(tfcore.available_devices())))
    return args


def main(argv=None):
    args = parse(argv)
    print("TensorFlow %s, %s towers, batch %d, %d timed steps after %d warm-up, "
          "intra/inter-op threads %d/%d (0: TF chooses)"
          % (tf.__version__, args.kind, args.batch_size, args.steps, args.warmup,
             args.intra_op_threads, args.inter_op_threads))
    results = []
    for n in args.towers:
        r = benchmark(n, args.batch_size, args.steps, args.warmup, args.kind,
                      args.intra_op_threads, args.inter_op_threads)
        results.append(r)
        print("towers %d: median step %.2f ms (min %.2f, max %.2f), %.0f samples/s"
              % (n, 1e3 * r["median_step_s"], 1e3 * r["min_step_s"], 1e3 * r["max_step_s"],
                 r["samples_per_s"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
