"""Optimizers: gradients from `tf.gradients`, updates as a few explicit assign ops.

Training is two operations in the graph. `tf.gradients(loss, w)` builds the ops
that compute g = dloss/dw for every variable w; an optimizer then builds the ops
that move each w against its gradient. `minimize(loss)` returns one op (the
train op) that does both, so `session.run(train_op, feed)` is one training step.

Every optimizer here follows Keras 2 (`tf_keras.optimizers.legacy`) exactly, so
a tfcore model and a tf-keras model trained from the same weights on the same
batches stay together step for step.

Notation: k = `iterations` = the number of steps done BEFORE this one (0 on the
first step), g = the gradient, lr the base learning rate.

Learning rate with Keras 2 time decay (the first step uses lr itself):

    lr_k = lr / (1 + decay * k)

SGD:

    w <- w - lr_k g

Momentum (Keras's form: the velocity v already contains the learning rate):

    v <- momentum v - lr_k g
    w <- w + v                                  (classical)
    w <- w + momentum v - lr_k g                (nesterov: look one step ahead)

Adam (Kingma & Ba; "epsilon hat" form, as `ResourceApplyAdam` and Keras 2):

    t     = k + 1
    m    <- beta_1 m + (1 - beta_1) g           first moment (mean of g)
    v    <- beta_2 v + (1 - beta_2) g^2         second moment (mean of g^2)
    lr_t  = lr_k sqrt(1 - beta_2^t) / (1 - beta_1^t)     bias correction
    w    <- w - lr_t m / (sqrt(v) + epsilon)
    (amsgrad: v_hat <- max(v_hat, v), and sqrt(v_hat) in place of sqrt(v))

Epsilon is added to sqrt(v) and is not bias-corrected: it is the paper's
"epsilon hat", not the epsilon of its Algorithm 1.

State: `iterations` (an int64 variable, not trainable) and per-variable slots
(`<variable>/momentum`, `<variable>/adam_m`, `<variable>/adam_v`, `<variable>/adam_vhat`), all created
on the first `apply_gradients` and listed in `optimizer.variables` so that
checkpoints save them. One session run of the train op runs every update;
`iterations` is incremented only after all of them (control dependencies).
"""

import numbers

import numpy as np
import tensorflow as tf

