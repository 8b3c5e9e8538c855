"""BatchNormalization: normalise each feature with batch statistics, learn a scale and shift.

For input x and feature axis `axis` (channels), with the mean taken over every
other axis (batch and, for images, height and width), n values per feature:

    training:
        mu      = mean(x)                          per feature
        var     = mean((x - mu)^2)                 per feature, biased (divide by n)
        y       = gamma * (x - mu) / sqrt(var + epsilon) + beta

        moving_mean     <- moving_mean * momentum + mu * (1 - momentum)
        moving_variance <- moving_variance * momentum + v * (1 - momentum)
                           (v = var, or var * n / (n - 1): see below)

    inference:
        y       = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta

With a list of axes (`axis=[1, 3]`, as Keras allows) every combination of
their indices is one feature: the statistics average over the other axes only.

gamma (`scale`) and beta (`center`) are trained; the moving statistics are
non-trainable variables (initialised to 0 and 1) that only the update ops
change. The update ops are not part of the output's computation: they go to
`layer.updates` and to the graph's `tf.compat.v1.GraphKeys.UPDATE_OPS`
collection, and the training step must run them, e.g.

    with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
        train_op = optimizer.minimize(loss)

Which variance v feeds the moving average. The normalisation always uses the
biased `var`. For the moving average, tf-keras 2 (the reference) uses:

  * the biased `var` in its readable path, which it takes for 2-D and 3-D
    inputs and whenever `fused=False`;
  * Bessel's unbiased `var * n / (n - 1)` in its fused path
    (`FusedBatchNormV3`, whose batch-variance output is unbiased), which it
    takes by default for 4-D and 5-D float16/bfloat16/float32 inputs with the
    channels on axis 1 or last (not for float64: the kernel has no float64
    version).

tfcore matches that by default (`unbiased_moving_variance=None`) and lets you
choose explicitly with True or False. Here `fused` only picks the
implementation: the readable ops below or one `tf.raw_ops.FusedBatchNormV3`;
both give the same numbers (forward, gradients and moving statistics).

Why it helps: each layer sees inputs with a stable distribution whatever the
layers before it do, which allows larger learning rates. Why moving statistics:
at inference the output must not depend on which other examples share the batch.

The backward pass (`gradient="manual"`, readable path). With g = dL/dy, sums
over the n values of each feature, sigma = sqrt(var + epsilon) and
x_hat = (x - mu) / sigma:

    training:   dx     = (gamma / sigma) / n * (n g - sum(g) - x_hat * sum(g x_hat))
    inference:  dx     = g * gamma / sqrt(moving_variance + epsilon)
    both:       dgamma = sum(g x_hat),   dbeta = sum(g)

In training mu and var depend on x, so every x_i moves every output of its
feature: the two sums are those paths (through mu and through var), folded into
the three-term formula. The batch statistics enter the hand-written function as
inputs (the moving averages need them too); their paths are already in dx, so
it gives them no gradient of their own (counting them again would be wrong).
At inference the moving statistics are constants (non-trainable): no gradient.
"""

import numpy as np
import tensorflow as tf

from tfcore import constraints, initializers, regularizers
from tfcore.checks import (InputSpec, check_type, is_int, known_sizes, normalize_axes, number_in,
                           resolve_axes)
from tfcore.module import Module, check_gradient, smart_cond

# (rank, feature axis) -> the layout FusedBatchNormV3 calls it.
_FUSED_DATA_FORMATS = {(4, 3): "NHWC", (4, 1): "NCHW", (5, 4): "NDHWC", (5, 1): "NCDHW"}


def _feature_axes(axis, input_shape, layer):
    """`axis` (ints, negative from the end) -> the sorted feature axes of `input_shape`."""
    axes = tuple(sorted(resolve_axes(axis, input_shape, layer)))
    if len(axes) == input_shape.rank:
        raise ValueError("%s: axis %r leaves no axis to average over" % (layer, axis))
    known_sizes(input_shape, axes, layer)  # the parameters' sizes
    return axes


