"""RMSprop: a per-weight scale from a moving mean of squared gradients (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import check_flag, number_in
from tfcore.optimizers.base import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton), as `tf_keras.optimizers.legacy.RMSprop`.

    Divide the gradient by a running root mean square of recent gradients:

        ms <- rho ms + (1 - rho) g^2
        centered:  mg <- rho mg + (1 - rho) g,   d = ms - mg^2   (a variance)
        otherwise: d = ms
        without momentum:  w <- w - lr_k g / (sqrt(d) + epsilon)
        with momentum:     mom <- momentum mom + lr_k g / sqrt(d + epsilon)
                           w <- w - mom

    Note where epsilon goes: Keras 2 runs the momentum variants through the
    `ResourceApply(Centered)RMSProp` kernels, which add it under the root. The
    same fact decides sparse gradients: with momentum only the touched rows
    change ("rows"); without, ms and mg decay everywhere ("weights").

    Args:
      learning_rate: lr (> 0) or a schedule; Keras's default 0.001.
      rho: decay of the running averages, in [0, 1].
      momentum: in [0, 1]; 0 (default) adds no slot.
      epsilon: > 0; Keras 2's default 1e-7.
      centered: normalize by the estimated variance instead of the second moment.
      decay: Keras 2 time decay (>= 0).
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 decay=0.0, name=None, **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.rho = number_in(rho, "[0, 1]", self.name, "rho")
        self.momentum = number_in(momentum, "[0, 1]", self.name, "momentum")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")
        self.centered = check_flag(centered, self.name, "centered")
        self.sparse_mode = "rows" if self.momentum > 0 else "weights"

    def _create_slots(self, var):
        self._add_slot(var, "rms")
        if self.momentum > 0:
            self._add_slot(var, "momentum")
        if self.centered:
            self._add_slot(var, "mg")

    def _update(self, grad, var, slots, c):
        dtype = var.dtype.base_dtype
        rho, eps = tf.constant(self.rho, dtype), tf.constant(self.epsilon, dtype)
        if self.momentum > 0:  # the kernel's arithmetic: ms + (g^2 - ms)(1 - rho)
            ms = slots["rms"] + (tf.square(grad) - slots["rms"]) * (1.0 - rho)
        else:
            ms = rho * slots["rms"] + (1.0 - rho) * tf.square(grad)
        new_slots, denominator = {"rms": ms}, ms
        if self.centered:
            mg = new_slots["mg"] = rho * slots["mg"] + (1.0 - rho) * grad
            denominator = ms - tf.square(mg)
        if self.momentum == 0:
            return var - c["lr"] * grad / (tf.sqrt(denominator) + eps), new_slots
        mom = tf.constant(self.momentum, dtype) * slots["momentum"] + \
            c["lr"] * grad / tf.sqrt(denominator + eps)
        new_slots["momentum"] = mom
        return var - mom, new_slots

    def __repr__(self):
        return self._describe(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                              centered=self.centered)
