"""N-D convolution, transposed convolution and pooling in NumPy, any number of spatial axes.

conv.py and pool.py spell the 1-D/2-D equations out as loops; this file holds the
same equations for 1, 2 or 3 spatial axes written with sliding windows and einsum,
the form the tests of Conv3D (grouped too), Conv1D/2D/3DTranspose,
DepthwiseConv1D/2D, SeparableConv1D/2D and the 3-D pools compare with in float64:

    conv:            y[n, p..., o] = Σ_{t..., c} xpad[n, p·s + t·d, c] · K[t..., c, o]
    conv_transpose:  every input pixel adds its own copy of the kernel, scaled, at p·s
    pool:            reduce over each window's positions inside the input
"""

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tfcore.reference.conv import window_geometry


def same_padding(size, window, stride):
    """(before, after) that SAME padding adds: output ceil(size / stride), extra pixel at the end."""
    out, before = window_geometry(size, window, stride, "SAME")
    return before, max((out - 1) * stride + window - size, 0) - before


def dilate(kernel, rates):
    """Insert rate - 1 zeros between the taps of the first len(rates) axes of `kernel`."""
    for axis, d in enumerate(rates):
        if d > 1:
            shape = list(kernel.shape)
            shape[axis] = (shape[axis] - 1) * d + 1
            out = np.zeros(shape, kernel.dtype)
            index = [slice(None)] * kernel.ndim
            index[axis] = slice(None, None, d)
            out[tuple(index)] = kernel
            kernel = out
    return kernel


def conv(x, kernel, strides, padding, dilation=None):
    """y[n, p..., o] = sum_{t..., c} xpad[n, p*s + t, c] K_dilated[t..., c, o] for channels-last x."""
    spatial = x.ndim - 2
    kernel = dilate(kernel, dilation or (1,) * spatial)
    window = kernel.shape[:spatial]
    pads = [(0, 0)] + [same_padding(x.shape[a + 1], window[a], strides[a]) if padding == "SAME"
                       else (0, 0) for a in range(spatial)] + [(0, 0)]
    patches = sliding_window_view(np.pad(x, pads), window, axis=tuple(range(1, spatial + 1)))
    patches = patches[(slice(None),) + tuple(slice(None, None, s) for s in strides)]
    pos, taps = "pqr"[:spatial], "tuv"[:spatial]
    return np.einsum("n%sc%s,%sco->n%so" % (pos, taps, taps, pos), patches, kernel)


def pool(x, pool_size, strides, padding, reduce):
    """`reduce` over each window's voxels inside the input (padding never counts), channels last."""
    spatial = x.ndim - 2
    ranges = []
    for a in range(spatial):
        size, p, s = x.shape[a + 1], pool_size[a], strides[a]
        out, shift = window_geometry(size, p, s, padding)
        ranges.append([(max(i * s - shift, 0), min(i * s - shift + p, size)) for i in range(out)])
    y = np.zeros((x.shape[0],) + tuple(len(r) for r in ranges) + (x.shape[-1],))
    for index in itertools.product(*[range(len(r)) for r in ranges]):
        window = tuple(slice(*ranges[a][i]) for a, i in enumerate(index))
        block = x[(slice(None),) + window]
        y[(slice(None),) + index] = reduce(block, axis=tuple(range(1, spatial + 1)))
    return y


def conv_transpose(x, kernel, strides, padding, out_size, dilation=None):
    """Scatter each input pixel's kernel copy (conv_transpose.py's equation), then take the window.

    Any number of spatial axes: x (n, *sizes, C_in), kernel (*k, C_out, C_in), out_size
    the output's spatial sizes.
    """
    spatial = x.ndim - 2
    kernel = dilate(kernel, dilation or (1,) * spatial)
    window, sizes = kernel.shape[:spatial], x.shape[1:-1]
    full = np.zeros((x.shape[0],) + tuple(max((n - 1) * s + k, m) for n, s, k, m in
                                          zip(sizes, strides, window, out_size)) + (kernel.shape[-2],))
    for index in itertools.product(*(range(n) for n in sizes)):
        place = tuple(slice(i * s, i * s + k) for i, s, k in zip(index, strides, window))
        full[(slice(None),) + place] += np.tensordot(x[(slice(None),) + index], kernel, ([1], [spatial + 1]))
    shifts = [max((n - 1) * s + k - m, 0) // 2 if padding == "SAME" else 0
              for n, s, k, m in zip(sizes, strides, window, out_size)]
    return full[(slice(None),) + tuple(slice(p, p + m) for p, m in zip(shifts, out_size))]


def grouped_as_full_kernel(kernel, groups):
    """The (..., C_in, C_out) block-diagonal kernel of an ordinary convolution equal to a grouped one.

    `kernel` (..., C_in / G, C_out) of a convolution with `groups` = G: block g of
    the outputs reads block g of the inputs only, so the full kernel holds the
    grouped kernel's g-th block of columns in its g-th diagonal block, zeros elsewhere.
    """
    per_group, filters = kernel.shape[-2], kernel.shape[-1] // groups
    full = np.zeros(kernel.shape[:-2] + (per_group * groups, kernel.shape[-1]))
    for g in range(groups):
        outputs = slice(g * filters, (g + 1) * filters)
        full[..., g * per_group:(g + 1) * per_group, outputs] = kernel[..., outputs]
    return full


def depthwise_as_full_kernel(depthwise):
    """The (*taps, C_in, C_in * m) block-diagonal kernel equal to a depthwise kernel (*taps, C_in, m):
    a grouped kernel with one group per input channel (output c*m + j is channel c's j-th)."""
    *taps, channels, m = depthwise.shape
    return grouped_as_full_kernel(depthwise.reshape(*taps, 1, channels * m), channels)
