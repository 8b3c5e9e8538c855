"""Adamax: Adam with the infinity norm for its scale (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import number_in
from tfcore.optimizers.base import Optimizer


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, section 7.1), as `tf_keras.optimizers.legacy.Adamax`.

    Adam with the infinity norm in place of the second moment:

        m <- beta_1 m + (1 - beta_1) g
        v <- max(beta_2 v, |g|)
        w <- w - lr_k / (1 - beta_1^t) m / (v + epsilon)

    Sparse gradients change only the touched rows ("rows").

    Args:
      learning_rate: lr (> 0) or a schedule; Keras's default 0.001.
      beta_1, beta_2: in [0, 1).
      epsilon: > 0; Keras 2's default 1e-7.
      decay: Keras 2 time decay (>= 0).
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr (see `Optimizer`).
    """

    sparse_mode = "rows"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0,
                 name=None, **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.beta_1 = number_in(beta_1, "[0, 1)", self.name, "beta_1")
        self.beta_2 = number_in(beta_2, "[0, 1)", self.name, "beta_2")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")

    def _create_slots(self, var):
        self._add_slot(var, "m")
        self._add_slot(var, "v")

    def _coefficients_for(self, dtype):
        c = super()._coefficients_for(dtype)
        t = self._step_count(dtype) + 1.0
        c["lr_t"] = c["lr"] / (1.0 - tf.pow(tf.constant(self.beta_1, dtype), t))
        return c

    def _update(self, grad, var, slots, c):
        dtype = var.dtype.base_dtype
        m = slots["m"] + (grad - slots["m"]) * (1.0 - tf.constant(self.beta_1, dtype))
        v = tf.maximum(tf.constant(self.beta_2, dtype) * slots["v"], tf.abs(grad))
        return var - c["lr_t"] * (m / (v + tf.constant(self.epsilon, dtype))), {"m": m, "v": v}

    def __repr__(self):
        return self._describe(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
