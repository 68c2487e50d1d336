"""ActivityRegularization: the identity, adding an L1/L2 penalty on its outputs to the training loss."""
from nnkit import regularizers
from nnkit.layers.layer import Layer


class ActivityRegularization(Layer):
    """Adds l1 * sum(|x|) + l2 * sum(x^2) (divided by the batch size, as Keras 3) to the loss."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
