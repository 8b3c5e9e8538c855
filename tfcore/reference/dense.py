"""Dense in NumPy: y = activation(x W + b) over the last axis of x."""

import numpy as np


def dense(x, kernel, bias=None, activation=None):
    """activation(x @ kernel + bias).

    x: (..., in); kernel W: (in, units); bias b: (units,) or None;
    activation: a NumPy function of an array, or None for the identity.
    `@` multiplies along x's last axis for any number of leading axes.
    """
    y = np.asarray(x) @ kernel
    if bias is not None:
        y = y + bias
    return y if activation is None else activation(y)
