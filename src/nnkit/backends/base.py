"""The contract every array backend fills: arrays, transfer, randomness, differentiation, compilation."""


class Backend:
    """One array library behind nnkit.ops. Subclasses set `name`, `xp` and implement the methods below.

    `xp` is a NumPy-compatible array namespace; ops call it for the math. Everything a compiler must see
    as one construct (value_and_grad, jit, scan, random keys, special functions) is a method here, so
    code above `nnkit.ops` never branches on the backend.
    """

    name = None
    xp = None
    pip_extra = None
    #: True when gradients come from nnkit's own tape (NumPy, CuPy); False when the library traces (JAX).
    uses_tape = True
    #: True when backend arrays live in host memory, so uploading data ahead of time gains nothing.
    host_memory = True
    #: True when compiled functions accept host NumPy arrays and copy them in the same dispatch (JAX), so
    #: converting them first would only add a second dispatch.
    jit_takes_host_arrays = False

    # --- arrays and transfer -------------------------------------------------------------------
    def asarray(self, value, dtype=None):
        """Move a host value (array, scalar, list) onto this backend's device."""
        raise NotImplementedError

    def to_numpy(self, value):
        """Copy a backend array back to a host NumPy array."""
        raise NotImplementedError

    def is_array(self, value):
        """Whether `value` is an array of this backend (so needs no conversion)."""
        raise NotImplementedError

    def block_until_ready(self, tree):
        """Wait for asynchronous work producing `tree` to finish (no-op on synchronous backends)."""
        return tree

    def describe(self):
        """A one-line description of the device the backend computes on."""
        raise NotImplementedError

    # --- differentiation and compilation ---------------------------------------------------------
    def value_and_grad(self, fn):
        """Wrap fn(params, *args) -> (loss, aux) into f(params, *args) -> ((loss, aux), grads)."""
        raise NotImplementedError

    def jit(self, fn, donate_argnums=()):
        """Compile `fn` into one program (JAX) or return it unchanged (eager backends)."""
        return fn

    def apply_with_rules(self, primitive, args, kwargs):
        """Call a primitive whose VJP rules hold everywhere; a tracing backend differentiates the call
        with those rules and remembers which primitive made the result (see `made_by`)."""
        return primitive.forward(self.xp, *args, **kwargs)

    def made_by(self, value):
        """(primitive, args, kwargs) of the `apply_with_rules` call that returned `value`, where the backend
        can tell (its arrays are immutable, so the record stays true); else None."""
        return None

    def stop_gradient(self, x):
        """`x` as a constant for differentiation (the tape already skips primitives with no VJP)."""
        return x

    def scan(self, step, carry, xs):
        """Run carry, y = step(carry, x) over the leading axis of xs; returns (carry, stacked ys)."""
        raise NotImplementedError

    # --- randomness from explicit keys ----------------------------------------------------------
    # --- float precision (nnkit.config.set_floatx) --------------------------------------------------------
    def use_floatx(self, dtype):
        """Make computing in `dtype` possible (JAX must switch float64 on); by default nothing to do."""

    def random_key(self, seed):
        """A key for the random functions below, made from an integer seed."""
        raise NotImplementedError

    def fold_in(self, key, data):
        """A new key derived deterministically from `key` and the integer `data`."""
        raise NotImplementedError

    def uniform(self, key, shape, dtype, minval=0.0, maxval=1.0):
        """Uniform samples in [minval, maxval)."""
        raise NotImplementedError

    def normal(self, key, shape, dtype):
        """Standard normal samples."""
        raise NotImplementedError

    # --- special functions and kernels ----------------------------------------------------------
    def erf(self, x):
        """The error function, elementwise."""
        raise NotImplementedError

    def index_add(self, target, index, updates):
        """`target` with `updates` added at `index` (repeated indices accumulate); may reuse `target`."""
        raise NotImplementedError

    # --- convolution kernels (channels-last; padding: one explicit (before, after) pair per spatial axis) ---
    def conv(self, x, kernel, strides, padding, dilation, groups):
        """Cross-correlation of x (batch, *spatial, channels) with kernel (*kernel, channels / groups, filters)."""
        raise NotImplementedError

    def conv_input_grad(self, g, kernel, input_shape, strides, padding, dilation, groups):
        """Gradient of sum(conv(x, kernel) * g) with respect to x of `input_shape` (the transposed convolution)."""
        raise NotImplementedError

    def conv_kernel_grad(self, x, g, kernel_shape, strides, padding, dilation, groups):
        """Gradient of sum(conv(x, kernel) * g) with respect to a kernel of `kernel_shape`."""
        raise NotImplementedError

    # --- pooling windows (max, average) --------------------------------------------------------
    # x has one batch axis, the pooled axes, and one channels axis (last or first, per data_format);
    # pool_size and strides hold one int per pooled axis; padding is 'valid' or 'same' (TensorFlow's rule).
    def max_pool(self, x, pool_size, strides, padding, data_format):
        """The maximum of each window."""
        raise NotImplementedError

    def max_pool_backward(self, x, out, g, pool_size, strides, padding, data_format):
        """The gradient of `max_pool` with respect to `x` for the output gradient `g` (`out` its output)."""
        raise NotImplementedError

    def average_pool(self, x, pool_size, strides, padding, data_format):
        """The mean of each window; with 'same' padding only real (unpadded) elements count."""
        raise NotImplementedError

    def average_pool_backward(self, g, input_shape, pool_size, strides, padding, data_format):
        """The gradient of `average_pool` with respect to its input of `input_shape`."""
        raise NotImplementedError

    # --- distribution over devices and processes (nnkit.distribution) ------------------------------------
    def replicas(self, distribution):
        """The Replicas the trainer runs `distribution` through; None: the single-device no-op."""
        from nnkit.distribution.replicas import Replicas

        if distribution is None:
            return Replicas()
        raise ValueError(f"The {self.name} backend cannot run {distribution!r}: compile without a distribution, "
                         f"or with a backend that runs it (jax).")

    def list_devices(self, device_type=None):
        """Names ("cpu:0", ...) of the devices this backend computes on, of `device_type` only if given."""
        return [] if device_type not in (None, "cpu") else ["cpu:0"]

    def initialize_processes(self, coordinator, num_processes, process_id):
        """Join a multi-process job (coordinator "host:port", process count, this process's id; None: detect)."""
        raise ValueError(f"The {self.name} backend cannot run a multi-process job; use a backend that can (jax).")

    # --- fused updates --------------------------------------------------------------------------
    def fused_update(self, kind):
        """An in-place update kernel for an optimizer `kind` ('adam', 'sgd', ...), or None to use the
        generic update written with nnkit.ops."""
        return None

    # --- fused recurrences ----------------------------------------------------------------------
    def fused_recurrence(self, kind):
        """A primitive running a whole recurrent sequence of `kind` ('lstm', 'gru') with a closed-form VJP, for
        backends whose per-op cost makes a step-by-step tape slow; None to use `scan` over generic steps."""
        return None

    def __deepcopy__(self, memo):
        """A backend is a process-wide singleton: copies of objects that refer to it share it."""
        return self

    def __repr__(self):
        return f"<nnkit backend {self.name!r}>"
