"""ops.conv / conv_transpose / depthwise_conv / separable_conv: every variant (1-3 spatial axes, strides,
dilation, valid/same/causal padding, groups, channels_first, output_padding) against the loop references of
tests/conv_reference.py, gradients against central differences, nnkit's tape against jax.grad; the backend
kernels on their own; and the errors a caller meets."""
import numpy as np
import pytest

import conv_reference as ref
from gradcheck import Case, backend_params, check_forward, check_gradients, conformance_tests
from nnkit import config, ops
from nnkit.backends import available_backends, get_backend

RNG = np.random.default_rng(7)


def _normal(*shape):
    return RNG.standard_normal(shape)


def _conv_case(x_shape, kernel_shape, jax=False, **options):
    channels_first = options.get("data_format") == "channels_first"
    reference_options = {k: v for k, v in options.items() if k != "data_format"}
    return Case(lambda x, k: ops.conv(x, k, **options),
                lambda x, k: ref.conv(x, k, channels_first=channels_first, **reference_options),
                (_normal(*x_shape), _normal(*kernel_shape)), jax=jax)


def _transpose_case(x_shape, kernel_shape, jax=False, **options):
    return Case(lambda x, k: ops.conv_transpose(x, k, **options), lambda x, k: ref.conv_transpose(x, k, **options),
                (_normal(*x_shape), _normal(*kernel_shape)), jax=jax)


CASES = {
    "conv1d-valid": _conv_case((2, 6, 3), (3, 3, 2)),
    "conv1d-same-stride2": _conv_case((2, 7, 2), (4, 2, 3), strides=2, padding="same"),
    "conv1d-causal-dilation2": _conv_case((2, 7, 2), (3, 2, 2), padding="causal", dilation_rate=2),
    "conv2d-same-stride2": _conv_case((2, 5, 6, 2), (3, 3, 2, 3), strides=2, padding="same"),
    "conv2d-valid-dilation2": _conv_case((1, 6, 5, 2), (2, 2, 2, 2), dilation_rate=(2, 1)),
    "conv2d-valid-strides-3-1": _conv_case((2, 7, 4, 1), (2, 3, 1, 2), strides=(3, 1)),
    "conv2d-groups2": _conv_case((2, 4, 4, 4), (2, 2, 2, 4), padding="same", jax=True),
    "conv2d-channels-first": _conv_case((2, 3, 5, 4), (3, 2, 3, 2), strides=(1, 2), padding="same",
                                        data_format="channels_first"),
    "conv3d-same": _conv_case((1, 3, 4, 3, 2), (2, 3, 2, 2, 2), padding="same"),
    "depthwise2d-multiplier2": Case(
        lambda x, k: ops.depthwise_conv(x, k, strides=2, padding="same"),
        lambda x, k: ref.depthwise_conv(x, k, strides=2, padding="same"),
        (_normal(2, 5, 5, 3), _normal(3, 3, 3, 2)), jax=False),
    "separable2d": Case(
        lambda x, d, p: ops.separable_conv(x, d, p, padding="same", dilation_rate=2),
        lambda x, d, p: ref.conv(ref.depthwise_conv(x, d, padding="same", dilation_rate=2), p),
        (_normal(1, 5, 4, 2), _normal(2, 2, 2, 2), _normal(1, 1, 4, 3)), jax=False),
    "transpose1d-valid": _transpose_case((2, 4, 3), (3, 2, 3)),
    "transpose1d-same-stride3-dilated": _transpose_case((2, 3, 2), (2, 3, 2), padding="same", dilation_rate=2),
    "transpose2d-same-stride2": _transpose_case((2, 3, 3, 2), (3, 3, 3, 2), strides=2, padding="same", jax=True),
    "transpose2d-valid-output-padding": _transpose_case((1, 3, 2, 2), (3, 2, 2, 2), strides=(2, 3),
                                                        output_padding=(1, 2)),
    "transpose2d-same-output-padding": _transpose_case((1, 3, 3, 2), (4, 3, 2, 2), strides=(3, 2),
                                                       padding="same", output_padding=(2, 0)),
    "transpose3d-valid-stride2": _transpose_case((1, 2, 3, 2, 2), (2, 2, 3, 2, 2), strides=2),
}

test_forward_matches_float64_reference, test_float32_stays_float32, _, test_tape_gradient_matches_jax = \
    conformance_tests(CASES)


