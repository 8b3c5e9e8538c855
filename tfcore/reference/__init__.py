"""NumPy references: each layer's forward pass written again in plain NumPy.

They are the oracles the tests compare the TensorFlow layers with, and a
second, framework-free reading of each formula: no graph, no session, no
gradient machinery, just arrays (convolution and pooling as plain loops).
Each function's docstring holds its equations.

    conv.py         conv1d, conv2d, window_geometry
    conv_nd.py      conv, conv_transpose, pool (1-3 spatial axes), grouped/depthwise kernels
    pool.py         max_pool1d/2d, avg_pool1d/2d and the 2-D pools' gradients
    dense.py        dense
    batch_norm.py   batch_norm_training, batch_norm_inference, moving_average
    dropout.py      dropout
    recurrent.py    sigmoid, lstm_step, lstm, gru_step, gru
    losses.py       log_softmax, softmax_cross_entropy
"""

from tfcore.reference.batch_norm import batch_norm_inference, batch_norm_training, moving_average
from tfcore.reference.conv import conv1d, conv2d, window_geometry
from tfcore.reference.dense import dense
from tfcore.reference.dropout import dropout
from tfcore.reference.losses import log_softmax, softmax_cross_entropy
from tfcore.reference.pool import (avg_pool1d, avg_pool2d, avg_pool2d_grad, max_pool1d, max_pool2d,
                                   max_pool2d_grad)
from tfcore.reference.recurrent import gru, gru_step, lstm, lstm_step, sigmoid
