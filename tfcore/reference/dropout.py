"""Dropout in NumPy, given the keep mask (which the layer draws from its stateless seed)."""

import numpy as np


def dropout(x, keep, rate):
    """Inverted dropout: y = x * keep / (1 - rate).

    keep: a 0/1 (or boolean) mask that broadcasts against x, P(keep = 1) = 1 - rate.
    Dividing the kept values by 1 - rate keeps E[y] = x, so evaluation (y = x)
    needs no rescaling.
    """
    return np.asarray(x) * (np.asarray(keep, dtype=np.float64) / (1.0 - rate))
