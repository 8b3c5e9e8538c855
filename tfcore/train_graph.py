"""The training graph: what a model builder hands to `fit`, and the one function that assembles it.

A `TrainGraph` names the tensors the training loop needs from a built graph
(placeholders, predictions, loss, train op, metrics, the `training` switch)
and adds the run's bookkeeping (the epoch counter, the Saver, weight and
learning-rate setters). `assemble` builds one from a network, a loss and an
optimizer, so every builder returns the same shape whichever way training and
inference differ:

    switch="passes"       training pass    out_t = network(x, True);  loss_t = loss_fn(y, out_t)
                          inference pass   out   = network(x, False); loss   = loss_fn(y, out)
                          train_op = optimizer.minimize(loss_t)    (the same layers: shared variables)
    switch="placeholder"  one pass         out = network(x, training), training a boolean
                                           placeholder (default False) that `fit` feeds True
    switch=None           one pass         out = network(x, False): nothing differs
    devices=[d0, d1, ...] the placeholder pass split over towers (`tfcore.parallel.build`)

and `predictions = output(out)` (e.g. a softmax over logits). The optimizer
minimises the loss, or `objective(y, out_t)` when given: the chapter's MLP
minimises the sum of squares over the batch and reports its mean per example,
so that a smaller last batch compares fairly.
"""

from typing import Any, Callable, Dict, List, Optional, Sequence

import tensorflow as tf

from tfcore import train_speed
from tfcore.graph import RESET_STATES_COLLECTION
from tfcore.optimizers import LEARNING_RATES, OPTIMIZER_VARIABLES

SWITCHES = ("passes", "placeholder", None)


