"""Keras 3 agreement with weights copied from Keras: every convolution layer's numbers, weight names, shapes and
order, parameter counts, and one SGD step of a small Conv2D model. Keras compiles each new layer for seconds,
so the 2-D layers share one model."""
import numpy as np

from layer_checks import matches_keras, one_step_matches_keras

RNG = np.random.default_rng(17)


def _images_model(L):
    return [L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
            L.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
            L.SeparableConv2D(3, 3, padding="same", depth_multiplier=2),
            L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)]


def test_2d_layers_match_keras_weight_for_weight():
    model, reference = matches_keras(_images_model, RNG.standard_normal((2, 7, 6, 3)).astype(np.float32))
    assert [[v.name for v in layer.weights] for layer in model.layers] == [
        ["kernel", "bias"], ["kernel", "bias"], ["depthwise_kernel", "pointwise_kernel", "bias"], ["kernel", "bias"]]
    assert [w.shape for w in model.get_weights()] == [tuple(w.shape) for w in reference.get_weights()]
    assert [layer.count_params() for layer in model.layers] == [layer.count_params() for layer in reference.layers]
    printed = []
    model.summary(print_fn=printed.append)
    assert f"Total params: {reference.count_params():,} (" in "\n".join(printed)


def test_conv1d_causal_dilated_matches_keras():
    matches_keras(lambda L: [L.Conv1D(4, 3, padding="causal", dilation_rate=2)],
                  RNG.standard_normal((2, 9, 3)).astype(np.float32))


def test_conv3d_matches_keras():
    matches_keras(lambda L: [L.Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same")],
                  RNG.standard_normal((1, 4, 5, 3, 2)).astype(np.float32))


def test_one_sgd_step_of_a_conv2d_model_matches_keras():
    x = RNG.standard_normal((4, 6, 6, 2)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    one_step_matches_keras(lambda L: [L.Conv2D(3, 3, strides=2, padding="same", activation="relu"), L.Flatten(),
                                      L.Dense(3, activation="softmax")], x, y, "categorical_crossentropy")
