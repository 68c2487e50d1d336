"""One small model per Layer class exported by nnkit.layers, for the saving round trips: each entry makes
the layer and the per-sample input shapes it is called on (several shapes: several inputs). A class without
an entry fails test_every_exported_layer_class_has_an_entry, so new layers are covered when they land."""
import inspect

import numpy as np

import nnkit
from nnkit import layers


def double_plus_one(x):
    """The function of the Lambda entry (loaded back through custom_objects)."""
    return nnkit.ops.add(nnkit.ops.multiply(x, 2.0), 1.0)


SEQUENCE, IMAGE, VOLUME, VECTOR = (5, 3), (6, 6, 3), (4, 4, 4, 2), (4,)

# class name -> (make the layer, input shapes, call(layer, inputs) or None for layer(inputs))
TABLE = {
    "Activation": (lambda: layers.Activation("tanh"), [VECTOR], None),
    "ActivityRegularization": (lambda: layers.ActivityRegularization(l1=0.01), [VECTOR], None),
    "Add": (lambda: layers.Add(), [VECTOR, VECTOR], None),
    "AdditiveAttention": (lambda: layers.AdditiveAttention(), [SEQUENCE, (4, 3)], None),
    "AlphaDropout": (lambda: layers.AlphaDropout(0.2), [VECTOR], None),
    "Attention": (lambda: layers.Attention(), [SEQUENCE, (4, 3)], None),
    "Average": (lambda: layers.Average(), [VECTOR, VECTOR], None),
    "AveragePooling1D": (lambda: layers.AveragePooling1D(2), [SEQUENCE], None),
    "AveragePooling2D": (lambda: layers.AveragePooling2D(2), [IMAGE], None),
    "AveragePooling3D": (lambda: layers.AveragePooling3D(2), [VOLUME], None),
    "BatchNormalization": (lambda: layers.BatchNormalization(), [VECTOR], None),
    "Bidirectional": (lambda: layers.Bidirectional(layers.LSTM(2)), [SEQUENCE], None),
    "Concatenate": (lambda: layers.Concatenate(), [VECTOR, VECTOR], None),
    "Conv1D": (lambda: layers.Conv1D(2, 3), [SEQUENCE], None),
    "Conv1DTranspose": (lambda: layers.Conv1DTranspose(2, 3), [SEQUENCE], None),
    "Conv2D": (lambda: layers.Conv2D(2, 3), [IMAGE], None),
    "Conv2DTranspose": (lambda: layers.Conv2DTranspose(2, 3), [IMAGE], None),
    "Conv3D": (lambda: layers.Conv3D(2, 2), [VOLUME], None),
    "Conv3DTranspose": (lambda: layers.Conv3DTranspose(2, 2), [VOLUME], None),
    "Cropping1D": (lambda: layers.Cropping1D((1, 1)), [SEQUENCE], None),
    "Cropping2D": (lambda: layers.Cropping2D(((1, 0), (0, 1))), [IMAGE], None),
    "Cropping3D": (lambda: layers.Cropping3D(1), [VOLUME], None),
    "Dense": (lambda: layers.Dense(3, activation="relu", kernel_regularizer="l2", kernel_constraint="max_norm",
                                  kernel_initializer=nnkit.initializers.HeNormal(seed=3)), [VECTOR], None),
    "DepthwiseConv1D": (lambda: layers.DepthwiseConv1D(3), [SEQUENCE], None),
    "DepthwiseConv2D": (lambda: layers.DepthwiseConv2D(3), [IMAGE], None),
    "Dot": (lambda: layers.Dot(axes=1), [VECTOR, VECTOR], None),
    "Dropout": (lambda: layers.Dropout(0.5), [VECTOR], None),
    "ELU": (lambda: layers.ELU(), [VECTOR], None),
    "Embedding": (lambda: layers.Embedding(10, 3), [("int32", (5,))], None),
    "Flatten": (lambda: layers.Flatten(), [SEQUENCE], None),
    "GRU": (lambda: layers.GRU(2), [SEQUENCE], None),
    "GRUCell": (lambda: layers.RNN(layers.GRUCell(2)), [SEQUENCE], None),
    "GaussianDropout": (lambda: layers.GaussianDropout(0.2), [VECTOR], None),
    "GaussianNoise": (lambda: layers.GaussianNoise(0.2), [VECTOR], None),
    "GlobalAveragePooling1D": (lambda: layers.GlobalAveragePooling1D(), [SEQUENCE], None),
    "GlobalAveragePooling2D": (lambda: layers.GlobalAveragePooling2D(), [IMAGE], None),
    "GlobalAveragePooling3D": (lambda: layers.GlobalAveragePooling3D(), [VOLUME], None),
    "GlobalMaxPooling1D": (lambda: layers.GlobalMaxPooling1D(), [SEQUENCE], None),
    "GlobalMaxPooling2D": (lambda: layers.GlobalMaxPooling2D(), [IMAGE], None),
    "GlobalMaxPooling3D": (lambda: layers.GlobalMaxPooling3D(), [VOLUME], None),
    "GroupNormalization": (lambda: layers.GroupNormalization(groups=2), [VECTOR], None),
    "LSTM": (lambda: layers.LSTM(2, return_sequences=True), [SEQUENCE], None),
    "LSTMCell": (lambda: layers.RNN(layers.LSTMCell(2)), [SEQUENCE], None),
    "Lambda": (lambda: layers.Lambda(double_plus_one), [VECTOR], None),
    "LayerNormalization": (lambda: layers.LayerNormalization(), [VECTOR], None),
    "LeakyReLU": (lambda: layers.LeakyReLU(0.2), [VECTOR], None),
    "Masking": (lambda: layers.Masking(0.0), [SEQUENCE], None),
    "OpLayer": (lambda: layers.OpLayer.from_config({"op": "multiply", "arguments": {"args": [{"__tensor__": 0}, 2.0]}}),
                [VECTOR], lambda layer, inputs: layer(inputs)),
    "MaxPooling1D": (lambda: layers.MaxPooling1D(2), [SEQUENCE], None),
    "MaxPooling2D": (lambda: layers.MaxPooling2D(2), [IMAGE], None),
    "MaxPooling3D": (lambda: layers.MaxPooling3D(2), [VOLUME], None),
    "Maximum": (lambda: layers.Maximum(), [VECTOR, VECTOR], None),
    "Minimum": (lambda: layers.Minimum(), [VECTOR, VECTOR], None),
    "MultiHeadAttention": (lambda: layers.MultiHeadAttention(2, 2), [SEQUENCE, (4, 3)],
                           lambda layer, inputs: layer(inputs[0], inputs[1])),
    "Multiply": (lambda: layers.Multiply(), [VECTOR, VECTOR], None),
    "PReLU": (lambda: layers.PReLU(), [VECTOR], None),
    "Permute": (lambda: layers.Permute((2, 1)), [SEQUENCE], None),
    "RNN": (lambda: layers.RNN(layers.SimpleRNNCell(2), return_sequences=True), [SEQUENCE], None),
    "ReLU": (lambda: layers.ReLU(max_value=1.0), [VECTOR], None),
    "RepeatVector": (lambda: layers.RepeatVector(3), [VECTOR], None),
    "Reshape": (lambda: layers.Reshape((2, 2)), [VECTOR], None),
    "SeparableConv1D": (lambda: layers.SeparableConv1D(2, 3), [SEQUENCE], None),
    "SeparableConv2D": (lambda: layers.SeparableConv2D(2, 3), [IMAGE], None),
    "SimpleRNN": (lambda: layers.SimpleRNN(2), [SEQUENCE], None),
    "SimpleRNNCell": (lambda: layers.RNN(layers.SimpleRNNCell(2)), [SEQUENCE], None),
    "Softmax": (lambda: layers.Softmax(), [VECTOR], None),
    "SpatialDropout1D": (lambda: layers.SpatialDropout1D(0.2), [SEQUENCE], None),
    "SpatialDropout2D": (lambda: layers.SpatialDropout2D(0.2), [IMAGE], None),
    "SpatialDropout3D": (lambda: layers.SpatialDropout3D(0.2), [VOLUME], None),
    "StackedRNNCells": (lambda: layers.RNN(layers.StackedRNNCells([layers.SimpleRNNCell(2), layers.GRUCell(2)])),
                        [SEQUENCE], None),
    "Subtract": (lambda: layers.Subtract(), [VECTOR, VECTOR], None),
    "TimeDistributed": (lambda: layers.TimeDistributed(layers.Dense(2)), [SEQUENCE], None),
    "UnitNormalization": (lambda: layers.UnitNormalization(), [VECTOR], None),
    "UpSampling1D": (lambda: layers.UpSampling1D(2), [SEQUENCE], None),
    "UpSampling2D": (lambda: layers.UpSampling2D(2), [IMAGE], None),
    "ZeroPadding1D": (lambda: layers.ZeroPadding1D(1), [SEQUENCE], None),
    "ZeroPadding2D": (lambda: layers.ZeroPadding2D(1), [IMAGE], None),
    "ZeroPadding3D": (lambda: layers.ZeroPadding3D(1), [VOLUME], None),
}
# Classes that are not layers a model is saved with on their own.
NOT_LAYERS_OF_THEIR_OWN = {"Layer", "InputLayer"}
CUSTOM_OBJECTS = {"double_plus_one": double_plus_one}


