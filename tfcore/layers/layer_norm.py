"""Normalisation inside each example: LayerNormalization, GroupNormalization, UnitNormalization.

Batch normalisation averages over the batch; these layers average over the
axes of one example, so they behave the same in training and at inference, for
any batch size (even 1), and need no moving statistics.

**LayerNormalization** (Ba, Kiros & Hinton, 2016). For each example n, over
the axes `axis`:

    mu_n      = mean(x[n, axes])
    sigma2_n  = mean((x[n, axes] - mu_n)^2)              (biased variance, as Keras)
    y         = gamma * (x - mu_n) / sqrt(sigma2_n + epsilon) + beta

gamma (scale) and beta (center) have the shape of the normalised axes, so
every feature gets its own scale and shift. epsilon (Keras's default 1e-3)
keeps a constant example from dividing by zero.

**GroupNormalization** (Wu & He, 2018) sits between layer normalisation (one
group) and instance normalisation (one channel per group). The C channels of
the `axis` axis are split into G consecutive groups of C/G channels: a reshape
of the channel axis into (G, C/G). For each example n and group g, over the
group's channels and every other non-batch axis (height, width, time, ...):

    mu_ng     = mean(x[n, ..., group g's channels, ...])
    sigma2_ng = mean((x[n, ..., group g, ...] - mu_ng)^2)
    y         = gamma_c * (x - mu_ng) / sqrt(sigma2_ng + epsilon) + beta_c

gamma and beta are per channel, shape (C,), as in BatchNormalization. So it is
the layer-normalisation computation (`_standardize`, below) on the reshaped
tensor, with the reduction over every axis but the batch and the group axis.

With Keras's `mask` (GroupNormalization only) the mean and variance are
weighted by the mask (tf.nn.weighted_moments' formulas); every position is
still normalised with them.

The derivative, for Layer and Group normalisation alike (m values x_i sharing
one mu and sigma2, xhat_i = (x_i - mu) / s, s = sqrt(sigma2 + epsilon),
dxhat_i = dy_i * gamma_i, the means taken over those m values):

    dbeta  = dy summed over every axis beta does not have (the batch, the rest)
    dgamma = the same sum of dy * xhat
    dx_i   = (dxhat_i - mean(dxhat) - xhat_i * mean(dxhat * xhat)) / s

the two subtracted means being the paths through mu and sigma2: the
normalisation removes the part of the gradient along the constant direction
and along xhat. tf.gradients derives this from the ops; the tests check it
against this formula in NumPy and against finite differences.

**UnitNormalization** rescales each example to unit L2 norm over `axis`
(Keras's tf.linalg.l2_normalize):

    y = x / sqrt(max(sum(x^2 over axes), 1e-12))

no weights, no centring. Its derivative, with n = ||x|| above the floor,
dx = (dy - y * sum(dy * y)) / n: the component of dy along y is removed; below
the floor (x nearly 0) the max's gradient is 0 and dx = dy / 1e-6.
"""

import numbers

import tensorflow as tf

from tfcore import constraints, initializers, regularizers
from tfcore.checks import (check_group_channels, check_type, inner_shape_spec, known_sizes,
                           normalize_axes, number_in, positive_int, resolve_axes)
from tfcore.module import Module


def _standardize(x, axes, epsilon, weights=None):
    """(x - mean) / sqrt(variance + epsilon), mean and biased variance over `axes` (kept).

    With `weights` (x's shape, e.g. a 0/1 mask) the statistics are weighted:
    mean = sum(w x) / sum(w), variance = sum(w (x - mean)^2) / sum(w) (0 where
    sum(w) = 0, as tf.nn.weighted_moments); every value is still normalised.
    """
    if weights is None:
        mean = tf.reduce_mean(x, axis=axes, keepdims=True)
        centered = x - mean
        variance = tf.reduce_mean(tf.square(centered), axis=axes, keepdims=True)
    else:
        total = tf.reduce_sum(weights, axis=axes, keepdims=True)
        mean = tf.math.divide_no_nan(tf.reduce_sum(weights * x, axis=axes, keepdims=True), total)
        centered = x - mean
        variance = tf.math.divide_no_nan(
            tf.reduce_sum(weights * tf.square(centered), axis=axes, keepdims=True), total)
    return centered * tf.math.rsqrt(variance + tf.constant(epsilon, x.dtype))


