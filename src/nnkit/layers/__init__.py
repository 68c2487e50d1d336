"""nnkit.layers: the building blocks of models (Keras names)."""
from nnkit.layers.activation import Activation
from nnkit.layers.dense import Dense
from nnkit.layers.dropout import Dropout
from nnkit.layers.flatten import Flatten
from nnkit.layers.input_layer import Input, InputLayer
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.lambda_layer import Lambda
from nnkit.layers.layer import Layer
from nnkit.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                  average, concatenate, dot, maximum, minimum, multiply, subtract)
from nnkit.layers.reshape import Reshape
from nnkit.layers.serialization import deserialize, serialize
