"""Towers: in-graph data parallelism over several devices of one machine.

One training step on N devices ("towers") is the same step as on one device,
computed in pieces:

    batch (n rows)  --tf.split-->  n_1 rows on tower 1, ..., n_N rows on tower N
    tower i:   loss_i = mean loss of its rows,  g_i = tf.gradients(loss_i, w)
    on w's device:
        g    = sum_i (n_i / n) g_i            the whole batch's mean gradient
        loss = sum_i (n_i / n) loss_i         the whole batch's mean loss
    optimizer.apply_gradients([(g, w), ...])  once, as for one device

Since the batch loss is a mean, mean_batch = sum_i (n_i / n) mean_i: weighting
each tower by its share of the rows makes the step exactly (up to float
rounding) the one-device step on the whole batch, even when n is not a multiple
of N (the first n mod N towers then take one row more). A batch must have at
least N rows, or some tower would average over nothing.

The variables exist once. The network's layers are built on the first tower
and called again on the others (the Module protocol reuses their variables),
so every tower reads the same weights. A device function puts every variable
on `variable_device` and every other op on its tower's device; the gradient
sums are colocated with their variables, so each tower sends one gradient per
variable to where the variable lives, and the update runs there.

Layer update ops (batch-norm moving averages) are taken from the first tower
only, as tf_cnn_benchmarks does: the other towers' batch statistics are
samples of the same distribution, and updating N times per step would change
the moving average's decay.

When towers help: on N GPUs (`devices=tower_devices(N, "gpu")`), each tower's
heavy ops (convolutions, matmuls) run in parallel and only gradients move. On
this project's 2-core CPU the logical CPU devices (`session(cpu_devices=N)`)
share the same cores and thread pools, so towers mostly show the mechanics;
see docs/parallel.md for measured figures.
"""

import argparse
import json
import sys
import time

import numpy as np
import tensorflow as tf

import tfcore
from tfcore import train

# Op types that create variable state; the device function sends them to the
# variable device (the list `replica_device_setter` uses for parameter servers).
VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp", "AutoReloadVariable", "MutableHashTable",
                "MutableHashTableV2", "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2",
                "MutableDenseHashTable", "MutableDenseHashTableV2")


def tower_devices(count, kind="cpu"):
    """The device strings of `count` towers: `['/device:CPU:0', '/device:CPU:1', ...]`.

    Logical CPU devices exist in a session made with `tfcore.session(cpu_devices=count)`.
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError("tower_devices: count must be a positive int, got %r" % (count,))
    if kind.lower() not in ("cpu", "gpu"):
        raise ValueError("tower_devices: kind must be 'cpu' or 'gpu', got %r" % (kind,))
    return ["/device:%s:%d" % (kind.upper(), i) for i in range(int(count))]


def tower_sizes(batch_rows, count):
    """The rows of each tower, as a 1-D int32 tensor: n // N, plus one for the first n mod N."""
    base = batch_rows // count
    extra = tf.cast(tf.range(count) < batch_rows % count, tf.int32)
    return base + extra


def split_batch(tensor, count, name="split_batch"):
    """Split `tensor` along its first axis into `count` parts of sizes `tower_sizes`."""
    with tf.name_scope(name):
        rows = tf.shape(tensor, out_type=tf.int32)[0]
        return tf.split(tensor, tower_sizes(rows, count), num=count, axis=0)


def variables_on(variable_device, op_device):
    """A device function: variable ops to `variable_device`, every other op to `op_device`.

    Used with `tf.compat.v1.device(...)`; it is what `replica_device_setter`
    does for parameter servers, for one machine.
    """
    def device_for(op):
        if op.device:  # an explicit placement inside the block wins
            return op.device
        return variable_device if op.type in VARIABLE_OPS else op_device
    return device_for


