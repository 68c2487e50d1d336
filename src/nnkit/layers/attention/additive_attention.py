"""AdditiveAttention: Bahdanau-style attention, scores = sum(scale * tanh(query + key)) over the features."""
from nnkit import ops
from nnkit.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Attention with additive scores; `scale` is a learned (dim,) vector (glorot_uniform) with use_scale."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.scale = (self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")
                      if self.use_scale else None)
        self.concat_score_weight = None

    def _calculate_scores(self, query, key):
        features = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            features = ops.multiply(self.scale, features)
        return ops.sum(features, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
