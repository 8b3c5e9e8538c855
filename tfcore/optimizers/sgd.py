"""SGD and Momentum: gradient descent, with or without a velocity (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import number_in
from tfcore.optimizers.base import Optimizer


class SGD(Optimizer):
    """Gradient descent, as Keras 2's `SGD`: w <- w - lr_k g, or with momentum

        v <- momentum v - lr_k g
        w <- w + v                       (nesterov: w + momentum v - lr_k g)

    This is Keras's form, with lr inside the velocity; `tf.compat.v1.train.
    MomentumOptimizer` keeps v <- momentum v + g and steps w -= lr v, which is
    the same only while lr is constant (not with decay). With momentum 0 (the
    default) there is no velocity slot and `nesterov` changes nothing, as in Keras.
    Sparse gradients: only the touched rows of w and v change ("rows").

    Args:
      learning_rate: lr (> 0) or a schedule.
      momentum: in [0, 1]; how much of the previous velocity carries over.
      nesterov: use Nesterov's look-ahead update.
      decay: Keras 2 time decay (>= 0).
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr, implementation (see
        `Optimizer`; the fused kernels are `ResourceApplyGradientDescent` and
        `ResourceApplyKerasMomentum`, Keras 2's).
    """

    sparse_mode = "rows"
    has_fused_kernel = True

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, decay=0.0, name=None,
                 **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.momentum = number_in(momentum, "[0, 1]", self.name, "momentum")
        self.nesterov = bool(nesterov)

    def _create_slots(self, var):
        if self.momentum > 0:
            self._add_slot(var, "momentum")

    def _update(self, grad, var, slots, c):
        lr = c["lr"]
        if self.momentum == 0:
            return var - lr * grad, {}
        momentum = tf.constant(self.momentum, dtype=var.dtype.base_dtype)
        v = momentum * slots["momentum"] - lr * grad
        step = momentum * v - lr * grad if self.nesterov else v
        return var + step, {"momentum": v}

    def _fused_update(self, grad, var, slots, c):
        if self.momentum == 0:
            return tf.raw_ops.ResourceApplyGradientDescent(var=var.handle, alpha=c["lr"], delta=grad)
        return tf.raw_ops.ResourceApplyKerasMomentum(
            var=var.handle, accum=slots["momentum"].handle, lr=c["lr"], grad=grad,
            momentum=tf.constant(self.momentum, var.dtype.base_dtype), use_nesterov=self.nesterov)

    def __repr__(self):
        return self._describe(momentum=self.momentum, nesterov=self.nesterov)


class Momentum(SGD):
    """`SGD` with momentum 0.9 by default (the same update; see `SGD`)."""

    def __init__(self, learning_rate=0.01, momentum=0.9, nesterov=False, decay=0.0, name=None,
                 **kwargs):
        super().__init__(learning_rate, momentum, nesterov, decay, name, **kwargs)
