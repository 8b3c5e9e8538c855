"""Nadam: Adam with Nesterov momentum (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import warnings

import tensorflow as tf

from tfcore import schedules
from tfcore.checks import number_in
from tfcore.optimizers.base import OPTIMIZER_VARIABLES, Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat 2016), exactly as `tf_keras.optimizers.legacy.Nadam`.

    Adam with Nesterov momentum, and a momentum coefficient that warms up over
    the steps (Dozat's schedule, with schedule_decay = 0.004):

        mu_t   = beta_1 (1 - 0.5 * 0.96^(schedule_decay t))         t = k + 1
        P_t    = P_{t-1} mu_t         (the momentum cache, a variable; P_0 = 1)
        g'     = g / (1 - P_t)
        m     <- beta_1 m + (1 - beta_1) g;     m' = m / (1 - P_t mu_{t+1})
        v     <- beta_2 v + (1 - beta_2) g^2;   v' = v / (1 - beta_2^t)
        m_bar  = (1 - mu_t) g' + mu_{t+1} m'
        w     <- w - lr m_bar / (sqrt(v') + epsilon)

    As in Keras 2, lr is not time-decayed: legacy Nadam reads `schedule_decay`
    and ignores `decay` (a warning says so), and refuses a schedule as
    learning_rate. Sparse gradients: m and v decay everywhere, only the
    touched rows of w move ("weights").

    Args:
      learning_rate: lr (> 0); Keras's default 0.001.
      beta_1, beta_2: in [0, 1).
      epsilon: > 0; Keras 2's default 1e-7.
      name: the name scope (Keras's positional order: name comes before schedule_decay).
      schedule_decay: the momentum schedule's rate (>= 0), Keras's 0.004.
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr (see `Optimizer`);
        `decay` is accepted and ignored, as by Keras 2.
    """

    sparse_mode = "weights"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name=None,
                 schedule_decay=0.004, decay=None, **kwargs):
        if decay is not None:
            warnings.warn("Nadam: decay=%r is ignored, as by Keras 2's legacy Nadam; its momentum "
                          "schedule uses schedule_decay=%r" % (decay, schedule_decay), stacklevel=2)
        super().__init__(learning_rate, 0.0, name, **kwargs)
        if isinstance(self.learning_rate, schedules.LearningRateSchedule):
            raise ValueError("%s: learning_rate cannot be a schedule (Keras 2's legacy Nadam "
                             "refuses it too); got %r" % (self.name, self.learning_rate))
        self.beta_1 = number_in(beta_1, "[0, 1)", self.name, "beta_1")
        self.beta_2 = number_in(beta_2, "[0, 1)", self.name, "beta_2")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")
        self.schedule_decay = number_in(schedule_decay, "[0, inf)", self.name, "schedule_decay")
        self._momentum_cache = None

    def _create_slots(self, var):
        if self._momentum_cache is None:  # P, in the dtype of the first variable (as Keras)
            self._momentum_cache = tf.compat.v1.Variable(
                1.0, dtype=var.dtype.base_dtype, trainable=False, name="momentum_cache",
                use_resource=True)
            self._extra_state.append(self._momentum_cache)
            tf.compat.v1.add_to_collection(OPTIMIZER_VARIABLES, self._momentum_cache)
        self._add_slot(var, "m")
        self._add_slot(var, "v")

    def _coefficients_for(self, dtype):
        beta_1, beta_2 = tf.constant(self.beta_1, dtype), tf.constant(self.beta_2, dtype)
        t = self._step_count(dtype) + 1.0
        mu_t = beta_1 * (1.0 - 0.5 * tf.pow(tf.constant(0.96, dtype), self.schedule_decay * t))
        mu_next = beta_1 * (1.0 - 0.5 * tf.pow(tf.constant(0.96, dtype), self.schedule_decay * (t + 1.0)))
        schedule = tf.cast(self._momentum_cache, dtype) * mu_t
        if dtype == self._momentum_cache.dtype.base_dtype:
            self._step_updates.append(self._momentum_cache.assign(schedule, read_value=False))
        return {"lr": tf.cast(self._learning_rate_variable, dtype), "mu_t": mu_t, "mu_next": mu_next,
                "one_minus_schedule": 1.0 - schedule, "one_minus_schedule_next": 1.0 - schedule * mu_next,
                "v_correction": 1.0 - tf.pow(beta_2, t)}

    def _update(self, grad, var, slots, c):
        dtype = var.dtype.base_dtype
        beta_1, beta_2 = tf.constant(self.beta_1, dtype), tf.constant(self.beta_2, dtype)
        g_prime = grad / c["one_minus_schedule"]
        m = beta_1 * slots["m"] + (1.0 - beta_1) * grad
        v = beta_2 * slots["v"] + (1.0 - beta_2) * tf.square(grad)
        m_bar = (1.0 - c["mu_t"]) * g_prime + c["mu_next"] * (m / c["one_minus_schedule_next"])
        w = var - c["lr"] * m_bar / (tf.sqrt(v / c["v_correction"]) + tf.constant(self.epsilon, dtype))
        return w, {"m": m, "v": v}

    def __repr__(self):
        return self._describe(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                              schedule_decay=self.schedule_decay)