def average_gradients(tower_grads_and_vars, weights):
    """Weighted sums of the towers' gradients, computed on each variable's device.

    Args:
      tower_grads_and_vars: one list of (gradient, variable) per tower, the
        variables in the same order in every list.
      weights: one scalar tensor per tower, n_i / n (summing to 1).

    Returns:
      One list of (sum_i weights[i] * gradient_i, variable).
    """
    averaged = []
    for pairs in zip(*tower_grads_and_vars):
        var = pairs[0][1]
        if any(v is not var for _, v in pairs):
            raise ValueError("average_gradients: the towers' variable lists differ")
        # Colocated with the variable: the towers' gradients travel to it, the
        # sum and the update run there, and only one tensor per tower moves.
        with tf.name_scope("average_" + var.op.name.replace("/", "_")), \
                var.graph.colocate_with(var.op):
            grad = tf.add_n([tf.cast(w, g.dtype) * tf.convert_to_tensor(g)
                             for (g, _), w in zip(pairs, weights)])
        averaged.append((grad, var))
    return averaged


def build(network, loss_fn, optimizer, inputs, targets, devices, training=None,
          metrics=None, variable_device=None, graph=None):
    """A `tfcore.train.TrainGraph` whose step runs on several towers.

    Call it inside `with graph.as_default():` after making the placeholders.

    Args:
      network: `network(x, training) -> outputs`, called once per tower. It must
        build its layers once and reuse them (a closure over layer objects), so
        that all towers share one set of variables; a function that makes new
        layers on every call is refused.
      loss_fn: `loss_fn(targets, outputs) -> scalar`, the mean over the rows.
      optimizer: a `tfcore.optimizers.Optimizer`; applied once per step.
      inputs, targets: the whole batch's placeholders, batch first.
      devices: one device string per tower (`tower_devices(2)`).
      training: the boolean placeholder layers read, or None.
      metrics: `{"name": fn(targets, outputs) -> batch mean}`; combined over
        towers like the loss.
      variable_device: where the variables live (default: the first tower's device).
      graph: the graph (default: the current default graph).

    Returns:
      A TrainGraph: `predictions` is the towers' outputs concatenated (in the
      batch's order), `loss` and metrics are the whole batch's means, and
      `train_op` is one step. `model.tower_losses` and `model.tower_outputs`
      list each tower's loss and network output.

    Raises:
      ValueError: no devices, or the network made new variables on a later tower.
    """
    graph = graph or tf.compat.v1.get_default_graph()
    devices = list(devices)
    if not devices:
        raise ValueError("parallel.build: devices must name at least one device")
    variable_device = variable_device or devices[0]
    count = len(devices)
    with graph.as_default():
        with tf.name_scope("towers"):
            rows = tf.shape(inputs, out_type=tf.int32)[0]
            enough = tf.debugging.assert_greater_equal(
                rows, count, message="parallel.build: a batch needs at least one row per tower")
            with tf.control_dependencies([enough]):
                xs = split_batch(inputs, count, "split_inputs")
            ys = split_batch(targets, count, "split_targets")
            share_dtype = inputs.dtype if inputs.dtype.is_floating else tf.float32
            # weights[i] = n_i / n, each tower's share of the batch's rows.
            weights = [tf.cast(n, share_dtype) / tf.cast(rows, share_dtype)
                       for n in tf.unstack(tower_sizes(rows, count))]
        outputs, losses, tower_metrics, tower_grads = [], [], [], []
        update_ops = []
        trainable = None
        for i, device in enumerate(devices):
            # Weights must be shared; per-call state (a Dropout call site's mask
            # counter) may be created by each tower.
            before = set(v.ref() for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES))
            updates_before = len(graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
            with tf.compat.v1.device(variables_on(variable_device, device)):
                # The network outside the tower's name scope: its variables get
                # the names they have in a one-device graph ("dense/kernel"),
                # so checkpoints move between the two.
                out = network(xs[i], training)
                with tf.name_scope("tower_%d" % i) as tower_scope:
                    loss = loss_fn(ys[i], out)
                    values = {k: fn(ys[i], out) for k, fn in (metrics or {}).items()}
                if i == 0:
                    trainable = graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
                    update_ops = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)[updates_before:]
                else:
                    new = [v.name for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
                           if v.ref() not in before]
                    if new:
                        raise ValueError(
                            "parallel.build: the network made new variables on tower %d (%s); "
                            "build the layers once and call the same layer objects on every tower"
                            % (i, ", ".join(new)))
                with tf.name_scope(tower_scope):  # re-enter "tower_i/", not "tower_i_1/"
                    tower_grads.append(optimizer.compute_gradients(loss, trainable))
            outputs.append(out)
            losses.append(loss)
            tower_metrics.append(values)
        with tf.name_scope("combine"):
            predictions = tf.concat(outputs, axis=0, name="predictions")
            total_loss = tf.add_n([tf.cast(w, l.dtype) * l for w, l in zip(weights, losses)],
                                  name="loss")
            combined = {k: tf.add_n([tf.cast(w, m[k].dtype) * m[k]
                                     for w, m in zip(weights, tower_metrics)], name=k)
                        for k in (metrics or {})}
            grads_and_vars = average_gradients(tower_grads, weights)
        # No variable changes before every tower's forward pass and the update
        # ops have read the current values (as in Optimizer.minimize).
        with tf.control_dependencies(losses + list(update_ops)):
            apply_op = optimizer.apply_gradients(grads_and_vars)
        train_op = tf.group(apply_op, *update_ops, name="towers_train")
        model = train.TrainGraph(graph, inputs, targets, predictions, total_loss, train_op,
                                 metrics=combined, training=training)
    model.tower_losses = losses
    model.tower_outputs = outputs
    model.devices = devices
    return model


