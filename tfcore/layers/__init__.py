"""Hand-written layers, one file per concept: the lessons first, then the Keras-2 catalogue.

The lessons, which the course (tfcore/learn/chapters/) teaches and which are worth reading
top to bottom:

    dense.py       Dense                       y = activation(x W + b)
    conv.py        Conv1D, Conv2D              cross-correlation, SAME/VALID/causal, strides, dilation;
                                               fused (tf.nn.conv2d) or patches (im2col + matmul)
    pool.py        MaxPool1D/2D, AvgPool1D/2D  window max / mean; fused or patches
                   (Keras's MaxPooling*/AveragePooling* are the same classes, keras/pool3d.py too)
    dropout.py     Dropout                     random mask, inverted scaling, training only
    batch_norm.py  BatchNormalization          batch statistics in training, moving ones at inference
    layer_norm.py  LayerNormalization          per-example statistics over the feature axes
                   GroupNormalization          per-example statistics over groups of channels
                   UnitNormalization           x / ||x|| over the axes
    recurrent/     cells.py: LSTMCell, GRUCell (one step, its equations and backward step);
                   sequence.py: RNN(cell) runs any cell over time; LSTM, GRU (stacked, stateful)
    attention.py   Attention, AdditiveAttention, MultiHeadAttention   softmax(Q K^T / sqrt(d) + M) V

What the lessons share (their argument and input checks are the library's, tfcore/checks.py):

    windows.py     the sliding window of conv.py and pool.py: its geometry, its patches (im2col)
    layout.py      data_format: channels_last / channels_first (transposed at the edges)

The catalogue, keras/: the rest of Keras 2's layers, each built the same way from TF ops, so
that a Keras model ports whole (tfcore.port). keras/__init__.py lists its files. Every layer,
lesson or catalogue, is exported here: `tfcore.layers.X` works for all of them.
"""

from tfcore.layers.keras.activation_layers import (ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax,
                                                   ThresholdedReLU)
from tfcore.layers.keras.activity_regularization import ActivityRegularization
from tfcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from tfcore.layers.batch_norm import BatchNormalization
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.keras.conv3d import Conv3D
from tfcore.layers.keras.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from tfcore.layers.keras.cropping import Cropping1D, Cropping2D, Cropping3D
from tfcore.layers.dense import Dense
from tfcore.layers.keras.depthwise_conv import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                                SeparableConv2D)
from tfcore.layers.dropout import Dropout
from tfcore.layers.keras.embedding import Embedding
from tfcore.layers.keras.global_pool import (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalAvgPool1D,
    GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
from tfcore.layers.layer_norm import GroupNormalization, LayerNormalization, UnitNormalization
from tfcore.layers.keras.masking import Masking
from tfcore.layers.keras.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply,
                                       Subtract, add, average, concatenate, dot, maximum, minimum,
                                       multiply, subtract)
from tfcore.layers.keras.noise import AlphaDropout, GaussianDropout, GaussianNoise
from tfcore.layers.keras.pad import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from tfcore.layers.pool import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,
                                MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from tfcore.layers.keras.pool3d import AveragePooling3D, AvgPool3D, MaxPool3D, MaxPooling3D
from tfcore.layers.keras.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from tfcore.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell
from tfcore.layers.keras.reshape import Flatten, Permute, RepeatVector, Reshape
from tfcore.layers.keras.simple_rnn import SimpleRNN, SimpleRNNCell
from tfcore.layers.keras.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from tfcore.layers.keras.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from tfcore.layers.keras.wrappers import Bidirectional, TimeDistributed
