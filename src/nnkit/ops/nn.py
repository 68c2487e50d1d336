"""Neural-network primitives: activations, softmax, crossentropies, one-hot, gathers and dropout.

The crossentropies follow Keras: given probabilities they clip to [eps, 1 - eps]; given logits they
use the stable closed forms. Probabilities that come straight from a softmax or sigmoid are traced
back to their logits (on the tape, or through the tracing backend's record of what made an array) and
one fused op computes the same clipped formula and its gradient in a single pass, so every backend
and path gives Keras' numbers.
"""
from nnkit.backends import active
from nnkit.config import epsilon
from nnkit.ops import tape
from nnkit.ops.math import abs as absolute
from nnkit.ops.math import add, cast, clip, divide, erf, log, multiply, square, subtract, tanh, where
from nnkit.ops.primitive import primitive
from nnkit.ops.reduction import mean as reduce_mean
from nnkit.ops.reduction import sum as reduce_sum
from nnkit.ops.shape import squeeze


# --- activations -----------------------------------------------------------------------------------
@primitive
def relu(xp, x):
    return xp.maximum(x, 0)


relu.defvjp(lambda xp, g, out, x: g * (out > 0), everywhere=True)


@primitive
def relu6(xp, x):
    return xp.clip(x, 0, 6)


relu6.defvjp(lambda xp, g, out, x: g * ((x > 0) & (x < 6)))


@primitive
def sigmoid(xp, x):
    return 0.5 * xp.tanh(0.5 * x) + 0.5


sigmoid.defvjp(lambda xp, g, out, x: g * out * (1 - out), everywhere=True)


@primitive
def softplus(xp, x):
    return xp.logaddexp(x, 0)


softplus.defvjp(lambda xp, g, out, x: g * (0.5 * xp.tanh(0.5 * x) + 0.5))


@primitive
def elu(xp, x, alpha=1.0):
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


elu.defvjp(lambda xp, g, out, x, alpha=1.0: g * xp.where(x > 0, 1, out + alpha))


@primitive
def leaky_relu(xp, x, negative_slope=0.2):
    return xp.where(x > 0, x, negative_slope * x)


leaky_relu.defvjp(lambda xp, g, out, x, negative_slope=0.2: xp.where(x > 0, g, negative_slope * g))

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def selu(x):
    """Scaled ELU with the self-normalising constants."""
    return multiply(elu(x, alpha=_SELU_ALPHA), _SELU_SCALE)


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    return multiply(x, sigmoid(x))


def gelu(x, approximate=False):
    """Gaussian error linear unit: exact with erf, or the tanh approximation."""
    if approximate:
        inner = multiply(add(x, multiply(0.044715, x * x * x)), 0.7978845608028654)
        return multiply(multiply(0.5, x), add(1.0, tanh(inner)))
    return multiply(multiply(0.5, x), add(1.0, erf(multiply(x, 0.7071067811865476))))


def softsign(x):
    """x / (1 + |x|)."""
    return divide(x, add(1.0, absolute(x)))


