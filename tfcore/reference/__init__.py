"""NumPy references: each layer's forward pass written again in plain NumPy.

They are the oracles the tests compare the TensorFlow layers with, and a
second, framework-free reading of each formula: no graph, no session, no
gradient machinery, just arrays. Each function's docstring holds its equations.

    dense.py        dense
    batch_norm.py   batch_norm_training, batch_norm_inference, moving_average
    dropout.py      dropout
    recurrent.py    sigmoid, lstm_step, lstm, gru_step, gru
    losses.py       log_softmax, softmax_cross_entropy
"""

from tfcore.reference.batch_norm import batch_norm_inference, batch_norm_training, moving_average
from tfcore.reference.dense import dense
from tfcore.reference.dropout import dropout
from tfcore.reference.losses import log_softmax, softmax_cross_entropy
from tfcore.reference.recurrent import gru, gru_step, lstm, lstm_step, sigmoid
