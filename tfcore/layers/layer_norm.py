"""LayerNormalization: normalise each example over its own features.

Batch normalisation averages over the batch; layer normalisation (Ba, Kiros
& Hinton, 2016) averages over the feature axes of one example, so it behaves
the same in training and at inference, for any batch size (even 1), and
needs no moving statistics. For each example n, over the axes `axis`:

    mu_n      = mean(x[n, axes])
    sigma2_n  = mean((x[n, axes] - mu_n)^2)              (biased variance, as Keras)
    y         = gamma * (x - mu_n) / sqrt(sigma2_n + epsilon) + beta

gamma (scale) and beta (center) have the shape of the normalised axes, so
every feature gets its own scale and shift. epsilon (Keras's default 1e-3)
keeps a constant example from dividing by zero.
"""

import numbers

import tensorflow as tf

from tfcore import constraints, initializers, regularizers
from tfcore.module import Module


class LayerNormalization(Module):
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
        super().__init__(name=name)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if (not isinstance(axes, (list, tuple)) or not axes
                or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes)):
            raise ValueError("%s: axis must be an int or a list of ints, got %r" % (self.name, axis))
        if not isinstance(epsilon, numbers.Real) or epsilon < 0:
            raise ValueError("%s: epsilon must be a number >= 0, got %r" % (self.name, epsilon))
        self.axis = [int(a) for a in axes]
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)

    def build(self, input_shape):
        rank = input_shape.rank
        if rank is None or not all(-rank <= a < rank for a in self.axis):
            raise ValueError("%s: axis %r is out of range for input shape %s"
                             % (self.name, self.axis, input_shape))
        self.axis = [a % rank for a in self.axis]
        if 0 in self.axis or len(set(self.axis)) != len(self.axis):
            raise ValueError("%s: axis must name distinct non-batch axes, got %r for input shape %s"
                             % (self.name, self.axis, input_shape))
        param_shape = [input_shape[a] for a in self.axis]
        if None in param_shape:
            raise ValueError("%s: the sizes along axis %r must be known, got input shape %s"
                             % (self.name, self.axis, input_shape))
        self.input_spec = input_shape[1:]
        # gamma / beta reshaped to broadcast against the input (Keras reshapes, in this order).
        self._broadcast = [input_shape[a] if a in self.axis else 1 for a in range(rank)]
        if self.scale:
            self.gamma = self.add_weight("gamma", param_shape, self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", param_shape, self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)

    def call(self, inputs, training=False):
        """y = gamma * (x - mu) / sqrt(sigma^2 + epsilon) + beta,
        mu, sigma^2 = mean and (biased) variance of each example over `axis`.
        """
        self._check_inner_dims(inputs, self.input_spec)
        mean = tf.reduce_mean(inputs, axis=self.axis, keepdims=True)
        centered = inputs - mean
        variance = tf.reduce_mean(tf.square(centered), axis=self.axis, keepdims=True)
        y = centered * tf.math.rsqrt(variance + tf.cast(self.epsilon, inputs.dtype))
        if self.scale:
            y = y * tf.reshape(self.gamma, self._broadcast)
        if self.center:
            y = y + tf.reshape(self.beta, self._broadcast)
        return y