def hard_sigmoid(x):
    """Piecewise-linear sigmoid: clip(x / 6 + 1/2, 0, 1) (Keras 3's definition)."""
    return clip(add(multiply(x, 1.0 / 6.0), 0.5), 0.0, 1.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    return multiply(x, hard_sigmoid(x))


# --- softmax family ----------------------------------------------------------------------------------
@primitive
def softmax(xp, x, axis=-1):
    shifted = xp.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


softmax.defvjp(lambda xp, g, out, x, axis=-1: out * (g - xp.sum(g * out, axis=axis, keepdims=True)), everywhere=True)


@primitive
def log_softmax(xp, x, axis=-1):
    shifted = x - xp.max(x, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


log_softmax.defvjp(lambda xp, g, out, x, axis=-1: g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),
                   everywhere=True)


@primitive
def softmax_cross_entropy(xp, target, logits, axis=-1):
    """-sum(target * log_softmax(logits)) over `axis`, in one stable pass."""
    shifted = logits - xp.max(logits, axis=axis, keepdims=True)
    log_probs = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
    return -xp.sum(target * log_probs, axis=axis)


def _softmax_ce_grad_logits(xp, g, out, target, logits, axis=-1):
    probs = softmax.forward(xp, logits, axis=axis)
    g = xp.expand_dims(g, axis)
    return g * (probs * xp.sum(target, axis=axis, keepdims=True) - target)


softmax_cross_entropy.defvjp(
    lambda xp, g, out, target, logits, axis=-1: -xp.expand_dims(g, axis) * log_softmax.forward(xp, logits, axis=axis),
    _softmax_ce_grad_logits,
    everywhere=True,
)


@primitive
def sigmoid_cross_entropy(xp, target, logits):
    """Elementwise binary crossentropy of `target` against sigmoid(logits), stable for any logit."""
    return xp.logaddexp(logits, 0) - logits * target


sigmoid_cross_entropy.defvjp(
    lambda xp, g, out, target, logits: -g * logits,
    lambda xp, g, out, target, logits: g * (sigmoid.forward(xp, logits) - target),
    everywhere=True,
)


@primitive
def sparse_softmax_cross_entropy(xp, labels, logits, axis=-1):
    """-log_softmax(logits)[label] with integer labels along `axis`."""
    log_probs = log_softmax.forward(xp, logits, axis=axis)
    picked = xp.take_along_axis(log_probs, xp.expand_dims(labels, axis), axis=axis)
    return -xp.squeeze(picked, axis=axis)


def _sparse_ce_grad_logits(xp, g, out, labels, logits, axis=-1):
    probs = softmax.forward(xp, logits, axis=axis)
    hot = _one_hot(xp, labels, logits.shape[axis], probs.dtype, axis)
    return xp.expand_dims(g, axis) * (probs - hot)


sparse_softmax_cross_entropy.defvjp(None, _sparse_ce_grad_logits, everywhere=True)


def _live(xp, probs):
    """1 where a probability lies inside the clipping range (so its log has a gradient), else 0."""
    eps = epsilon()
    return (probs >= eps) & (probs <= 1.0 - eps)


@primitive
def softmax_probability_cross_entropy(xp, target, logits, axis=-1):
    """-sum(target * log(clip(softmax(logits), eps, 1 - eps))): Keras' crossentropy on probabilities."""
    eps = epsilon()
    probs = softmax.forward(xp, logits, axis=axis)
    return -(target * xp.log(xp.clip(probs, eps, 1.0 - eps))).sum(axis=axis)


def _softmax_probability_ce_grad(xp, g, out, target, logits, axis=-1):
    probs = softmax.forward(xp, logits, axis=axis)
    live = target * _live(xp, probs)
    return xp.expand_dims(g, axis) * (probs * live.sum(axis=axis, keepdims=True) - live)


softmax_probability_cross_entropy.defvjp(None, _softmax_probability_ce_grad, everywhere=True)


@primitive
def sparse_softmax_probability_cross_entropy(xp, labels, logits, axis=-1):
    """-log(clip(softmax(logits)[label], eps, 1 - eps)) with integer labels along `axis`."""
    eps = epsilon()
    probs = softmax.forward(xp, logits, axis=axis)
    hot = _one_hot(xp, labels, logits.shape[axis], probs.dtype, axis)
    return -(hot * xp.log(xp.clip(probs, eps, 1.0 - eps))).sum(axis=axis)


def _sparse_softmax_probability_ce_grad(xp, g, out, labels, logits, axis=-1):
    probs = softmax.forward(xp, logits, axis=axis)
    live = _one_hot(xp, labels, logits.shape[axis], probs.dtype, axis) * _live(xp, probs)
    return xp.expand_dims(g, axis) * (probs * live.sum(axis=axis, keepdims=True) - live)


sparse_softmax_probability_cross_entropy.defvjp(None, _sparse_softmax_probability_ce_grad, everywhere=True)


@primitive
def sigmoid_probability_cross_entropy(xp, target, logits):
    """Elementwise -(t log c + (1 - t) log(1 - c)) with c = clip(sigmoid(logits), eps, 1 - eps)."""
    eps = epsilon()
    clipped = xp.clip(sigmoid.forward(xp, logits), eps, 1.0 - eps)
    return -(target * xp.log(clipped) + (1 - target) * xp.log(1 - clipped))


def _sigmoid_probability_ce_grad(xp, g, out, target, logits):
    probs = sigmoid.forward(xp, logits)
    return g * _live(xp, probs) * (probs - target)


sigmoid_probability_cross_entropy.defvjp(None, _sigmoid_probability_ce_grad, everywhere=True)


def _logits_behind(output, producer, axis=None):
    """The logits a softmax/sigmoid made `output` from (recorded on the tape, or remembered by a tracing
    backend), or None."""
    if type(output) is tape.Tracer:
        made = None if output.parents is None else (output.prim, [output.parents[0][1]], output.kwargs)
    else:
        made = active.backend.made_by(output)
    if made is None or made[0] is not producer:
        return None
    made_with = made[2]
    if axis is not None and made_with.get("axis", -1) % output.ndim != axis % output.ndim:
        return None
    return made[1][0]


def _normalized_and_clipped(probabilities, axis):
    """Keras' treatment of probabilities before the log: rescaled to sum to 1 over `axis`, then clipped
    to [epsilon, 1 - epsilon]."""
    probabilities = divide(probabilities, reduce_sum(probabilities, axis=axis, keepdims=True))
    return clip(probabilities, epsilon(), 1.0 - epsilon())


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot (or soft) targets and probabilities or logits, over `axis`."""
    if from_logits:
        return softmax_cross_entropy(target, output, axis=axis)
    logits = _logits_behind(output, softmax, axis)
    if logits is not None:
        return softmax_probability_cross_entropy(target, logits, axis=axis)
    return -reduce_sum(multiply(target, log(_normalized_and_clipped(output, axis))), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between integer class labels and probabilities or logits."""
    target = cast(target, "int32")
    if from_logits:
        return sparse_softmax_cross_entropy(target, output, axis=axis)
    logits = _logits_behind(output, softmax, axis)
    if logits is not None:
        return sparse_softmax_probability_cross_entropy(target, logits, axis=axis)
    hot = one_hot(target, output.shape[axis], dtype=output.dtype, axis=axis)
    return -reduce_sum(multiply(hot, log(_normalized_and_clipped(output, axis))), axis=axis)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary crossentropy against probabilities or logits."""
    if from_logits:
        return sigmoid_cross_entropy(target, output)
    logits = _logits_behind(output, sigmoid)
    if logits is not None:
        return sigmoid_probability_cross_entropy(target, logits)
    output = clip(output, epsilon(), 1.0 - epsilon())
    positive = multiply(target, log(output))
    negative = multiply(subtract(1.0, target), log(subtract(1.0, output)))
    return -add(positive, negative)


# --- indices and gathers ------------------------------------------------------------------------------
def _one_hot(xp, indices, num_classes, dtype, axis=-1):
    hot = (xp.expand_dims(indices, -1) == xp.arange(num_classes)).astype(dtype)
    return hot if axis in (-1, indices.ndim) else xp.moveaxis(hot, -1, axis)


@primitive
def one_hot(xp, indices, num_classes, dtype="float32", axis=-1):
    return _one_hot(xp, xp.asarray(indices), num_classes, dtype, axis)


@primitive
def take(xp, x, indices, axis=0):
    return xp.take(x, indices, axis=axis)


def _take_vjp(xp, g, out, x, indices, axis=0):
    """Scatter-add g's slices back to the rows they were taken from, all at once (index_add), with the taken
    axis moved to the front; index_add returns the sum (a new array on backends with immutable arrays)."""
    indices = xp.asarray(indices)  # a list of ints is valid for the forward
    axis = axis % x.ndim  # a negative axis would pick the wrong axes of g below
    rest = x.shape[:axis] + x.shape[axis + 1:]
    g = xp.moveaxis(g, list(range(axis, axis + indices.ndim)), list(range(indices.ndim)))
    grad = active.backend.index_add(xp.zeros((x.shape[axis],) + rest, dtype=g.dtype), indices.reshape(-1),
                                    g.reshape((-1,) + rest))
    return xp.moveaxis(grad, 0, axis)


take.defvjp(_take_vjp, None)


@primitive
def take_along_axis(xp, x, indices, axis):
    return xp.take_along_axis(x, indices, axis=axis)


def _take_along_axis_vjp(xp, g, out, x, indices, axis):
    axis = axis % x.ndim
    # The forward broadcasts indices against x on the other axes: index with g's (the output's) shape.
    grid = list(xp.indices(g.shape, sparse=True))
    grid[axis] = xp.broadcast_to(indices, g.shape)
    return active.backend.index_add(xp.zeros(x.shape, dtype=g.dtype), tuple(grid), g)


take_along_axis.defvjp(_take_along_axis_vjp, None)


def dropout(x, rate, key, noise_shape=None):
    """Zero each element with probability `rate` and scale the rest by 1 / (1 - rate)."""
    if rate <= 0:
        return x
    shape = tuple(noise_shape) if noise_shape is not None else tuple(x.shape)
    keep = active.backend.uniform(key, shape, x.dtype) >= rate
    return where(keep, divide(x, 1.0 - rate), 0.0)


def moments(x, axes, keepdims=False):
    """Mean and (population) variance over `axes`."""
    mean = reduce_mean(x, axis=axes, keepdims=True)
    variance = reduce_mean(square(subtract(x, mean)), axis=axes, keepdims=True)
    if not keepdims:
        mean, variance = squeeze(mean, axis=axes), squeeze(variance, axis=axes)
    return mean, variance

