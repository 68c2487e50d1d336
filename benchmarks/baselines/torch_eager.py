"""Baseline: PyTorch eager mode, torch.optim.Adam, torch's default initialisation.

The model is built from the workload's layer list. For training, the final softmax/sigmoid is folded into
torch's fused losses (cross_entropy on logits with class ids, binary_cross_entropy_with_logits) as one
would write it in PyTorch; for predict the activation is applied so the output matches Keras' model.
Images arrive channels_last (NHWC) and are permuted to NCHW on the device, inside the timed epoch loop.
On GPU everything runs on cuda and timing waits with torch.cuda.synchronize().
"""
import importlib.util

from benchmarks.workloads import LEARNING_RATE, LSTM, Conv2D, Dense, Flatten, MaxPool2D

NAME = "torch"
LIBRARY = "torch"


def unavailable(ctx):
    if importlib.util.find_spec("torch") is None:
        return "not installed"
    if ctx.device == "gpu":
        import torch

        if not torch.cuda.is_available():
            return "no CUDA device visible to torch"
    return None


def not_applicable(workload, ctx):
    return None


def _setup(ctx):
    import torch

    torch.set_num_threads(ctx.cores)
    torch.manual_seed(ctx.seed)
    return torch, torch.device("cuda" if ctx.device == "gpu" else "cpu")


def build_model(workload, with_output_activation):
    """An nn.Module for the workload (NCHW images; a LSTM returning its last hidden state)."""
    import torch
    from torch import nn

    class LastHidden(nn.Module):
        def __init__(self, features, units):
            super().__init__()
            self.lstm = nn.LSTM(features, units, batch_first=True)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return h[-1]

    modules = []
    shape = tuple(workload.input_shape)  # channels_last, without the batch
    for index, layer in enumerate(workload.layers):
        last = index == len(workload.layers) - 1
        if isinstance(layer, Conv2D):
            height, width, channels = shape
            modules.append(nn.Conv2d(channels, layer.filters, layer.kernel, padding=layer.padding))
            shape = (height, width, layer.filters)
        elif isinstance(layer, MaxPool2D):
            modules.append(nn.MaxPool2d(layer.pool))
            shape = (shape[0] // layer.pool, shape[1] // layer.pool, shape[2])
        elif isinstance(layer, Flatten):
            modules.append(nn.Flatten())
            shape = (shape[0] * shape[1] * shape[2],)
        elif isinstance(layer, LSTM):
            modules.append(LastHidden(shape[-1], layer.units))
            shape = (layer.units,)
        elif isinstance(layer, Dense):
            modules.append(nn.Linear(shape[-1], layer.units))
            shape = (layer.units,)
        else:
            raise TypeError(layer)
        activation = getattr(layer, "activation", None)
        if activation == "relu":
            modules.append(nn.ReLU())
        elif activation in ("softmax", "sigmoid") and not (last and not with_output_activation):
            modules.append(nn.Softmax(dim=1) if activation == "softmax" else nn.Sigmoid())
        elif activation not in (None, "relu", "softmax", "sigmoid"):
            raise ValueError(activation)
    return torch.nn.Sequential(*modules)


def _loss_fn(workload):
    import torch.nn.functional as F

    if workload.loss == "categorical_crossentropy":
        return F.cross_entropy  # logits + integer class ids
    if workload.loss == "binary_crossentropy":
        return F.binary_cross_entropy_with_logits
    return F.mse_loss


class TrainSession:
    fit_kind = "epoch loop"

    def __init__(self, workload, data, ctx):
        torch, self.device = _setup(ctx)
        self.torch = torch
        self.notes = [f"threads={torch.get_num_threads()}"]
        self.images = len(workload.input_shape) == 3
        self.categorical = workload.loss == "categorical_crossentropy"
        self.model = build_model(workload, with_output_activation=False).to(self.device)
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.loss_fn = _loss_fn(workload)
        self.batch = data.batch
        self.x, self.y = self._to_device(data.x_batch, data.y_batch, data.labels_batch)
        self._cuda = self.device.type == "cuda"

    def _to_device(self, x, y, labels):
        torch = self.torch
        x = torch.from_numpy(x).to(self.device)
        if self.images:
            x = x.permute(0, 3, 1, 2).contiguous()  # NHWC host data -> NCHW
        y = torch.from_numpy(labels).to(self.device) if self.categorical else torch.from_numpy(y).to(self.device)
        return x, y

    def _step(self, x, y):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss

    def step(self):
        return self._step(self.x, self.y)

    def sync(self, handle):
        if self._cuda:
            self.torch.cuda.synchronize()

    def loss(self, handle):
        return float(handle.detach())

    def fit_epoch(self, x, y, labels):
        last = None
        for start in range(0, x.shape[0], self.batch):
            end = start + self.batch
            xb, yb = self._to_device(x[start:end], y[start:end], None if labels is None else labels[start:end])
            last = self._step(xb, yb)
        self.sync(last)


class PredictSession:
    def __init__(self, workload, x1, ctx):
        torch, device = _setup(ctx)
        self.torch = torch
        self.notes = [f"threads={torch.get_num_threads()}", "input converted from NumPy inside each call"]
        model = build_model(workload, with_output_activation=True).to(device)
        model.eval()
        self._cuda = device.type == "cuda"

        def call():
            with torch.no_grad():
                return model(torch.from_numpy(x1).to(device))

        self.calls = {"call": call}

    def sync(self, handle):
        if self._cuda:
            self.torch.cuda.synchronize()


def train_session(workload, data, ctx):
    return TrainSession(workload, data, ctx)


def predict_session(workload, x1, ctx):
    return PredictSession(workload, x1, ctx)
