"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells, RNN(cell), Bidirectional and TimeDistributed."""
__all__ = []
