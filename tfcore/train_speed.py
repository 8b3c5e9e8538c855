"""Training's speed tricks, apart from the loop they speed up (`tfcore.train`).

`fit` is a loop of `Session.run`s. Nothing here changes what it computes; each
trick removes a fixed cost that a small model's step does not hide. They are
methods of `StepRunner`, which `tfcore.train.TrainGraph` inherits from:

    callable(session, fetches, feeds)   session.make_callable, made once per session
    step_options(batch_size)           RunOptions: the caller's thread for a small step
    multi_step(steps, batch_size)      N training steps in one run (a tf.while_loop)

and `sub_graph_def`, the walk that `multi_step` copies the step with.

**Several steps per session run** (`steps_per_run=N`, Keras's
`steps_per_execution`). A session run has a fixed cost (~0.5 ms on a CPU)
that a small model's step (the stateful LSTM's: 0.2 MFLOP) does not hide.
With N > 1, groups of N full batches go through one run of

    xs, ys = N batches stacked: (N, batch, ...)
    i = 0
    while i < N and the last loss was finite:
        loss_i, metrics_i = the training step on (xs[i], ys[i]), training=True
        i += 1                                  (after step i's updates)

built once in the model's own graph (`TrainGraph.multi_step`): the loop's
body is a copy of the step's ops, whose variables are the model's own, so it
trains exactly as N runs of the step. The remaining batches (fewer than N
full ones, the partial last one) take one run each, as with N = 1.

**Small steps run in the calling thread.** A session run normally hands
each op to TensorFlow's inter-op thread pool; waking a pool thread costs
tens of microseconds, the whole cost of a tiny op. When the step computes
little (`TrainGraph.step_options`: under `CALLER_THREAD_FLOPS` forward
FLOPs per batch), `fit` runs it with `RunOptions(inter_op_thread_pool=-1)`:
the ops run one after another in the thread that called `session.run`,
each still using the intra-op pool for its own arithmetic. The results are
the same; measured here (2 cores) a logistic-regression step went from
~0.13 ms to ~0.08 ms and the LSTM's from ~0.34 to ~0.26 ms, while the CNN's
(2 GFLOP, ops worth running side by side) was no faster, so it keeps the pool.
"""

import collections
from typing import Any, Callable, Dict, Iterable, Optional, Sequence

import tensorflow as tf

from tfcore import flops as flops_lib
from tfcore.flops import ancestors

# What `TrainGraph.multi_step` builds: the stacked-batch placeholders and what one run fetches.
MultiStep = collections.namedtuple("MultiStep", ["xs", "ys", "values", "steps_run", "ws"],
                                   defaults=(None,))


def sub_graph_def(graph_def: Any, node_names: Iterable[str]) -> Any:
    """The nodes of `graph_def` that `node_names` need: their inputs, transitively, in graph order.

    What the deprecated `tf.compat.v1.graph_util.extract_sub_graph` computes:
    a walk back from the named nodes along every input, data (`name:1`) and
    control (`^name`) alike. The function library and versions are kept.
    """
    by_name = {node.name: node for node in graph_def.node}
    missing = [name for name in node_names if name not in by_name]
    if missing:
        raise ValueError("sub_graph_def: no nodes named %s in the graph" % ", ".join(missing))
    needed, todo = set(), list(node_names)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(i.lstrip("^").split(":")[0] for i in by_name[name].input)
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(node for node in graph_def.node if node.name in needed)
    return out


