"""NumPy backend: eager computation on the CPU, gradients from nnkit's tape, in-place fused updates."""
import math

import numpy as np

from nnkit.backends import xp_pooling
from nnkit.backends import xp_convolution
from nnkit.backends.base import Backend
from nnkit.backends.fused_numpy import make_sgd

_SGD = make_sgd(np)


def _erf_function():
    """SciPy's vectorised erf when SciPy is installed, else the exact math.erf applied elementwise."""
    try:
        from scipy.special import erf
    except ImportError:
        exact = np.vectorize(math.erf, otypes=[np.float64])
        return lambda x: exact(x).astype(x.dtype, copy=False)
    return erf


class NumpyBackend(Backend):
    name = "numpy"
    xp = np
    pip_extra = None

    def __init__(self):
        self._erf = _erf_function()
        self._conv_workspace = xp_convolution.Workspace(np)

    def asarray(self, value, dtype=None):
        array = np.asarray(value, dtype=dtype)
        if isinstance(array, np.ndarray) and not array.flags.writeable:
            array = array.copy()
        return array

    def to_numpy(self, value):
        return np.asarray(value)

    def is_array(self, value):
        return isinstance(value, (np.ndarray, np.generic))

    def describe(self):
        return "CPU (NumPy)"

    def value_and_grad(self, fn):
        from nnkit.ops.tape import value_and_grad

        return value_and_grad(fn)

    def scan(self, step, carry, xs):
        from nnkit.ops.eager_scan import eager_scan

        return eager_scan(step, carry, xs)

    def random_key(self, seed):
        return np.array([int(seed) % 2**64, 0], dtype=np.uint64)

    def fold_in(self, key, data):
        state = np.random.SeedSequence([int(k) for k in key] + [int(data) % 2**64]).generate_state(2, np.uint64)
        return state

    def _generator(self, key):
        return np.random.Generator(np.random.Philox(key=[int(k) for k in key]))

    def uniform(self, key, shape, dtype, minval=0.0, maxval=1.0):
        kind = np.float32 if np.dtype(dtype) == np.float32 else np.float64
        sample = self._generator(key).random(shape, dtype=kind)
        scaled = minval != 0.0 or maxval != 1.0
        if scaled:
            sample = sample * (maxval - minval) + minval
        sample = sample.astype(dtype, copy=False)
        if scaled or sample.dtype != kind:
            # Rounding (scaling, or the cast to float16) can reach maxval itself: keep [minval, maxval).
            top = np.nextafter(np.asarray(maxval, sample.dtype), np.asarray(minval, sample.dtype))
            sample = np.minimum(sample, top)
        return sample

    def normal(self, key, shape, dtype):
        kind = np.float32 if np.dtype(dtype) == np.float32 else np.float64
        return self._generator(key).standard_normal(shape, dtype=kind).astype(dtype, copy=False)

    def erf(self, x):
        return self._erf(x)

    def index_add(self, target, index, updates):
        np.add.at(target, index, updates)
        return target

    # --- pooling windows -------------------------------------------------------------------------
    def max_pool(self, x, pool_size, strides, padding, data_format):
        return xp_pooling.max_pool(np, x, pool_size, strides, padding, data_format)

    def max_pool_backward(self, x, out, g, pool_size, strides, padding, data_format):
        return xp_pooling.max_pool_backward(np, x, out, g, pool_size, strides, padding, data_format)

    def average_pool(self, x, pool_size, strides, padding, data_format):
        return xp_pooling.average_pool(np, x, pool_size, strides, padding, data_format)

    def average_pool_backward(self, g, input_shape, pool_size, strides, padding, data_format):
        return xp_pooling.average_pool_backward(np, g, input_shape, pool_size, strides, padding, data_format)

    # --- convolution kernels ---
    def conv(self, x, kernel, strides, padding, dilation, groups):
        return xp_convolution.conv(np, x, kernel, strides, padding, dilation, groups, self._conv_workspace)

    def conv_input_grad(self, g, kernel, input_shape, strides, padding, dilation, groups):
        return xp_convolution.conv_input_grad(np, g, kernel, input_shape, strides, padding, dilation, groups,
                                              self._conv_workspace)

    def conv_kernel_grad(self, x, g, kernel_shape, strides, padding, dilation, groups):
        return xp_convolution.conv_kernel_grad(np, x, g, kernel_shape, strides, padding, dilation, groups,
                                               self._conv_workspace)

    def fused_update(self, kind):
        if kind == "adam":
            from nnkit.backends.numba_kernels import adam

            return adam
        return _SGD if kind == "sgd" else None

    def replicas(self, distribution):
        """DataParallel runs over the MPI processes mpirun (or srun) started, one replica each."""
        if distribution is None:
            return super().replicas(distribution)
        from nnkit.distribution.mpi import mpi_replicas

        return mpi_replicas(self, distribution)

    def initialize_processes(self, coordinator, num_processes, process_id):
        """MPI processes join their job when mpirun (or srun) starts them: only check that this one did."""
        from nnkit.distribution.mpi import check_job

        check_job(self, num_processes, process_id)

    def fused_recurrence(self, kind):
        from nnkit.backends.numba_kernels import gru_sequence, lstm_sequence

        return {"lstm": lstm_sequence, "gru": gru_sequence}.get(kind)
