"""Connectionist temporal classification (Graves et al. 2006): the negative log-likelihood of a label sequence
summed over every frame alignment, by the forward recursion in log space.

The recursion runs over time through the backend's `scan` (lax.scan on JAX, a loop through the ops on
eager backends, which the tape differentiates); each step is vectorized over the batch and the
extended label sequence (a blank before, between and after the labels).
"""
from nnkit.backends import active
from nnkit.ops.creation import arange, convert_to_tensor, full
from nnkit.ops.math import add, cast, equal, less, logical_and, logical_or, multiply, negative, not_equal, where
from nnkit.ops.nn import log_softmax, take_along_axis
from nnkit.ops.reduction import logsumexp
from nnkit.ops.shape import broadcast_to, concatenate, expand_dims, getitem, reshape, stack, transpose

# log(0) stand-in: finite, so unreachable states give no NaN in the gradients.
_LOG_ZERO = -1e30

__all__ = ["ctc_loss"]


def _shift_right(alpha, by):
    """alpha[:, s - by] at position s, log(0) where s < by."""
    batch = alpha.shape[0]
    return concatenate([full((batch, by), _LOG_ZERO, alpha.dtype), getitem(alpha, (slice(None), slice(0, -by)))],
                       axis=1)


def _extended_labels(target, mask_index):
    """The labels with a blank before, between and after them: shape (batch, 2 * max_length + 1)."""
    batch, length = target.shape
    blanks = full((batch, length), mask_index, target.dtype)
    interleaved = reshape(stack([blanks, target], axis=2), (batch, 2 * length))
    return concatenate([interleaved, full((batch, 1), mask_index, target.dtype)], axis=1)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss of integer `target` (batch, max_label_length), padded after `target_length` labels,
    under logits `output` (batch, frames, classes) of which the first `output_length` frames count;
    `mask_index` is the blank class. As keras.ops.ctc_loss."""
    output = convert_to_tensor(output)
    target = cast(convert_to_tensor(target), "int32")
    target_length = cast(convert_to_tensor(target_length), "int32")
    output_length = cast(convert_to_tensor(output_length), "int32")
    if len(target.shape) != 2 or len(output.shape) != 3 or target.shape[0] != output.shape[0]:
        raise ValueError(
            f"ctc_loss expects target of shape (batch, max_label_length) and output of shape (batch, frames, "
            f"classes); received target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}."
        )
    batch, frames, _ = output.shape
    dtype = output.dtype
    log_probs = log_softmax(output, axis=-1)
    labels = _extended_labels(target, mask_index)
    states = labels.shape[1]
    # emit[b, t, s]: log-probability of extended label s at frame t.
    emit = take_along_axis(log_probs, broadcast_to(expand_dims(labels, 1), (batch, frames, states)), axis=-1)
    position = arange(states, dtype="int32")
    # A label state may be entered from two states back when it differs from the label before it.
    previous_label = concatenate([full((batch, 2), mask_index, "int32"), getitem(labels, (slice(None), slice(0, -2)))],
                                 axis=1)
    can_skip = logical_and(not_equal(labels, mask_index), not_equal(labels, previous_label))
    skip_penalty = cast(where(can_skip, 0.0, _LOG_ZERO), dtype)
    start = where(less(position, 2), getitem(emit, (slice(None), 0)), _LOG_ZERO)

    def step(alpha, inputs):
        emit_t, frame = inputs
        paths = stack([alpha, _shift_right(alpha, 1), add(_shift_right(alpha, 2), skip_penalty)], axis=0)
        advanced = add(logsumexp(paths, axis=0), emit_t)
        running = expand_dims(less(frame, output_length), -1)
        return where(running, advanced, alpha), None

    alpha = cast(start, dtype)
    if frames > 1:
        rest = transpose(getitem(emit, (slice(None), slice(1, None))), (1, 0, 2))
        alpha, _ = active.backend.scan(step, alpha, (rest, arange(1, frames, dtype="int32")))
    last = multiply(expand_dims(target_length, -1), 2)
    is_end = logical_or(equal(position, last), equal(position, add(last, -1)))
    return negative(logsumexp(where(is_end, alpha, _LOG_ZERO), axis=-1))
