"""Attention: Luong-style dot-product attention (or Keras' 'concat' scores) of a query over a value sequence,
called on [query, value] or [query, value, key] with masks [query_mask, value_mask]."""
from nnkit import ops
from nnkit.layers.attention.masks import causal_mask, check_mask
from nnkit.layers.dropout import Dropout
from nnkit.layers.layer import Layer


class Attention(Layer):
    """scores = query . key^T (times a learned `scale` with use_scale), or with score_mode='concat'
    concat_score_weight * sum(tanh(scale * (query + key))); output = softmax(scores) . value."""

    supports_masking = True
    score_modes = ("dot", "concat")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in self.score_modes:
            raise ValueError(f"{type(self).__name__} '{self.name}': score_mode must be one of {self.score_modes}, "
                             f"received {score_mode!r}.")
        if not 0 <= dropout < 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': dropout must be in [0, 1), received {dropout!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.uses_randomness = self.dropout > 0
        self._dropout_layer = Dropout(self.dropout, seed=seed) if self.dropout > 0 else None

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = (self.add_weight((), "ones", name="concat_score_weight")
                                    if self.score_mode == "concat" else None)

    def _check_shapes(self, shapes, mask=None):
        """[query, value(, key)] shapes of rank >= 3 whose key and value lengths, and query and key depths (for
        dot scores), agree; a mask, when given, is a list of two or three masks."""
        name = f"Layer '{self.name}' ({type(self).__name__})"
        if not isinstance(shapes, (list, tuple)) or not 2 <= len(shapes) <= 3 or not all(
                isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(f"{name} must be called on a list [query, value] or [query, value, key], "
                             f"received input shape(s) {shapes}.")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        if len(query) < 3 or len(value) < 3 or len(key) < 3:
            raise ValueError(f"{name}: query, value and key need shape (batch, steps, features), received "
                             f"{[query, value, key]}.")
        if None not in (key[-2], value[-2]) and key[-2] != value[-2]:
            raise ValueError(f"{name}: key and value must have the same number of steps, received key shape {key} "
                             f"and value shape {value}.")
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ValueError(f"{name}: the last axes of query and key must be equal, received query shape {query} "
                             f"and key shape {key}.")
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(f"{name}: mask must be a list [query_mask, value_mask], received {mask!r}.")

    def _calculate_scores(self, query, key):
        """(B, Tq, Tv) scores of each query step against each key step."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = ops.multiply(self.scale, pairs)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(pairs), axis=-1))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._check_shapes([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple)) else inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask, value_mask = (mask[0], mask[1]) if mask is not None else (None, None)
        check_mask(self, "query_mask", query_mask, query)
        check_mask(self, "value_mask", value_mask, value)
        scores = self._calculate_scores(query, key)
        scores_mask = None if value_mask is None else ops.expand_dims(ops.cast(value_mask, "bool"), -2)
        if use_causal_mask:
            causal = causal_mask(scores.shape[-2], scores.shape[-1])
            scores_mask = causal if scores_mask is None else ops.logical_and(scores_mask, causal)
        if scores_mask is not None:
            scores = ops.where(scores_mask, scores, ops.subtract(scores, 1e9))
        weights = ops.softmax(scores, axis=-1)
        dropped = weights if self._dropout_layer is None else self._dropout_layer.call(weights, training=training)
        output = ops.matmul(dropped, value)
        if query_mask is not None:
            output = ops.where(ops.expand_dims(ops.cast(query_mask, "bool"), -1), output, 0.0)
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, mask=None):
        """The query's mask."""
        return None if mask is None else mask[0]

    def compute_output_shape(self, input_shape):
        self._check_shapes(input_shape)
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def _output_shapes_of_call(self, inputs, args, kwargs, first_shapes):
        output_shape = super()._output_shapes_of_call(inputs, args, kwargs, first_shapes)
        if not kwargs.get("return_attention_scores"):
            return output_shape
        key_shape = first_shapes[2] if len(first_shapes) > 2 else first_shapes[1]
        return [output_shape, tuple(first_shapes[0][:-1]) + (key_shape[-2],)]

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}
