"""Batch normalisation in NumPy: training (batch statistics) and inference (moving ones)."""

import numpy as np


def _feature_shape(x, axis):
    """The shape that broadcasts a (features,) vector along `axis` of x."""
    shape = [1] * x.ndim
    shape[axis] = -1
    return shape


def batch_norm_training(x, axis, gamma, beta, epsilon):
    """Training-mode forward in float64; returns (y, mean, biased variance, n).

    Over the n values of each feature (every axis but `axis`):

        mu  = mean(x)
        var = mean((x - mu)^2)                       biased: divide by n
        y   = gamma (x - mu) / sqrt(var + epsilon) + beta

    The moving variance of tf-keras's fused path uses var * n / (n - 1), hence n.
    """
    x = np.asarray(x, dtype=np.float64)
    axis = axis % x.ndim
    axes = tuple(i for i in range(x.ndim) if i != axis)
    mean = x.mean(axis=axes, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    shape = _feature_shape(x, axis)
    y = np.reshape(gamma, shape) * (x - mean) / np.sqrt(variance + epsilon) + np.reshape(beta, shape)
    return y, mean.ravel(), variance.ravel(), x.size // x.shape[axis]


def batch_norm_inference(x, axis, gamma, beta, moving_mean, moving_variance, epsilon):
    """y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta, in float64."""
    x = np.asarray(x, dtype=np.float64)
    shape = _feature_shape(x, axis % x.ndim)
    scale = np.reshape(gamma, shape) / np.sqrt(np.reshape(moving_variance, shape) + epsilon)
    return scale * (x - np.reshape(moving_mean, shape)) + np.reshape(beta, shape)


def moving_average(moving, statistic, momentum):
    """moving * momentum + statistic * (1 - momentum): one update of a moving statistic."""
    return np.asarray(moving, dtype=np.float64) * momentum + statistic * (1.0 - momentum)
