"""Activation functions with Keras 3 names and defaults, written with nnkit.ops; `get` resolves what a
layer is given (None, name, config dict, callable) and `serialize` gives the name its config stores."""

import nnkit.ops as ops
from nnkit.naming import look_up


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit, with Keras' options: a slope below `threshold` and a ceiling `max_value`."""
    if threshold == 0 and max_value is None:
        return ops.relu(x) if negative_slope == 0 else ops.leaky_relu(x, negative_slope=negative_slope)
    if threshold == 0 and max_value == 6 and negative_slope == 0:
        return ops.relu6(x)
    out = ops.where(ops.greater(x, threshold), x, 0.0) if threshold != 0 else ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, max_value)
    if negative_slope != 0:
        out = ops.subtract(out, ops.multiply(negative_slope, ops.relu(ops.subtract(threshold, x))))
    return out


def relu6(x):
    """ReLU capped at 6."""
    return ops.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    """x for x > 0, `negative_slope * x` otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def sigmoid(x):
    """1 / (1 + exp(-x)); crossentropy losses recognise its output and use the logits instead."""
    return ops.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis`; crossentropy losses recognise its output and use the logits."""
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


def linear(x):
    """The identity (the activation of a layer given none)."""
    return x


def elu(x, alpha=1.0):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled ELU with the self-normalising constants (pair with LecunNormal)."""
    return ops.selu(x)


def softplus(x):
    """log(1 + exp(x)), computed stably."""
    return ops.softplus(x)


def softsign(x):
    """x / (1 + |x|)."""
    return ops.softsign(x)


def silu(x):
    """x * sigmoid(x), also called swish."""
    return ops.silu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit: exact (erf) or the tanh approximation."""
    return ops.gelu(x, approximate=approximate)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3 form: clip(x / 6 + 1/2, 0, 1)."""
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """x * hard_sigmoid(x), also called hard_swish."""
    return ops.hard_silu(x)


def exponential(x):
    """exp(x)."""
    return ops.exp(x)


def mish(x):
    """x * tanh(softplus(x))."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


swish = silu
hard_swish = hard_silu

_FUNCTIONS = (
    relu, relu6, leaky_relu, sigmoid, tanh, softmax, log_softmax, linear, elu, selu, softplus,
    softsign, silu, gelu, hard_sigmoid, hard_silu, exponential, mish,
)
# Names `get` accepts; the aliases map to the same functions, whose own names `serialize` returns.
_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_BY_NAME.update({"swish": silu, "hard_swish": hard_silu})


def _lookup(name):
    """The activation called `name`, or a ValueError suggesting close names."""
    return look_up(_BY_NAME, name, "activation",
                   "None, a callable, a config dict {'class_name': 'function', 'config': name}")

def serialize(activation):
    """The registered name of a built-in activation (what a layer stores in get_config)."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return name
    raise ValueError(
        f"Cannot serialize activation {activation!r}: only the built-in activations have names "
        f"({', '.join(sorted(_BY_NAME))})."
    )


def deserialize(config):
    """The activation named by a string or a Keras 3 config dict {'class_name': 'function', 'config': name}."""
    if isinstance(config, dict):
        name = config.get("config")
        if not isinstance(name, str):
            raise ValueError(f"An activation config needs a function name under 'config'; received {config!r}")
        return _lookup(name)
    return _lookup(config)


def get(identifier):
    """An activation function from None (linear), a name, a config dict or a callable (passed through)."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}")
