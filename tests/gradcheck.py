"""Gradient checking for nnkit ops: central finite differences in float64 against the backend's autodiff.

Import it from any test (pytest puts ``tests/`` on ``sys.path`` through ``tests/conftest.py``)::

    from gradcheck import check_gradients

    def test_my_loss_gradient(backend):          # the conftest fixture: runs on every backend
        y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
        check_gradients(lambda y_pred: my_loss(y_true, y_pred), np.random.rand(2, 2))

API (everything runs on the *active* backend; use the ``backend`` fixture to activate one). ``fn``
takes the arrays as positional arguments (backend arrays; Tracers on the tape) and returns an array
of any shape, or a tuple/list of arrays, computed with ``nnkit.ops``. Constants (targets, masks,
hyper-parameters) can be closed over or passed as arguments.

``check_gradients(fn, *arrays, rtol=1e-6, atol=1e-8, eps=1e-6, wrt=None, seed=0, jit=False)``
    Outputs are reduced to a scalar by a fixed random projection ``sum_k sum(out_k * W_k)`` (W ~ N(0, 1)
    from ``seed`` and the output's shape), so every output element is exercised. Compares the gradient
    from the active backend's ``value_and_grad`` (NumPy: nnkit's tape; JAX: ``jax.value_and_grad``) with
    central finite differences, all in float64 (JAX's x64 mode is switched on for the call). ``wrt``:
    the positions of the arguments to differentiate (default: every floating-point argument; integer
    and boolean arguments such as labels and masks are constants). ``jit=True`` compiles with the
    backend's ``jit`` (jax.jit; identity on NumPy): worth it for ``lax.scan``, whose eager form
    recompiles on every call. Returns ``(analytic, numeric)``: host float64 arrays, one per ``wrt``.

``check_tape_matches_jax(fn, *arrays, rtol=1e-9, atol=1e-12, wrt=None, seed=0, jit=False)``
    The same projected gradient from nnkit's tape (NumPy backend) and from ``jax.value_and_grad``
    (JAX backend) on identical float64 inputs; skips the test when JAX is not installed.

``check_forward(fn, ref, *arrays, rtol=1e-10, atol=1e-12)``
    ``fn`` on the active backend (float64 inputs) against ``ref(*host_float64_arrays)``, a NumPy
    reference written in the test; also checks the output is an array of the backend, of ref's shape.

``check_float32(fn, *arrays, wrt=None, grad=True)``
    Float32 inputs give float32 outputs, and (with ``grad``, on tape backends) float32 gradients.

``numeric_gradient(...)`` / ``backend_gradient(...)``: the two halves of ``check_gradients`` (each
returns ``(value, [grad per wrt argument])``).

``backend_params(cases, on_jax)`` / ``jax_params(cases, on_jax)``: parametrize a table of cases over the
installed backends (``indirect=["backend"]``), running only the cases ``on_jax`` picks on JAX, whose
per-op compilation makes long sweeps of variants slow.

``to_host(x)``: any backend array / Variable / scalar as a host NumPy array.
``float64_enabled()``: a context manager letting JAX compute in float64 (no-op for NumPy).

Pick inputs away from kinks (relu at 0, abs at 0, ties of max/min, clip bounds): finite differences
straddling a kink disagree with any one-sided derivative. Keep arrays small (FD costs 2 calls per
element).
"""
import contextlib
from typing import Callable, NamedTuple

import numpy as np

from nnkit.backends import active, available_backends, get_backend

__all__ = [
    "backend_gradient",
    "backend_params",
    "check_float32",
    "check_forward",
    "check_gradients",
    "check_tape_matches_jax",
    "float64_enabled",
    "jax_params",
    "numeric_gradient",
    "to_host",
]


@contextlib.contextmanager
def float64_enabled():
    """Let JAX compute in float64 inside the block (NumPy always can)."""
    if "jax" not in available_backends():
        yield
        return
    import jax

    previous = jax.config.read("jax_enable_x64")
    if previous:
        yield
        return
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


def to_host(x):
    """A host NumPy array from a backend array, a Variable, or a Python/NumPy scalar."""
    from nnkit.ops.variable import Variable

    if isinstance(x, Variable):
        return x.numpy()
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__array__") or np.isscalar(x):
        return np.asarray(x)
    return np.asarray(active.backend.to_numpy(x))