# ---------------------------------------------------------------------------
# Throughput: samples per second for the docs and the benchmark
# ---------------------------------------------------------------------------

def mlp_network(hidden=(512, 512), classes=10):
    """A `network(x, training)` for `build`: Dense layers made once, reused by every tower."""
    from tfcore.layers.dense import Dense

    layers = [Dense(units, activation="relu", name="hidden_%d" % i)
              for i, units in enumerate(hidden)]
    layers.append(Dense(classes, name="logits"))

    def network(x, training=False):
        for layer in layers:
            x = layer(x)
        return x
    return network


def build_mlp(towers=1, features=784, hidden=(512, 512), classes=10, learning_rate=0.01,
              seed=0, kind="cpu"):
    """The benchmark's model: an MLP on `towers` devices, softmax cross-entropy, SGD.

    With `towers=1` the same code builds the plain one-device graph (one tower),
    so 1 and N towers are compared on identical work.
    """
    from tfcore import losses, metrics, optimizers

    graph = tfcore.new_graph(seed=seed)
    with graph.as_default():
        x = tfcore.placeholder((None, features), name="x")
        y = tfcore.placeholder((None, classes), name="y")
        model = build(mlp_network(hidden, classes), losses.softmax_cross_entropy_with_logits,
                      optimizers.SGD(learning_rate), x, y, tower_devices(towers, kind),
                      metrics={"accuracy": lambda t, o: metrics.accuracy(t, o, kind="categorical")})
    return model


def samples_per_second(model, session, x, y, batch_size, steps=20, warmup=3):
    """Train `steps` steps on `(x, y)` batches; return per-step seconds and samples/s.

    Only `session.run` is timed and the warm-up steps are excluded. Returns
    `{"median_step_s", "min_step_s", "max_step_s", "samples_per_s", "step_times"}`;
    samples/s is `batch_size / median step time`.
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
    """Samples/s of one MLP training step on `towers` devices (logical CPUs or GPUs).

    This is the function the benchmark's `--towers N` calls. Logical CPU
    devices share one process's thread pools: with `intra_op_threads=1` a
    tower's matmul uses one core, and `inter_op_threads` decides how many
    towers' ops run at the same time.
    """
    model = build_mlp(towers=towers, seed=seed, kind=kind)
    rng = np.random.default_rng(seed)
    x = rng.random((batch_size, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch_size)]
    cpu_devices = towers if kind == "cpu" else 1
    with tfcore.session(graph=model.graph, cpu_devices=cpu_devices,
                        intra_op_threads=intra_op_threads,
                        inter_op_threads=inter_op_threads) as sess:
        train.initialize(model, sess)
        result = samples_per_second(model, sess, x, y, batch_size, steps, warmup)
    result.update(towers=towers, batch_size=batch_size, kind=kind,
                  intra_op_threads=intra_op_threads, inter_op_threads=inter_op_threads)
    return result


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tfcore.parallel",
                                description="Samples/s of an MLP training step on 1..N towers.")
    p.add_argument("--towers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--kind", choices=("cpu", "gpu"), default="cpu")
    p.add_argument("--intra-op-threads", type=int, default=0, help="threads inside one op (0: TF chooses)")
    p.add_argument("--inter-op-threads", type=int, default=0, help="ops run at once (0: TF chooses)")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
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