@pytest.mark.parametrize("backend, case", backend_params(CASES, lambda name, case: case.jax), indirect=["backend"])
def test_gradient_matches_finite_differences(backend, case):
    """Compiled once on JAX: the hundreds of evaluations of finite differences would each dispatch op by op."""
    check_gradients(case.fn, *case.inputs, jit=not backend.uses_tape)


def test_channels_first_transposed_convolution_equals_channels_last(float64):
    x, kernel = _normal(2, 3, 4, 2), _normal(3, 3, 5, 2)
    options = dict(strides=2, padding="same")
    check_forward(lambda a, k: ops.conv_transpose(a, k, data_format="channels_first", **options),
                  lambda a, k: np.moveaxis(ref.conv_transpose(np.moveaxis(a, 1, -1), k, **options), -1, 1),
                  np.moveaxis(x, -1, 1), kernel)


@pytest.fixture
def channels_first_configured():
    previous = config.image_data_format()
    config.set_image_data_format("channels_first")
    yield
    config.set_image_data_format(previous)


def test_data_format_none_is_the_configured_image_data_format(float64, channels_first_configured):
    x, kernel = np.moveaxis(_normal(2, 5, 4, 3), -1, 1), _normal(3, 2, 3, 4)
    np.testing.assert_allclose(np.asarray(ops.conv(x, kernel)),
                               np.asarray(ops.conv(x, kernel, data_format="channels_first")), rtol=1e-12)
    assert tuple(ops.depthwise_conv(x, _normal(3, 2, 3, 2)).shape) == (2, 6, 3, 3)


# --- the backend kernels: gradients are adjoints of the forward -------------------------------------------
@pytest.mark.parametrize("name", available_backends())
def test_backend_gradient_kernels_are_adjoints_of_conv(name):
    """<conv(x, k), g> = <x, input_grad(g, k)> = <k, kernel_grad(x, g)>, with strides, dilation, groups and a
    negative (cropping) padding."""
    backend = get_backend(name)
    geometry = dict(strides=(2, 1), padding=((1, -1), (2, 1)), dilation=(1, 2), groups=2)
    x, kernel = _normal(2, 7, 5, 4).astype(np.float32), _normal(2, 2, 2, 6).astype(np.float32)
    out = np.asarray(backend.conv(backend.asarray(x), backend.asarray(kernel), **geometry))
    assert out.shape == (2, 3, 6, 6)
    g = _normal(*out.shape).astype(np.float32)
    dx = np.asarray(backend.conv_input_grad(backend.asarray(g), backend.asarray(kernel), x.shape, **geometry))
    dk = np.asarray(backend.conv_kernel_grad(backend.asarray(x), backend.asarray(g), kernel.shape, **geometry))
    assert dx.shape == x.shape and dk.shape == kernel.shape
    inner = np.sum(out.astype(np.float64) * g)
    assert np.sum(x.astype(np.float64) * dx) == pytest.approx(inner, rel=1e-4)
    assert np.sum(kernel.astype(np.float64) * dk) == pytest.approx(inner, rel=1e-4)


# --- errors --------------------------------------------------------------------------------------------------
def test_unknown_padding_is_named():
    with pytest.raises(ValueError, match=r"padding.*'valid', 'same', 'causal'.*'full'"):
        ops.conv(np.ones((1, 4, 4, 1)), np.ones((2, 2, 1, 1)), padding="full")


def test_causal_padding_is_not_a_transposed_padding():
    message = r"conv_transpose: padding must be 'valid' or 'same', received padding='causal'"
    with pytest.raises(ValueError, match=message):
        ops.conv_transpose(np.ones((1, 4, 1)), np.ones((2, 1, 1)), padding="causal")


def test_channels_that_do_not_split_into_groups():
    with pytest.raises(ValueError, match=r"5 channels.*kernel's 2 input channels"):
        ops.conv(np.ones((1, 4, 4, 5)), np.ones((2, 2, 2, 4)))


def test_input_of_the_wrong_rank_for_the_kernel():
    with pytest.raises(ValueError, match=r"rank 4, received shape \(1, 4, 3\)"):
        ops.conv(np.ones((1, 4, 3)), np.ones((2, 2, 3, 1)))


def test_input_smaller_than_the_kernel():
    with pytest.raises(ValueError, match=r"spatial shape \(2, 5\) is smaller than the kernel \(3, 3\)"):
        ops.conv(np.ones((1, 2, 5, 1)), np.ones((3, 3, 1, 1)))
