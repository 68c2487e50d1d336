"""JAX backend: XLA-compiled computation on CPU, GPU or TPU; gradients from jax.value_and_grad."""
import jax
import jax.numpy as jnp
import numpy as np

from nnkit.backends.base import Backend


class JaxBackend(Backend):
    name = "jax"
    xp = jnp
    pip_extra = "jax"
    uses_tape = False
    host_memory = False
    jit_takes_host_arrays = True

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

    def value_and_grad(self, fn):
        return jax.value_and_grad(fn, has_aux=True)

    def jit(self, fn, donate_argnums=()):
        return jax.jit(fn, donate_argnums=donate_argnums)

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
