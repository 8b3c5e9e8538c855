"""The Keras-2 catalogue: layers that mirror tf-keras 2 so a Keras model ports whole.

The course teaches the lessons one folder up (dense, conv, pool, dropout, batch_norm,
recurrent, attention, layer_norm); these files apply the same ideas to Keras's other
layers, with Keras's names, defaults and semantics, each checked against tf-keras in
tests/*_keras.py. `tfcore.layers` exports every class below, so import them from there.

    pad.py         ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
    cropping.py    Cropping1D, Cropping2D, Cropping3D
    reshape.py     Flatten, Reshape, Permute, RepeatVector
    upsampling.py  UpSampling1D, UpSampling2D, UpSampling3D   nearest (2-D: bilinear too)
    merge.py       Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot
                   and Keras's functional spellings add, subtract, ..., concatenate, dot
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
    simple_rnn.py  SimpleRNNCell, SimpleRNN    h_t = activation(x_t W + h_{t-1} U + b)
    wrappers.py    TimeDistributed, Bidirectional
    preprocessing.py  Rescaling, Normalization (adapt), Resizing, CenterCrop   the input's own steps
"""
