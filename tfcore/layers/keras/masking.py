"""Masking: mark the time steps whose features all equal `mask_value` as padding.

For a sequence x (batch, time, features):

    m[n, t] = any_f ( x[n, t, f] != mask_value )      (True: a real step)
    y[n, t, :] = x[n, t, :] * m[n, t]                   (padding steps become 0)

`compute_mask(x)` returns m, which the recurrent layers take as `mask=` to
carry their state over the padding steps (recurrent/sequence.py); Embedding's
`mask_zero` does the same for integer ids. The gradient flows only to the
unmasked steps.
"""

import tensorflow as tf

from tfcore.checks import check_min_rank, number_in
from tfcore.module import Module

LAYOUT = "(batch, ..., features)"


class Masking(Module):
    """Zeroes the steps equal to `mask_value` everywhere, and reports them in `compute_mask`.

    Args:
      mask_value: the padding value (default 0.0, as Keras).
    """

    supports_masking = True  # a mask on the input rides on to the output, as in Keras

    def __init__(self, mask_value=0.0, name=None):
        super().__init__(name=name)
        # NaN is refused: it equals nothing, so it would mask nothing.
        self.mask_value = number_in(mask_value, "[-inf, inf]", self.name, "mask_value")

    def compute_mask(self, inputs, mask=None):
        """m[n, t] = any feature of step t differs from mask_value (shape: input minus features)."""
        inputs = tf.convert_to_tensor(inputs)
        check_min_rank(inputs.shape, 2, self.name, LAYOUT)
        return tf.reduce_any(tf.not_equal(inputs, tf.cast(self.mask_value, inputs.dtype)), axis=-1)

    def call(self, inputs, training=False):
        """m[n, t] = any_f(x[n, t, f] != mask_value);  y[n, t, :] = x[n, t, :] * m[n, t]"""
        check_min_rank(inputs.shape, 2, self.name, LAYOUT)
        keep = tf.cast(self.compute_mask(inputs), inputs.dtype)
        return inputs * tf.expand_dims(keep, -1)