def exported_layer_classes():
    """{canonical class name: class} for every Layer class nnkit.layers exports (aliases once)."""
    found = {}
    for value in vars(layers).values():
        if inspect.isclass(value) and issubclass(value, layers.Layer):
            found[value.__name__] = value
    return {name: cls for name, cls in sorted(found.items()) if name not in NOT_LAYERS_OF_THEIR_OWN}


def _input(spec):
    dtype, shape = spec if isinstance(spec[0], str) else ("float32", spec)
    return nnkit.Input(shape, dtype=dtype)


def sample(spec, rng, batch=2):
    dtype, shape = spec if isinstance(spec[0], str) else ("float32", spec)
    if dtype.startswith("int"):
        return rng.integers(1, 10, size=(batch, *shape)).astype(dtype)
    return rng.normal(size=(batch, *shape)).astype(dtype)


def build(class_name, seed=0):
    """(model, inputs): the entry's layer in a functional model, its weights moved off their initial values
    (positive shifts, so variances stay valid), and a batch of inputs."""
    make, specs, call = TABLE[class_name]
    inputs = [_input(spec) for spec in specs]
    layer = make()
    outputs = call(layer, inputs) if call else layer(inputs[0] if len(inputs) == 1 else inputs)
    model = nnkit.Model(inputs, outputs)
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.uniform(0.05, 0.2, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    data = [sample(spec, rng) for spec in specs]
    return model, data[0] if len(data) == 1 else data