class TrainGraph(train_speed.StepRunner):
    """A built graph and the tensors a training loop needs from it.

    Args:
      graph: the `tf.Graph` everything below lives in.
      inputs: the input placeholder, batch first (`(None, ...)`, or a number
        for a fixed batch size).
      targets: the target placeholder, batch first (None for predict-only).
      predictions: the model's output tensor.
      loss: a scalar, the mean of the per-example losses of the batch.
      train_op: the op one training step runs (an optimizer's `minimize`,
        with the layers' update ops already attached).
      metrics: `{"accuracy": tensor, ...}`, each a batch mean.
      training: the boolean switch layers read (`placeholder_with_default(False)`),
        fed True for training steps; None if no layer behaves differently, or
        if the training step has a forward pass of its own (`train_loss`).
      train_loss, train_metrics: the loss and metrics of the training step when
        it has its own forward pass (the layers called with `training=True`,
        sharing their variables with an inference pass that gives
        `predictions`, `loss` and `metrics`), as Keras builds its train and
        predict functions. `fit` runs and reports these; `evaluate`, `predict`
        and export use the inference ones. Default: `loss` and `metrics`.
      sample_weights: a `(batch,)` float placeholder the loss weighs its examples by
        (`tfcore.losses`' `sample_weight=`), fed from `fit`'s and `evaluate`'s
        `sample_weight` / `class_weight` (`tfcore.weighting`), with ones when
        none are given; None (default): the model takes no weights.
      init_op: the op that initializes a fresh model; default: the initializers
        of all global variables (what `global_variables_initializer()` runs).
      max_to_keep: how many epoch checkpoints the Saver keeps.

    Creating a TrainGraph adds to the graph the run's `epoch` counter (a
    non-trainable int64 variable) and a `tf.compat.v1.train.Saver` over all
    global variables, so create it after everything else is built.
    """

    def __init__(self, graph: tf.Graph, inputs: tf.Tensor, targets: Optional[tf.Tensor] = None,
                 predictions: Optional[tf.Tensor] = None, loss: Optional[tf.Tensor] = None,
                 train_op: Optional[Any] = None, metrics: Optional[Dict[str, tf.Tensor]] = None,
                 training: Optional[tf.Tensor] = None, init_op: Optional[Any] = None,
                 max_to_keep: int = 5, train_loss: Optional[tf.Tensor] = None,
                 train_metrics: Optional[Dict[str, tf.Tensor]] = None,
                 sample_weights: Optional[tf.Tensor] = None) -> None:
        self.graph = graph
        self.sample_weights = sample_weights
        self.inputs = inputs
        self.targets = targets
        self.predictions = predictions
        # The loss fit reports and evaluate computes. Keras reports the total that is
        # minimised: a builder whose train op minimises loss + a regularization term
        # (weight decay, activity penalties) passes that total here.
        self.loss = loss
        self.train_op = train_op
        self.metrics = dict(metrics or {})
        self.training = training
        self.train_loss = loss if train_loss is None else train_loss
        self.train_metrics = self.metrics if train_metrics is None else dict(train_metrics)
        if sorted(self.train_metrics) != sorted(self.metrics):
            raise ValueError("TrainGraph: train_metrics must name the same metrics as metrics "
                             "(%s), got %s" % (sorted(self.metrics), sorted(self.train_metrics)))
        self._init_step_caches()
        self._setters: Dict[Any, Any] = {}  # (what, variables) -> (placeholders, assign op), built on first use
        self.stop_training = False  # a callback sets it to end `fit` after the current epoch
        for name in self.metrics:
            if name == "loss" or name.startswith("val_"):
                raise ValueError("TrainGraph: metric name %r is reserved" % name)
        with graph.as_default(), tf.name_scope("train"):
            self.epoch_variable = tf.compat.v1.Variable(
                0, dtype=tf.int64, trainable=False, name="epoch", use_resource=True)
            self._epoch_value = tf.compat.v1.placeholder(tf.int64, (), name="epoch_value")
            self._assign_epoch = self.epoch_variable.assign(self._epoch_value)
            self.variables = tf.compat.v1.global_variables()
            self.init_op = init_op if init_op is not None else \
                tf.compat.v1.variables_initializer(self.variables)
            # tf.identity marks the result used: report_uninitialized_variables complains
            # at graph teardown about a result that was never consumed.
            self._uninitialized = tf.identity(
                tf.compat.v1.report_uninitialized_variables(self.variables), name="uninitialized")
            self.saver = tf.compat.v1.train.Saver(
                self.variables, max_to_keep=max_to_keep, save_relative_paths=True)

    @property
    def reset_ops(self) -> List[Any]:
        """The ops that reset stateful layers (the graph collection `tfcore_reset_states`)."""
        return self.graph.get_collection(RESET_STATES_COLLECTION)

    @property
    def batch_size(self) -> Optional[int]:
        """The batch size the inputs are fixed to, or None when any size is accepted."""
        shape = self.inputs.shape
        return None if shape.rank is None or shape[0] is None else int(shape[0])

    @property
    def weights(self) -> List[Any]:
        """The model's weights: every variable but the optimizer's state and the epoch counter.

        Trained weights and moving statistics (what Keras's `get_weights` holds),
        plus tfcore's other model state (dropout counters, stateful RNN carry).
        """
        excluded = {v.ref() for v in self.graph.get_collection(OPTIMIZER_VARIABLES)}
        excluded.add(self.epoch_variable.ref())
        return [v for v in self.variables if v.ref() not in excluded]

    def get_weights(self, session: Any) -> List[Any]:
        """The values of `weights`, as a list of NumPy arrays in the same order."""
        return session.run(self.weights)

    def set_weights(self, session: Any, values: Sequence[Any]) -> None:
        """Load `values` (as `get_weights` returns them) into `weights`."""
        self._assign(session, "weights", self.weights, values)

    @property
    def learning_rates(self) -> List[Any]:
        """The optimizers' base learning-rate variables (`tfcore.optimizers.LEARNING_RATES`)."""
        return self.graph.get_collection(LEARNING_RATES)

    def get_learning_rate(self, session: Any) -> float:
        """The base learning rate lr (of the first optimizer), as a float."""
        if not self.learning_rates:
            raise ValueError("TrainGraph: the graph has no tfcore optimizer with a learning-rate "
                             "variable (an optimizer whose rate is a schedule has none)")
        return float(session.run(self.learning_rates[0]))

    def set_learning_rate(self, session: Any, value: float) -> None:
        """Set every optimizer's base learning rate lr to `value` (Keras 2 decay still applies)."""
        if not self.learning_rates:
            raise ValueError("TrainGraph: the graph has no tfcore optimizer with a learning-rate "
                             "variable (an optimizer whose rate is a schedule has none)")
        variables = self.learning_rates
        self._assign(session, "learning_rate", variables, [value] * len(variables))

    def _assign(self, session, what, variables, values):
        """Run one op assigning `values` to `variables`, built once (placeholders fed)."""
        values = list(values)
        if len(values) != len(variables):
            raise ValueError("TrainGraph: %s takes %d values, got %d" % (what, len(variables), len(values)))
        key = (what, tuple(v.ref() for v in variables))
        if key not in self._setters:
            with self.graph.as_default(), tf.name_scope("train/set_" + what):
                feeds = [tf.compat.v1.placeholder(v.dtype.base_dtype, v.shape) for v in variables]
                op = tf.group(*[v.assign(f, read_value=False) for v, f in zip(variables, feeds)])
            self._setters[key] = (feeds, op)
        feeds, op = self._setters[key]
        session.run(op, dict(zip(feeds, values)))

    def set_epoch(self, session: Any, epoch: int) -> None:
        """Store the number of completed epochs in the graph (checkpoints save it)."""
        session.run(self._assign_epoch, {self._epoch_value: int(epoch)})