def _flatten_outputs(out):
    if isinstance(out, (tuple, list)):
        items = []
        for item in out:
            items.extend(_flatten_outputs(item))
        return items
    return [out]


def _prepare(arrays, wrt):
    host = [np.asarray(a) for a in arrays]
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(host) if a.dtype.kind == "f")
    else:
        wrt = tuple(wrt)
    # Every floating input goes to float64, so the whole check runs in double precision.
    host = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in host]
    for i in wrt:
        if host[i].dtype.kind != "f":
            raise TypeError(f"argument {i} is not floating point and cannot be differentiated")
    return host, wrt


def _projected(fn, seed):
    """objective(*args) = sum_k sum(out_k * W_k) over the outputs of fn, written with nnkit.ops.

    W_k ~ N(0, 1) is drawn on the host from (seed, k) and the output's shape, so it is the same for
    every evaluation (and needs no extra call of fn to learn the shapes).
    """
    import nnkit.ops as ops

    def objective(*args):
        backend = active.backend
        total = None
        for k, o in enumerate(_flatten_outputs(fn(*args))):
            w = np.random.default_rng([seed, k]).standard_normal(tuple(o.shape))
            term = ops.sum(ops.multiply(o, backend.asarray(w.astype(np.dtype(o.dtype)))))
            total = term if total is None else ops.add(total, term)
        return total

    return objective


def numeric_gradient(fn, *arrays, eps=1e-6, wrt=None, seed=0, jit=False):
    """Central finite differences of the projected output of `fn`, on the active backend, in float64.

    With `jit` the projected function is compiled once with the backend's `jit` (identity on NumPy);
    eager is the default (on JAX the per-op compilations are shared between tests, so it is cheaper).
    """
    with float64_enabled():
        backend = active.backend
        host, wrt = _prepare(arrays, wrt)
        objective = _projected(fn, seed)
        if jit:
            objective = backend.jit(objective)

        def evaluate(values):
            return float(to_host(objective(*[backend.asarray(a) for a in values])))

        value = evaluate(host)
        grads = []
        for i in wrt:
            grad = np.zeros(host[i].shape)
            flat = grad.reshape(-1)
            for j in range(host[i].size):
                shifted = [a.copy() if k == i else a for k, a in enumerate(host)]
                base = shifted[i].reshape(-1)
                base[j] = host[i].reshape(-1)[j] + eps
                up = evaluate(shifted)
                base[j] = host[i].reshape(-1)[j] - eps
                down = evaluate(shifted)
                flat[j] = (up - down) / (2 * eps)
            grads.append(grad)
        return value, grads


def _value_and_grad(fn, host, wrt, seed, jit):
    """(value, gradients) of the projected output of `fn` at the host arrays, from the active backend's
    value_and_grad with respect to the arguments at `wrt` (compiled with the backend's jit when `jit`)."""
    backend = active.backend
    objective = _projected(fn, seed)

    def loss(params, *args):
        args = list(args)
        for i, p in zip(wrt, params):
            args[i] = p
        return objective(*args), None

    value_and_grad = backend.value_and_grad(loss)
    if jit:
        value_and_grad = backend.jit(value_and_grad)
    args = [backend.asarray(a) for a in host]
    (value, _), grads = value_and_grad([args[i] for i in wrt], *args)
    return value, grads


def backend_gradient(fn, *arrays, wrt=None, seed=0, jit=False):
    """The gradient of the projected output of `fn` from the active backend's value_and_grad, in float64.

    With `jit` the gradient function is compiled with the backend's `jit` (jax.jit; identity on NumPy),
    as a train step would be; `jit=False` runs it eagerly.
    """
    with float64_enabled():
        host, wrt = _prepare(arrays, wrt)
        value, grads = _value_and_grad(fn, host, wrt, seed, jit)
        grads = [to_host(g) for g in grads]
        for i, g in zip(wrt, grads):
            if g.shape != host[i].shape:
                raise AssertionError(
                    f"gradient of argument {i} has shape {g.shape}, expected {host[i].shape}"
                )
        return float(to_host(value)), [g.astype(np.float64) for g in grads]


