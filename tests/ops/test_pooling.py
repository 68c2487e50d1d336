"""nnkit.ops.max_pool / average_pool: N-d windows, strides, 'valid' and 'same' padding, both data formats,
against a float64 NumPy reference that visits every window; gradients against finite differences and
jax.grad of lax.reduce_window; ties, 'same'-padding counts and argument errors."""
import itertools

import numpy as np
import pytest

import nnkit.ops as ops
from gradcheck import (Case, backend_gradient, backend_params, check_float32, check_forward, check_gradients,
                       check_tape_matches_jax, jax_params, to_host)
from nnkit.backends import active, get_backend


def distinct(shape, seed):
    """Values at least 0.1 apart, so no window has a tie (finite differences of a max need none)."""
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) * 0.1 - 1.0
    return values.reshape(shape)


# --- the float64 reference: one window at a time, padding as NaN that nanmax/nanmean skip ----------------
def reference_pool(x, pool_size, strides, padding, data_format, reduce):
    rank = x.ndim - 2
    pool_size = (pool_size,) * rank if isinstance(pool_size, int) else tuple(pool_size)
    strides = pool_size if strides is None else (strides,) * rank if isinstance(strides, int) else tuple(strides)
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    sizes = x.shape[1:-1]
    if padding == "same":
        outs = [-(-n // s) for n, s in zip(sizes, strides)]
        totals = [max((o - 1) * s + k - n, 0) for o, s, k, n in zip(outs, strides, pool_size, sizes)]
        widths = [(t // 2, t - t // 2) for t in totals]
    else:
        outs = [(n - k) // s + 1 for n, k, s in zip(sizes, pool_size, strides)]
        widths = [(0, 0)] * rank
    padded = np.pad(x, [(0, 0), *widths, (0, 0)], constant_values=np.nan)
    out = np.empty((x.shape[0], *outs, x.shape[-1]))
    for position in itertools.product(*(range(o) for o in outs)):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(position, strides, pool_size))
        values = padded[(slice(None), *window, slice(None))].reshape(x.shape[0], -1, x.shape[-1])
        out[(slice(None), *position, slice(None))] = reduce(values, axis=1)
    return np.moveaxis(out, -1, 1) if data_format == "channels_first" else out


def pooling_case(kind, shape, pool_size, strides=None, padding="valid", data_format="channels_last", seed=0,
                 jax=False):
    op, reduce = (ops.max_pool, np.nanmax) if kind == "max" else (ops.average_pool, np.nanmean)
    return Case(lambda x: op(x, pool_size, strides, padding, data_format),
                lambda x: reference_pool(x, pool_size, strides, padding, data_format, reduce),
                (distinct(shape, seed),), jax=jax)


CASES = {}
for _kind in ("max", "average"):
    CASES.update({
        f"{_kind}-1d-valid": pooling_case(_kind, (2, 7, 2), 2),
        f"{_kind}-1d-same-overlapping": pooling_case(_kind, (2, 7, 2), 3, 2, "same", seed=1),
        f"{_kind}-2d-same-strided": pooling_case(_kind, (1, 5, 4, 2), 3, 2, "same", seed=2, jax=_kind == "max"),
        f"{_kind}-2d-valid-rectangular": pooling_case(_kind, (1, 5, 6, 2), (2, 3), (1, 2), seed=3),
        f"{_kind}-2d-same-channels-first": pooling_case(_kind, (1, 2, 5, 4), 2, 1, "same", "channels_first", seed=4,
                                                        jax=_kind == "average"),
        f"{_kind}-3d-valid": pooling_case(_kind, (1, 4, 3, 4, 2), 2, seed=5),
        f"{_kind}-3d-same-channels-first": pooling_case(_kind, (1, 2, 3, 3, 3), 2, 2, "same", "channels_first", seed=6),
    })



def _on_jax(name, case):
    return case.jax


@pytest.mark.parametrize("backend, case", backend_params(CASES, _on_jax), indirect=["backend"])
def test_forward_matches_float64_reference(backend, case):
    check_forward(case.fn, case.ref, *case.inputs)


@pytest.mark.parametrize("backend, case", backend_params(CASES, _on_jax), indirect=["backend"])
def test_float32_stays_float32(backend, case):
    check_float32(case.fn, *case.inputs)


@pytest.mark.parametrize("backend, case", backend_params(CASES, _on_jax), indirect=["backend"])
def test_gradient_matches_finite_differences(backend, case):
    # Compiled on JAX: one compilation instead of a dispatch of every op for each finite difference.
    check_gradients(case.fn, *case.inputs, jit=not backend.uses_tape)


@pytest.mark.parametrize("case", jax_params(CASES, _on_jax))
def test_tape_gradient_matches_jax_grad_of_reduce_window(case):
    check_tape_matches_jax(case.fn, *case.inputs, jit=True)


# --- details the sweep does not show on its own ----------------------------------------------------------
def test_same_padding_averages_only_real_elements(backend):
    """A 1-D 'same' window of 3 at the edge holds two real values: their mean, not a third of their sum."""
    x = backend.asarray(np.array([[[3.0], [5.0], [10.0]]]))
    np.testing.assert_allclose(to_host(ops.average_pool(x, 3, 1, "same")).ravel(), [4.0, 6.0, 7.5])


def test_same_padding_output_size_is_ceil_of_size_over_stride(backend):
    x = backend.asarray(np.zeros((1, 7, 5, 1), np.float32))
    assert tuple(ops.max_pool(x, 3, 2, "same").shape) == (1, 4, 3, 1)
    assert tuple(ops.max_pool(x, 3, 2, "valid").shape) == (1, 3, 2, 1)


def test_tied_maximum_sends_the_whole_gradient_to_one_element():
    """NumPy's rule: the first maximum in row-major window order takes each window's gradient."""
    with active.using(get_backend("numpy")):
        x = np.array([[[[1.0], [2.0]], [[2.0], [0.0]]]])
        _, (grad,) = backend_gradient(lambda t: ops.max_pool(t, 2), x)
    # backend_gradient projects the output with a fixed random weight w: the gradient is w at one element.
    assert np.count_nonzero(grad) == 1 and grad[0, 0, 1, 0] != 0


def test_overlapping_windows_accumulate_gradients():
    """Stride 1, window 2: the middle maximum belongs to both windows and gets both gradients."""
    with active.using(get_backend("numpy")):
        import nnkit.backends.xp_pooling as kernels

        x = np.array([[[0.0], [5.0], [1.0]]])
        out = kernels.max_pool(np, x, (2,), (1,), "valid", "channels_last")
        grad = kernels.max_pool_backward(np, x, out, np.array([[[1.0], [2.0]]]), (2,), (1,), "valid", "channels_last")
    np.testing.assert_array_equal(grad.ravel(), [0.0, 3.0, 0.0])


@pytest.mark.parametrize("kind", ["max", "average"])
def test_backward_kernels_agree_between_backends(kind):
    """Backend.max_pool_backward / average_pool_backward (the tape's rules) give one answer everywhere
    (JAX's are jax.vjp of its forward kernels)."""
    pytest.importorskip("jax")
    x = distinct((1, 2, 5, 4), 9)
    window = {"pool_size": (3, 2), "strides": (2, 1), "padding": "same", "data_format": "channels_first"}
    grads = []
    for name in ("numpy", "jax"):
        backend = get_backend(name)
        with active.using(backend):
            t = backend.asarray(x.astype(np.float32))
            out = getattr(backend, f"{kind}_pool")(t, **window)
            g = backend.asarray(np.arange(np.prod(out.shape), dtype=np.float32).reshape(out.shape))
            if kind == "max":
                grads.append(to_host(backend.max_pool_backward(t, out, g, **window)))
            else:
                grads.append(to_host(backend.average_pool_backward(g, t.shape, **window)))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


@pytest.mark.parametrize("arguments, message", [
    ({"pool_size": (2, 2, 2)}, "pool_size must be a positive int or a tuple of 2 positive ints"),
    ({"pool_size": 0}, "pool_size must be a positive int"),
    ({"pool_size": 2, "strides": (1,)}, "strides must be a positive int or a tuple of 2 positive ints"),
    ({"pool_size": 2, "padding": "full"}, "padding must be 'valid' or 'same'"),
    ({"pool_size": 2, "data_format": "NHWC"}, "data_format must be 'channels_last' or 'channels_first'"),
])
def test_bad_arguments_are_value_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        ops.max_pool(np.zeros((1, 4, 4, 1)), **arguments)


def test_input_without_spatial_axes_is_a_value_error():
    with pytest.raises(ValueError, match=r"at least one spatial axis; received an input of shape \(2, 3\)"):
        ops.average_pool(np.zeros((2, 3)), 2)


def test_valid_window_larger_than_the_input_is_a_value_error():
    with pytest.raises(ValueError, match=r"pool_size \(3, 3\) with padding='valid' is larger.*\(1, 1, 2, 4\)"):
        ops.max_pool(np.zeros((1, 1, 2, 4)), 3, data_format="channels_first")
    assert ops.max_pool(np.zeros((1, 1, 2, 4)), 3, padding="same", data_format="channels_first").shape == (1, 1, 1, 2)
