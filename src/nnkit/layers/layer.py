"""Layer: the unit models are made of. `build` makes weights, `call` does the math through nnkit.ops,
`get_config` returns the constructor arguments (Keras' shape of a layer)."""
import functools
import inspect

import numpy as np

from nnkit import constraints, dtype_policies, initializers, regularizers
from nnkit.backends import active
from nnkit.keywords import accepted_keywords, reject_unknown
from nnkit.naming import snake_case, unique_name
from nnkit.layers import call_context
from nnkit.layers.call_arguments import bind_call
from nnkit.layers.input_spec import InputSpec
from nnkit.layers.symbolic import Node, SymbolicTensor, flatten, pack_like, replace_symbolic, symbolic_leaves
from nnkit.dtype_policies.dtype_policy import FLOAT_DTYPES, HALF_DTYPES
from nnkit.ops.variable import AutocastScope, Variable, autocast_dtype
from nnkit.random import SeedGenerator

def _shape_of(value):
    return tuple(value.shape)


def _shapes_of(structure, leaves):
    """The shape(s) of `structure` (a tensor, or a list/tuple/dict of them), given its flattened `leaves`."""
    if len(leaves) == 1 and leaves[0] is structure:
        return _shape_of(structure)
    return pack_like(structure, [_shape_of(t) for t in leaves])


_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")


