"""value_and_grad and grad on every backend, in jax.value_and_grad's shape: nnkit's tape on NumPy/CuPy,
JAX's own transform on JAX, so hand-written loops and custom train steps take gradients one way everywhere.

Two ways to name what is differentiated (argument `argnums` of the call):
- arrays (a list, tuple or dict of them), as in JAX: the function is pure in them. This is the stateless
  form of Keras 3's JAX guide: `value_and_grad(self.compute_loss_and_updates, has_aux=True)(trainable_values,
  ...)` around `self.stateless_call`; jit-safe.
- Variables (a list, tuple or dict of them): the function gets the Variables themselves and may use them
  statefully, `y_pred = model(x, training=True)`; their values are traced for the duration of the call.
  Variables that the function assigns (a BatchNormalization's moving statistics, a metric updated in
  `compute_loss`) keep the values it gave them, as in an eager run. This is the stateful form (Keras'
  TensorFlow/PyTorch guides: GradientTape, `loss.backward()`); on JAX it runs eagerly, op by op, not jitted.
"""
from nnkit.backends import active
from nnkit.ops.variable import AssignmentLog, Assigned, Variable
from nnkit.tree import map_structure


def value_and_grad(fn, argnums=0, has_aux=False):
    """A function taking `fn`'s arguments and returning (fn's value, gradients of its scalar loss with respect
    to argument `argnums`, in that argument's structure); with has_aux, fn returns (loss, aux) and the value
    is (loss, aux). Variables are differentiated on the backend they live on; arrays on the active backend
    (the compiled one inside fit() and custom steps; `with nnkit.backends.active.using(b)` elsewhere)."""
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise TypeError(f"value_and_grad(argnums=...) must be the position of one argument, received {argnums!r}.")

    def wrapped(*args, **kwargs):
        if not -len(args) <= argnums < len(args):
            raise ValueError(f"value_and_grad(argnums={argnums}): the function was called with {len(args)} "
                             f"positional argument(s).")
        target = args[argnums]
        leaves = _leaves(target)
        stateful = _check_leaves(leaves)
        backend = leaves[0].backend if stateful else active.now().backend
        assigned = []

        def loss_and_aux(values):
            if stateful:
                with AssignmentLog() as log, Assigned(leaves, values):
                    result = fn(*args, **kwargs)
                assigned.extend(log.variables.values())
            else:
                call_args = list(args)
                call_args[argnums] = _rebuild(target, values)
                result = fn(*call_args, **kwargs)
            loss, aux = _split(result, has_aux)
            return loss, (aux, [v._value for v in assigned])

        with active.using(backend):
            initial = [leaf._value for leaf in leaves] if stateful else list(leaves)
            (loss, (aux, new_values)), grads = backend.value_and_grad(loss_and_aux)(initial)
        for variable, value in zip(assigned, new_values):
            variable._value = value
        grads = _rebuild(target, grads)
        return ((loss, aux) if has_aux else loss), grads

    return wrapped


def grad(fn, argnums=0, has_aux=False):
    """Like value_and_grad, returning only the gradients (with has_aux: (gradients, aux)), as jax.grad does."""
    value_and_gradients = value_and_grad(fn, argnums, has_aux)

    def wrapped(*args, **kwargs):
        value, grads = value_and_gradients(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapped


def _split(result, has_aux):
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ValueError("value_and_grad(has_aux=True): the function must return a (loss, aux) pair, received "
                         f"{type(result).__name__}.")
    return result[0], result[1]


def _leaves(tree):
    """The arrays or Variables of a list, tuple or dict (nested), in order."""
    leaves = []
    map_structure(leaves.append, tree)
    return leaves


def _rebuild(tree, values):
    """`tree` with its leaves replaced, in order, by `values`."""
    remaining = iter(values)
    return map_structure(lambda _: next(remaining), tree)


def _check_leaves(leaves):
    """Whether the differentiated argument holds Variables (True) or arrays (False); not both, not nothing."""
    if not leaves:
        raise ValueError("value_and_grad: the differentiated argument holds no arrays or Variables.")
    kinds = {isinstance(leaf, Variable) for leaf in leaves}
    if len(kinds) > 1:
        raise TypeError("value_and_grad: the differentiated argument mixes Variables and arrays; pass either "
                        "Variables (e.g. model.trainable_variables) or their values.")
    return kinds.pop()
