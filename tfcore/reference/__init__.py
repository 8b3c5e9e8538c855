"""NumPy references: the layers' equations as plain loops, for reading and for testing.

Each function computes what a tfcore layer computes, written as directly as the
equation in the layer's docstring, with no TensorFlow. Tests use them as
oracles; a learner can read them beside the layer (and compare printouts).
"""

from tfcore.reference.conv import conv1d, conv2d, window_geometry
from tfcore.reference.pool import (avg_pool1d, avg_pool2d, avg_pool2d_grad, max_pool1d, max_pool2d,
                                   max_pool2d_grad)
