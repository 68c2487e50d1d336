"""MultiHeadAttention: scaled dot-product attention over several heads (Vaswani et al., 2017), with Keras 3's
arguments, weight layout (query/key/value kernels (dim, num_heads, key_dim), output kernel
(num_heads, value_dim, dim)) and mask rules (query, value and key masks, attention_mask, causal mask)."""
import math

import numpy as np

from nnkit import constraints, initializers, ops, regularizers
from nnkit.layers.activations.softmax import Softmax
from nnkit.layers.attention.head_projection import HeadProjection
from nnkit.layers.attention.masks import causal_mask, check_mask, sliding_window_mask
from nnkit.layers.dropout import Dropout
from nnkit.layers.layer import Layer
from nnkit.layers.positive_integer import positive_integer
from nnkit.layers.spatial_arguments import layer_label


class MultiHeadAttention(Layer):
    """Attention of `query` (B, T, dim) over `value` (B, S, dim_v) (and `key`, default `value`) with
    `num_heads` heads of size `key_dim`; the output has the query's shape (or `output_shape` as last axes).
    `attention_axes` picks the axes attended over (default: all between batch and features)."""

    supports_masking = True

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        label = layer_label(self)
        self._num_heads = positive_integer(label, "num_heads", num_heads)
        self._key_dim = positive_integer(label, "key_dim", key_dim)
        self._value_dim = self._key_dim if value_dim is None else positive_integer(label, "value_dim", value_dim)
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention '{self.name}': dropout must be in [0, 1), received {dropout!r}.")
        self._dropout = float(dropout)
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"MultiHeadAttention '{self.name}': attention_axes must be an int, list or tuple, "
                             f"received {attention_axes!r}.")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._sliding_window = (None if sliding_window is None
                                else positive_integer(label, "sliding_window", sliding_window))
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self.uses_randomness = self._dropout > 0
        self._dropout_layer = Dropout(self._dropout, seed=seed) if self._dropout > 0 else None

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # --- building -------------------------------------------------------------------------------------
    def _projection(self, name, output_shape, input_axes=1, activation=None):
        return HeadProjection(output_shape, input_axes=input_axes, use_bias=self._use_bias, activation=activation,
                              kernel_initializer=self._kernel_initializer, bias_initializer=self._bias_initializer,
                              kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                              kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
                              dtype=self.dtype, name=name)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        projected_rank = len(query_shape) + 1
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, projected_rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else projected_rank - 1 + a for a in self._attention_axes)
        heads = self._num_heads
        self._query_dense = self._projection("query", (heads, self._key_dim))
        self._query_dense.build(tuple(query_shape))
        self._key_dense = self._projection("key", (heads, self._key_dim))
        self._key_dense.build(tuple(key_shape))
        projections = [self._query_dense, self._key_dense]
        if self._use_gate:
            self._gate_dense = self._projection("gate", (heads, self._value_dim), activation="sigmoid")
            self._gate_dense.build(tuple(query_shape))
            projections.append(self._gate_dense)
        self._value_dense = self._projection("value", (heads, self._value_dim))
        self._value_dense.build(tuple(value_shape))
        self._output_dense = self._projection("attention_output", self._output_shape or (query_shape[-1],),
                                              input_axes=2)
        self._output_dense.build(tuple(query_shape[:-1]) + (heads, self._value_dim))
        projections += [self._value_dense, self._output_dense]
        self._tracked_layers.extend(projections)
        scores_rank = projected_rank + len(self._attention_axes) - 1
        self._softmax = Softmax(axis=tuple(range(scores_rank - len(self._attention_axes), scores_rank)),
                                dtype=self.dtype)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): all axes of value and key but the last must "
                             f"be equal, received value shape {tuple(value_shape)} and key shape {tuple(key_shape)}.")
        if len(query_shape) != len(value_shape) or len(query_shape) < 3:
            raise ValueError(f"Layer '{self.name}' (MultiHeadAttention): query and value must have the same rank "
                             f"(at least 3: batch, positions, features), received query shape {tuple(query_shape)} "
                             f"and value shape {tuple(value_shape)}.")

    # --- calling ----------------------------------------------------------------------------------------
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        self._check_shapes(query.shape, value.shape, key.shape)
        for argument, mask, tensor in (("query_mask", query_mask, query), ("value_mask", value_mask, value),
                                       ("key_mask", key_mask, key)):
            check_mask(self, argument, mask, tensor)
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                                            use_causal_mask)
        projected_query = self._query_dense.call(query)
        output, scores = self._compute_attention(projected_query, self._key_dense.call(key),
                                                 self._value_dense.call(value), mask, training)
        if self._use_gate:
            output = ops.multiply(output, self._gate_dense.call(query))
        output = self._output_dense.call(output)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                                use_causal_mask):
        """Keras' merge of every mask into one boolean (B, T, S) mask (None when there is none): query mask
        as (B, T, 1), value and key masks as (B, 1, S), causal and sliding-window masks as (1, T, S)."""
        parts = []
        if query_mask is not None:
            parts.append(ops.expand_dims(ops.cast(query_mask, "bool"), -1))
        for mask in (value_mask, key_mask):
            if mask is not None:
                parts.append(ops.expand_dims(ops.cast(mask, "bool"), -2))
        if use_causal_mask:
            parts.append(causal_mask(query.shape[1], value.shape[1]))
        if self._sliding_window is not None:
            parts.append(sliding_window_mask(query.shape[1], value.shape[1], self._sliding_window))
        if attention_mask is not None:
            parts.insert(0, ops.cast(attention_mask, "bool"))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = ops.logical_and(combined, part)
        return combined

    def _compute_attention(self, query, key, value, attention_mask=None, training=None):
        """softmax(query . key / sqrt(key_dim)) . value over the attention axes of projected (B, ..., heads,
        dim) tensors; returns (output like query with value_dim, scores (B, ..., heads, *T, *S))."""
        rank = len(query.shape)
        attended = list(self._attention_axes)
        batch_axes = [axis for axis in range(rank - 1) if axis not in attended]
        order = batch_axes + attended + [rank - 1]
        query, key, value = (ops.transpose(t, order) for t in (query, key, value))
        batch_shape = tuple(query.shape[:len(batch_axes)])
        query_positions = tuple(query.shape[len(batch_axes):-1])
        key_positions = tuple(key.shape[len(batch_axes):-1])
        t, s = math.prod(query_positions), math.prod(key_positions)
        query = ops.multiply(ops.reshape(query, batch_shape + (t, self._key_dim)), 1.0 / math.sqrt(self._key_dim))
        key = ops.reshape(key, batch_shape + (s, self._key_dim))
        scores = ops.reshape(ops.matmul(query, ops.swapaxes(key, -1, -2)),
                             batch_shape + query_positions + key_positions)
        if attention_mask is not None:
            while len(attention_mask.shape) < len(scores.shape):
                attention_mask = ops.expand_dims(attention_mask, -2 * len(attended) - 1)
        scores = self._softmax.call(scores, mask=attention_mask)
        weights = scores if self._dropout_layer is None else self._dropout_layer.call(scores, training=training)
        output = ops.matmul(ops.reshape(weights, batch_shape + (t, s)),
                            ops.reshape(value, batch_shape + (s, self._value_dim)))
        output = ops.reshape(output, batch_shape + query_positions + (self._value_dim,))
        return ops.transpose(output, tuple(int(i) for i in np.argsort(order))), scores

    # --- shapes and configuration ---------------------------------------------------------------------------
    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        return tuple(query_shape[:-1]) + (self._output_shape or (query_shape[-1],))

    def _scores_shape(self, query_shape, key_shape):
        rank = len(query_shape) + 1
        attended = self._attention_axes
        batch_axes = [axis for axis in range(rank - 1) if axis not in attended]
        projected = tuple(query_shape[:-1]) + (self._num_heads,)
        return (tuple(projected[a] for a in batch_axes) + tuple(query_shape[a] for a in attended)
                + tuple(key_shape[a] for a in attended))

    def _output_shapes_of_call(self, inputs, args, kwargs, first_shapes):
        output_shape = super()._output_shapes_of_call(inputs, args, kwargs, first_shapes)
        if not kwargs.get("return_attention_scores"):
            return output_shape
        arguments = self._tensor_arguments(inputs, args, kwargs)
        key = arguments.get("key", arguments["value"])
        return [output_shape, self._scores_shape(inputs.shape, key.shape)]

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self._attention_axes is None else list(self._attention_axes),
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
