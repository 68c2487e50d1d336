"""nnkit.layers: the building blocks of models (Keras names)."""
from nnkit.layers.activations import *  # noqa: F401,F403  (Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax)
from nnkit.layers.dense import Dense
from nnkit.layers.dropout import Dropout
from nnkit.layers.embedding import Embedding
from nnkit.layers.flatten import Flatten
from nnkit.layers.input_layer import Input, InputLayer
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.lambda_layer import Lambda
from nnkit.layers.layer import Layer
from nnkit.layers.masking import Masking
from nnkit.layers.op_layer import OpLayer
from nnkit.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                  average, concatenate, dot, maximum, minimum, multiply, subtract)
from nnkit.layers.reshape import Reshape
from nnkit.layers.serialization import deserialize, serialize
# Each family of layers lists its public names in its own __all__.
from nnkit.layers.attention import *  # noqa: E402,F401,F403
from nnkit.layers.convolutional import *  # noqa: E402,F401,F403
from nnkit.layers.normalization import *  # noqa: E402,F401,F403
from nnkit.layers.pooling import *  # noqa: E402,F401,F403
from nnkit.layers.regularization import *  # noqa: E402,F401,F403
from nnkit.layers.reshaping import *  # noqa: E402,F401,F403
from nnkit.layers.rnn import *  # noqa: E402,F401,F403
