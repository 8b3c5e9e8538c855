"""Conv2DTranspose equals tf-keras's with copied weights (forward, input and weight gradients)."""

import numpy as np
import pytest

from tests.oracle import keras
from tests.test_conv_keras import compare_with_keras
from tests.test_conv_transpose import TRANSPOSE_CASES
from tfcore.layers.conv_transpose import Conv2DTranspose

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
