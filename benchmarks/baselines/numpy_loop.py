"""Baseline: a hand-written NumPy training loop for dense stacks (mlp, wide, predict), CPU only.

Written to be a *fair* target, not a strawman:
- float32 throughout (Python-float scalars keep float32 under NumPy 2's promotion rules);
- every activation, gradient and scratch buffer is preallocated per batch size and written with out=;
- Adam updates the parameters and its moments in place (Keras' formulation, epsilon 1e-7);
- softmax + categorical crossentropy use the fused gradient (probs - onehot) / batch;
- ReLU's backward pass multiplies by the mask in place.
"""
import math

import numpy as np

from benchmarks.initializers import glorot_uniform
from benchmarks.workloads import ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON, LEARNING_RATE, Dense

NAME = "numpy"
LIBRARY = "numpy"


def unavailable(ctx):
    return None  # NumPy is always there


def not_applicable(workload, ctx):
    if ctx.device != "cpu":
        return "CPU only"
    if not workload.numpy_loop or not all(isinstance(layer, Dense) for layer in workload.layers):
        return "dense stacks only"
    return None


class DenseStack:
    """Parameters, Adam state and preallocated buffers of a Dense stack."""

    def __init__(self, sizes, activations, loss, seed=0):
        rng = np.random.default_rng(seed)
        self.activations = activations
        self.loss = loss
        self.params = []
        for fan_in, fan_out in sizes:  # Glorot-uniform kernels, zero biases (Keras' defaults)
            kernel = glorot_uniform(rng, (fan_in, fan_out), fan_in, fan_out)
            self.params += [kernel, np.zeros(fan_out, np.float32)]
        self.grads = [np.empty_like(p) for p in self.params]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self.t = 0
        self._buffers = {}

    def buffers(self, batch):
        """Per-layer outputs and input-gradients for one batch size, allocated once."""
        if batch not in self._buffers:
            outs = [np.empty((batch, self.params[2 * i].shape[1]), np.float32) for i in range(len(self.params) // 2)]
            grads = [np.empty_like(o) for o in outs]
            self._buffers[batch] = (outs, grads)
        return self._buffers[batch]

    # ------------------------------------------------------------------ forward
    def forward(self, x):
        outs, _ = self.buffers(x.shape[0])
        a = x
        for i, out in enumerate(outs):
            np.matmul(a, self.params[2 * i], out=out)
            out += self.params[2 * i + 1]
            act = self.activations[i]
            if act == "relu":
                np.maximum(out, 0.0, out=out)
            elif act == "softmax":
                out -= out.max(axis=1, keepdims=True)
                np.exp(out, out=out)
                out /= out.sum(axis=1, keepdims=True)
            elif act is not None:
                raise ValueError(f"unsupported activation {act!r}")
            a = out
        return a

    # ------------------------------------------------------------------ one training step
    def train_step(self, x, y):
        loss = self.backward(x, y)
        self.adam()
        return loss

    def backward(self, x, y):
        """Forward, loss and gradients (into self.grads); returns the loss."""
        batch = x.shape[0]
        outs, dz = self.buffers(batch)
        probs = self.forward(x)
        last = len(outs) - 1
        if self.loss == "categorical_crossentropy":  # softmax output: fused gradient
            loss = -float(np.sum(y * np.log(np.maximum(probs, 1e-7)))) / batch
            np.subtract(probs, y, out=dz[last])
            dz[last] *= 1.0 / batch
        elif self.loss == "mse":  # linear output
            np.subtract(probs, y, out=dz[last])
            loss = float(np.vdot(dz[last], dz[last])) / dz[last].size
            dz[last] *= 2.0 / dz[last].size
        else:
            raise ValueError(f"unsupported loss {self.loss!r}")
        for i in range(last, -1, -1):
            a_in = x if i == 0 else outs[i - 1]
            np.matmul(a_in.T, dz[i], out=self.grads[2 * i])
            np.sum(dz[i], axis=0, out=self.grads[2 * i + 1])
            if i > 0:
                np.matmul(dz[i], self.params[2 * i].T, out=dz[i - 1])
                if self.activations[i - 1] == "relu":  # outs[i-1] > 0 exactly where relu passed
                    np.multiply(dz[i - 1], outs[i - 1] > 0, out=dz[i - 1])
        return loss

    def adam(self, lr=LEARNING_RATE, b1=ADAM_BETA_1, b2=ADAM_BETA_2, eps=ADAM_EPSILON):
        self.t += 1
        alpha = lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        for p, g, m, v, tmp in zip(self.params, self.grads, self.m, self.v, self.scratch):
            m *= b1  # m = b1 m + (1 - b1) g
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2  # v = b2 v + (1 - b2) g^2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)  # p -= alpha m / (sqrt(v) + eps)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            p -= tmp


def _stack(workload, seed):
    return DenseStack(
        workload.dense_sizes(), [layer.activation for layer in workload.layers], workload.loss, seed=seed
    )


class TrainSession:
    fit_kind = "epoch loop"
    notes = []

    def __init__(self, workload, data, ctx):
        self.model = _stack(workload, ctx.seed)
        self.x, self.y = data.x_batch, data.y_batch
        self.batch = data.batch

    def step(self):
        return self.model.train_step(self.x, self.y)

    def sync(self, handle):
        return None

    def loss(self, handle):
        return float(handle)

    def fit_epoch(self, x, y, labels):
        for start in range(0, x.shape[0], self.batch):
            self.model.train_step(x[start:start + self.batch], y[start:start + self.batch])


class PredictSession:
    notes = []

    def __init__(self, workload, x1, ctx):
        model = _stack(workload, ctx.seed)
        self.calls = {"call": lambda: model.forward(x1)}

    def sync(self, handle):
        return None


def train_session(workload, data, ctx):
    return TrainSession(workload, data, ctx)


def predict_session(workload, x1, ctx):
    return PredictSession(workload, x1, ctx)
