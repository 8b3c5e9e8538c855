"""LSTM and GRU in NumPy: one step, and a loop of steps over a sequence.

Weights in Keras's layout (as the tfcore cells hold them): kernel W
(features, G H), recurrent_kernel U (H, G H), gate blocks in Keras's order,
i, f, c, o for the LSTM (G = 4) and z, r, h for the GRU (G = 3).
"""

import numpy as np


def sigmoid(x):
    """1 / (1 + e^{-x})."""
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(x, h, c, kernel, recurrent_kernel, bias=None, activation=np.tanh,
              recurrent_activation=sigmoid):
    """One LSTM step; returns (h_t, c_t).

        [z_i, z_f, z_c, z_o] = x_t W + h_{t-1} U + b
        c_t = sigmoid(z_f) c_{t-1} + sigmoid(z_i) tanh(z_c)
        h_t = sigmoid(z_o) tanh(c_t)
    """
    z = x @ kernel + h @ recurrent_kernel + (0.0 if bias is None else bias)
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
    c = recurrent_activation(z_f) * c + recurrent_activation(z_i) * activation(z_c)
    h = recurrent_activation(z_o) * activation(c)
    return h, c


def gru_step(x, h, kernel, recurrent_kernel, bias=None, reset_after=True, activation=np.tanh,
             recurrent_activation=sigmoid):
    """One GRU step; returns h_t. bias is (2, 3H) with reset_after, (3H,) without, or None.

        z_t = sigmoid(x_t W_z + h_{t-1} U_z + b_z),  r_t = sigmoid(x_t W_r + h_{t-1} U_r + b_r)
        reset_after=True:   h~_t = tanh(x_t W_h + b_h + r_t (h_{t-1} U_h + b'_h))
        reset_after=False:  h~_t = tanh(x_t W_h + (r_t h_{t-1}) U_h + b_h)
        h_t = z_t h_{t-1} + (1 - z_t) h~_t
    """
    units = recurrent_kernel.shape[0]
    if bias is None:
        bias = np.zeros((2, 3 * units) if reset_after else 3 * units)
    x_z, x_r, x_h = np.split(x @ kernel + (bias[0] if reset_after else bias), 3, axis=1)
    if reset_after:
        h_z, h_r, h_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=1)
        z, r = recurrent_activation(x_z + h_z), recurrent_activation(x_r + h_r)
        candidate = activation(x_h + r * h_h)
    else:
        u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=1)
        z, r = recurrent_activation(x_z + h @ u_z), recurrent_activation(x_r + h @ u_r)
        candidate = activation(x_h + (r * h) @ u_h)
    return z * h + (1 - z) * candidate


def _time_steps(x, go_backwards):
    steps = range(x.shape[1])
    return reversed(steps) if go_backwards else steps


def lstm(x, kernel, recurrent_kernel, bias, h, c, go_backwards=False, **activations):
    """`lstm_step` over x (batch, time, features); returns (outputs (batch, time, H), h, c).

    Outputs are in the order computed (reversed with go_backwards, as Keras).
    """
    outputs = []
    for t in _time_steps(x, go_backwards):
        h, c = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias, **activations)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def gru(x, kernel, recurrent_kernel, bias, h, reset_after=True, go_backwards=False, **activations):
    """`gru_step` over x (batch, time, features); returns (outputs (batch, time, H), h)."""
    outputs = []
    for t in _time_steps(x, go_backwards):
        h = gru_step(x[:, t], h, kernel, recurrent_kernel, bias, reset_after, **activations)
        outputs.append(h)
    return np.stack(outputs, axis=1), h
