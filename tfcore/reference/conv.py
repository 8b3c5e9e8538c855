"""Convolution with NumPy loops: the equation of tfcore/layers/conv.py, term by term.

    y[n, i, j, o] = b[o] + Σ_{u, v, c} x[n, i*sh + u*dh - pt, j*sw + v*dw - pl, c] · K[u, v, c, o]

over u < kh, v < kw, c < C_in,
where x is zero outside the image and (pt, pl) is the padding before (top, left).
"""

import math

import numpy as np


def pair(value):
    return (value, value) if np.ndim(value) == 0 else tuple(value)


def window_geometry(size, k_eff, stride, padding):
    """(output size, padding before) along one axis, for an effective window of k_eff.

        VALID:  out = ceil((n - k_eff + 1) / s), nothing before
        SAME:   out = ceil(n / s), total pad max((out - 1) s + k_eff - n, 0), half (rounded down) before
        CAUSAL: out = ceil(n / s), k_eff - 1 before
    """
    padding = padding.upper()
    if padding == "VALID":
        return math.ceil((size - k_eff + 1) / stride), 0
    out = math.ceil(size / stride)
    if padding == "CAUSAL":
        return out, k_eff - 1
    return out, max((out - 1) * stride + k_eff - size, 0) // 2


def conv2d(x, kernel, bias=None, strides=1, padding="VALID", dilation=1):
    """2-D cross-correlation of x (N, H, W, C_in) with kernel (kh, kw, C_in, C_out), plus bias."""
    n, height, width, _ = x.shape
    kh, kw, _, filters = kernel.shape
    (sh, sw), (dh, dw) = pair(strides), pair(dilation)
    (out_h, top), (out_w, left) = (window_geometry(height, (kh - 1) * dh + 1, sh, padding),
                                   window_geometry(width, (kw - 1) * dw + 1, sw, padding))
    y = np.zeros((n, out_h, out_w, filters), np.result_type(x, kernel))
    for i in range(out_h):
        for j in range(out_w):
            for u in range(kh):
                for v in range(kw):
                    r, c = i * sh + u * dh - top, j * sw + v * dw - left
                    if 0 <= r < height and 0 <= c < width:  # zeros outside contribute nothing
                        y[:, i, j, :] += x[:, r, c, :] @ kernel[u, v]
    return y if bias is None else y + bias


def conv1d(x, kernel, bias=None, stride=1, padding="VALID", dilation=1):
    """1-D cross-correlation of x (N, steps, C_in) with kernel (k, C_in, C_out): conv2d on height 1.

    padding "CAUSAL" puts all k_eff - 1 zeros before the sequence.
    """
    strides, dilation = (1, int(np.ravel(stride)[0])), (1, int(np.ravel(dilation)[0]))
    return conv2d(x[:, np.newaxis], kernel[np.newaxis], bias, strides, padding, dilation)[:, 0]
