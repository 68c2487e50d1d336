"""JAX backend: XLA-compiled computation on CPU, GPU or TPU; gradients from jax.value_and_grad."""
import math
import weakref

import jax
import jax.numpy as jnp
import numpy as np

from nnkit.backends import xp_pooling
from nnkit.backends.base import Backend


class JaxBackend(Backend):
    name = "jax"
    xp = jnp
    pip_extra = "jax"
    uses_tape = False
    host_memory = False
    jit_takes_host_arrays = True

    def __init__(self):
        self._rule_functions = {}  # (primitive, kwargs) -> the primitive as a jax.custom_vjp function
        self._origins = {}  # id(result) -> (weak reference to result, primitive, args, kwargs)
        self._switched_x64_on = False
        from nnkit.config import floatx

        self.use_floatx(floatx())

    def use_floatx(self, dtype):
        """float64 needs JAX's x64 mode (else JAX silently computes in float32): on while floatx is float64,
        and off again afterwards if this switched it on."""
        if dtype == "float64" and not jax.config.read("jax_enable_x64"):
            jax.config.update("jax_enable_x64", True)
            self._switched_x64_on = True
        elif dtype != "float64" and self._switched_x64_on:
            jax.config.update("jax_enable_x64", False)
            self._switched_x64_on = False

    def asarray(self, value, dtype=None):
        if isinstance(value, np.ndarray) and value.dtype == jax.dtypes.canonicalize_dtype(value.dtype) \
                and dtype in (None, value.dtype):
            return jax.device_put(value)  # one transfer: about twice as fast as jnp.asarray on large arrays
        return jnp.asarray(value, dtype=dtype)

    def to_numpy(self, value):
        return np.asarray(value)

    def is_array(self, value):
        return isinstance(value, jax.Array)

    def block_until_ready(self, tree):
        return jax.block_until_ready(tree)

    def describe(self):
        device = jax.devices()[0]
        return f"{device.platform.upper()} ({device.device_kind}, JAX {jax.__version__})"

    def replicas(self, distribution):
        if distribution is None:
            return super().replicas(None)
        from nnkit.backends.jax_sharding import ShardedReplicas

        return ShardedReplicas(distribution)

    def list_devices(self, device_type=None):
        from nnkit.backends.jax_sharding import list_device_names

        return list_device_names(device_type)

    def initialize_processes(self, coordinator, num_processes, process_id):
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id)

    def value_and_grad(self, fn):
        return jax.value_and_grad(fn, has_aux=True)

    def jit(self, fn, donate_argnums=()):
        return jax.jit(fn, donate_argnums=donate_argnums)

    def apply_with_rules(self, primitive, args, kwargs):
        result = self._rule_function(primitive, kwargs)(*args)
        key, origins = id(result), self._origins
        origins[key] = (weakref.ref(result, lambda _: origins.pop(key, None)), primitive, args, kwargs)
        return result

    def made_by(self, value):
        origin = self._origins.get(id(value))
        return None if origin is None or origin[0]() is not value else origin[1:]

    def _rule_function(self, primitive, kwargs):
        """`primitive` with these keyword arguments as a jax.custom_vjp function of its positional ones."""
        key = (primitive, tuple(sorted(kwargs.items())))
        try:
            return self._rule_functions[key]
        except KeyError:
            pass
        except TypeError:  # unhashable keyword values: build a function for this call alone
            key = None

        def forward(*args):
            return primitive.forward(jnp, *args, **kwargs)

        def forward_and_residuals(*args):
            result = forward(*args)
            return result, (args, result)

        def backward(residuals, g):
            args, result = residuals
            rules = [primitive.rule(i) for i in range(len(args))]
            return tuple(None if rule is None else rule(jnp, g, result, *args, **kwargs) for rule in rules)

        function = jax.custom_vjp(forward)
        function.defvjp(forward_and_residuals, backward)
        if key is not None:
            self._rule_functions[key] = function
        return function

    def stop_gradient(self, x):
        return jax.lax.stop_gradient(x)

    def scan(self, step, carry, xs):
        return jax.lax.scan(step, carry, xs)

    def random_key(self, seed):
        return jax.random.PRNGKey(int(seed) % 2**32)

    def fold_in(self, key, data):
        if isinstance(data, int):  # any Python int, as on the other backends (jax takes a uint32)
            data %= 2**32
        return jax.random.fold_in(key, data)

    def uniform(self, key, shape, dtype, minval=0.0, maxval=1.0):
        return jax.random.uniform(key, shape, dtype=dtype, minval=minval, maxval=maxval)

    def normal(self, key, shape, dtype):
        return jax.random.normal(key, shape, dtype=dtype)

    def erf(self, x):
        return jax.scipy.special.erf(x)

    def index_add(self, target, index, updates):
        return target.at[index].add(updates)

    # --- convolution kernels: XLA's convolution; its gradients are its linear transposes ---
    def conv(self, x, kernel, strides, padding, dilation, groups):
        numbers = jax.lax.conv_dimension_numbers(x.shape, kernel.shape, _channels_last_dimensions(x.ndim - 2))
        return jax.lax.conv_general_dilated(
            x, kernel, window_strides=tuple(strides), padding=[tuple(p) for p in padding],
            rhs_dilation=tuple(dilation), dimension_numbers=numbers, feature_group_count=groups)

    def conv_input_grad(self, g, kernel, input_shape, strides, padding, dilation, groups):
        def forward(x):
            return self.conv(x, kernel, strides, padding, dilation, groups)

        (grad,) = jax.linear_transpose(forward, jax.ShapeDtypeStruct(tuple(input_shape), g.dtype))(g)
        return grad

    def conv_kernel_grad(self, x, g, kernel_shape, strides, padding, dilation, groups):
        def forward(kernel):
            return self.conv(x, kernel, strides, padding, dilation, groups)

        (grad,) = jax.linear_transpose(forward, jax.ShapeDtypeStruct(tuple(kernel_shape), g.dtype))(g)
        return grad

    # --- pooling windows (lax.reduce_window: XLA sees one construct and JAX differentiates it) ----------
    def max_pool(self, x, pool_size, strides, padding, data_format):
        dims, steps = _window_shape(x.ndim, pool_size, strides, data_format)
        # Concrete (NumPy) initial values let JAX see a max/add monoid, which it knows how to differentiate.
        lowest = -np.inf if jnp.issubdtype(x.dtype, jnp.floating) else np.iinfo(x.dtype).min
        return jax.lax.reduce_window(x, np.array(lowest, x.dtype), jax.lax.max, dims, steps, padding.upper())

    def max_pool_backward(self, x, out, g, pool_size, strides, padding, data_format):
        _, pullback = jax.vjp(lambda t: self.max_pool(t, pool_size, strides, padding, data_format), x)
        return pullback(g)[0]

    def average_pool(self, x, pool_size, strides, padding, data_format):
        dims, steps = _window_shape(x.ndim, pool_size, strides, data_format)
        total = jax.lax.reduce_window(x, np.array(0, x.dtype), jax.lax.add, dims, steps, padding.upper())
        if padding == "valid":
            return total / math.prod(pool_size)
        pooled = xp_pooling.spatial_axes(x.ndim, data_format)
        ones = jnp.ones(tuple(n if axis in pooled else 1 for axis, n in enumerate(x.shape)), x.dtype)
        counts = jax.lax.reduce_window(ones, np.array(0, x.dtype), jax.lax.add, dims, steps, "SAME")
        return total / counts

    def average_pool_backward(self, g, input_shape, pool_size, strides, padding, data_format):
        x = jnp.zeros(input_shape, g.dtype)
        _, pullback = jax.vjp(lambda t: self.average_pool(t, pool_size, strides, padding, data_format), x)
        return pullback(g)[0]


def _channels_last_dimensions(rank):
    """lax dimension names for channels-last inputs, Keras kernels (*kernel, in, out) and outputs."""
    spatial = "DHWXYZUVST"[:rank]
    return ("N" + spatial + "C", spatial + "IO", "N" + spatial + "C")


def _window_shape(ndim, pool_size, strides, data_format):
    """reduce_window's window dimensions and strides: the pooled axes get pool_size/strides, the others 1."""
    dims, steps = [1] * ndim, [1] * ndim
    for axis, pool, stride in zip(xp_pooling.spatial_axes(ndim, data_format), pool_size, strides):
        dims[axis], steps[axis] = pool, stride
    return tuple(dims), tuple(steps)
