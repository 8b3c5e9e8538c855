"""The base class every optimizer rule in this package derives from (see `tfcore.optimizers`).

`Optimizer` turns gradients into updates (`minimize`, `apply_gradients`),
owns the learning rate, Keras 2's `decay`, clipping, constraints and the slots;
a rule (sgd.py, adam.py, ...) writes only its own update.
"""

import numbers

import tensorflow as tf

from tfcore import precision, schedules
from tfcore.checks import check_type, normalize_choice, number_in

# Graph collections through which training code finds an optimizer's state without
# holding the optimizer: the base learning-rate variables (what ReduceLROnPlateau or
# LearningRateScheduler changes) and every variable an optimizer created (what
# `TrainGraph.get_weights` leaves out: the model's weights are the rest).
LEARNING_RATES = "tfcore_learning_rates"
OPTIMIZER_VARIABLES = "tfcore_optimizer_variables"

IMPLEMENTATIONS = ("fused", "readable")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Optimizer:
    """Base class: clipping, the learning rate, slots, the step counter, sparse updates.

    A subclass lists its slots in `_create_slots(var)` (via `_add_slot`) and
    writes its rule as `_update(grad, var, slots, c)`: given the gradient, the
    variable's value and its slots' values (a dict), and this step's
    coefficients `c` (`c["lr"]` = lr_k, plus what `_prepare` adds), it returns
    the new value of the variable and a dict of the new slot values. The base
    class turns that rule into assign ops (dense) or scatter ops (sparse).

    Args:
      learning_rate: the base rate lr (> 0), or a `tfcore.schedules` schedule
        evaluated at k.
      decay: Keras 2 time decay (>= 0): lr_k = lr / (1 + decay * k).
      name: the name scope of the optimizer's ops and of `iterations`.
      clipnorm: clip each gradient to this L2 norm (`tf.clip_by_norm`).
      clipvalue: clip each gradient element to [-clipvalue, clipvalue].
      global_clipnorm: scale all gradients together so that their joint L2
        norm is at most this (`tf.clip_by_global_norm`); not with clipnorm.
      lr: Keras 2's old spelling of learning_rate; wins when given.
      implementation: "fused" (one kernel per variable; the default where the
        optimizer has one) or "readable" (the rule as explicit ops).
    """

    sparse_mode = "dense"  # how a tf.IndexedSlices gradient updates (see the module docstring)
    has_fused_kernel = False  # True where `_fused_update` calls TensorFlow's kernel for the rule

    def __init__(self, learning_rate, decay=0.0, name=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, lr=None, implementation=None):
        self.name = name or type(self).__name__
        self.implementation = self._check_implementation(implementation)
        if lr is not None:
            learning_rate = lr
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.learning_rate = learning_rate
        else:
            self.learning_rate = number_in(learning_rate, "(0, inf)", self.name, "learning_rate")
        self.decay = number_in(decay, "[0, inf)", self.name, "decay")
        self.clipnorm = self._check_optional("clipnorm", clipnorm)
        self.clipvalue = self._check_optional("clipvalue", clipvalue, "(0, inf]")  # inf: no clip
        self.global_clipnorm = self._check_optional("global_clipnorm", global_clipnorm)
        if self.clipnorm is not None and self.global_clipnorm is not None:
            raise ValueError("%s: give clipnorm or global_clipnorm, not both (as in Keras)" % self.name)
        self._graph = None
        self._iterations = None
        self._learning_rate_variable = None
        self._extra_state = []  # scalar state listed after `iterations` (Nadam's momentum cache)
        self._step_updates = []  # ops run once per step besides the variables' updates
        self._slots = {}  # var.ref() -> {slot name: slot variable}, in creation order
        self._slot_names = []  # in creation order, for `variables`
        self._slot_vars = []  # the variables the slots belong to, in order
        self._coefficients = {}  # dtype -> this step's coefficients (lr_k, ...)
        self._learning_rate_tensor = None

    # -- validation (the hyperparameters' intervals: checks.number_in) ----
    def _check_optional(self, argument, value, interval="(0, inf)"):
        """None (off) or a number in `interval` (the clipping bounds; an infinite norm bound
        would make inf / inf = NaN gradients)."""
        return None if value is None else number_in(value, interval, self.name, argument)

    def _check_implementation(self, implementation):
        """None -> "fused" where there is a kernel, else "readable"; anything else is checked."""
        if implementation is None:
            return "fused" if self.has_fused_kernel else "readable"
        normalize_choice(implementation, IMPLEMENTATIONS, self.name, "implementation")
        if implementation == "fused" and not self.has_fused_kernel:
            raise ValueError("%s: there is no fused kernel for this optimizer; use "
                             "implementation=\"readable\"" % self.name)
        return implementation

    # -- public state -----------------------------------------------------
    @property
    def iterations(self):
        """The steps done so far (int64 variable); None until the first `apply_gradients`."""
        return self._iterations

    @property
    def variables(self):
        """`iterations`, any scalar state, then every slot (Keras's order: slot by slot).

        Empty until the first `apply_gradients`. Checkpoints save these so that a
        restored run continues with the same moments and the same decayed rate.
        """
        if self._iterations is None:
            return []
        slots = [self._slots[var.ref()][slot] for slot in self._slot_names
                 for var in self._slot_vars if slot in self._slots[var.ref()]]
        return [self._iterations] + self._extra_state + slots

    @property
    def learning_rate_variable(self):
        """The base rate lr as a float64 variable (None with a schedule or before the first apply)."""
        return self._learning_rate_variable

    @property
    def learning_rate_tensor(self):
        """The decayed rate lr_k as a tensor (for logging); None until the first apply.

        Fetched together with the train op it is the rate that step used; fetched
        alone it is the rate the next step will use.
        """
        return self._learning_rate_tensor

    def get_learning_rate(self, session):
        """The current base rate lr (a float), as `set_learning_rate` left it."""
        return float(session.run(self._check_settable("get_learning_rate")))

    def set_learning_rate(self, session, value):
        """Set the base rate lr for the following steps (callbacks' hook; adds no ops)."""
        self._check_settable("set_learning_rate")
        value = number_in(value, "(0, inf)", self.name, "learning_rate")
        session.run(self._assign_learning_rate, {self._new_learning_rate: value})

    def _check_settable(self, what):
        if isinstance(self.learning_rate, schedules.LearningRateSchedule):
            raise ValueError("%s.%s: the learning rate is a schedule of the step, %r; it has no "
                             "variable to read or set" % (self.name, what, self.learning_rate))
        if self._learning_rate_variable is None:
            raise ValueError("%s.%s: the optimizer has no state yet; call minimize first"
                             % (self.name, what))
        return self._learning_rate_variable

    def get_slot(self, var, slot_name):
        """The slot variable `slot_name` ("momentum", "adam_m", ...) of `var`."""
        try:
            return self._slots[var.ref()][slot_name]
        except KeyError:
            raise ValueError(
                "%s: no slot %r for variable %s" % (self.name, slot_name, var.name)
            ) from None

    # -- the training step ------------------------------------------------
    def minimize(self, loss, var_list=None, update_ops=None, name=None):
        """The train op: compute gradients, update the variables, run `update_ops`.

        Args:
          loss: a scalar tensor (a non-scalar one is summed by `tf.gradients`).
            To train with the layers' regularization losses, pass
            `tfcore.regularizers.add_regularization(loss)`.
          var_list: the variables to train; default: the trainable variables of
            the loss's graph.
          update_ops: ops to run with every step (batch-norm moving averages,
            stateful RNN state); default: the graph's
            `tf.compat.v1.GraphKeys.UPDATE_OPS` collection.
          name: the train op's name.

        Returns:
          One op; running it performs one training step.
        """
        graph = loss.graph
        with graph.as_default():
            if update_ops is None:
                update_ops = graph.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
            update_ops = list(update_ops)
            # mixed_float16 (tfcore.precision): differentiate loss * S, then divide by S,
            # so that small gradients do not flush to zero in float16. S = 1 otherwise.
            scale = precision.loss_scale(graph)
            grads_and_vars = self.compute_gradients(loss * scale if scale != 1 else loss, var_list)
            if scale != 1:
                grads_and_vars = precision.unscale(grads_and_vars, scale)
            # No variable changes before the whole forward pass (everything the
            # loss depends on) and the update ops have read the current values.
            with tf.control_dependencies([loss] + update_ops):
                apply_op = self.apply_gradients(grads_and_vars)
            return tf.group(apply_op, *update_ops, name=name or self.name + "_train")

    def compute_gradients(self, loss, var_list=None):
        """A list of (gradient, variable) pairs from `tf.gradients(loss, var_list)`.

        Raises:
          ValueError: there are no variables, or a variable does not affect the
            loss (its gradient is None); the message lists those variables.
        """
        graph = loss.graph
        with graph.as_default():
            if var_list is None:
                var_list = graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)
            var_list = list(var_list)
            if not var_list:
                raise ValueError("%s: there are no variables to train in the loss's graph" % self.name)
            for var in var_list:
                check_type(var, tf.Variable, self.name, "each entry of var_list", "a tf.Variable")
            grads = tf.gradients(loss, var_list)
            missing = [v.name for v, g in zip(var_list, grads) if g is None]
            if missing:
                raise ValueError(
                    "%s: the loss %s does not depend on these variables (no gradient): %s. "
                    "Pass var_list with only the variables the loss uses."
                    % (self.name, loss.name, ", ".join(missing))
                )
            return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, name=None):
        """The op that clips the gradients, updates every variable, then counts the step.

        Creates `iterations`, the learning-rate variable and the slots on first
        use (in the variables' graph).
        """
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("%s: apply_gradients got no (gradient, variable) pairs" % self.name)
        for grad, var in grads_and_vars:
            if grad is None:
                raise ValueError("%s: the gradient of %s is None" % (self.name, var.name))
        graph = grads_and_vars[0][1].graph
        if self._graph is None:
            self._graph = graph
        elif graph is not self._graph:
            raise ValueError(
                "%s was used in another graph; make a new optimizer for each graph" % self.name
            )
        with graph.as_default(), tf.name_scope(self.name):
            self._create_state([v for _, v in grads_and_vars])
            grads_and_vars = self._clip(grads_and_vars)
            coefficients = {v.dtype.base_dtype: self._prepare(v.dtype.base_dtype) for _, v in grads_and_vars}
            # Every gradient is computed before any variable changes, so no
            # gradient can see a half-updated model.
            with tf.control_dependencies(_tensors_of(g for g, _ in grads_and_vars)):
                updates = [self._apply_one(g, v, coefficients[v.dtype.base_dtype])
                           for g, v in grads_and_vars]
            with tf.control_dependencies(updates + self._step_updates):
                step = self._iterations.assign_add(1, read_value=False)
            return tf.group(step, name=name or "apply")

    def _clip(self, grads_and_vars):
        """Keras 2's order: clipvalue, then clipnorm (each gradient), then global_clipnorm.

        These tf functions accept IndexedSlices and clip their values, as Keras's do.
        """
        grads, variables = [g for g, _ in grads_and_vars], [v for _, v in grads_and_vars]
        if self.clipvalue is not None:
            with tf.name_scope("clipvalue"):
                grads = [tf.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            with tf.name_scope("clipnorm"):
                grads = [tf.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            grads, _ = tf.clip_by_global_norm(grads, self.global_clipnorm, name="global_clipnorm")
        return list(zip(grads, variables))

    def _apply_one(self, grad, var, coefficients):
        """One variable's update (dense or sparse), then its constraint, where the variable lives."""
        with tf.name_scope("update_" + var.op.name.replace("/", "_")), var.graph.colocate_with(var.op):
            constraint = getattr(var, "constraint", None)
            if isinstance(grad, tf.IndexedSlices):
                if constraint is not None:
                    raise ValueError(
                        "%s: variable %s has a constraint and a sparse gradient (IndexedSlices); "
                        "Keras refuses this too: drop the constraint or make the gradient dense "
                        "with tf.convert_to_tensor" % (self.name, var.name))
                return self._apply_sparse(grad, var, coefficients)
            update = self._apply_dense(grad, var, coefficients)
            if constraint is None:
                return update
            # As Keras: the constraint projects the updated value (read after the update).
            with tf.control_dependencies([update]), tf.name_scope("constraint"):
                return var.assign(constraint(var), read_value=False)

    def _apply_dense(self, grad, var, coefficients):
        slots = self._slots[var.ref()]
        if self.implementation == "fused":
            return self._fused_update(grad, var, slots, coefficients)
        new_var, new_slots = self._update(
            grad, var.value(), {k: s.value() for k, s in slots.items()}, coefficients)
        return tf.group(*[slots[k].assign(value, read_value=False) for k, value in new_slots.items()],
                        var.assign(new_var, read_value=False))

    def _apply_sparse(self, grad, var, coefficients):
        """Keras 2's sparse update of this optimizer (`sparse_mode`, module docstring)."""
        if self.sparse_mode == "dense":
            return self._apply_dense(tf.convert_to_tensor(grad), var, coefficients)
        # Repeated rows: sum their values, as Keras's _deduplicate_indexed_slices.
        indices, positions = tf.unique(grad.indices)
        values = tf.math.unsorted_segment_sum(grad.values, positions, tf.shape(indices)[0])
        slots = self._slots[var.ref()]

        def scatter(variable, rows):
            return tf.raw_ops.ResourceScatterUpdate(resource=variable.handle, indices=indices, updates=rows)

        if self.sparse_mode == "rows":
            rows = {k: tf.gather(s, indices) for k, s in slots.items()}
            new_rows, new_slot_rows = self._update(values, tf.gather(var, indices), rows, coefficients)
            return tf.group(*[scatter(slots[k], r) for k, r in new_slot_rows.items()],
                            scatter(var, new_rows))
        # "weights": the slots see a dense gradient (zero rows decay), w moves at the rows only.
        dense = tf.scatter_nd(tf.expand_dims(indices, 1), values, tf.shape(var, out_type=indices.dtype))
        new_var, new_slots = self._update(
            dense, var.value(), {k: s.value() for k, s in slots.items()}, coefficients)
        return tf.group(*[slots[k].assign(value, read_value=False) for k, value in new_slots.items()],
                        scatter(var, tf.gather(new_var, indices)))

    def _update(self, grad, var, slots, c):
        """The rule: (new value of var, {slot: new value}) from tensors; see the subclasses."""
        raise NotImplementedError

    def _fused_update(self, grad, var, slots, c):
        """The same rule as one kernel on the variables' handles (`has_fused_kernel` classes)."""
        raise NotImplementedError

    # -- state ------------------------------------------------------------
    def _create_state(self, var_list):
        # Control dependencies cleared: the initialisers of the new variables
        # must not depend on this step's ops (global_variables_initializer runs
        # them with no feeds).
        with tf.control_dependencies(None):
            if self._iterations is None:
                self._iterations = tf.compat.v1.Variable(
                    0, dtype=tf.int64, trainable=False, name="iterations", use_resource=True
                )
                tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, self._iterations)
                if not isinstance(self.learning_rate, schedules.LearningRateSchedule):
                    self._create_learning_rate_variable()
            for var in var_list:
                if var.ref() not in self._slots:
                    self._slots[var.ref()] = {}
                    self._slot_vars.append(var)
                    self._create_slots(var)

    def _create_learning_rate_variable(self):
        """lr as a float64 variable and the op that assigns a fed value to it."""
        self._learning_rate_variable = tf.compat.v1.Variable(
            self.learning_rate, dtype=tf.float64, trainable=False, name="base_learning_rate",
            use_resource=True)
        tf.compat.v1.add_to_collection(LEARNING_RATES, self._learning_rate_variable)
        tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, self._learning_rate_variable)
        self._new_learning_rate = tf.compat.v1.placeholder(tf.float64, (), name="new_learning_rate")
        self._assign_learning_rate = self._learning_rate_variable.assign(
            self._new_learning_rate, read_value=False)

    def _create_slots(self, var):
        """Create the slots of one variable with `_add_slot` (none for plain SGD)."""

    def _add_slot(self, var, slot_name, initial_value=0.0):
        """A non-trainable copy of `var`'s shape filled with `initial_value`: `<var>/<slot_name>`."""
        if not var.shape.is_fully_defined():
            raise ValueError("%s: variable %s has no fully known shape" % (self.name, var.name))
        # An absolute name scope (trailing "/") puts the slot next to its variable.
        # Colocated with the variable: on a parameter server the slot lives there too.
        with tf.name_scope(var.op.name + "/"), var.graph.colocate_with(var.op):
            slot = tf.compat.v1.Variable(
                tf.fill(var.shape, tf.constant(initial_value, var.dtype.base_dtype)),
                trainable=False, name=slot_name, use_resource=True,
            )
        self._slots[var.ref()][slot_name] = slot
        tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, slot)
        if slot_name not in self._slot_names:
            self._slot_names.append(slot_name)
        return slot

    def _step_count(self, dtype):
        """k, the steps done before this one, as a float of `dtype`."""
        return tf.cast(self._iterations, dtype)

    def _prepare(self, dtype):
        """This step's coefficients for the variables of `dtype`: built once, shared by all.

        Outside any control dependencies: fetching the rate for logging must not
        run (or need the feeds of) a training step, and a second `minimize` can
        reuse them. At small sizes a step's cost is its op count, so scalars
        every variable needs are computed once.
        """
        if dtype not in self._coefficients:
            with tf.control_dependencies(None), tf.name_scope("coefficients"):
                self._coefficients[dtype] = self._coefficients_for(dtype)
            if self._learning_rate_tensor is None:
                self._learning_rate_tensor = self._coefficients[dtype]["lr"]
        return self._coefficients[dtype]

    def _coefficients_for(self, dtype):
        """{"lr": lr_k}; subclasses add their own (bias corrections, ...)."""
        return {"lr": self._decayed_learning_rate(dtype)}

    def _decayed_learning_rate(self, dtype):
        """lr_k = lr / (1 + decay * k), lr = schedule(k) when lr is a schedule."""
        with tf.name_scope("learning_rate"):
            k = self._step_count(dtype)
            if isinstance(self.learning_rate, schedules.LearningRateSchedule):
                lr = tf.cast(self.learning_rate(k), dtype)
            else:
                lr = tf.cast(self._learning_rate_variable, dtype)
            if self.decay > 0.0:
                lr = lr / (1.0 + tf.constant(self.decay, dtype) * k)
        return lr

    def _describe(self, **hyper):
        """`Name(learning_rate=..., <hyper>..., decay=..., clip...)` for __repr__."""
        parts = ["learning_rate=%s" % _format(self.learning_rate)]
        parts += ["%s=%s" % (k, _format(v)) for k, v in hyper.items()]
        parts.append("decay=%s" % _format(self.decay))
        parts += ["%s=%s" % (k, _format(getattr(self, k)))
                  for k in ("clipnorm", "clipvalue", "global_clipnorm") if getattr(self, k) is not None]
        if self.implementation != self._check_implementation(None):
            parts.append("implementation=%r" % self.implementation)
        return "%s(%s)" % (type(self).__name__, ", ".join(parts))

    def __repr__(self):
        return self._describe()


def _format(value):
    return "%g" % value if _is_number(value) else repr(value)


def _tensors_of(grads):
    """The tensors behind gradients (an IndexedSlices has values and indices)."""
    tensors = []
    for g in grads:
        tensors += [g.values, g.indices] if isinstance(g, tf.IndexedSlices) else [g]
    return tensors
