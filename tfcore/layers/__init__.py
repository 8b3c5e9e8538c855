"""Hand-written layers, one file per concept.

    dense.py       Dense                       y = activation(x W + b)
    checks.py      the argument and input checks the layers share
    layout.py      data_format: channels_last / channels_first (transposed at the edges)
    conv.py        Conv1D, Conv2D              cross-correlation, SAME/VALID/causal, strides, dilation;
                                               fused (tf.nn.conv2d) or patches (im2col + matmul)
    pool.py        MaxPool1D/2D, AvgPool1D/2D  window max / mean; fused or patches
                   (Keras's MaxPooling*/AveragePooling* are the same classes, pool3d.py too)
    pad.py         ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
    dropout.py     Dropout                     random mask, inverted scaling, training only
    batch_norm.py  BatchNormalization          batch statistics in training, moving ones at inference
    layer_norm.py  LayerNormalization          per-example statistics over the feature axes
                   GroupNormalization          per-example statistics over groups of channels
                   UnitNormalization           x / ||x|| over the axes
    reshape.py     Flatten, Reshape, Permute, RepeatVector
    upsampling.py  UpSampling1D, UpSampling2D, UpSampling3D   nearest (2-D: bilinear too)
    cropping.py    Cropping1D, Cropping2D, Cropping3D
    merge.py       Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
                   and Keras's functional spellings add, subtract, ..., concatenate, dot
    recurrent/     cells.py: LSTMCell, GRUCell (one step, its equations and backward step);
                   sequence.py: RNN(cell) runs any cell over time; LSTM, GRU (stacked, stateful)
    keras/simple_rnn.py  SimpleRNNCell, SimpleRNN    h_t = activation(x_t W + h_{t-1} U + b)
    keras/wrappers.py    TimeDistributed, Bidirectional
    embedding.py   Embedding                   ids -> rows of a learned table (mask_zero)
    masking.py     Masking                     steps equal to mask_value are padding
    global_pool.py GlobalAveragePooling1D/2D/3D, GlobalMaxPooling1D/2D/3D
                   (Keras's GlobalAvgPool*, GlobalMaxPool* are the same classes)
    conv3d.py      Conv3D                      3-D cross-correlation over volumes
    pool3d.py      MaxPool3D, AvgPool3D
    conv_transpose.py  Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
                                               the transposes (input gradients) of strided convolutions
    depthwise_conv.py  DepthwiseConv1D/2D, SeparableConv1D/2D   per-channel (+ 1x1) convolutions
    activation_layers.py  Activation, ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax
                                               an activation as a layer (PReLU: a learned slope)
    spatial_dropout.py SpatialDropout1D/2D/3D  Dropout of whole feature maps (noise_shape (N, 1.., C))
    noise.py       GaussianNoise, GaussianDropout, AlphaDropout   training-only noise, stateless draws
    activity_regularization.py  ActivityRegularization   identity + (l1|x| + l2 x^2) / N in losses
    preprocessing.py  Rescaling, Normalization (adapt), Resizing, CenterCrop   the input's own steps
    attention.py   Attention, AdditiveAttention, MultiHeadAttention   softmax(Q K^T / sqrt(d) + M) V
"""

from tfcore.layers.activation_layers import (ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax,
                                             ThresholdedReLU)
from tfcore.layers.activity_regularization import ActivityRegularization
from tfcore.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from tfcore.layers.batch_norm import BatchNormalization
from tfcore.layers.conv import Conv1D, Conv2D
from tfcore.layers.conv3d import Conv3D
from tfcore.layers.conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from tfcore.layers.cropping import Cropping1D, Cropping2D, Cropping3D
from tfcore.layers.dense import Dense
from tfcore.layers.depthwise_conv import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D)
from tfcore.layers.dropout import Dropout
from tfcore.layers.embedding import Embedding
from tfcore.layers.global_pool import (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                      GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D,
                                      GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D,
                                      GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                                      GlobalMaxPooling3D)
from tfcore.layers.layer_norm import GroupNormalization, LayerNormalization, UnitNormalization
from tfcore.layers.masking import Masking
from tfcore.layers.merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract,
                                 add, average, concatenate, dot, maximum, minimum, multiply,
                                 subtract)
from tfcore.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from tfcore.layers.pad import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from tfcore.layers.pool import (AveragePooling1D, AveragePooling2D, AvgPool1D, AvgPool2D,
                                MaxPool1D, MaxPool2D, MaxPooling1D, MaxPooling2D)
from tfcore.layers.pool3d import AveragePooling3D, AvgPool3D, MaxPool3D, MaxPooling3D
from tfcore.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from tfcore.layers.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell
from tfcore.layers.reshape import Flatten, Permute, RepeatVector, Reshape
from tfcore.layers.keras.simple_rnn import SimpleRNN, SimpleRNNCell
from tfcore.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from tfcore.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from tfcore.layers.keras.wrappers import Bidirectional, TimeDistributed
