"""The Keras-2 catalogue: layers that mirror tf-keras 2 so a Keras model ports whole.

The course teaches the lessons one folder up (tfcore/layers/); these files apply the
same ideas to Keras's other layers, with Keras's names, defaults and semantics, each
checked against tf-keras in tests/*_keras.py. `tfcore.layers` exports every class
below, so import them from there.

    simple_rnn.py  SimpleRNNCell, SimpleRNN    h_t = activation(x_t W + h_{t-1} U + b)
    wrappers.py    TimeDistributed, Bidirectional
"""