def check_gradients(fn, *arrays, rtol=1e-6, atol=1e-8, eps=1e-6, wrt=None, seed=0, jit=False):
    """Assert the active backend's gradient of `fn` equals central finite differences (see module doc)."""
    with float64_enabled():
        value, analytic = backend_gradient(fn, *arrays, wrt=wrt, seed=seed, jit=jit)
        reference, numeric = numeric_gradient(fn, *arrays, eps=eps, wrt=wrt, seed=seed, jit=jit)
    np.testing.assert_allclose(value, reference, rtol=1e-9, atol=1e-12, err_msg="value_and_grad's value")
    _, wrt = _prepare(arrays, wrt)
    for i, a, n in zip(wrt, analytic, numeric):
        if not np.all(np.isfinite(a)):
            raise AssertionError(f"non-finite gradient for argument {i}: {a}")
        np.testing.assert_allclose(
            a, n, rtol=rtol, atol=atol,
            err_msg=f"{active.backend.name} gradient of argument {i} vs central finite differences",
        )
    return analytic, numeric


def check_tape_matches_jax(fn, *arrays, rtol=1e-9, atol=1e-12, wrt=None, seed=0, jit=False):
    """Assert nnkit's tape (NumPy backend) and jax.value_and_grad (JAX backend) agree on `fn`."""
    import pytest

    if "jax" not in available_backends():
        pytest.skip("jax is not installed")
    with active.using(get_backend("numpy")):
        tape_value, tape_grads = backend_gradient(fn, *arrays, wrt=wrt, seed=seed)
    with active.using(get_backend("jax")):
        jax_value, jax_grads = backend_gradient(fn, *arrays, wrt=wrt, seed=seed, jit=jit)
    np.testing.assert_allclose(tape_value, jax_value, rtol=rtol, atol=atol, err_msg="values")
    for k, (t, j) in enumerate(zip(tape_grads, jax_grads)):
        np.testing.assert_allclose(t, j, rtol=rtol, atol=atol, err_msg=f"tape vs jax.grad, gradient {k}")
    return tape_grads, jax_grads


def check_forward(fn, ref, *arrays, rtol=1e-10, atol=1e-12):
    """Assert `fn` on the active backend (float64 inputs, JAX in x64 mode) equals the NumPy `ref`.

    `ref(*host_arrays)` is a float64 reference written with NumPy, independent of nnkit. Tuple/list
    outputs are compared element by element. Returns the host outputs.
    """
    with float64_enabled():
        backend = active.backend
        host = [np.asarray(a) for a in arrays]
        host = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in host]
        got = _flatten_outputs(fn(*[backend.asarray(a) for a in host]))
        want = _flatten_outputs(ref(*[a.copy() for a in host]))
        assert len(got) == len(want), f"{len(got)} outputs, reference has {len(want)}"
        results = []
        for k, (g, w) in enumerate(zip(got, want)):
            # NumPy returns 0-d results as NumPy scalars (np.float32, ...): those count as its arrays.
            on_backend = backend.is_array(g) or (backend.xp is np and isinstance(g, np.generic))
            assert on_backend, f"output {k} is a {type(g).__name__}, not a {backend.name} array"
            g = to_host(g)
            w = np.asarray(w)
            assert g.shape == w.shape, f"output {k}: shape {g.shape}, reference {w.shape}"
            if w.dtype.kind in "biu":
                np.testing.assert_array_equal(g, w, err_msg=f"{backend.name} output {k}")
            else:
                np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"{backend.name} output {k}")
            results.append(g)
        return results


