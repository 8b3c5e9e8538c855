"""Recurrent layers, split along Sonnet's seam: the cells, and what runs them over time.

    cells.py     one time step: RecurrentCell (the options and weights every cell
                 shares), LSTMCell, GRUCell, each with its equations and its
                 hand-written backward step directly above `forward`
    sequence.py  the time loop (unroll, while, BlockLSTM), the stateful protocol,
                 masks and dropout: RecurrentLayer, and the layers RNN (any cell),
                 LSTM and GRU

SimpleRNNCell and SimpleRNN (tfcore/layers/keras/simple_rnn.py) are built on the
same two base classes. Import the layers from `tfcore.layers` (or from here).
"""

from tfcore.layers.recurrent.cells import GRUCell, LSTMCell, RecurrentCell, constructor_arguments
from tfcore.layers.recurrent.sequence import (GRU, IMPLEMENTATIONS, LSTM, RESET_STATES_COLLECTION,
                                              RNN, RecurrentLayer, reset_all_states,
                                              reset_states_ops)

__all__ = ["GRU", "GRUCell", "IMPLEMENTATIONS", "LSTM", "LSTMCell", "RESET_STATES_COLLECTION",
           "RNN", "RecurrentCell", "RecurrentLayer", "constructor_arguments",
           "reset_all_states", "reset_states_ops"]
