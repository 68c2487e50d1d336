"""Embedding: turn integer indices into dense vectors, rows of a trainable (input_dim, output_dim) table."""
import numpy as np

from nnkit import constraints, initializers, ops, regularizers
from nnkit.backends import active
from nnkit.layers.layer import Layer
from nnkit.layers.positive_integer import positive_integer


class Embedding(Layer):
    """Keras 3's Embedding: output[..., :] = embeddings[inputs[...]] for integer inputs of any rank.

    `mask_zero=True` makes index 0 padding: `compute_mask` returns `inputs != 0` (so input_dim counts it).
    `weights=[matrix]` loads a table at construction, `input_length` (tf.keras 2) declares the input shape
    (None, input_length). Float inputs holding whole numbers are cast to int32, as Keras does; indices
    outside [0, input_dim) are an error where the indices sit in host memory (NumPy)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, input_length=None, **kwargs):
        if input_length is not None and kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length,)
        super().__init__(**kwargs)
        self.input_dim = positive_integer(f"Embedding '{self.name}'", "input_dim", input_dim)
        self.output_dim = positive_integer(f"Embedding '{self.name}'", "output_dim", output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.embeddings = None
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, name="embeddings")

    def call(self, inputs):
        return ops.take(self.embeddings, self._indices(inputs), axis=0)

    def _indices(self, inputs):
        """The inputs as integer indices, checked against the table where that costs no device transfer."""
        kind = np.dtype(inputs.dtype).kind
        if kind not in "iuf":
            raise TypeError(f"Embedding '{self.name}' takes integer indices, received inputs of dtype {inputs.dtype}.")
        if active.backend.host_memory:
            self._check_host_indices(np.asarray(active.backend.to_numpy(inputs)))
        return inputs if kind in "iu" else ops.cast(inputs, "int32")

    def _check_host_indices(self, indices):
        if indices.dtype.kind == "f" and not np.all(np.floor(indices) == indices):
            bad = indices[np.floor(indices) != indices].flat[0]
            raise TypeError(f"Embedding '{self.name}' takes integer indices, received inputs of dtype "
                            f"{indices.dtype} holding the non-integer value {bad}.")
        outside = (indices < 0) | (indices >= self.input_dim)
        if outside.any():
            raise ValueError(f"Embedding '{self.name}': index {indices[outside].flat[0]} is out of range; valid "
                             f"indices are 0..{self.input_dim - 1} (input_dim={self.input_dim}).")

    def compute_mask(self, inputs, mask=None):
        """`inputs != 0` with mask_zero (index 0 is padding), else no mask."""
        return ops.not_equal(inputs, 0) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        }