class StepRunner:
    """The speed tricks of a `TrainGraph` (which sets `graph`, `inputs`, `targets`, `training`,
    `sample_weights`, `train_op`, `train_loss`, `train_metrics` and `metrics`, then calls
    `_init_step_caches`)."""

    graph: tf.Graph
    inputs: tf.Tensor
    targets: Optional[tf.Tensor]
    training: Optional[tf.Tensor]
    sample_weights: Optional[tf.Tensor]
    train_op: Any
    train_loss: Optional[tf.Tensor]
    metrics: Dict[str, tf.Tensor]
    train_metrics: Dict[str, tf.Tensor]

    def _init_step_caches(self) -> None:
        self._callables: Dict[Any, Any] = {}  # fetch and feed ids -> (session, callable)
        self._step_options: Dict[int, Any] = {}  # batch size -> RunOptions (or None)
        self._multi_steps: Dict[Any, MultiStep] = {}

    def callable(self, session: Any, fetches: Sequence[Any], feeds: Sequence[Any],
                 options: Optional[Any] = None) -> Callable[..., Any]:
        """`session.make_callable(fetches, feed_list=feeds)`, made once per session.

        With a feed list, TensorFlow's callable is a thin wrapper over
        `session.run` (the session itself caches the partitioned, optimised graph
        per feed/fetch signature), so what this saves is Python bookkeeping.
        `options` (a `tf.compat.v1.RunOptions`, e.g. `step_options`) go with every call.
        """
        key = (tuple(id(f) for f in fetches), tuple(id(f) for f in feeds), id(options))
        cached = self._callables.get(key)
        if cached is None or cached[0] is not session:
            run = session.make_callable(fetches, feed_list=feeds)
            if options is not None:
                run = _with_options(run, options)
            cached = (session, run)
            self._callables[key] = cached
        return cached[1]

    def step_options(self, batch_size: int) -> Optional[Any]:
        """`RunOptions` for a training step on `batch_size` rows: the caller's thread if it is small.

        Small means under `CALLER_THREAD_FLOPS` forward FLOPs per batch, counted
        by `tfcore.flops` over the ops the loss depends on (a `None`
        batch dimension taken as `batch_size`). Returns None (the inter-op
        pool, TensorFlow's default) for larger steps, and for a graph whose
        ops are placed on more than one device (towers run side by side).
        """
        key = int(batch_size)
        if key not in self._step_options:
            self._step_options[key] = (None if self.train_loss is None
                                       else run_options_for(self.train_loss, key))
        return self._step_options[key]

    def multi_step(self, steps: int, batch_size: int) -> MultiStep:
        """`steps` training steps in one session run: the step's ops in a `tf.while_loop`.

        Built once per `(steps, batch_size)` in the model's own graph, under the
        name scope `train/multi_step_<steps>x<batch_size>`:

        * `xs`, `ys`: placeholders `(steps, batch_size) + inputs.shape[1:]` (and
          the targets'), the run's batches stacked;
        * the loop's body imports the training step, i.e. the sub-graph of the
          train op, the loss and the metrics (`sub_graph_def` of the graph as
          it is now), with `inputs`, `targets` and `training` mapped to `xs[i]`,
          `ys[i]` and `True`, and writes `[loss, metric, ...]` (float64) to row
          i of a `TensorArray`;
        * `i + 1`, the row and the loss's finiteness are computed under
          `tf.control_dependencies([train_op])`, so iteration i + 1 starts
          after step i's updates, and the loop stops after a non-finite loss
          (as `fit` stops after that step).

        Returns a `MultiStep(xs, ys, values, steps_run, ws)` (`ws`: the stacked
        sample weights' placeholder, None without `sample_weights`): `values` is
        `(steps, 1 + len(metrics))` float64 (rows past `steps_run` are zeros),
        `steps_run` how many steps ran.

        The copy shares the model's state: a resource variable's handle op
        names its variable by `shared_name`, which the import keeps, so the
        imported step reads and updates the very variables the single step
        does (weights, optimizer slots, RNN states, dropout counters), and
        checkpoints, `initialize` and `report_uninitialized_variables` see
        no new variables (the Saver has its list). tfcore's Dropout draws its
        masks from stateless ops seeded by a counter variable, so the loop
        draws the same masks as single steps. A *stateful* random op
        (`tf.random.uniform`) would not: each copy of it gets its own kernel,
        i.e. its own random stream.
        """
        key = (int(steps), int(batch_size))
        if key in self._multi_steps:
            return self._multi_steps[key]
        if self.train_op is None or self.train_loss is None or self.targets is None:
            raise ValueError("TrainGraph.multi_step: the model needs targets, a loss and a train_op")
        outputs = [self.train_loss] + [self.train_metrics[k] for k in self.metrics]
        # Taken before the loop exists: the body copies the step, not earlier loops.
        step_def = sub_graph_def(self.graph.as_graph_def(),
                                 [self.train_op.name] + [t.op.name for t in outputs])
        in_step = {node.name for node in step_def.node}
        with self.graph.as_default(), tf.name_scope("train/multi_step_%dx%d/" % key):
            xs = tf.compat.v1.placeholder(
                self.inputs.dtype, [steps, batch_size] + self.inputs.shape.as_list()[1:], name="xs")
            ys = tf.compat.v1.placeholder(
                self.targets.dtype, [steps, batch_size] + self.targets.shape.as_list()[1:], name="ys")
            ws = None if self.sample_weights is None else tf.compat.v1.placeholder(
                self.sample_weights.dtype, [steps, batch_size], name="ws")

            def body(i, finite, rows):
                input_map = {self.inputs.name: xs[i], self.targets.name: ys[i]}
                if ws is not None and self.sample_weights.op.name in in_step:
                    input_map[self.sample_weights.name] = ws[i]
                if self.training is not None and self.training.op.name in in_step:
                    input_map[self.training.name] = tf.constant(True)
                *values, train_op = tf.graph_util.import_graph_def(
                    step_def, input_map=input_map, name="step",
                    return_elements=[t.name for t in outputs] + [self.train_op.name])
                with tf.control_dependencies([train_op]):
                    row = tf.stack([tf.cast(v, tf.float64) for v in values])
                    return i + 1, tf.math.is_finite(row[0]), rows.write(i, row)

            rows = tf.TensorArray(tf.float64, size=steps, element_shape=[len(outputs)])
            steps_run, _, rows = tf.while_loop(
                lambda i, finite, rows: tf.logical_and(i < steps, finite), body,
                [tf.constant(0), tf.constant(True), rows])
            built = MultiStep(xs, ys, rows.stack(name="values"), tf.identity(steps_run, "steps_run"),
                              ws)
        self._multi_steps[key] = built
        return built


CALLER_THREAD_FLOPS = 5e6  # forward FLOPs per batch under which a step runs in the caller's thread


def run_options_for(tensor: Any, batch_size: int) -> Optional[Any]:
    """`RunOptions(inter_op_thread_pool=-1)` if computing `tensor` is a small step, else None.

    Small: under `CALLER_THREAD_FLOPS` forward FLOPs (a `None` batch dimension
    taken as `batch_size`) and all on one device; see `TrainGraph.step_options`.
    """
    if _small_step(tensor, int(batch_size)):
        return tf.compat.v1.RunOptions(inter_op_thread_pool=-1)
    return None


def _with_options(run, options):
    return lambda *feeds: run(*feeds, options=options)


def _small_step(loss, batch_size):
    """Whether the ops `loss` depends on are few FLOPs and on one device (see `step_options`)."""
    ops = ancestors([loss])
    devices = {tf.DeviceSpec.from_string(op.device).to_string() for op in ops if op.device}
    if len(devices) > 1:
        return False
    total = 0
    for op in ops:
        try:
            total += flops_lib.op_flops(op, unknown_dim=batch_size)[0]
        except flops_lib.UnknownShape:
            return False  # cannot tell: keep TensorFlow's default
        if total >= CALLER_THREAD_FLOPS:
            return False
    return True
