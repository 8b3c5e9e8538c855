"""Softmax cross-entropy in NumPy, computed stably through log-softmax."""

import numpy as np


def log_softmax(z, axis=-1):
    """log softmax(z) = z - m - log sum_j exp(z_j - m), m = max_j z_j (so no exp overflows)."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_cross_entropy(labels, logits, label_smoothing=0.0):
    """Per-example cross-entropy: -sum_k y_k log softmax(z)_k over the last axis.

    label_smoothing s first replaces y by y (1 - s) + s / K (K classes), as Keras 2.
    """
    labels = np.asarray(labels, dtype=np.float64)
    classes = np.shape(logits)[-1]
    labels = labels * (1.0 - label_smoothing) + label_smoothing / classes
    return -(labels * log_softmax(logits)).sum(axis=-1)
