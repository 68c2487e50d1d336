"""Threads share nothing nnkit computes with: the tape, the active backend, the call context and the
optimizers' scratch buffers are per thread (or per optimizer), so models trained concurrently end with
exactly the weights of the same fits run one after the other."""
import sys
import threading

import numpy as np
import pytest

import nnkit
import nnkit.ops as ops
from nnkit import layers
from nnkit.backends import active, available_backends, get_backend
from nnkit.layers import call_context
from nnkit.ops import tape

X = np.random.default_rng(0).normal(size=(96, 6)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 96)


def _in_threads(functions):
    """Run the functions in one thread each with a tiny switch interval (threads interleave between most
    ops, as on a loaded machine); re-raise the first error."""
    errors = []

    def guarded(function):
        try:
            function()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(f,)) for f in functions]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def _models(backend_names):
    """One small classifier per backend, each with its own distinct initial weights and optimizer."""
    models = []
    for index, name in enumerate(backend_names):
        model = nnkit.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"),
                                  layers.Dense(3, activation="softmax")])
        model.set_weights([np.linspace(-0.3, 0.3, w.size).reshape(w.shape).astype(w.dtype) + 0.1 * index
                           for w in model.get_weights()])
        model.compile(nnkit.optimizers.Adam(0.01), "sparse_categorical_crossentropy", backend=name)
        models.append(model)
    return models


def _fitted_weights(models, concurrently):
    """Each model's weights after three epochs from its initial weights and a fresh optimizer state."""
    initial = [model.get_weights() for model in models]
    fits = [lambda m=m: m.fit(X, Y, batch_size=4, epochs=3, shuffle=False, verbose=0) for m in models]
    if concurrently:
        _in_threads(fits)
    else:
        for fit in fits:
            fit()
    trained = [model.get_weights() for model in models]
    for model, weights in zip(models, initial):  # back to the start; the compiled steps are kept
        model.set_weights(weights)
        with active.using(model.backend):
            model.optimizer.build([v.value for v in model.trainable_weights])
    return trained


@pytest.mark.parametrize("backend_names", [("numpy", "numpy"), ("numpy", "jax")], ids="+".join)
def test_concurrent_fits_equal_serial_ones(backend_names):
    if not set(backend_names) <= set(available_backends()):
        pytest.skip("needs JAX")
    models = _models(backend_names)
    concurrent = _fitted_weights(models, concurrently=True)  # first: building and compiling run concurrently too
    serial = _fitted_weights(models, concurrently=False)
    for model in models:
        assert all(model.backend.is_array(a) for a in [v.value for v in model.weights] + model.optimizer.variables)
    for name, weights, expected in zip(backend_names, concurrent, serial):
        for weight, reference in zip(weights, expected):
            np.testing.assert_array_equal(weight, reference, err_msg=f"model on {name}")


def _while_other_thread_waits(inside, check):
    """Run `inside(proceed)` in a second thread; `check()` runs here while that thread is inside."""
    entered, release = threading.Event(), threading.Event()
    errors = []

    def other():
        try:
            inside(lambda: (entered.set(), release.wait(5)))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
            entered.set()

    thread = threading.Thread(target=other)
    thread.start()
    assert entered.wait(5)
    try:
        check()
    finally:
        release.set()
        thread.join()
    if errors:
        raise errors[0]


def test_a_recording_tape_in_one_thread_records_nothing_of_another():
    def record(pause):
        def loss(params):
            out = ops.sum(ops.square(params[0]))
            pause()
            return out, None

        (value, _), (grad,) = tape.value_and_grad(loss)([np.arange(3.0)])
        np.testing.assert_allclose(grad, [0.0, 2.0, 4.0])

    def plain_ops_here():
        assert tape.now() is None
        assert type(ops.exp(np.ones(2))) is np.ndarray

    with active.using(get_backend("numpy")):
        _while_other_thread_waits(record, plain_ops_here)


@pytest.mark.skipif("jax" not in available_backends(), reason="needs a second backend")
def test_the_active_backend_is_per_thread():
    jax_backend, numpy_backend = get_backend("jax"), get_backend("numpy")

    def on_jax(pause):
        with active.using(jax_backend):
            pause()
            assert active.backend is jax_backend

    def numpy_here():
        assert active.backend is numpy_backend and active.xp is np
        assert type(ops.ones((2,))) is np.ndarray

    _while_other_thread_waits(on_jax, numpy_here)


def test_a_new_thread_starts_on_the_default_backend():
    seen = []
    with active.using(get_backend("numpy")):
        thread = threading.Thread(target=lambda: seen.append((active.backend, tape.now())))
        thread.start()
        thread.join()
    assert seen == [(get_backend(), None)]


def test_the_call_context_is_per_thread():
    def inside(pause):
        with call_context.CallContext() as context:
            pause()
            assert call_context.current() is context

    def outside_here():
        assert not call_context.inside_call()
        assert call_context.current() is not call_context.current()  # fresh throwaway ones

    _while_other_thread_waits(inside, outside_here)


def test_each_optimizer_owns_its_scratch_buffers():
    """The ufunc Adam kernel's scratch (float16 parameters take it; float32/float64 take the compiled kernel, which
    needs none) belongs to one optimizer."""
    params = [np.ones((4, 4), np.float16)]
    first, second = nnkit.optimizers.Adam(0.1), nnkit.optimizers.Adam(0.1)
    with active.using(get_backend("numpy")):
        for optimizer in (first, second):
            optimizer.update([np.ones((4, 4), np.float16)], optimizer.init(params), [p.copy() for p in params])
    (buffer_1,), (buffer_2,) = first._scratch.values(), second._scratch.values()
    assert not np.shares_memory(buffer_1, buffer_2)
