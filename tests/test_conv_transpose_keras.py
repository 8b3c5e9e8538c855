"""Conv1D/2D/3DTranspose equal tf-keras's with copied weights (forward, input and weight gradients)."""

import numpy as np
import pytest
import tensorflow as tf

import tfcore
import tfcore.layers as tfcore_layers
from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tests.test_conv_transpose import TRANSPOSE_1D_CASES, TRANSPOSE_3D_CASES, TRANSPOSE_CASES
from tfcore.layers.keras.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding,dilation",
                         TRANSPOSE_CASES + [((2, 5, 4, 3), 4, (3, 5), 2, "same", (1, 0), 1)])
def test_conv2d_transpose_equals_keras(rng, shape, filters, kernel, strides, padding, output_padding,
                                       dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding,
                  dilation_rate=dilation, activation="tanh")
    compare_with_keras(Conv2DTranspose(filters, kernel, **kwargs),
                       keras.layers.Conv2DTranspose(filters, kernel, **kwargs), x, rng)


# Keras 2's Conv1DTranspose calls tf.nn.conv1d_transpose with the dilation, which TensorFlow's
# CPU kernel refuses ("Current CPU implementations do not yet support dilation rates > 1"):
# dilated cases are checked against NumPy only (test_conv_transpose.py).
@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding,dilation",
                         [c for c in TRANSPOSE_1D_CASES if c[-1] == 1])
def test_conv1d_transpose_equals_keras(rng, shape, filters, kernel, strides, padding, output_padding,
                                       dilation):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding, activation="relu")
    compare_with_keras(Conv1DTranspose(filters, kernel, **kwargs),
                       keras.layers.Conv1DTranspose(filters, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("shape,filters,kernel,strides,padding,output_padding", TRANSPOSE_3D_CASES)
def test_conv3d_transpose_equals_keras(rng, shape, filters, kernel, strides, padding, output_padding):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding)
    compare_with_keras(Conv3DTranspose(filters, kernel, **kwargs),
                       keras.layers.Conv3DTranspose(filters, kernel, **kwargs), x, rng)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv3d_transpose_with_a_dilation_rate_computes_what_keras_does(rng, padding):
    # Keras 2 accepts the rate (strides 1) and ignores it; a ported model must compute the same.
    x = rng.randn(2, 3, 4, 2, 2).astype(np.float32)
    kwargs = dict(padding=padding, dilation_rate=(1, 2, 2))
    with pytest.warns(UserWarning, match="has no effect"):
        ours = Conv3DTranspose(2, 2, **kwargs)
    compare_with_keras(ours, keras.layers.Conv3DTranspose(2, 2, **kwargs), x, rng)


def random_transpose_arguments(rng, rank):
    """Kernel, strides, padding, output_padding (or None), use_bias, data_format, input shape."""
    kernel = tuple(int(k) for k in rng.randint(1, 5, size=rank))
    strides = tuple(int(s) for s in rng.randint(1, 4, size=rank))
    output_padding = (tuple(int(rng.randint(0, s)) for s in strides) if rng.rand() < 0.5 else None)
    padding = ["same", "valid"][rng.randint(2)]
    sizes = tuple(int(n) for n in rng.randint(2, 6 if rank < 3 else 4, size=rank))
    channels_first = rng.rand() < 0.5
    channels = int(rng.randint(1, 4))
    shape = ((int(rng.randint(1, 3)), channels) + sizes if channels_first
             else (int(rng.randint(1, 3)),) + sizes + (channels,))
    dilation = 1
    if rank == 2 and rng.rand() < 0.4:
        # Keras 2 runs a dilation on images only (its Conv1DTranspose's op fails on CPU, its
        # Conv3DTranspose ignores the rate): equal rates, strides 1.
        dilation, strides, output_padding = int(rng.randint(2, 4)), (1, 1), None
    return dict(kernel_size=kernel, strides=strides, padding=padding, output_padding=output_padding,
                dilation_rate=dilation, use_bias=bool(rng.rand() < 0.7),
                data_format="channels_first" if channels_first else "channels_last"), shape


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ours,theirs,rank", [(Conv1DTranspose, "Conv1DTranspose", 1),
                                              (Conv2DTranspose, "Conv2DTranspose", 2),
                                              (Conv3DTranspose, "Conv3DTranspose", 3)])
def test_transposes_equal_keras_on_random_arguments(seed, ours, theirs, rank):
    rng = np.random.RandomState(100 + seed)
    kwargs, shape = random_transpose_arguments(rng, rank)
    filters = int(rng.randint(1, 4))
    x = rng.randn(*shape).astype(np.float32)
    ref = getattr(keras.layers, theirs)(filters, **kwargs)
    try:
        ref(x)
    except tf.errors.OpError:
        # Keras's output-size rule with SAME and output_padding can give a size that the forward
        # convolution does not map back to the input's; TensorFlow's op then fails for Keras, and
        # tfcore refuses it when the graph is built.
        with tfcore.new_graph().as_default():
            with pytest.raises(ValueError, match="does not convolve back"):
                ours(filters, **kwargs)(tfcore.placeholder(x.shape))
        return
    compare_with_keras(ours(filters, **kwargs), getattr(keras.layers, theirs)(filters, **kwargs), x, rng)


@pytest.mark.parametrize("ours,theirs,shape,placeholder", [
    (Conv1DTranspose, "Conv1DTranspose", (2, 5, 3), (None, None, 3)),
    (Conv3DTranspose, "Conv3DTranspose", (1, 3, 2, 4, 2), (None, None, 2, None, 2)),
])
def test_transposes_with_unknown_sizes_equal_keras(rng, ours, theirs, shape, placeholder):
    x = rng.randn(*shape).astype(np.float32)
    kwargs = dict(strides=2, padding="same", output_padding=1)
    compare_with_keras(ours(2, 3, **kwargs), getattr(keras.layers, theirs)(2, 3, **kwargs), x, rng,
                       placeholder_shape=placeholder)


@pytest.mark.parametrize("make,shape", [
    (lambda layers: layers.Conv1DTranspose(3, 2, strides=2, activation="softmax",
                                           data_format="channels_first"), (2, 3, 4)),
    (lambda layers: layers.Conv2DTranspose(2, 3, activation="softmax", data_format="channels_first"),
     (1, 2, 3, 4)),
    (lambda layers: layers.Conv3DTranspose(2, 2, activation="softmax", data_format="channels_first"),
     (1, 2, 2, 3, 2)),
    (lambda layers: layers.DepthwiseConv1D(2, activation="softmax", data_format="channels_first"),
     (2, 3, 5)),
    (lambda layers: layers.SeparableConv1D(3, 2, activation="softmax", data_format="channels_first"),
     (2, 2, 5)),
    (lambda layers: layers.SeparableConv2D(3, 2, activation="softmax", data_format="channels_first"),
     (1, 2, 4, 5)),
])
def test_channels_first_softmax_runs_over_the_last_axis_as_keras(rng, make, shape):
    # Keras applies the activation to the output in its own layout: a channels_first softmax
    # normalizes the last spatial axis, not the channels.
    x = rng.randn(*shape).astype(np.float32)
    compare_with_keras(make(tfcore_layers), make(keras.layers), x, rng)
