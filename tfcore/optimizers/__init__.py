"""Optimizers: gradients from `tf.gradients`, updates as a few explicit assign ops.

Training is two operations in the graph. `tf.gradients(loss, w)` builds the ops
that compute g = dloss/dw for every variable w; an optimizer then builds the ops
that move each w against its gradient. `minimize(loss)` returns one op (the
train op) that does both, so `session.run(train_op, feed)` is one training step.

Every optimizer here follows Keras 2 (`tf_keras.optimizers.legacy`) exactly, so
a tfcore model and a tf-keras model trained from the same weights on the same
batches stay together step for step.

Notation: k = `iterations` = the number of steps done BEFORE this one (0 on the
first step), t = k + 1, g = the gradient, lr the base learning rate.

One step, in the order Keras 2 runs it:

    1. g <- clip(g)              clipvalue, then clipnorm, then global_clipnorm
    2. lr_k = lr / (1 + decay k)            time decay (the first step uses lr);
                                            lr may be a schedule: lr = schedule(k)
    3. w, slots <- update(g, w, slots, lr_k)        the optimizer's own rule
    4. w <- constraint(w)                   if the variable has one
    5. k <- k + 1

The rules (eps is added as in the kernels Keras 2 calls; see each class):

    SGD       w <- w - lr_k g
    Momentum  v <- momentum v - lr_k g;  w <- w + v   (nesterov: w + momentum v - lr_k g)
    Adam      m <- beta_1 m + (1 - beta_1) g;  v <- beta_2 v + (1 - beta_2) g^2
              w <- w - lr_k sqrt(1 - beta_2^t) / (1 - beta_1^t) m / (sqrt(v) + eps)
    RMSprop   ms <- rho ms + (1 - rho) g^2;  w <- w - lr_k g / (sqrt(ms) + eps)
    Adagrad   a <- a + g^2;  w <- w - lr_k g / (sqrt(a) + eps)
    Adadelta  a <- rho a + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(a + eps) g
              w <- w - lr_k d;  u <- rho u + (1 - rho) d^2
    Adamax    m <- beta_1 m + (1 - beta_1) g;  v <- max(beta_2 v, |g|)
              w <- w - lr_k / (1 - beta_1^t) m / (v + eps)
    Nadam     Adam with Nesterov momentum and Dozat's momentum schedule (see Nadam)

State: `iterations` (an int64 variable, not trainable), the base learning rate
`learning_rate_variable` (`<name>/base_learning_rate`, a float64 variable, not
trainable: it holds the Python float exactly, and casting it to float32 rounds
it as tf.constant would) and per-variable
slots (`<variable>/momentum`, `<variable>/adam_m`, ...), all created on the
first `apply_gradients`; `optimizer.variables` lists `iterations` and the slots
in Keras's order. One session run of the train op runs every update;
`iterations` is incremented only after all of them (control dependencies).

Changing the learning rate while training (the hook for callbacks such as
ReduceLROnPlateau or LearningRateScheduler): lr lives in
`learning_rate_variable`, so `optimizer.set_learning_rate(session, 0.0005)`
changes it for every following step (time decay still divides it), without
adding ops to a finalized graph; `optimizer.get_learning_rate(session)` reads
it. Code that holds only the graph finds these variables in the collection
`LEARNING_RATES` (and all optimizer state in `OPTIMIZER_VARIABLES`).
Checkpoints save it with the other global variables, as Keras saves its `lr`.
A schedule is a function of k and cannot be set.

Sparse gradients. `tf.gradients` of a `tf.gather` (an Embedding lookup) is a
`tf.IndexedSlices`: values for some rows only, maybe with repeated rows
(their values are summed). Keras 2 updates such a variable in one of three
ways, and each optimizer here does what its Keras twin does:

    "dense"    the same as the dense gradient with zeros elsewhere (Adam)
    "rows"     only the touched rows of w and of the slots change (SGD with
               or without momentum, RMSprop with momentum, Adagrad, Adadelta, Adamax)
    "weights"  the slots decay everywhere, only the touched rows of w move
               (RMSprop without momentum, Nadam)

A constraint on a variable with a sparse gradient is an error, as in Keras.

Two implementations of the same rule (`implementation=`):

    "readable"  the rule above as explicit ops (sub, mul, sqrt, assign): what a
                reader follows in `tfcore.inspect`; about 10 ops per variable
    "fused"     one TensorFlow kernel per variable, the one Keras 2 calls
                (`tf.raw_ops.ResourceApplyAdam`, `ResourceApplyKerasMomentum`,
                `ResourceApplyGradientDescent`): the same arithmetic in one op,
                so the graph is smaller, builds and optimises faster, and a
                small model's step dispatches fewer ops

SGD (with or without momentum) and Adam default to "fused" for dense
gradients; the tests hold the two equal step by step. The other optimizers
have only the readable rule, and sparse updates ("rows", "weights") are
always readable.
"""

# One rule per file, each under its equations; the shared machinery is in base.py.
from tfcore.optimizers.base import (  # noqa: F401  (the documented names)
    IMPLEMENTATIONS, LEARNING_RATES, OPTIMIZER_VARIABLES, Optimizer,
)
from tfcore.optimizers.sgd import SGD, Momentum  # noqa: F401
from tfcore.optimizers.adam import Adam  # noqa: F401
from tfcore.optimizers.rmsprop import RMSprop  # noqa: F401
from tfcore.optimizers.adagrad import Adagrad  # noqa: F401
from tfcore.optimizers.adadelta import Adadelta  # noqa: F401
from tfcore.optimizers.adamax import Adamax  # noqa: F401
from tfcore.optimizers.nadam import Nadam  # noqa: F401

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "LEARNING_RATES", "OPTIMIZER_VARIABLES", "IMPLEMENTATIONS"]
