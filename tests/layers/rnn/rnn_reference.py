"""Float64 NumPy references of the recurrent cells and of RNN's time loop (explicit per-step loops), for the
tests of this package."""
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def simple_rnn_step(x, states, kernel, recurrent_kernel, bias):
    h = np.tanh(x @ kernel + bias + states[0] @ recurrent_kernel)
    return h, [h]


def lstm_step(x, states, kernel, recurrent_kernel, bias):
    h, c = states
    z = x @ kernel + h @ recurrent_kernel + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def gru_step(x, states, kernel, recurrent_kernel, bias, reset_after=True):
    h = states[0]
    units = h.shape[-1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
    x_z, x_r, x_h = np.split(x @ kernel + input_bias, 3, axis=-1)
    if reset_after:
        inner = h @ recurrent_kernel + recurrent_bias
        z = sigmoid(x_z + inner[:, :units])
        r = sigmoid(x_r + inner[:, units:2 * units])
        candidate = np.tanh(x_h + r * inner[:, 2 * units:])
    else:
        z = sigmoid(x_z + h @ recurrent_kernel[:, :units])
        r = sigmoid(x_r + h @ recurrent_kernel[:, units:2 * units])
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * units:])
    h = z * h + (1 - z) * candidate
    return h, [h]


def run(step, x, states, mask=None, go_backwards=False, return_sequences=False, zero_output_for_mask=False):
    """Keras' time loop: a masked step keeps the states and repeats the previous output (or zeros)."""
    order = range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])
    outputs = []
    output = np.zeros_like(states[0])
    for t in order:
        new_output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t][:, None]
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
            new_output = np.where(keep, new_output, 0.0 if zero_output_for_mask else states[0])
        output, states = new_output, new_states
        outputs.append(output)
    return (np.stack(outputs, axis=1) if return_sequences else output), states
