"""An optimizer's state as Keras 3 stores it under `optimizer/vars/N`: iteration, learning rate, EMA
averages, then each parameter's slots side by side (m0, v0, m1, v1, ...), then extra scalars. A
LossScaleOptimizer's come first: its own (unused) iteration and learning rate, step counter and scale, then
its inner optimizer's, which Keras repeats under `optimizer/inner_optimizer/vars/N`."""
import numpy as np

from nnkit.backends import active
from nnkit.optimizers.loss_scale_optimizer import LossScaleOptimizer

# Keras' LossScaleOptimizer keeps an iteration and a learning rate of its own that it never updates; nnkit's
# state has no such entries, so they are written as these values and ignored on reading.
_UNUSED = {"unused iteration": np.zeros((), np.int32), "unused learning_rate": np.zeros((), np.float32)}


def _keras_positions(optimizer, state):
    """(state key, index or None) of each stored array, in Keras' order."""
    if isinstance(optimizer, LossScaleOptimizer):
        own = [(key, None) for key in (*_UNUSED, *optimizer.own_state_keys)]
        return own + _keras_positions(optimizer.inner_optimizer, optimizer.inner_state(state))
    positions = [(key, None) for key in ("iteration", "learning_rate") if key in state]
    positions += [("average", i) for i in range(len(state.get("average", [])))]
    slots = list(optimizer.slot_names)
    count = len(state[slots[0]]) if slots else 0
    positions += [(name, i) for i in range(count) for name in slots]
    listed = {"iteration", "learning_rate", "average", *slots}
    for key in sorted(set(state) - listed):
        value = state[key]
        positions += [(key, i) for i in range(len(value))] if isinstance(value, list) else [(key, None)]
    return positions


def _nnkit_positions(optimizer):
    """(state key, index or None) of each entry of `optimizer.variables`."""
    positions = []
    for key in optimizer._state_keys():
        value = optimizer.state[key]
        positions += [(key, i) for i in range(len(value))] if isinstance(value, list) else [(key, None)]
    return positions


def _lookup(state, key, index):
    return state[key] if index is None else state[key][index]


def _host_arrays(optimizer, state):
    from nnkit.optimizers.optimizer import _backend_of

    def host(key, index):
        if key in _UNUSED:
            return _UNUSED[key]
        value = _lookup(state, key, index)
        return np.asarray(_backend_of(value).to_numpy(value))

    return [host(key, index) for key, index in _keras_positions(optimizer, state)]


def optimizer_arrays(optimizer):
    """The optimizer's state as host arrays in Keras' order ([] before it is built)."""
    if optimizer is None or optimizer.state is None:
        return []
    return _host_arrays(optimizer, optimizer.state)


def optimizer_groups(optimizer):
    """(file group, optimizer name, host arrays) of the optimizer and of the optimizer it wraps, as Keras 3
    writes them: `optimizer` and, for a LossScaleOptimizer, `optimizer/inner_optimizer` ([] before it is built)."""
    if optimizer is None or optimizer.state is None:
        return []
    groups = [("optimizer", optimizer.name, optimizer_arrays(optimizer))]
    if isinstance(optimizer, LossScaleOptimizer):
        inner, inner_state = optimizer.inner_optimizer, optimizer.inner_state(optimizer.state)
        groups.append(("optimizer/inner_optimizer", inner.name, _host_arrays(inner, inner_state)))
    return groups


def restore_optimizer(model, optimizer, arrays, where):
    """Build `optimizer` for the model's trainable weights and load Keras-ordered `arrays` into it; a count
    or shape mismatch is a ValueError naming `where`, and the optimizer is then left as it was."""
    trainable = model.trainable_weights
    backend = model.backend
    previous = (optimizer.state, getattr(optimizer, "_built_for", None))
    with active.using(backend):
        optimizer.build([v.value for v in trainable])
    optimizer._built_for = [v.shape for v in trainable]
    try:
        positions = _keras_positions(optimizer, optimizer.state)
        if len(arrays) != len(positions):
            raise ValueError(f"{where}: the file holds {len(arrays)} optimizer variables, but optimizer "
                             f"'{optimizer.name}' of this model has {len(positions)}.")
        stored = dict(zip(positions, arrays))
        nnkit_positions = _nnkit_positions(optimizer)
        ordered = [stored[position] for position in nnkit_positions]
        for (key, index), value in zip(nnkit_positions, ordered):
            expected = tuple(np.shape(_lookup(optimizer.state, key, index)))
            if tuple(np.shape(value)) != expected:
                raise ValueError(f"{where}: optimizer variable '{key}'{'' if index is None else f'[{index}]'} has "
                                 f"shape {expected} in the model, but shape {tuple(np.shape(value))} in the file.")
        optimizer.set_weights(ordered)
    except BaseException:
        optimizer.state, optimizer._built_for = previous
        raise