class Layer:
    """Base class of all layers (and of models). Subclasses implement build/call/get_config."""

    _casts_call_dtypes = True  # __call__ casts floating inputs and outputs to the compute dtype (models: False)
    #: Whether a training call mixes the rows of its batch (batch statistics), so padding rows would change the
    #: real rows' outputs; the trainer then does not pad short batches in training.
    mixes_batch_rows_in_training = False

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, activity_regularizer=None, autocast=True, **kwargs):
        reject_unknown(f"{type(self).__name__}()", kwargs, accepted_keywords(type(self)))
        self._tracked_layers = []
        self._own_variables = []
        self._own_states = []  # variables that are layer state but no weights (see _track_state)
        self._inbound_nodes = []
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = trainable
        self.dtype_policy = dtype
        self.autocast = autocast
        self.built = False
        self.input_spec = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None

    # --- tracking ---------------------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's own build() so that calling it directly marks the layer built, as Keras does."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self, *args, **kw):
                build(self, *args, **kw)
                self.built = True

            build_and_mark._marks_built = True
            cls.build = build_and_mark

    def __setattr__(self, name, value):
        if isinstance(value, SeedGenerator) and "_own_states" in self.__dict__:
            if all(value.state is not known for known in self._own_states):
                self._track_state(value.state)
        if not name.startswith("_"):
            candidates = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
            for layer in candidates:
                if isinstance(layer, Layer) and layer is not self and "_tracked_layers" in self.__dict__:
                    if all(layer is not known for known in self._tracked_layers):
                        self._tracked_layers.append(layer)
        object.__setattr__(self, name, value)

    @property
    def _sublayers(self):
        """Layers whose weights this layer owns (models override with their graph's layers)."""
        return self._tracked_layers

    # --- weights ------------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True, regularizer=None,
                   constraint=None, aggregation="none", overwrite_with_gradient=False, name=None):
        """Create a weight on the host from `initializer` and place it on the active backend (Keras 3's
        arguments; `aggregation` and `overwrite_with_gradient` are recorded on the variable)."""
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"Layer '{self.name}': add_weight(aggregation=...) must be one of {_AGGREGATIONS}, "
                             f"received {aggregation!r}.")
        shape = tuple(int(d) for d in (shape or ()))
        dtype = dtype or self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if np.issubdtype(np.dtype(dtype), np.floating) else "zeros"
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(np.asarray(value, dtype=dtype), name=name or f"variable_{len(self._own_variables)}",
                            trainable=trainable, regularizer=regularizers.get(regularizer),
                            constraint=constraints.get(constraint), backend=active.backend, autocast=autocast,
                            aggregation=aggregation)
        variable.overwrite_with_gradient = overwrite_with_gradient
        variable.path = f"{self.name}/{variable.name}"
        self._own_variables.append(variable)
        return variable

    def _collect(self, pick):
        seen, result = set(), []
        for variable in pick(self):
            if id(variable) not in seen:
                seen.add(id(variable))
                result.append(variable)
        return result

    @property
    def weights(self):
        """All weights: this layer's own (trainable first), then each sublayer's."""
        return self._collect(lambda layer: [v for v in layer._own_variables if v.trainable]
                             + [v for v in layer._own_variables if not v.trainable]
                             + [w for sub in layer._sublayers for w in sub.weights])

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return self._collect(lambda layer: [v for v in layer._own_variables if v.trainable]
                             + [w for sub in layer._sublayers for w in sub.trainable_weights])

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return self._collect(lambda layer: [v for v in layer._own_variables if not v.trainable]
                             + [w for sub in layer._sublayers for w in sub.non_trainable_weights])

    def _track_state(self, variable):
        """Keep `variable` as layer state that is no weight, as Keras 3 keeps RNN states and seed generators: it
        flows through compiled steps with the non-trainable variables, but is never saved, counted in summary()
        or taken by get_weights()/set_weights()."""
        variable.path = f"{self.name}/{variable.name}"
        self._own_states.append(variable)
        return variable

    @property
    def variables(self):
        """The weights, then the state variables of this layer and its sublayers."""
        return self._collect(lambda layer: layer.weights + layer._states())

    trainable_variables = trainable_weights

    @property
    def non_trainable_variables(self):
        """The non-trainable weights, then the state variables: what a pure step carries besides the trainables."""
        return self._collect(lambda layer: layer.non_trainable_weights + layer._states())

    def _states(self):
        return self._collect(lambda layer: layer._own_states + [v for sub in layer._sublayers for v in sub._states()])

    def get_weights(self):
        """The weights as host NumPy arrays, in `weights` order."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights):
        """Load host arrays into the weights, checking their count and every shape."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays "
                f"({[v.name for v in own]}), but received {len(weights)}."
            )
        for variable, value in zip(own, weights):
            value = np.asarray(value)
            if tuple(value.shape) != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{variable.name}' has shape {variable.shape}, but the "
                    f"provided array has shape {tuple(value.shape)}."
                )
        for variable, value in zip(own, weights):
            variable.assign(variable.backend.asarray(np.array(value, dtype=variable.dtype, copy=True)))

    def count_params(self):
        """The number of scalars in all weights."""
        if not self.built:
            raise ValueError(f"Layer '{self.name}' is not built yet, so it has no weights to count.")
        return int(sum(np.prod(v.shape, dtype=np.int64) for v in self.weights))

    # --- dtypes -------------------------------------------------------------------------------------------
    @property
    def dtype_policy(self):
        """The layer's DTypePolicy: its compute and variable dtypes (Keras 3's mixed precision)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        policy = dtype_policies.get(value)
        self._dtype_policy = policy
        # What every call reads, worked out once (a dtype's .name is rebuilt on each read).
        self._compute_numpy_dtype = np.dtype(policy.compute_dtype)
        self._computes_in_float = self._compute_numpy_dtype in FLOAT_DTYPES
        self._mixed = policy.compute_dtype != policy.variable_dtype

    @property
    def dtype(self):
        """Alias of `variable_dtype` (as in Keras 3)."""
        return self._dtype_policy.variable_dtype

    @dtype.setter
    def dtype(self, value):
        """Setting `dtype` sets the policy (a dtype or policy name, or a DTypePolicy)."""
        self.dtype_policy = value

    @property
    def compute_dtype(self):
        """The dtype the layer casts floating inputs to and computes in."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._dtype_policy.variable_dtype

    @property
    def input_dtype(self):
        """The dtype floating inputs are cast to at call (the compute dtype)."""
        return self._dtype_policy.compute_dtype

    def _call_with_policy(self, inputs, args, kwargs):
        """call() under the dtype policy, Keras' rule: floating tensor arguments cast to the compute dtype (when
        `autocast`), float weights read in the compute dtype when it differs from the variable dtype. Floating
        outputs come back in the compute dtype too (NumPy's bfloat16 matmul, for one, gives float32). Only casts
        to or from half precision happen: unlike Keras, float64 data stays float64 in a float32 layer (nnkit's
        gradient checks rely on it). Models leave the casting of their inputs and outputs to their layers."""
        compute = self._compute_numpy_dtype
        casts = self.autocast and self._casts_call_dtypes and self._computes_in_float
        if casts:
            if getattr(inputs, "dtype", None) != compute:
                inputs = _cast_floats(inputs, compute)
            if args:
                args = _cast_floats(args, compute)
            if kwargs:
                kwargs = {key: _cast_floats(value, compute) for key, value in kwargs.items()}
        scope = self._autocast_scope()
        if scope is None:
            outputs = self.call(inputs, *args, **kwargs)
        else:
            with scope:
                outputs = self.call(inputs, *args, **kwargs)
        if not casts or getattr(outputs, "dtype", None) == compute:
            return outputs
        return _cast_floats(outputs, compute)

    def _autocast_scope(self):
        """The AutocastScope call() runs in (Keras' rule: a mixed layer's own, or the one it inherits set to its
        compute dtype, or none for a layer that does not autocast), or None to stay in the current one."""
        current = autocast_dtype()
        if not self.autocast or not self._computes_in_float:
            return None if current is None else AutocastScope(None)
        if current is None:
            return AutocastScope(self._compute_numpy_dtype) if self._mixed else None
        return None if current == self._compute_numpy_dtype else AutocastScope(self._compute_numpy_dtype)

    # --- building and calling -----------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (batch axis None). Default: no weights."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The layer's math on arrays, written with nnkit.ops."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def compute_output_shape(self, input_shape):
        """Output shape(s) for `input_shape`; by default found by running call() on zeros twice, with the
        unknown axes set to 2 and then to 3: output axes that differ between the runs are unknown (None)."""
        return self._shapes_by_running(lambda zeros: self.call(_map_structure_of_shapes(input_shape, zeros),
                                                               **self._training_kwargs(False)))

    def _shapes_by_running(self, run):
        """Output shape(s) of `run(zeros)`, where `zeros(shape, dtype)` makes arrays for shapes with None axes."""
        def run_with_unknown_axes_of(size):
            def zeros(shape, dtype=None):
                return active.xp.zeros(tuple(size if d is None else d for d in shape),
                                       dtype=dtype or self.compute_dtype)

            with call_context.CallContext():
                outputs = run(zeros)
            return outputs, [_shape_of(o) for o in flatten(outputs)]

        outputs, small = run_with_unknown_axes_of(2)
        _, large = run_with_unknown_axes_of(3)
        shapes = [tuple(None if i == 0 or a != b else a for i, (a, b) in enumerate(zip(s, l)))
                  for s, l in zip(small, large)]
        return shapes[0] if not isinstance(outputs, (list, tuple, dict)) else shapes

    # --- masks ------------------------------------------------------------------------------------------
    @property
    def supports_masking(self):
        """Whether compute_mask passes masks on: True when a subclass overrides compute_mask (as in Keras),
        else False unless set."""
        explicit = self.__dict__.get("_supports_masking")
        return explicit if explicit is not None else type(self).compute_mask is not Layer.compute_mask

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs given the inputs' `mask` (Keras 3): unchanged when the layer supports
        masking, else None. Masks are boolean arrays over the leading axes (batch, time steps)."""
        return mask if self.supports_masking else None

    def _training_kwargs(self, training):
        return {"training": training} if self._call_accepts("training") else {}

    def _call_accepts(self, argument):
        cache = type(self).__dict__.get("_accepted_call_arguments")
        if cache is None:
            parameters = inspect.signature(self.call).parameters
            cache = set(parameters) | ({"*"} if any(p.kind == p.VAR_KEYWORD for p in parameters.values()) else set())
            type.__setattr__(type(self), "_accepted_call_arguments", cache)
        return argument in cache or "*" in cache

    def _check_inputs(self, shapes, sources=None):
        specs = self.input_spec
        if specs is None:
            return
        specs = specs if isinstance(specs, (list, tuple)) else [specs]
        flat_shapes = _shape_leaves(shapes)
        for position, (spec, shape) in enumerate(zip(specs, flat_shapes)):
            problem = spec.problem(shape)
            if problem:
                origin = f" (the output of layer '{sources[position]}')" if sources and sources[position] else ""
                raise ValueError(
                    f"Input {position} of layer '{self.name}' is incompatible with the layer: {problem}, "
                    f"but received input with shape {tuple(shape)}{origin}."
                )

    def _ensure_built(self, shapes):
        if not self.built:
            self.build(shapes)
            self.built = True

    def __call__(self, inputs, *args, **kwargs):
        leaves = flatten(inputs)
        if any(isinstance(t, SymbolicTensor) for t in leaves) or ((args or kwargs) and symbolic_leaves((args, kwargs))):
            return self._call_symbolic(inputs, args, kwargs)
        if "training" in kwargs and not self._call_accepts("training"):
            kwargs.pop("training")
        shapes = _shapes_of(inputs, leaves)
        self._check_inputs(shapes)
        if not self.built:
            self._build_for_call(inputs, args, kwargs, shapes)
            self._check_inputs(shapes)
        outputs = self._call_with_policy(inputs, args, kwargs)
        if self.activity_regularizer is not None:
            self.add_loss(self._activity_loss(outputs))
        return outputs

    def _tensor_arguments(self, inputs, args, kwargs):
        """{call argument name: value} for the arguments of this call that hold tensors (Keras' tensor
        arguments); a TypeError naming the layer when call() cannot take these arguments."""
        bound = bind_call(self, inputs, args, kwargs)
        return {name: value for name, value in bound.items()
                if any(isinstance(leaf, SymbolicTensor) or hasattr(leaf, "shape") for leaf in flatten(value))}

    def _shape_arguments(self, method, inputs, args, kwargs, first_shapes):
        """How to pass shapes to `method` (build or compute_output_shape), as Keras does: a method of one
        argument gets the first argument's shape(s); one of several gets `{argument}_shape` keywords."""
        parameters = [p for p in inspect.signature(method).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if len(parameters) <= 1:
            return (first_shapes,), {}
        wanted = {p.name for p in parameters}
        shapes = {}
        for name, value in self._tensor_arguments(inputs, args, kwargs).items():
            if f"{name}_shape" in wanted:
                shapes[f"{name}_shape"] = pack_like(value, [None if leaf is None else _shape_of(leaf)
                                                            for leaf in flatten(value)])
        return (), shapes

    def _build_for_call(self, inputs, args, kwargs, first_shapes):
        """Build from the shapes of a call's first argument, or of all its tensor arguments when build()
        takes several (`build(query_shape, value_shape)`)."""
        if not args and not kwargs:
            self._ensure_built(first_shapes)
            return
        positional, keywords = self._shape_arguments(self.build, inputs, args, kwargs, first_shapes)
        if positional:
            self._ensure_built(positional[0])
        else:
            self.build(**keywords)
            self.built = True

    def _call_symbolic(self, inputs, args, kwargs):
        if "training" in kwargs and not self._call_accepts("training"):
            kwargs.pop("training")
        leaves = flatten(inputs)
        several = bool(args) or bool(symbolic_leaves(kwargs))
        if several:
            self._tensor_arguments(inputs, args, kwargs)
        shapes = pack_like(inputs, [t.shape for t in leaves]) if isinstance(inputs, (list, tuple, dict)) else inputs.shape
        sources = [t.node.layer.name if isinstance(t, SymbolicTensor) and t.node else None for t in leaves]
        self._check_inputs(shapes, sources)
        if not self.built:
            self._build_for_call(inputs, args, kwargs, shapes)
            self._check_inputs(shapes, sources)
        output_shapes = self._output_shapes_of_call(inputs, args, kwargs, shapes)
        node = Node(self, inputs, dict(kwargs), output_shapes, self.compute_dtype, args=args)
        return node.output_structure

    def _output_shapes_of_call(self, inputs, args, kwargs, first_shapes):
        """The output shape(s) of a symbolic call: compute_output_shape of the first argument's shapes (or
        of every tensor argument's, when it takes several), else found by running call() on zeros."""
        if not args and not symbolic_leaves(kwargs):
            return self.compute_output_shape(first_shapes)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            positional, keywords = self._shape_arguments(self.compute_output_shape, inputs, args, kwargs,
                                                         first_shapes)
            return self.compute_output_shape(*positional, **keywords)
        return self._shapes_by_running(lambda zeros: self._call_on(zeros, inputs, args, kwargs))

    def _call_on(self, zeros, inputs, args, kwargs):
        """call() with every symbolic tensor of (inputs, args, kwargs) replaced by zeros of its shape."""
        tensors = symbolic_leaves((inputs, args, kwargs))
        inputs, args, kwargs = replace_symbolic((inputs, args, kwargs), [zeros(t.shape, t.dtype) for t in tensors])
        return self.call(inputs, *args, **{**kwargs, **self._training_kwargs(False)})

    def _activity_loss(self, outputs):
        from nnkit import ops

        batch = ops.cast(flatten(outputs)[0].shape[0], self.dtype)
        return ops.divide(sum(self.activity_regularizer(o) for o in flatten(outputs)), batch)

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """Call the layer with the given weight values instead of its own (Keras 3): returns (outputs, new
        non-trainable values[, added losses]); the layer's Variables keep their values. Differentiable by
        the backend (jax.grad, nnkit's tape), for hand-written training loops."""
        from nnkit.ops.variable import Assigned

        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        if len(trainable_variables) != len(trainable) or len(non_trainable_variables) != len(non_trainable):
            raise ValueError(f"Layer '{self.name}'.stateless_call() needs {len(trainable)} trainable and "
                             f"{len(non_trainable)} non-trainable values, received {len(trainable_variables)} and "
                             f"{len(non_trainable_variables)}.")
        values = list(trainable_variables) + list(non_trainable_variables)
        # Inside a running step (a custom stateless train_step, whose key the trainer threads through jit) the
        # random draws come from that step's key, not from a seed fixed when the step was traced.
        key = call_context.current().next_key() if call_context.inside_call() else None
        with Assigned(trainable + non_trainable, values) as scope, call_context.CallContext(key) as context:
            outputs = self(*args, **kwargs)
            new_state = scope.current()[len(trainable):]
        call_context.keep_layer_losses(context, [self, *self._nested_layers()])  # what compute_loss then sums
        return (outputs, new_state, context.losses) if return_losses else (outputs, new_state)

    def add_loss(self, loss):
        """Add a scalar to the training loss of the current model step (e.g. activity regularization)."""
        if not call_context.inside_call():  # this layer called on its own: its last call's terms
            self._call_losses = [loss]
            return
        context = call_context.current()
        context.losses.append(loss)
        context.loss_owners.append(self)

    @property
    def losses(self):
        """Keras' `layer.losses`: the add_loss terms (activity regularization included) of the last eager call
        of this layer and its sublayers (a model call, or the layer on its own), then the regularization
        penalties of its trainable weights, computed from their current values. Inside a gradient function
        these are traced, so compute_loss differentiates them; the pure steps of fit() keep theirs apart, and
        so does model(x) in inference on a compiling backend (JAX's jitted forward pass records none)."""
        layers = [self, *self._nested_layers()]
        added = [loss for layer in layers for loss in layer.__dict__.get("_call_losses", ())]
        return added + [v.regularizer(v) for v in self.trainable_weights if v.regularizer is not None]

    def _nested_layers(self):
        """Every layer inside this one, recursively (each once)."""
        seen, found = set(), []
        pending = list(self._sublayers)
        for layer in pending:  # breadth first: `pending` grows as the loop reaches each layer's sublayers
            if id(layer) not in seen:
                seen.add(id(layer))
                found.append(layer)
                pending.extend(layer._sublayers)
        return found

    # --- graph connections -------------------------------------------------------------------------
    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has not been called on a symbolic tensor, so it has no {what}.")
        return self._inbound_nodes[0]

    @property
    def output(self):
        """The symbolic output of the layer's first call in a graph."""
        return self._first_node("output").output_structure

    @property
    def input(self):
        """The symbolic input of the layer's first call in a graph."""
        node = self._first_node("input")
        return node.inputs if node.inputs != [] else node.output_structure

    # --- configuration --------------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments that rebuild this layer (weights excluded)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policies.serialize(self.dtype_policy)}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """A new layer from get_config()'s dictionary."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _cast_floats(structure, dtype):
    """`structure` (nested lists, tuples, dicts) with its floating arrays cast to `dtype` where one of the two is
    half precision; the rest as is."""
    kind = type(structure)
    if kind is list or kind is tuple:
        return kind([_cast_floats(item, dtype) for item in structure])
    if kind is dict:
        return {key: _cast_floats(item, dtype) for key, item in structure.items()}
    found = getattr(structure, "dtype", None)
    if found is None or found == dtype or found not in FLOAT_DTYPES or not hasattr(structure, "shape") \
            or (dtype not in HALF_DTYPES and found not in HALF_DTYPES):
        return structure
    from nnkit import ops

    return ops.cast(structure, dtype)


def _shape_leaves(shapes):
    """The individual shapes in a shape, a list of shapes or a dict of shapes."""
    if isinstance(shapes, dict):
        return list(shapes.values())
    if isinstance(shapes, list) or (isinstance(shapes, tuple) and shapes and isinstance(shapes[0], tuple)):
        return list(shapes)
    return [shapes]


def _map_structure_of_shapes(shapes, fn):
    """Apply fn to each shape in a shape, a list of shapes or a dict of shapes."""
    if isinstance(shapes, dict):
        return {k: fn(s) for k, s in shapes.items()}
    if isinstance(shapes, list) or (isinstance(shapes, tuple) and shapes and isinstance(shapes[0], (tuple, list))):
        return [fn(s) for s in shapes]
    return fn(shapes)


__all__ = ["Layer", "InputSpec"]
