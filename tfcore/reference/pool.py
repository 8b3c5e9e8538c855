"""Max and average pooling with NumPy loops, and their gradients: tfcore/layers/pool.py's equations.

    max:      y[n, i, j, c] = max over W(i, j) of x[n, r, s, c]
    average:  y[n, i, j, c] = 1/|W(i, j)| Σ over W(i, j) of x[n, r, s, c]

W(i, j) is the window's pixels (r, s) that lie inside the image: padded
positions never count (max ignores them, the mean divides by |W|).
"""

import numpy as np

from tfcore.reference.conv import pair, window_geometry


def windows(height, width, pool_size, strides, padding):
    """{(i, j): (rows, columns)}: each output's window, clipped to the image, as two ranges."""
    (ph, pw), (sh, sw) = pair(pool_size), pair(strides)
    (out_h, top), (out_w, left) = (window_geometry(height, ph, sh, padding),
                                   window_geometry(width, pw, sw, padding))
    return {(i, j): (range(max(i * sh - top, 0), min(i * sh - top + ph, height)),
                     range(max(j * sw - left, 0), min(j * sw - left + pw, width)))
            for i in range(out_h) for j in range(out_w)}


def _pool2d(x, pool_size, strides, padding, reduce):
    strides = pool_size if strides is None else strides
    wins = windows(x.shape[1], x.shape[2], pool_size, strides, padding)
    out_h, out_w = max(i for i, _ in wins) + 1, max(j for _, j in wins) + 1
    y = np.zeros((x.shape[0], out_h, out_w, x.shape[3]), x.dtype)
    for (i, j), (rows, cols) in wins.items():
        y[:, i, j, :] = reduce(x[:, rows.start:rows.stop, cols.start:cols.stop, :], axis=(1, 2))
    return y


def max_pool2d(x, pool_size=2, strides=None, padding="VALID"):
    """The largest value of each window (x: N, H, W, C)."""
    return _pool2d(x, pool_size, strides, padding, np.max)


def avg_pool2d(x, pool_size=2, strides=None, padding="VALID"):
    """The mean of each window over its pixels inside the image (x: N, H, W, C)."""
    return _pool2d(x, pool_size, strides, padding, np.mean)


def max_pool1d(x, pool_size=2, strides=None, padding="VALID"):
    """max_pool2d on a height-1 image (x: N, steps, C)."""
    strides = pool_size if strides is None else strides
    return max_pool2d(x[:, np.newaxis], (1, pool_size), (1, strides), padding)[:, 0]


def avg_pool1d(x, pool_size=2, strides=None, padding="VALID"):
    """avg_pool2d on a height-1 image (x: N, steps, C)."""
    strides = pool_size if strides is None else strides
    return avg_pool2d(x[:, np.newaxis], (1, pool_size), (1, strides), padding)[:, 0]


def max_pool2d_grad(x, dy, pool_size=2, strides=None, padding="VALID"):
    """dL/dx of max pooling: each dy goes to its window's first (row-major) largest pixel."""
    strides = pool_size if strides is None else strides
    dx = np.zeros_like(x)
    for (i, j), (rows, cols) in windows(x.shape[1], x.shape[2], pool_size, strides, padding).items():
        for n in range(x.shape[0]):
            for c in range(x.shape[3]):
                window = x[n, rows.start:rows.stop, cols.start:cols.stop, c]
                r, s = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first maximum
                dx[n, rows[r], cols[s], c] += dy[n, i, j, c]
    return dx


def avg_pool2d_grad(x, dy, pool_size=2, strides=None, padding="VALID"):
    """dL/dx of average pooling: each dy is shared equally by its window's |W| pixels."""
    strides = pool_size if strides is None else strides
    dx = np.zeros_like(x)
    for (i, j), (rows, cols) in windows(x.shape[1], x.shape[2], pool_size, strides, padding).items():
        dx[:, rows.start:rows.stop, cols.start:cols.stop, :] += (
            dy[:, i, j, np.newaxis, np.newaxis, :] / (len(rows) * len(cols)))
    return dx
