"""Sliding windows, the geometry and the patches that convolution and pooling share.

A convolution (conv.py) and a pooling layer (pool.py) do the same thing to their
input: a window slides over the spatial axes, and at every output position
something is computed from the pixels under it, a dot product with a kernel or
a max or a mean. Everything about the window itself lives here, once:

1. **Window geometry**: how the padding ("VALID", "SAME", Conv1D's "CAUSAL")
   sets the output size and where the zeros go (`window_geometry`), the padding
   itself (`pad_for_window`) and its inverse (`crop`).

2. **Patches (im2col)**, the from-scratch path: `extract_patches` gathers, for
   every output position, the input pixels under the window (one strided slice
   of the padded input per kernel tap); `scatter_patches` (col2im) is its
   transpose, which the hand-derived gradients of both layers need.

A `Window` names one window's size, strides, dilation and padding, one entry per
spatial axis. The tensors are channels-last, (batch, *spatial, channels).
"""

import collections
import itertools

import tensorflow as tf

from tfcore.checks import is_int

# A sliding window along the spatial axes: one entry per axis in each field.
Window = collections.namedtuple("Window", "size strides dilation padding")


# ---------------------------------------------------------------------------
# 1. Window geometry
# ---------------------------------------------------------------------------

def window_geometry(size, k_eff, stride, padding):
    """(output size, padding before, padding after) along one spatial axis of `size` pixels.

    With kernel size k and dilation d (a dilated kernel samples every d-th
    pixel) the window spans k_eff = (k - 1) d + 1 pixels; with stride s:

        VALID:  no padding                      out = floor((n - k_eff) / s) + 1
        SAME:   total pad p = max((out - 1) s + k_eff - n, 0),   out = ceil(n / s)
                p // 2 before, the rest after (the extra pixel of an odd p goes last)
        CAUSAL: (Conv1D) k_eff - 1 before, none after: output t sees steps <= t only

    `size` is a Python int when the graph knows it, else a scalar tensor (the
    size fed at run time); the same formulas serve both.
    """
    if padding == "VALID":
        return (size - k_eff) // stride + 1, 0, 0
    out = (size + stride - 1) // stride  # ceil(size / stride)
    if padding == "CAUSAL":
        return out, k_eff - 1, 0
    total = (out - 1) * stride + k_eff - size
    total = max(total, 0) if is_int(total) else tf.maximum(total, 0)
    return out, total // 2, total - total // 2


def spatial_sizes(x):
    """The spatial sizes of (batch, *spatial, channels) `x`: ints where known, else tensors."""
    return [x.shape[a] if x.shape[a] is not None else tf.shape(x)[a]
            for a in range(1, x.shape.rank - 1)]


def pad_for_window(x, window, value=0.0):
    """`x` padded as `window.padding` says, with `value`: (padded, [(before, after)], out sizes)."""
    pads, out_sizes = [], []
    for n, k, s, d in zip(spatial_sizes(x), window.size, window.strides, window.dilation):
        out, before, after = window_geometry(n, (k - 1) * d + 1, s, window.padding)
        pads.append((before, after))
        out_sizes.append(out)
    if all(p == (0, 0) for p in pads):
        return x, pads, out_sizes
    padded = tf.pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]],
                    constant_values=tf.constant(value, x.dtype))
    return padded, pads, out_sizes


def crop(padded, pads, sizes):
    """The inverse of padding: the `sizes` pixels after each axis's `before` pad."""
    index = [slice(None)] + [slice(b, b + n) for (b, _), n in zip(pads, sizes)] + [slice(None)]
    return padded[tuple(index)]


# ---------------------------------------------------------------------------
# 2. Patches (im2col) and their transpose (col2im)
# ---------------------------------------------------------------------------

def _taps(window):
    """The kernel taps in row-major order: (0, 0), (0, 1), ..., (kh - 1, kw - 1)."""
    return list(itertools.product(*(range(k) for k in window.size)))


def _read_tap(padded, offsets, window, out_sizes):
    """The padded pixels that kernel tap `offsets` reads, at every output position.

    Output position i along an axis reads padded pixel i*s + u*d: starting at
    u*d, every s-th pixel, `out` of them. With all strides 1 that is a plain
    `tf.slice`, whose gradient (a pad) TensorFlow computes several times faster
    on CPU than the gradient of a strided slice (StridedSliceGrad); both read
    the same pixels.
    """
    starts = [u * d for u, d in zip(offsets, window.dilation)]
    if max(window.strides) == 1:
        return tf.slice(padded, [0] + starts + [0], [-1] + list(out_sizes) + [-1])
    index = [slice(b, b + (n - 1) * s + 1, s) for b, s, n in zip(starts, window.strides, out_sizes)]
    return padded[tuple([slice(None)] + index + [slice(None)])]


def extract_patches(padded, window, out_sizes):
    """(batch, *out_sizes, taps, channels): the padded pixels under the window at every position.

    One (strided) slice per kernel tap (`_read_tap`), stacked on a new axis just
    before the channels: patches[n, i, j, t, c] = padded[n, i*sh + u*dh, j*sw + v*dw, c]
    for tap t = (u, v). `tf.image.extract_patches` would do the same in one op,
    but for images only and without showing where each value comes from.
    """
    return tf.stack([_read_tap(padded, t, window, out_sizes) for t in _taps(window)], axis=-2)


def _spread(t, axis, stride, n):
    """Put stride - 1 zeros after each of the `n` values along `axis` (keeping (n - 1) s + 1)."""
    if stride == 1:
        return t
    t = tf.expand_dims(t, axis + 1)
    t = tf.pad(t, [[0, 0]] * (axis + 1) + [[0, stride - 1]] + [[0, 0]] * (t.shape.rank - axis - 2))
    shape = tf.shape(t)
    t = tf.reshape(t, tf.concat([shape[:axis], [shape[axis] * stride], shape[axis + 2:]], 0))
    index = [slice(None)] * axis + [slice(0, (n - 1) * stride + 1)]
    return t[tuple(index)]


def scatter_patches(dpatches, padded_sizes, window, out_sizes):
    """col2im, the transpose of `extract_patches`: each tap's values go back where they were read.

    For tap t, the slice dpatches[..., t, :] is spread to its strided places
    (`_spread`), then padded with zeros to the padded input's size, starting at
    the tap's offset u*d. A pixel read by several windows (overlapping windows,
    or several taps) receives the sum of their values.
    """
    total = 0
    for index, offsets in enumerate(_taps(window)):
        tap = dpatches[..., index, :]
        pads = [[0, 0]]
        for axis, (u, d, s, n) in enumerate(zip(offsets, window.dilation, window.strides, out_sizes)):
            tap = _spread(tap, axis + 1, s, n)
            pads.append([u * d, padded_sizes[axis] - u * d - ((n - 1) * s + 1)])
        total += tf.pad(tap, pads + [[0, 0]])
    return total
