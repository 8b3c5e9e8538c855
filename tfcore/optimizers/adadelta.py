"""Adadelta: steps scaled by the ratio of two moving RMS (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import number_in
from tfcore.optimizers.base import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler), as `tf_keras.optimizers.legacy.Adadelta` (`ResourceApplyAdadelta`).

    The step is the gradient scaled by RMS(past steps) / RMS(gradients), so it
    carries the units of w; Keras 2 still multiplies it by lr (default 0.001;
    Zeiler's method is lr = 1):

        a <- rho a + (1 - rho) g^2                        accum_grad
        d  = sqrt(u + epsilon) / sqrt(a + epsilon) g       the step
        w <- w - lr_k d
        u <- rho u + (1 - rho) d^2                        accum_var

    Sparse gradients change only the touched rows ("rows").

    Args:
      learning_rate: lr (> 0) or a schedule; Keras 2's legacy default 0.001.
      rho: decay of both running averages, in [0, 1].
      epsilon: > 0; Keras 2's default 1e-7.
      decay: Keras 2 time decay (>= 0).
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr (see `Optimizer`).
    """

    sparse_mode = "rows"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, decay=0.0, name=None, **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.rho = number_in(rho, "[0, 1]", self.name, "rho")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")

    def _create_slots(self, var):
        self._add_slot(var, "accum_grad")
        self._add_slot(var, "accum_var")

    def _update(self, grad, var, slots, c):
        dtype = var.dtype.base_dtype
        rho, eps = tf.constant(self.rho, dtype), tf.constant(self.epsilon, dtype)
        accum_grad = slots["accum_grad"] * rho + tf.square(grad) * (1.0 - rho)
        step = tf.sqrt(slots["accum_var"] + eps) * tf.math.rsqrt(accum_grad + eps) * grad
        accum_var = slots["accum_var"] * rho + tf.square(step) * (1.0 - rho)
        return var - step * c["lr"], {"accum_grad": accum_grad, "accum_var": accum_var}

    def __repr__(self):
        return self._describe(rho=self.rho, epsilon=self.epsilon)