Network = Callable[[tf.Tensor, Any], tf.Tensor]
LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def assemble(graph: tf.Graph, inputs: tf.Tensor, targets: tf.Tensor, network: Network,
             loss_fn: LossFn, optimizer: Any, metrics: Optional[Dict[str, LossFn]] = None,
             switch: Optional[str] = "passes", devices: Optional[Sequence[str]] = None,
             output: Optional[Callable[[tf.Tensor], tf.Tensor]] = None,
             objective: Optional[LossFn] = None) -> TrainGraph:
    """A `TrainGraph` from a network, a loss and an optimizer (see the module docstring).

    Call it inside `with graph.as_default():` after making the placeholders.

    Args:
      graph, inputs, targets: the graph and its input and target placeholders.
      network: `network(x, training) -> outputs`; it must build its layers once
        (a closure over layer objects), so that every pass and tower shares them.
      loss_fn: `loss_fn(targets, outputs) -> scalar`, the batch mean.
      optimizer: a `tfcore.optimizers.Optimizer`.
      metrics: `{"name": fn(targets, outputs) -> batch mean}`.
      switch: "passes", "placeholder" or None: how training and inference differ.
      devices: one device per tower (`tfcore.parallel.tower_devices(n)`); towers
        read the switch from a placeholder, so they need `switch="placeholder"`.
      output: `output(outputs) -> predictions` (default: the outputs themselves).
      objective: `objective(targets, outputs) -> scalar`, what the optimizer
        minimises when it is not the reported loss (default: the loss). Towers
        average their losses by their share of the batch, which is right for a
        mean only, so they take no objective.
    """
    if switch not in SWITCHES:
        raise ValueError("assemble: switch must be 'passes', 'placeholder' or None, got %r"
                         % (switch,))
    if devices is not None and switch != "placeholder":
        raise ValueError("assemble: towers (devices=...) read the training switch from a "
                         "placeholder; pass switch='placeholder', got %r" % (switch,))
    if devices is not None and objective is not None:
        raise ValueError("assemble: towers (devices=...) minimise the mean of their losses; "
                         "they take no objective")
    metrics, output = dict(metrics or {}), output or (lambda outputs: outputs)
    with graph.as_default():
        if devices is not None:
            from tfcore import parallel  # parallel builds on this module: imported when used
            training = tf.compat.v1.placeholder_with_default(False, (), name="training")
            model = parallel.build(network, loss_fn, optimizer, inputs, targets, devices,
                                   training=training, metrics=metrics, graph=graph)
            model.predictions = output(model.predictions)
            return model
        if switch == "passes":
            return _two_passes(graph, inputs, targets, network, loss_fn, optimizer, metrics, output,
                               objective)
        training = None if switch is None else \
            tf.compat.v1.placeholder_with_default(False, (), name="training")
        outputs = network(inputs, False if training is None else training)
        predictions = output(outputs)
        loss = loss_fn(targets, outputs)
        train_op = optimizer.minimize(loss if objective is None else objective(targets, outputs))
        return TrainGraph(graph, inputs, targets, predictions, loss, train_op,
                          metrics={k: fn(targets, outputs) for k, fn in metrics.items()},
                          training=training)


def _two_passes(graph, inputs, targets, network, loss_fn, optimizer, metrics, output, objective):
    """The training pass (its loss or objective minimised) and the inference pass, on the same layers."""
    train_outputs = network(inputs, True)
    train_loss = loss_fn(targets, train_outputs)
    train_op = optimizer.minimize(
        train_loss if objective is None else objective(targets, train_outputs))
    outputs = network(inputs, False)
    return TrainGraph(
        graph, inputs, targets, output(outputs), loss_fn(targets, outputs), train_op,
        metrics={k: fn(targets, outputs) for k, fn in metrics.items()},
        train_loss=train_loss,
        train_metrics={k: fn(targets, train_outputs) for k, fn in metrics.items()})
