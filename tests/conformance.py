"""The conformance table: one line per public layer, read by tests/test_conformance.py (the
generic properties every layer must have) and tests/test_conformance_keras.py (its tf-keras
twin with the same weights).

A line is (class name in tfcore.layers and in keras.layers, constructor keyword arguments,
input shape or list of input shapes[, tfcore-only keyword arguments]). The same name and
arguments build both layers: a name borrowed from Keras keeps Keras's arguments and
defaults. Adding a layer to
tfcore.layers means adding its line here (or its reason to NOT_IN_TABLE):
test_every_public_layer_has_a_line fails until then.

The shapes are small on purpose (the gradient check perturbs every element twice) and
the sizes differ from axis to axis, so a transposed axis cannot pass by accident.
"""

import collections

# `ours`: extra arguments for the tfcore layer only (tfcore's own options, not Keras's).
Line = collections.namedtuple("Line", "name kwargs shape ours", defaults=[{}])

TABLE = [
    # dense and convolutions
    Line("Dense", dict(units=3, activation="tanh"), (4, 5)),
    Line("Conv1D", dict(filters=3, kernel_size=2, padding="same"), (2, 5, 3)),
    Line("Conv2D", dict(filters=3, kernel_size=(2, 3), strides=(2, 1)), (2, 5, 4, 2)),
    Line("Conv3D", dict(filters=2, kernel_size=2), (1, 3, 4, 3, 2)),
    Line("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2), (2, 3, 3)),
    Line("Conv2DTranspose", dict(filters=2, kernel_size=(3, 2), strides=2), (2, 3, 2, 2)),
    Line("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (1, 2, 3, 2, 2)),
    Line("DepthwiseConv1D", dict(kernel_size=2, depth_multiplier=2), (2, 5, 3)),
    Line("DepthwiseConv2D", dict(kernel_size=2, depth_multiplier=2), (2, 4, 3, 3)),
    Line("SeparableConv1D", dict(filters=3, kernel_size=2), (2, 5, 3)),
    Line("SeparableConv2D", dict(filters=3, kernel_size=2), (2, 4, 3, 3)),
    # pooling
    Line("MaxPool1D", dict(pool_size=2), (2, 6, 3)),
    Line("MaxPool2D", dict(pool_size=2, padding="same"), (2, 5, 4, 3)),
    Line("MaxPool3D", dict(pool_size=2), (1, 4, 4, 2, 2)),
    Line("AvgPool1D", dict(pool_size=3, strides=2, padding="same"), (2, 6, 3)),
    Line("AvgPool2D", dict(pool_size=2), (2, 5, 4, 3)),
    Line("AvgPool3D", dict(pool_size=2, padding="same"), (1, 3, 4, 2, 2)),
    Line("GlobalAveragePooling1D", {}, (2, 5, 3)),
    Line("GlobalAveragePooling2D", {}, (2, 4, 3, 3)),
    Line("GlobalAveragePooling3D", {}, (1, 3, 2, 4, 2)),
    Line("GlobalMaxPooling1D", {}, (2, 5, 3)),
    Line("GlobalMaxPooling2D", {}, (2, 4, 3, 3)),
    Line("GlobalMaxPooling3D", {}, (1, 3, 2, 4, 2)),
    # shape layers
    Line("ZeroPadding1D", dict(padding=(1, 2)), (2, 4, 3)),
    Line("ZeroPadding2D", dict(padding=((1, 0), (0, 2))), (2, 3, 4, 2)),
    Line("ZeroPadding3D", dict(padding=1), (1, 2, 3, 2, 2)),
    Line("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    Line("Cropping2D", dict(cropping=((1, 0), (0, 2))), (2, 4, 5, 2)),
    Line("Cropping3D", dict(cropping=1), (1, 4, 3, 4, 2)),
    Line("UpSampling1D", dict(size=2), (2, 3, 3)),
    Line("UpSampling2D", dict(size=(2, 3)), (2, 3, 2, 2)),
    Line("UpSampling3D", dict(size=2), (1, 2, 3, 2, 2)),
    Line("Flatten", {}, (2, 3, 4, 2)),
    Line("Reshape", dict(target_shape=(4, 3)), (2, 6, 2)),
    Line("Permute", dict(dims=(2, 1)), (2, 4, 3)),
    Line("RepeatVector", dict(n=3), (2, 4)),
    # normalization
    Line("BatchNormalization", {}, (4, 3, 5)),
    Line("LayerNormalization", {}, (4, 3, 5)),
    Line("GroupNormalization", dict(groups=2), (3, 5, 4)),
    Line("UnitNormalization", {}, (4, 5)),
    # activations as layers
    Line("Activation", dict(activation="tanh"), (4, 5)),
    Line("ReLU", {}, (4, 5)),
    Line("LeakyReLU", dict(alpha=0.2), (4, 5)),
    Line("PReLU", {}, (4, 3, 5)),
    Line("ELU", {}, (4, 5)),
    Line("ThresholdedReLU", dict(theta=0.5), (4, 5)),
    Line("Softmax", {}, (4, 5)),
    # training-only noise: at inference (the default) each is the identity
    Line("Dropout", dict(rate=0.5), (4, 5)),
    Line("SpatialDropout1D", dict(rate=0.5), (2, 4, 3)),
    Line("SpatialDropout2D", dict(rate=0.5), (2, 3, 4, 2)),
    Line("SpatialDropout3D", dict(rate=0.5), (1, 2, 3, 2, 2)),
    Line("GaussianNoise", dict(stddev=0.1), (4, 5)),
    Line("GaussianDropout", dict(rate=0.2), (4, 5)),
    Line("AlphaDropout", dict(rate=0.2), (4, 5)),
    Line("ActivityRegularization", dict(l1=0.01, l2=0.02), (4, 5)),
    Line("Masking", dict(mask_value=0.0), (2, 4, 3)),
    # preprocessing
    Line("Rescaling", dict(scale=0.5, offset=-1.0), (2, 3, 4, 2)),
    Line("Normalization", dict(mean=0.5, variance=2.0), (4, 5)),
    Line("Resizing", dict(height=5, width=3), (2, 3, 4, 2)),
    Line("CenterCrop", dict(height=2, width=3), (2, 4, 5, 2)),
    # recurrent
    Line("SimpleRNN", dict(units=3), (2, 4, 3)),
    # (the fused BlockLSTM kernel, LSTM's default, has no float64: the table reads the graph loop)
    Line("LSTM", dict(units=3, return_sequences=True), (2, 4, 3), dict(implementation="while")),
    Line("GRU", dict(units=3), (2, 4, 3)),
    # several inputs
    Line("Add", {}, [(3, 4), (3, 4)]),
    Line("Subtract", {}, [(3, 4), (3, 4)]),
    Line("Multiply", {}, [(3, 4), (3, 4)]),
    Line("Average", {}, [(3, 4), (3, 4)]),
    Line("Maximum", {}, [(3, 4), (3, 4)]),
    Line("Minimum", {}, [(3, 4), (3, 4)]),
    Line("Concatenate", dict(axis=1), [(3, 2, 4), (3, 5, 4)]),
    Line("Dot", dict(axes=(2, 2)), [(3, 2, 4), (3, 5, 4)]),
    Line("Attention", {}, [(2, 3, 4), (2, 5, 4)]),
    Line("AdditiveAttention", {}, [(2, 3, 4), (2, 5, 4)]),
]

# Public layers without a line, and where their generic properties are tested instead.
NOT_IN_TABLE = {
    "Embedding": "integer ids in, no input gradient: tests/test_embedding*.py",
    "LSTMCell": "a cell takes (x, states): run by RNN in tests/test_recurrent*.py",
    "GRUCell": "a cell takes (x, states): run by RNN in tests/test_recurrent*.py",
    "SimpleRNNCell": "a cell takes (x, states): run by RNN in tests/test_simple_rnn*.py",
    "RNN": "takes a cell object, not hyperparameters: tests/test_rnn*.py",
    "TimeDistributed": "takes a layer object: tests/test_wrappers*.py",
    "Bidirectional": "takes a layer object: tests/test_wrappers*.py",
    "MultiHeadAttention": "called as (query, value, key=...): tests/test_attention*.py",
}


def line_id(line):
    return line.name