class _Affine(Module):
    """The shared constructor arguments and weights: epsilon, gamma (scale) and beta (center)."""

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint, name):
        super().__init__(name=name)
        self.epsilon = number_in(epsilon, "[0, inf)", self.name, "epsilon")
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma_and_beta(self, param_shape):
        """gamma (if scale), then beta (if center): Keras's order."""
        if self.scale:
            self.gamma = self.add_weight("gamma", param_shape, self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", param_shape, self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def _scale_and_shift(self, y, broadcast_shape):
        """gamma * y + beta, the weights reshaped to `broadcast_shape`."""
        if self.scale:
            y = y * tf.reshape(self.gamma, broadcast_shape)
        if self.center:
            y = y + tf.reshape(self.beta, broadcast_shape)
        return y


class LayerNormalization(_Affine):
    """Normalises each example over `axis` to zero mean and unit variance, then scales and shifts.

    Args:
      axis: an int or a list of ints, the axes to normalise over (default -1,
        the features); never the batch axis 0.
      epsilon: added to the variance (default 1e-3, Keras's).
      center: learn beta (added after normalising); scale: learn gamma (multiplied).
      beta_initializer: default zeros; gamma_initializer: default ones, so the
        layer starts as a pure normalisation.
      beta_regularizer, gamma_regularizer: penalties added to `losses`;
      beta_constraint, gamma_constraint: applied after each step.

    Weights, in Keras's order: gamma (if scale), beta (if center), each shaped
    like the input's sizes along `axis` (in the order given).
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, name=None):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         name)
        self.axis = list(normalize_axes(axis, self.name))

    def build(self, input_shape):
        self.axis = list(resolve_axes(self.axis, input_shape, self.name, batch=False))
        param_shape = list(known_sizes(input_shape, self.axis, self.name))
        self.input_spec = inner_shape_spec(input_shape)  # Module.__call__ checks it
        # gamma / beta reshaped to broadcast against the input (Keras reshapes, in this order).
        self._broadcast = [input_shape[a] if a in self.axis else 1 for a in range(input_shape.rank)]
        self._add_gamma_and_beta(param_shape)

    def call(self, inputs, training=False):
        """y = gamma * (x - mu) / sqrt(sigma^2 + epsilon) + beta,
        mu, sigma^2 = mean and (biased) variance of each example over `axis`.
        """
        return self._scale_and_shift(_standardize(inputs, self.axis, self.epsilon), self._broadcast)


class GroupNormalization(_Affine):
    """Normalises each example within groups of channels, then scales and shifts per channel.

    Args:
      groups: the number of groups G (default 32); the channels C must be a
        multiple of it (C/G channels per group). -1 means one group per channel
        (instance normalisation), as Keras.
      axis: the channel axis, an int (default -1; 1 for channels_first input);
        never the batch axis 0.
      epsilon, center, scale, beta_/gamma_ initializer, regularizer, constraint:
        as LayerNormalization.

    Weights, in Keras's order: gamma (if scale), beta (if center), each (C,).

    Call it as `layer(x, mask=m)` to weight the statistics, as Keras: m
    broadcasts to x's shape (0/1 or bool, or any weights); the mean and
    variance are then over the positions where m is nonzero, weighted by m,
    and every position (masked too) is normalised with them.
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, name=None):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                         name)
        # -1: one group per channel (instance normalisation), as in Keras.
        self.groups = -1 if groups == -1 else positive_int(groups, self.name, "groups (or -1)")
        self.axis = int(check_type(axis, numbers.Integral, self.name, "axis", "an int"))

    def build(self, input_shape):
        (self.axis,) = resolve_axes([self.axis], input_shape, self.name, batch=False)
        (channels,) = known_sizes(input_shape, [self.axis], self.name)
        if self.groups == -1:
            self.groups = channels
        check_group_channels(channels, self.groups, self.name, input_shape)
        self.input_spec = inner_shape_spec(input_shape)  # Module.__call__ checks it
        self._add_gamma_and_beta([channels])

    def call(self, inputs, training=False, mask=None):
        """Reshape the channel axis C into (G, C/G), standardise over every axis but the batch
        and G, scale and shift per channel, reshape back."""
        rank, a = inputs.shape.rank, self.axis
        shape = tf.unstack(tf.shape(inputs))  # batch and spatial sizes may be unknown until run time
        per_group = inputs.shape[a] // self.groups
        grouped_shape = tf.stack(shape[:a] + [self.groups, per_group] + shape[a + 1:])
        grouped = tf.reshape(inputs, grouped_shape)
        weights = None
        if mask is not None:
            weights = tf.broadcast_to(tf.cast(mask, inputs.dtype), tf.shape(inputs))
            weights = tf.reshape(weights, grouped_shape)
        reduce_axes = [i for i in range(1, rank + 1) if i != a]  # all but batch and the G axis
        y = _standardize(grouped, reduce_axes, self.epsilon, weights)
        broadcast = [1] * a + [self.groups, per_group] + [1] * (rank - a - 1)
        y = self._scale_and_shift(y, broadcast)
        return tf.reshape(y, tf.shape(inputs))


class UnitNormalization(Module):
    """Rescales each example to unit L2 norm over `axis`: y = x / sqrt(max(sum x^2, 1e-12)).

    Args:
      axis: an int or a list of ints (default -1), the axes whose values form
        one vector.

    No weights. Keras allows the batch axis in `axis` (then the norm runs
    across examples); so does this layer.
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, axis=-1, name=None):
        super().__init__(name=name)
        self.axis = list(normalize_axes(axis, self.name))

    def build(self, input_shape):
        self.axis = list(resolve_axes(self.axis, input_shape, self.name))
        self.input_spec = inner_shape_spec(input_shape)  # Module.__call__ checks it

    def call(self, inputs, training=False):
        """y = x * rsqrt(max(sum(x^2 over axis), 1e-12))."""
        square_sum = tf.reduce_sum(tf.square(inputs), axis=self.axis, keepdims=True)
        return inputs * tf.math.rsqrt(tf.maximum(square_sum, tf.constant(1e-12, inputs.dtype)))
