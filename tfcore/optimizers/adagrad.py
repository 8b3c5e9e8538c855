"""Adagrad: a per-weight scale from the sum of squared gradients (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import number_in
from tfcore.optimizers.base import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), as `tf_keras.optimizers.legacy.Adagrad`.

    Each weight's step shrinks with the sum of its squared gradients so far:

        a <- a + g^2                     (a starts at initial_accumulator_value)
        w <- w - lr_k g / (sqrt(a) + epsilon)

    Sparse gradients change only the touched rows ("rows").

    Args:
      learning_rate: lr (> 0) or a schedule; Keras's default 0.001.
      initial_accumulator_value: the accumulator's start (>= 0), Keras's 0.1.
      epsilon: > 0; Keras 2's default 1e-7.
      decay: Keras 2 time decay (>= 0).
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr (see `Optimizer`).
    """

    sparse_mode = "rows"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, decay=0.0,
                 name=None, **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.initial_accumulator_value = number_in(initial_accumulator_value, "[0, inf)", self.name, "initial_accumulator_value")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")

    def _create_slots(self, var):
        self._add_slot(var, "accumulator", self.initial_accumulator_value)

    def _update(self, grad, var, slots, c):
        accumulator = slots["accumulator"] + tf.square(grad)
        eps = tf.constant(self.epsilon, var.dtype.base_dtype)
        return var - c["lr"] * grad / (tf.sqrt(accumulator) + eps), {"accumulator": accumulator}

    def __repr__(self):
        return self._describe(initial_accumulator_value=self.initial_accumulator_value,
                              epsilon=self.epsilon)
