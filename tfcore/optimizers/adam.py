"""Adam: momentum and a per-weight scale from the gradients' moments (one rule of `tfcore.optimizers`; the base class is in base.py)."""

import tensorflow as tf

from tfcore.checks import check_flag, number_in
from tfcore.optimizers.base import Optimizer


class Adam(Optimizer):
    """Adam, exactly as `tf_keras.optimizers.legacy.Adam` (Kingma & Ba, "epsilon hat" form).

        t     = k + 1
        m    <- beta_1 m + (1 - beta_1) g           first moment (mean of g)
        v    <- beta_2 v + (1 - beta_2) g^2         second moment (mean of g^2)
        lr_t  = lr_k sqrt(1 - beta_2^t) / (1 - beta_1^t)     bias correction
        w    <- w - lr_t m / (sqrt(v) + epsilon)
        (amsgrad: v_hat <- max(v_hat, v), and sqrt(v_hat) in place of sqrt(v))

    Epsilon is added to sqrt(v) and is not bias-corrected: it is the paper's
    "epsilon hat", not the epsilon of its Algorithm 1. Sparse gradients update
    every row, as the dense gradient with zeros would ("dense"), as Keras does.

    Args:
      learning_rate: lr (> 0) or a schedule; 0.001 is the paper's and Keras's default.
      beta_1: decay of the first-moment average, in [0, 1).
      beta_2: decay of the second-moment average, in [0, 1).
      epsilon: added to sqrt(v) (> 0); Keras 2's default 1e-7.
      decay: Keras 2 time decay (>= 0).
      amsgrad: AMSGrad (Reddi et al.): divide by the running maximum of v,
        v_hat <- max(v_hat, v), so the per-weight step never grows back.
      **kwargs: clipnorm, clipvalue, global_clipnorm, lr, implementation (see
        `Optimizer`; the fused kernels are `ResourceApplyAdam` and
        `ResourceApplyAdamWithAmsgrad`, Keras 2's).
    """

    has_fused_kernel = True

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, decay=0.0,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate, decay, name, **kwargs)
        self.beta_1 = number_in(beta_1, "[0, 1)", self.name, "beta_1")
        self.beta_2 = number_in(beta_2, "[0, 1)", self.name, "beta_2")
        self.epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")
        self.amsgrad = check_flag(amsgrad, self.name, "amsgrad")

    def _create_slots(self, var):
        self._add_slot(var, "adam_m")
        self._add_slot(var, "adam_v")
        if self.amsgrad:
            self._add_slot(var, "adam_vhat")

    def _coefficients_for(self, dtype):
        c = super()._coefficients_for(dtype)
        t = self._step_count(dtype) + 1.0
        # Constants shared by every variable's update, as the coefficients are.
        c["beta_1"], c["beta_2"] = tf.constant(self.beta_1, dtype), tf.constant(self.beta_2, dtype)
        c["epsilon"] = tf.constant(self.epsilon, dtype)
        c["beta_1_power"], c["beta_2_power"] = tf.pow(c["beta_1"], t), tf.pow(c["beta_2"], t)
        c["lr_t"] = c["lr"] * tf.sqrt(1.0 - c["beta_2_power"]) / (1.0 - c["beta_1_power"])
        return c

    def _update(self, grad, var, slots, c):
        # m + (1 - beta_1)(g - m) is beta_1 m + (1 - beta_1) g rearranged as the
        # ResourceApplyAdam kernel does, so float32 results match Keras closely.
        m = slots["adam_m"] + (grad - slots["adam_m"]) * (1.0 - c["beta_1"])
        v = slots["adam_v"] + (tf.square(grad) - slots["adam_v"]) * (1.0 - c["beta_2"])
        new_slots = {"adam_m": m, "adam_v": v}
        if self.amsgrad:
            v = new_slots["adam_vhat"] = tf.maximum(slots["adam_vhat"], v)
        return var - c["lr_t"] * m / (tf.sqrt(v) + c["epsilon"]), new_slots

    def _fused_update(self, grad, var, slots, c):
        # The kernel computes lr_t from the powers itself, then the three lines above.
        arguments = dict(
            var=var.handle, m=slots["adam_m"].handle, v=slots["adam_v"].handle,
            beta1_power=c["beta_1_power"], beta2_power=c["beta_2_power"], lr=c["lr"],
            beta1=c["beta_1"], beta2=c["beta_2"], epsilon=c["epsilon"], grad=grad)
        if self.amsgrad:
            return tf.raw_ops.ResourceApplyAdamWithAmsgrad(vhat=slots["adam_vhat"].handle, **arguments)
        return tf.raw_ops.ResourceApplyAdam(**arguments)

    def __repr__(self):
        return self._describe(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                              **({"amsgrad": True} if self.amsgrad else {}))
