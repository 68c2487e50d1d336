"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, RNN(cell), Bidirectional and TimeDistributed."""
from nnkit.layers.rnn.bidirectional import Bidirectional
from nnkit.layers.rnn.gru import GRU, GRUCell
from nnkit.layers.rnn.lstm import LSTM, LSTMCell
from nnkit.layers.rnn.rnn import RNN
from nnkit.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from nnkit.layers.rnn.stacked_rnn_cells import StackedRNNCells
from nnkit.layers.rnn.time_distributed import TimeDistributed

__all__ = ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell",
           "StackedRNNCells", "TimeDistributed"]
