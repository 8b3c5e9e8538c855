"""Noise layers: GaussianNoise, GaussianDropout, AlphaDropout (training only).

Like Dropout, each perturbs its input while training and is the identity at
evaluation (y = x), and each draws its randomness from a stateless op seeded
with [seed, counter], the checkpointed counter advancing once per training
run (`RandomLayer`, dropout.py): runs are reproducible from the seed and a
resumed run continues the same random sequence. n below is a standard normal
draw, n ~ N(0, 1), one per element: `tf.random.stateless_normal`.

GaussianNoise(stddev): additive noise, a form of data augmentation for
real-valued inputs.

    y = x + stddev * n                   E[y] = x,  Var[y - x] = stddev^2
    dy/dx = 1                            (the noise does not depend on x)

GaussianDropout(rate): multiplicative noise centred on 1.

    m = 1 + sigma * n,  sigma = sqrt(p / (1 - p))
    y = x * m                            dy/dx = m

Why that sigma: inverted dropout multiplies by keep / (1 - p), keep ~
Bernoulli(1 - p), whose mean is 1 and whose variance is
(1 - p) / (1 - p)^2 - 1 = p / (1 - p). GaussianDropout keeps those two moments
and replaces the Bernoulli by a Gaussian (Srivastava et al. 2014, section 10).

AlphaDropout(rate): dropout for self-normalizing (SELU) networks
(Klambauer et al. 2017). A SELU net keeps its activations at mean 0 and
variance 1; dropping to 0 would break that, since 0 is not where SELU rests
when silent. SELU's limit for x -> -inf is alpha' = -scale * alpha
(~ -1.7581), so a dropped unit is set to alpha', and an affine map a z + b
restores the mean and variance. With keep ~ Bernoulli(q), q = 1 - p:

    z = x * keep + alpha' * (1 - keep)
    y = a * z + b
    a = (q * (1 + p * alpha'^2))^(-1/2),  b = -a * p * alpha'
    dy/dx = a * keep

For x of mean 0 and variance 1 (independent of keep): E[z] = p alpha' and
Var[z] = E[z^2] - E[z]^2 = q + p alpha'^2 - p^2 alpha'^2 = q (1 + p alpha'^2),
so a = 1 / std(z) and b = -a E[z] give E[y] = 0, Var[y] = 1. The constants
alpha = 1.6732632423543772848170429916717 and scale = 1.0507009873554804934193349852946
are SELU's, and the formula is Keras 2's, applied in the same order. The keep
mask is Dropout's (the same `noise_shape` rule, the same bit-field draws),
so AlphaDropout is a Dropout with another formula for the kept and the
dropped units.
"""

import math

import tensorflow as tf

from tfcore.checks import check_dtype, number_in
from tfcore.layers.dropout import Dropout, RandomLayer

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _check_floating(layer, inputs):
    check_dtype(inputs, "floating", layer, "input", "; cast it first, e.g. tf.cast(x, tf.float32)")


class GaussianNoise(RandomLayer):
    """y = x + stddev * n, n ~ N(0, 1) per element, in training; y = x at evaluation.

    Args:
      stddev: the noise's standard deviation, a finite number >= 0 (0: the identity).
      seed: as `Dropout` (None: from the graph seed and the layer's name).

    Variables: none; the noise counter is in `state_variables`, as Dropout's.
    """

    def __init__(self, stddev, seed=None, name=None):
        super().__init__(seed=seed, name=name)
        self.stddev = number_in(stddev, "[0, inf)", self.name, "stddev")

    def call(self, inputs, training=False):
        _check_floating(self.name, inputs)
        if self.stddev == 0.0:
            return tf.identity(inputs)

        def noise(seed_pair):
            n = tf.random.stateless_normal(tf.shape(inputs), seed=seed_pair, dtype=inputs.dtype)
            return tf.constant(self.stddev, inputs.dtype) * n

        return self._in_training(inputs, training, noise, lambda x, e: x + e)


class GaussianDropout(RandomLayer):
    """y = x * m, m = 1 + sqrt(p / (1 - p)) * n, n ~ N(0, 1) per element, in training; y = x at evaluation.

    Args:
      rate: p, as Dropout's: in [0, 1) (0: the identity). The multiplier has
        mean 1 and variance p / (1 - p), as inverted dropout's.
      seed: as `Dropout`.
    """

    def __init__(self, rate, seed=None, name=None):
        super().__init__(seed=seed, name=name)
        self.rate = number_in(rate, "[0, 1)", self.name, "rate",
                              " (the multiplier's variance is rate / (1 - rate))")

    def call(self, inputs, training=False):
        _check_floating(self.name, inputs)
        if self.rate == 0.0:
            return tf.identity(inputs)
        sigma = math.sqrt(self.rate / (1.0 - self.rate))

        def multiplier(seed_pair):
            n = tf.random.stateless_normal(tf.shape(inputs), seed=seed_pair, dtype=inputs.dtype)
            return 1.0 + tf.constant(sigma, inputs.dtype) * n

        return self._in_training(inputs, training, multiplier, lambda x, m: x * m)


class AlphaDropout(Dropout):
    """Dropout for SELU networks: dropped units go to SELU's saturation value, then an affine map
    restores mean 0 and variance 1 (see the module docstring). The identity at evaluation.

    Args:
      rate: p, the probability of dropping a unit, in [0, 1) (0: the identity).
      noise_shape: the keep mask's shape, broadcast against the input, as
        Dropout's (`None` entries: the input's size there; Keras 2 needs ints).
      seed: as `Dropout`.
    """

    def __init__(self, rate, noise_shape=None, seed=None, name=None):
        super().__init__(rate, seed=seed, noise_shape=noise_shape, name=name)

    def affine(self):
        """(alpha', a, b) of the module docstring, in Python floats (Keras 2's formula)."""
        alpha_p = -SELU_ALPHA * SELU_SCALE
        p = self.rate
        a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * p
        return alpha_p, a, b

    def call(self, inputs, training=False):
        _check_floating(self.name, inputs)
        if self.rate == 0.0:
            return tf.identity(inputs)

        def keep(seed_pair):
            return self._keep(self._mask_shape(inputs), seed_pair, inputs.dtype)

        return self._in_training(inputs, training, keep, self.apply_keep)

    def apply_keep(self, x, keep):
        """y = a * (x * keep + alpha' * (1 - keep)) + b for a given boolean (or 0/1) keep mask."""
        alpha_p, a, b = (tf.constant(c, x.dtype) for c in self.affine())
        keep = tf.cast(keep, x.dtype)
        z = x * keep + alpha_p * (1 - keep)
        return a * z + b