# Graph collections through which training code finds an optimizer's state without
# holding the optimizer: the base learning-rate variables (what a schedule or
# ReduceLROnPlateau changes) and every variable an optimizer created (what
# `TrainGraph.get_weights` leaves out: the model's weights are the rest).
LEARNING_RATES = "tfcore_learning_rates"
OPTIMIZER_VARIABLES = "tfcore_optimizer_variables"


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Optimizer:
    """Base class: gradients, slots, the step counter and the decayed learning rate.

    Subclasses implement `_create_slots(var)` (via `_add_slot`) and
    `_apply_dense(grad, var, lr)` returning the op that updates one variable.

    Args:
      learning_rate: the base rate lr (> 0).
      decay: Keras 2 time decay (>= 0): lr_k = lr / (1 + decay * k).
      name: the name scope of the optimizer's ops and of `iterations`.
    """

    def __init__(self, learning_rate, decay=0.0, name=None):
        self.name = name or type(self).__name__
        self.learning_rate = self._check_number("learning_rate", learning_rate, low=0.0, low_open=True)
        self.decay = self._check_number("decay", decay, low=0.0)
        self._graph = None
        self._iterations = None
        self._slots = {}  # var.ref() -> {slot name: slot variable}, in creation order
        self._slot_names = []  # in creation order, for `variables`
        self._slot_vars = []  # the variables the slots belong to, in order
        self._learning_rates = {}  # dtype -> the decayed learning-rate tensor
        self._learning_rate_tensor = None
        self._base_learning_rate = None  # the variable holding lr, made with the other state

    # -- validation -------------------------------------------------------
    def _check_number(self, argument, value, low=None, high=None, low_open=False, high_open=False):
        """Return `value` as a float, or raise a ValueError naming the optimizer and argument."""
        if not _is_number(value):
            raise TypeError("%s: %s must be a number, got %r" % (self.name, argument, value))
        value = float(value)
        bad_low = low is not None and (value <= low if low_open else value < low)
        bad_high = high is not None and (value >= high if high_open else value > high)
        if bad_low or bad_high or value != value:
            interval = "%s%s, %s%s" % (
                "(" if low_open else "[", "-inf" if low is None else low,
                "inf" if high is None else high, ")" if high_open or high is None else "]",
            )
            raise ValueError("%s: %s must be in %s, got %r" % (self.name, argument, interval, value))
        return value

    # -- public state -----------------------------------------------------
    @property
    def iterations(self):
        """The steps done so far (int64 variable); None until the first `apply_gradients`."""
        return self._iterations

    @property
    def variables(self):
        """`iterations` and every slot (Keras's order: slot by slot, variable by variable).

        Empty until the first `apply_gradients`. Checkpoints save these so that a
        restored run continues with the same moments and the same decayed rate.
        """
        if self._iterations is None:
            return []
        slots = [self._slots[var.ref()][slot] for slot in self._slot_names
                 for var in self._slot_vars if slot in self._slots[var.ref()]]
        return [self._iterations] + slots

    @property
    def learning_rate_tensor(self):
        """The decayed rate lr_k as a tensor (for logging); None until the first apply.

        Fetched together with the train op it is the rate that step used; fetched
        alone it is the rate the next step will use.
        """
        return self._learning_rate_tensor

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
            grads_and_vars = self.compute_gradients(loss, var_list)
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
                if not isinstance(var, tf.Variable):
                    raise TypeError("%s: var_list must hold variables, got %r" % (self.name, var))
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
        """The op that updates every variable from its gradient, then counts the step.

        Creates `iterations` and the slots on first use (in the variables' graph).
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
            # Gradients may be IndexedSlices (from tf.gather): make them dense.
            grads_and_vars = [(tf.convert_to_tensor(g), v) for g, v in grads_and_vars]
            self._create_state([v for _, v in grads_and_vars])
            # Every gradient is computed before any variable changes, so no
            # gradient can see a half-updated model. Each update runs where its
            # variable lives (colocation).
            with tf.control_dependencies([g for g, _ in grads_and_vars]):
                updates = []
                for grad, var in grads_and_vars:
                    lr = self._decayed_learning_rate(var.dtype.base_dtype)
                    with tf.name_scope("update_" + var.op.name.replace("/", "_")), \
                            graph.colocate_with(var.op):
                        updates.append(self._apply_dense(grad, var, lr))
            with tf.control_dependencies(updates):
                step = self._iterations.assign_add(1, read_value=False)
            return tf.group(step, name=name or "apply")

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
                # The base rate lr is a variable, so callbacks can change it between
                # epochs and checkpoints save it; float64 holds the Python float exactly,
                # and casting it to a float32 model rounds it as tf.constant would.
                self._base_learning_rate = tf.compat.v1.Variable(
                    self.learning_rate, dtype=tf.float64, trainable=False,
                    name="base_learning_rate", use_resource=True)
                tf.compat.v1.add_to_collection(LEARNING_RATES, self._base_learning_rate)
                tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, self._iterations)
                tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, self._base_learning_rate)
            for var in var_list:
                if var.ref() not in self._slots:
                    self._slots[var.ref()] = {}
                    self._slot_vars.append(var)
                    self._create_slots(var)

    def _create_slots(self, var):
        """Create the slots of one variable with `_add_slot` (none for plain SGD)."""

    def _add_slot(self, var, slot_name):
        """A zero-initialised, non-trainable copy of `var`'s shape: `<var>/<slot_name>`."""
        if not var.shape.is_fully_defined():
            raise ValueError("%s: variable %s has no fully known shape" % (self.name, var.name))
        # An absolute name scope (trailing "/") puts the slot next to its variable.
        # Colocated with the variable: on a parameter server the slot lives there too.
        with tf.name_scope(var.op.name + "/"), var.graph.colocate_with(var.op):
            slot = tf.compat.v1.Variable(
                tf.zeros(var.shape, dtype=var.dtype.base_dtype), trainable=False,
                name=slot_name, use_resource=True,
            )
        self._slots[var.ref()][slot_name] = slot
        tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, slot)
        if slot_name not in self._slot_names:
            self._slot_names.append(slot_name)
        return slot

    def _step_count(self, dtype):
        """k, the steps done before this one, as a float of `dtype`."""
        return tf.cast(self._iterations, dtype)

    def _decayed_learning_rate(self, dtype):
        """lr_k = lr / (1 + decay * k), one tensor per dtype (shared by all variables)."""
        if dtype not in self._learning_rates:
            # Outside any control dependencies: fetching the rate for logging
            # must not run (or need the feeds of) a training step.
            with tf.control_dependencies(None), tf.name_scope("learning_rate"):
                lr = tf.cast(self._base_learning_rate, dtype)
                if self.decay > 0.0:
                    lr = lr / (1.0 + tf.constant(self.decay, dtype) * self._step_count(dtype))
            self._learning_rates[dtype] = lr
            if self._learning_rate_tensor is None:
                self._learning_rate_tensor = lr
        return self._learning_rates[dtype]

    def _apply_dense(self, grad, var, lr):
        raise NotImplementedError

    def __repr__(self):
        return "%s(learning_rate=%g, decay=%g)" % (type(self).__name__, self.learning_rate, self.decay)


