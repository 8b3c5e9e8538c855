"""Hand-written layers, one file per concept.

    dense.py       Dense                       y = activation(x W + b)
    checks.py      the argument and input checks the layers share
    conv.py        Conv1D, Conv2D              cross-correlation, SAME/VALID/causal, strides, dilation;
                                               fused (tf.nn.conv2d) or patches (im2col + matmul)
    pool.py        MaxPool1D/2D, AvgPool1D/2D  window max / mean; fused or patches
    pad.py         ZeroPadding1D, ZeroPadding2D
    dropout.py     Dropout                     random mask, inverted scaling, training only
    batch_norm.py  BatchNormalization          batch statistics in training, moving ones at inference
    reshape.py     Flatten
    recurrent.py   LSTMCell, GRUCell, LSTM, GRU (stacked, stateful)
"""

from tfcore.layers.batch_norm import BatchNormalization
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.dense import Dense
from tfcore.layers.dropout import Dropout
from tfcore.layers.pad import ZeroPadding1D, ZeroPadding2D
from tfcore.layers.pool import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from tfcore.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell
from tfcore.layers.reshape import Flatten