class BatchNormalization(Module):
    """Batch normalisation: batch statistics while training, moving statistics at inference.

    Args:
      axis: the feature (channel) axis, an int; -1 for (batch, features) and
        NHWC images, 1 for NCHW. Or a list of axes, as Keras: every combination
        of their indices is a separate feature, e.g. axis=[1, 3] on NHWC images
        normalises each (row, channel) over the batch and the columns; gamma,
        beta and the moving statistics then have the input's shape with 1 on
        the averaged axes ((1, H, 1, C)). Not with fused=True.
      momentum: in [0, 1]; how much of the old moving statistic each update
        keeps (0.99: an average over roughly the last 100 batches).
      epsilon: > 0, added to the variance so constant features do not divide by 0.
      center: learn the shift beta (init 0); without it, no beta.
      scale: learn the scale gamma (init 1); without it, no gamma (fine when the
        next layer is linear or ReLU-then-linear and can absorb the scale).
      beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: Keras's defaults zeros, ones, zeros, ones
        (so a fresh layer is the identity at inference, up to epsilon).
      beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint:
        as in `Dense` (`tfcore.regularizers`, `tfcore.constraints`).
      fused: compute with one `tf.raw_ops.FusedBatchNormV3` op (faster; needs a
        4-D or 5-D float32 input with the channels first or last, i.e. NHWC,
        NCHW, NDHWC or NCDHW, as tf-keras's fused path, and epsilon >= 1.001e-5, the
        kernel's minimum).
      unbiased_moving_variance: feed the moving variance Bessel's unbiased batch
        variance (True) or the biased one (False); None follows tf-keras 2
        (see the module docstring).
      gradient: "auto" (`tf.gradients` differentiates the forward ops) or
        "manual" (the backward pass of the module docstring, written out in
        `_normalize_with_manual_gradient`; readable path only, fused=False).

    Weights, in Keras's order: gamma (if scale), beta (if center),
    moving_mean, moving_variance (non-trainable).
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, *, fused=False,
                 unbiased_moving_variance=None, gradient="auto", name=None):
        super().__init__(name=name)
        # An int, or several feature axes, as Keras allows; an int stays an int.
        self.axis = int(axis) if is_int(axis) else normalize_axes(axis, self.name)
        momentum = number_in(momentum, "[0, 1]", self.name, "momentum")
        epsilon = number_in(epsilon, "(0, inf)", self.name, "epsilon")
        check_type(fused, bool, self.name, "fused", "True or False")
        check_type(unbiased_moving_variance, (bool, type(None)), self.name,
                   "unbiased_moving_variance", "None, True or False")
        if fused and epsilon < 1.001e-5:
            raise ValueError(
                "%s: fused=True needs epsilon >= 1.001e-5 (FusedBatchNormV3's minimum), got %r"
                % (self.name, epsilon)
            )
        check_gradient(self.name, gradient)
        if fused and gradient == "manual":
            raise ValueError(
                "%s: gradient='manual' is the readable path's hand-derived backward pass; "
                "fused=True runs FusedBatchNormV3 and its own gradient kernel, use fused=False"
                % self.name
            )
        self.gradient = gradient
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.initializers = {name: initializers.get(init) for name, init in (
            ("gamma", gamma_initializer), ("beta", beta_initializer),
            ("moving_mean", moving_mean_initializer), ("moving_variance", moving_variance_initializer))}
        self.regularizers = {"gamma": regularizers.get(gamma_regularizer),
                             "beta": regularizers.get(beta_regularizer)}
        self.constraints = {"gamma": constraints.get(gamma_constraint),
                            "beta": constraints.get(beta_constraint)}
        self.fused = fused
        self.unbiased_moving_variance = unbiased_moving_variance
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None
        self.input_rank = self.axes = self.features = self.param_shape = self.data_format = None
        self.broadcast_shape = None

    def build(self, input_shape):
        known_sizes(input_shape, (), self.name, min_rank=2)
        rank = self.input_rank = input_shape.rank
        self.axes = _feature_axes(normalize_axes(self.axis, self.name), input_shape, self.name)
        if isinstance(self.axis, int):
            self.axis = self.axes[0]
        # The input's shape with 1 on every averaged axis: how a parameter broadcasts.
        self.broadcast_shape = [int(input_shape[a]) if a in self.axes else 1 for a in range(rank)]
        self.features = int(np.prod(self.broadcast_shape))  # how many separate statistics
        self.input_spec = InputSpec(ndim=rank, axes={a: self.broadcast_shape[a] for a in self.axes})
        # One axis: parameters of shape (C,). Several (Keras's rule): the broadcast
        # shape itself, e.g. (1, H, 1, C) for axis=[1, 3] on NHWC images.
        self.param_shape = (self.features,) if len(self.axes) == 1 else tuple(self.broadcast_shape)
        self.data_format = (_FUSED_DATA_FORMATS.get((rank, self.axes[0]))
                            if len(self.axes) == 1 else None)
        if self.fused and (self.data_format is None or self.dtype != tf.float32):
            raise ValueError(
                "%s: fused=True needs a 4-D or 5-D float32 input with one feature axis, 1 or "
                "last (NHWC, NCHW, NDHWC, NCDHW), got shape %s, axis %r, dtype %s; use fused=False"
                % (self.name, input_shape, self.axis, self.dtype.name)
            )
        if self.unbiased_moving_variance is None:
            # Where tf-keras 2 would run its fused kernel (see the module docstring);
            # the kernel has no float64 version, so float64 takes the readable path.
            self.unbiased_moving_variance = (
                self.data_format is not None and self.dtype in (tf.float16, tf.bfloat16, tf.float32))
        for name, trainable, wanted in (("gamma", True, self.scale), ("beta", True, self.center),
                                        ("moving_mean", False, True), ("moving_variance", False, True)):
            if wanted:
                setattr(self, name, self.add_weight(
                    name, self.param_shape, self.initializers[name], trainable=trainable,
                    regularizer=self.regularizers.get(name), constraint=self.constraints.get(name)))

    def call(self, inputs, training=False):
        forward = self._fused if self.fused else self._readable
        # Each branch returns (y, mean, variance): in training the batch statistics
        # for the moving averages, at inference the moving statistics themselves.
        y, mean, variance = smart_cond(
            training, lambda: forward(inputs, True), lambda: forward(inputs, False)
        )
        if tf.is_tensor(training) or training:
            # No update ops at all for a graph built for inference only.
            self._add_moving_average_updates(mean, variance, training)
        return y

    # -- the readable version -------------------------------------------------
    def _reduce_axes(self):
        """The axes the statistics average over: every axis but the feature axes."""
        return [i for i in range(self.input_rank) if i not in self.axes]

    def _broadcast(self, v):
        """Reshape a parameter or statistic so it broadcasts along the feature axes."""
        return tf.reshape(v, self.broadcast_shape)

    def _readable(self, x, training):
        if training:
            # Statistics in the parameters' shape (what the moving averages hold).
            reduce_axes = self._reduce_axes()
            mean = tf.reshape(tf.reduce_mean(x, axis=reduce_axes), self.param_shape)
            variance = tf.reshape(tf.reduce_mean(tf.square(x - self._broadcast(mean)), axis=reduce_axes),
                                  self.param_shape)
        else:
            mean, variance = self.moving_mean.read_value(), self.moving_variance.read_value()
        if self.gradient == "manual":
            y = self._normalize_with_manual_gradient(x, mean, variance, training)
        else:
            y = self._normalize(x, mean, variance, self.gamma, self.beta)
        if training and self.unbiased_moving_variance:
            variance = variance * self._bessel_factor(x)
        return y, mean, variance

    def _normalize(self, x, mean, variance, gamma, beta):
        """y = gamma * (x - mean) / sqrt(variance + epsilon) + beta (gamma, beta None when absent)."""
        inv = tf.math.rsqrt(variance + self.epsilon)
        if gamma is not None:
            inv = inv * gamma
        y = (x - self._broadcast(mean)) * self._broadcast(inv)
        if beta is not None:
            y = y + self._broadcast(beta)
        return y

    def _normalize_with_manual_gradient(self, x, mean, variance, training):
        """`_normalize` with the backward pass of the module docstring stated by hand.

        Second order: `tf.custom_gradient` replaces only the first derivative.
        The backward pass is ordinary differentiable ops on g, x and the batch
        statistics (themselves ops on x), so `tf.gradients` differentiates it
        again, exactly (checked against finite differences in
        tests/test_manual_gradients.py).
        """
        reduce_axes = self._reduce_axes()
        params = [tf.convert_to_tensor(v) for v in (self.gamma, self.beta) if v is not None]

        @tf.custom_gradient
        def normalize(x, mean, variance, *params):
            gamma = params[0] if self.scale else None
            beta = params[-1] if self.center else None
            y = self._normalize(x, mean, variance, gamma, beta)

            def backward(g):
                inv_sigma = self._broadcast(tf.math.rsqrt(variance + self.epsilon))
                x_hat = (x - self._broadcast(mean)) * inv_sigma
                sum_g = tf.reshape(tf.reduce_sum(g, axis=reduce_axes), self.param_shape)
                sum_g_x_hat = tf.reshape(tf.reduce_sum(g * x_hat, axis=reduce_axes), self.param_shape)
                gamma_over_sigma = inv_sigma if gamma is None else self._broadcast(gamma) * inv_sigma
                if training:
                    n = tf.cast(tf.size(x) // self.features, x.dtype)
                    # dx = (gamma / sigma) / n * (n g - sum(g) - x_hat sum(g x_hat))
                    dx = gamma_over_sigma / n * (
                        n * g - self._broadcast(sum_g) - x_hat * self._broadcast(sum_g_x_hat))
                else:
                    dx = g * gamma_over_sigma  # dx = g gamma / sqrt(moving_variance + eps)
                # No gradient for the statistics: their paths are in dx (see above).
                grads = [dx, None, None]
                if self.scale:
                    grads.append(sum_g_x_hat)  # dgamma = sum(g x_hat)
                if self.center:
                    grads.append(sum_g)  # dbeta = sum(g)
                return grads

            return y, backward

        return normalize(x, mean, variance, *params)

    def _bessel_factor(self, x):
        """n / (n - 1), n = values per feature; 1 when n = 1 (as FusedBatchNormV3 does)."""
        n = tf.cast(tf.size(x) // self.features, x.dtype)
        return n / tf.maximum(n - 1.0, 1.0)

    # -- the fused version ----------------------------------------------------
    def _fused(self, x, training):
        gamma = self.gamma if self.scale else tf.ones([self.features], x.dtype)
        beta = self.beta if self.center else tf.zeros([self.features], x.dtype)
        if training:
            # The kernel ignores mean/variance in training; it wants empty vectors.
            mean = variance = tf.constant([], x.dtype)
        else:
            mean, variance = self.moving_mean.read_value(), self.moving_variance.read_value()
        y, batch_mean, batch_variance, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=gamma, offset=beta, mean=mean, variance=variance,
            epsilon=self.epsilon, exponential_avg_factor=1.0, data_format=self.data_format,
            is_training=training,
        )
        if not training:
            return y, mean, variance
        if not self.unbiased_moving_variance:
            # The kernel's batch variance is the unbiased one; undo Bessel's factor.
            batch_variance = batch_variance / self._bessel_factor(x)
        return y, batch_mean, batch_variance

    # -- the moving statistics ------------------------------------------------
    def _add_moving_average_updates(self, mean, variance, training):
        # With training fed at run time, the decay is 0 when it is False, so running
        # the update ops then leaves the moving statistics as they are.
        decay = smart_cond(
            training,
            lambda: tf.constant(1.0 - self.momentum, self.dtype),
            lambda: tf.constant(0.0, self.dtype),
        )
        with tf.name_scope("moving_average_updates"):
            # moving * momentum + stat * (1 - momentum), written as a subtraction
            # (as Keras does) so it is one in-place assign.
            update_mean = self.moving_mean.assign_sub(
                (self.moving_mean - mean) * decay, read_value=False, name="update_moving_mean")
            update_variance = self.moving_variance.assign_sub(
                (self.moving_variance - variance) * decay, read_value=False, name="update_moving_variance")
        for op in (update_mean, update_variance):
            self.updates.append(op)
            tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.UPDATE_OPS, op)