class SGD(Optimizer):
    """Gradient descent, as Keras 2's `SGD`: w <- w - lr_k g, or with momentum

        v <- momentum v - lr_k g
        w <- w + v                       (nesterov: w + momentum v - lr_k g)

    This is Keras's form, with lr inside the velocity; `tf.compat.v1.train.
    MomentumOptimizer` keeps v <- momentum v + g and steps w -= lr v, which is
    the same only while lr is constant (not with decay). With momentum 0 (the
    default) there is no velocity slot and `nesterov` changes nothing, as in Keras.

    Args:
      learning_rate: lr (> 0).
      momentum: in [0, 1]; how much of the previous velocity carries over.
      nesterov: use Nesterov's look-ahead update.
      decay: Keras 2 time decay (>= 0).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, decay=0.0, name=None):
        super().__init__(learning_rate, decay, name)
        self.momentum = self._check_number("momentum", momentum, low=0.0, high=1.0)
        self.nesterov = bool(nesterov)

    def _create_slots(self, var):
        if self.momentum > 0:
            self._add_slot(var, "momentum")

    def _apply_dense(self, grad, var, lr):
        if self.momentum == 0:
            return var.assign_sub(lr * grad, read_value=False)
        velocity = self.get_slot(var, "momentum")
        momentum = tf.constant(self.momentum, dtype=var.dtype.base_dtype)
        v = momentum * velocity - lr * grad
        if self.nesterov:
            step = momentum * v - lr * grad
        else:
            step = v
        return tf.group(
            velocity.assign(v, read_value=False),
            var.assign_add(step, read_value=False),
        )

    def __repr__(self):
        return "%s(learning_rate=%g, momentum=%g, nesterov=%s, decay=%g)" % (
            type(self).__name__, self.learning_rate, self.momentum, self.nesterov, self.decay)


class Momentum(SGD):
    """`SGD` with momentum 0.9 by default (the same update; see `SGD`)."""

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False, decay=0.0, name=None):
        super().__init__(learning_rate, momentum, nesterov, decay, name)


class Adam(Optimizer):
    """Adam, exactly as `tf_keras.optimizers.legacy.Adam` (see the module docstring).

    Args:
      learning_rate: lr (> 0); 0.001 is the paper's and Keras's default.
      beta_1: decay of the first-moment average, in [0, 1).
      beta_2: decay of the second-moment average, in [0, 1).
      epsilon: added to sqrt(v) (> 0); Keras 2's default 1e-7.
      decay: Keras 2 time decay (>= 0).
      amsgrad: AMSGrad (Reddi et al.): divide by the running maximum of v,
        v_hat <- max(v_hat, v), so the per-weight step never grows back.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0,
                 amsgrad=False, name=None):
        super().__init__(learning_rate, decay, name)
        self.beta_1 = self._check_number("beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = self._check_number("beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = self._check_number("epsilon", epsilon, low=0.0, low_open=True)
        if not isinstance(amsgrad, (bool, np.bool_)):
            raise TypeError("%s: amsgrad must be True or False, got %r" % (self.name, amsgrad))
        self.amsgrad = bool(amsgrad)
        self._corrected_rates = {}  # dtype -> this step's bias-corrected rate

    def _create_slots(self, var):
        self._add_slot(var, "adam_m")
        self._add_slot(var, "adam_v")
        if self.amsgrad:
            self._add_slot(var, "adam_vhat")

    def _apply_dense(self, grad, var, lr):
        dtype = var.dtype.base_dtype
        m_slot, v_slot = self.get_slot(var, "adam_m"), self.get_slot(var, "adam_v")
        beta_1 = tf.constant(self.beta_1, dtype)
        beta_2 = tf.constant(self.beta_2, dtype)
        lr_t = self._bias_corrected_rate(lr, dtype)
        # m + (1 - beta_1)(g - m) is beta_1 m + (1 - beta_1) g rearranged as the
        # ResourceApplyAdam kernel does, so float32 results match Keras closely.
        m = m_slot + (grad - m_slot) * (1.0 - beta_1)
        v = v_slot + (tf.square(grad) - v_slot) * (1.0 - beta_2)
        updates = [m_slot.assign(m, read_value=False), v_slot.assign(v, read_value=False)]
        if self.amsgrad:
            vhat_slot = self.get_slot(var, "adam_vhat")
            v = tf.maximum(vhat_slot, v)
            updates.append(vhat_slot.assign(v, read_value=False))
        w_step = lr_t * m / (tf.sqrt(v) + tf.constant(self.epsilon, dtype))
        return tf.group(*updates, var.assign_sub(w_step, read_value=False))

    def _bias_corrected_rate(self, lr, dtype):
        """lr_t = lr_k sqrt(1 - beta_2^t) / (1 - beta_1^t), t = k + 1: one tensor per step and dtype.

        Shared by every variable's update: at small sizes a step's cost is its op
        count, and this scalar is the same for all of them.
        """
        if dtype not in self._corrected_rates:
            with tf.name_scope("bias_corrected_learning_rate"):
                t = self._step_count(dtype) + 1.0
                self._corrected_rates[dtype] = lr * tf.sqrt(
                    1.0 - tf.pow(tf.constant(self.beta_2, dtype), t)) / (
                    1.0 - tf.pow(tf.constant(self.beta_1, dtype), t))
        return self._corrected_rates[dtype]

    def __repr__(self):
        return "Adam(learning_rate=%g, beta_1=%g, beta_2=%g, epsilon=%g, decay=%g%s)" % (
            self.learning_rate, self.beta_1, self.beta_2, self.epsilon, self.decay,
            ", amsgrad=True" if self.amsgrad else "")
