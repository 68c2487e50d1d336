"""Checks every layer test needs: gradients of a layer against finite differences, and agreement with Keras 3.

Import it from any test (``tests/`` is on ``sys.path``)::

    from layer_checks import check_layer_gradients, keras_or_skip, matches_keras, one_step_matches_keras

``check_layer_gradients(layer, *inputs, call=None, wrt_inputs=True, **gradcheck_options)``
    The gradient of a (built, float64) layer's output with respect to every floating input and every
    trainable weight, from the active backend, against central finite differences (``gradcheck``).
    ``call(*inputs)`` runs the layer (default ``layer(*inputs)``); pass one to give keywords such as
    ``training=True`` or ``mask=...``. Weights are swapped in with ``Assigned``, so the layer's own
    Variables are left as they were.

``keras_or_skip()``
    Keras 3 on its JAX backend, or a skip of the test when Keras is not installed.

``matches_keras(make_layers, *inputs, rtol=1e-5, atol=1e-6, backend=None)``
    ``make_layers(layers_module)`` returns a list of layers built from ``nnkit.layers`` or
    ``keras.layers`` (the names and arguments are Keras'), stacked in a Sequential model. Both models
    run on ``inputs``; nnkit receives Keras' ``get_weights()``; their outputs must agree. Returns both
    models.

``graph_matches_keras(make_model, *inputs, rtol=1e-5, atol=1e-6, backend=None, where=None)``
    ``make_model(layers_module, model_class)`` builds a functional model (several inputs, layers called
    on several tensors, masks) from ``nnkit.layers``/``nnkit.Model`` and from ``keras.layers``/
    ``keras.Model``; nnkit receives Keras' weights and both outputs must agree (only at the entries
    where the boolean ``where`` is True, when given). Returns both models.

``one_step_matches_keras(make_layers, x, y, loss, backend=None, learning_rate=0.1)``
    The same two models, weights copied from Keras, each take one SGD step with ``train_on_batch``;
    the new weights must agree.
"""
import os

import numpy as np
import pytest

import nnkit
from gradcheck import check_gradients
from nnkit.ops.variable import Assigned


def check_layer_gradients(layer, *inputs, call=None, wrt_inputs=True, **options):
    """Assert the layer's gradients (inputs and trainable weights) equal central finite differences."""
    weights = layer.trainable_weights
    count = len(inputs)
    call = call or (lambda *xs: layer(*xs))

    def run(*args):
        with Assigned(weights, list(args[count:])):
            return call(*args[:count])

    wrt = None if wrt_inputs else range(count, count + len(weights))
    return check_gradients(run, *inputs, *[w.numpy() for w in weights], wrt=wrt, **options)


def keras_or_skip():
    """Keras 3 on its JAX backend (set before the first import), or skip the test."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if not keras.__version__.startswith("3"):
        pytest.skip(f"these checks compare with Keras 3, found Keras {keras.__version__}")
    return keras


def _models(make_layers, x):
    keras = keras_or_skip()
    inputs = x if isinstance(x, (list, tuple)) else [x]
    reference = keras.Sequential(make_layers(keras.layers))
    reference(*[np.asarray(a) for a in inputs])
    model = nnkit.Sequential(make_layers(nnkit.layers))
    model(*inputs)
    model.set_weights(reference.get_weights())
    return model, reference


def matches_keras(make_layers, *inputs, rtol=1e-5, atol=1e-6, backend=None):
    """Assert a Sequential of nnkit layers computes what the same Keras layers compute with the same weights."""
    model, reference = _models(make_layers, inputs if len(inputs) > 1 else inputs[0])
    if backend is not None:
        model.compile(optimizer="sgd", loss="mse", backend=backend)
    expected = np.asarray(reference(*inputs))
    np.testing.assert_allclose(np.asarray(model(*inputs)), expected, rtol=rtol, atol=atol,
                               err_msg="nnkit vs Keras 3 output with the same weights")
    return model, reference


def graph_matches_keras(make_model, *inputs, rtol=1e-5, atol=1e-6, backend=None, where=None):
    """Assert a functional nnkit model computes what the same Keras graph computes with the same weights."""
    keras = keras_or_skip()
    reference = make_model(keras.layers, keras.Model)
    model = make_model(nnkit.layers, nnkit.Model)
    model.set_weights(reference.get_weights())
    if backend is not None:
        model.compile(optimizer="sgd", loss="mse", backend=backend)
    feed = list(inputs) if len(inputs) > 1 else inputs[0]
    expected = np.asarray(reference.predict(feed, verbose=0))
    got = np.asarray(model.predict(feed, verbose=0))
    if where is not None:
        expected, got = expected[where], got[where]
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                               err_msg="nnkit vs Keras 3 graph output with the same weights")
    return model, reference


def one_step_matches_keras(make_layers, x, y, loss, backend=None, learning_rate=0.1, rtol=1e-5, atol=1e-6):
    """Assert one SGD step from the same weights leaves nnkit and Keras with the same weights."""
    keras = keras_or_skip()
    model, reference = _models(make_layers, x)
    reference.compile(optimizer=keras.optimizers.SGD(learning_rate), loss=loss)
    model.compile(optimizer=nnkit.optimizers.SGD(learning_rate), loss=loss, backend=backend)
    reference.train_on_batch(x, y)
    model.train_on_batch(x, y)
    for mine, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol,
                                   err_msg="weights after one SGD step from Keras' weights")
    return model, reference