def check_float32(fn, *arrays, wrt=None, grad=True, seed=0, jit=False):
    """Assert float32 inputs give float32 outputs (and float32 gradients) on the active backend.

    Floating inputs are cast to float32 and fed to `fn`; every floating output must be float32. With
    `grad`, the projected output is differentiated with the backend's value_and_grad and each
    gradient must be float32 (and finite).
    """
    backend = active.backend
    host = [np.asarray(a) for a in arrays]
    host = [a.astype(np.float32) if a.dtype.kind == "f" else a for a in host]
    forward = backend.jit(lambda *args: fn(*args)) if jit else fn
    if backend.name == "jax":
        import jax

        # JAX's abstract evaluation gives exactly the dtypes a run would, without compiling every op again
        # in float32 (compilation is what makes JAX tests slow). It is also stricter: it traces.
        forward = lambda *args: jax.eval_shape(fn, *args)  # noqa: E731
    outputs = _flatten_outputs(forward(*[backend.asarray(a) for a in host]))
    for k, o in enumerate(outputs):
        if np.dtype(o.dtype).kind == "f":
            assert np.dtype(o.dtype) == np.float32, f"{backend.name} output {k} is {o.dtype}, not float32"
    # Only nnkit's tape computes gradients with its own VJP rules; JAX makes every cotangent the dtype of
    # its primal, so the gradient half is skipped there.
    if not grad or not backend.uses_tape:
        return
    wrt = tuple(i for i, a in enumerate(host) if a.dtype.kind == "f") if wrt is None else tuple(wrt)
    value, grads = _value_and_grad(fn, host, wrt, seed, jit)
    assert np.dtype(value.dtype) == np.float32, f"{backend.name} loss is {value.dtype}, not float32"
    for i, g in zip(wrt, grads):
        assert np.dtype(g.dtype) == np.float32, f"{backend.name} gradient of argument {i} is {g.dtype}"
        assert np.all(np.isfinite(to_host(g))), f"{backend.name} gradient of argument {i} is not finite"


def backend_params(cases, on_jax=lambda name, case: True):
    """pytest params of (backend name, case) pairs for ``@pytest.mark.parametrize(..., indirect=["backend"])``.

    `cases` maps an id to a case. Every case runs on NumPy (and any other tape backend); `on_jax(name,
    case)` picks the ones that also run on JAX: JAX compiles every new (op, shape, dtype), so long sweeps
    of variants that exercise nnkit's own VJP code (axis/keepdims, broadcast shapes) run on the tape only,
    while a representative of each op runs everywhere.
    """
    import pytest

    params = []
    for name, case in cases.items():
        for backend_name in available_backends():
            if backend_name == "jax" and not on_jax(name, case):
                continue
            params.append(pytest.param(backend_name, case, id=f"{backend_name}-{name}"))
    return params


def jax_params(cases, on_jax=lambda name, case: True):
    """pytest params of the cases `on_jax` selects (for tape-vs-jax tests); none when JAX is missing."""
    import pytest

    return [pytest.param(case, id=name) for name, case in cases.items() if on_jax(name, case)]


class Case(NamedTuple):
    """An op under test: `fn` on backend arrays, `ref` its NumPy float64 reference, the host `inputs`."""
    fn: Callable
    ref: Callable
    inputs: tuple
    grad: bool = True  # False: nothing to differentiate (no gradient checks, float32 check of the output only)
    jax: bool = True  # False: a variant of a sweep that runs on the tape backends only (see backend_params)
    wrt: tuple = None  # arguments to differentiate (default: every floating one)


def conformance_tests(cases):
    """The four checks every op case passes, as test functions for a test module to bind to its names:
    the forward against the float64 reference and float32 in, float32 out, on every backend; gradients
    against central differences on every backend; the tape's gradients against jax.grad."""
    import pytest

    def on_jax(name, case):
        return case.jax

    differentiable = {name: case for name, case in cases.items() if case.grad}

    @pytest.mark.parametrize("backend, case", backend_params(cases, on_jax), indirect=["backend"])
    def test_forward_matches_float64_reference(backend, case):
        check_forward(case.fn, case.ref, *case.inputs)

    @pytest.mark.parametrize("backend, case", backend_params(cases, on_jax), indirect=["backend"])
    def test_float32_stays_float32(backend, case):
        check_float32(case.fn, *case.inputs, grad=case.grad)

    @pytest.mark.parametrize("backend, case", backend_params(differentiable, on_jax), indirect=["backend"])
    def test_gradient_matches_finite_differences(backend, case):
        check_gradients(case.fn, *case.inputs, wrt=case.wrt)

    @pytest.mark.parametrize("case", jax_params(differentiable, on_jax))
    def test_tape_gradient_matches_jax(case):
        check_tape_matches_jax(case.fn, *case.inputs, wrt=case.wrt)

    return (test_forward_matches_float64_reference, test_float32_stays_float32,
            test_gradient_matches_finite_differences, test_tape_gradient_matches_jax)
