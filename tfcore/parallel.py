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
see docs/parallel.md for measured figures. The demo `python -m models.towers`
times one training step on 1..N towers; the examples' builders that take
`towers=N` (and so the benchmark's `--towers N`) call `build` below.
"""

import numpy as np
import tensorflow as tf

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
    with graph.as_default():
        xs, ys, weights = _split(inputs, targets, len(devices))
        towers = [_tower(graph, network, loss_fn, optimizer, metrics, xs[i], ys[i], training,
                         variable_device, device, i) for i, device in enumerate(devices)]
        outputs, losses, tower_metrics, tower_grads, _ = zip(*towers)
        update_ops = towers[0][4]  # the first tower's (see the module docstring)
        with tf.name_scope("combine"):
            predictions = tf.concat(outputs, axis=0, name="predictions")
            total_loss = tf.add_n([tf.cast(w, l.dtype) * l for w, l in zip(weights, losses)],
                                  name="loss")
            combined = {k: tf.add_n([tf.cast(w, m[k].dtype) * m[k]
                                     for w, m in zip(weights, tower_metrics)], name=k)
                        for k in (metrics or {})}
            grads_and_vars = average_gradients(list(tower_grads), weights)
        # No variable changes before every tower's forward pass and the update
        # ops have read the current values (as in Optimizer.minimize).
        with tf.control_dependencies(list(losses) + list(update_ops)):
            apply_op = optimizer.apply_gradients(grads_and_vars)
        train_op = tf.group(apply_op, *update_ops, name="towers_train")
        model = train.TrainGraph(graph, inputs, targets, predictions, total_loss, train_op,
                                 metrics=combined, training=training)
    losses, outputs = list(losses), list(outputs)
    model.tower_losses = losses
    model.tower_outputs = outputs
    model.devices = devices
    return model


def _split(inputs, targets, count):
    """The batch's rows split over `count` towers, and each tower's share n_i / n."""
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
    return xs, ys, weights


def _tower(graph, network, loss_fn, optimizer, metrics, x, y, training, variable_device, device, i):
    """Tower `i` on `device`: (outputs, loss, metrics, gradients, the layers' update ops).

    Weights must be shared: a later tower that creates trainable variables is
    refused. Per-call state (a Dropout call site's mask counter) may be created
    by each tower.
    """
    trainable = tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES
    before = set(v.ref() for v in graph.get_collection(trainable))
    updates_before = len(graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))
    with tf.compat.v1.device(variables_on(variable_device, device)):
        # The network outside the tower's name scope: its variables get the
        # names they have in a one-device graph ("dense/kernel"), so
        # checkpoints move between the two.
        out = network(x, training)
        with tf.name_scope("tower_%d" % i) as tower_scope:
            loss = loss_fn(y, out)
            values = {k: fn(y, out) for k, fn in (metrics or {}).items()}
        new = [v.name for v in graph.get_collection(trainable) if v.ref() not in before]
        if i > 0 and new:
            raise ValueError(
                "parallel.build: the network made new variables on tower %d (%s); "
                "build the layers once and call the same layer objects on every tower"
                % (i, ", ".join(new)))
        update_ops = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)[updates_before:]
        with tf.name_scope(tower_scope):  # re-enter "tower_i/", not "tower_i_1/"
            grads = optimizer.compute_gradients(loss, graph.get_collection(trainable))
    return out, loss, values, grads, update_ops
