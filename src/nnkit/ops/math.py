"""Elementwise math: arithmetic, transcendental functions, comparisons, where/clip and casts."""
from nnkit.ops.primitive import primitive, unbroadcast


# --- binary arithmetic (gradients summed back over broadcast axes) ----------------------------
@primitive
def add(xp, a, b):
    return xp.add(a, b)


add.defvjp(lambda xp, g, out, a, b: unbroadcast(xp, g, a), lambda xp, g, out, a, b: unbroadcast(xp, g, b))


@primitive
def subtract(xp, a, b):
    return xp.subtract(a, b)


subtract.defvjp(lambda xp, g, out, a, b: unbroadcast(xp, g, a), lambda xp, g, out, a, b: unbroadcast(xp, -g, b))


@primitive
def multiply(xp, a, b):
    return xp.multiply(a, b)


multiply.defvjp(
    lambda xp, g, out, a, b: unbroadcast(xp, g * b, a),
    lambda xp, g, out, a, b: unbroadcast(xp, g * a, b),
)


@primitive
def divide(xp, a, b):
    return xp.divide(a, b)


divide.defvjp(
    lambda xp, g, out, a, b: unbroadcast(xp, g / b, a),
    lambda xp, g, out, a, b: unbroadcast(xp, -g * out / b, b),
)


@primitive
def power(xp, a, b):
    return xp.power(a, b)


power.defvjp(
    lambda xp, g, out, a, b: unbroadcast(xp, g * b * xp.power(a, b - 1), a),
    # astype: with a Python-scalar base, where() makes a float64 array that would upcast float32 grads.
    lambda xp, g, out, a, b: unbroadcast(xp, g * out * xp.log(xp.where(a > 0, a, 1)).astype(out.dtype), b),
)


@primitive
def maximum(xp, a, b):
    return xp.maximum(a, b)


maximum.defvjp(
    lambda xp, g, out, a, b: unbroadcast(xp, g * (a >= b), a),
    lambda xp, g, out, a, b: unbroadcast(xp, g * (a < b), b),
)


@primitive
def minimum(xp, a, b):
    return xp.minimum(a, b)


minimum.defvjp(
    lambda xp, g, out, a, b: unbroadcast(xp, g * (a <= b), a),
    lambda xp, g, out, a, b: unbroadcast(xp, g * (a > b), b),
)


# --- unary -------------------------------------------------------------------------------------
@primitive
def negative(xp, x):
    return xp.negative(x)


negative.defvjp(lambda xp, g, out, x: -g)


@primitive
def exp(xp, x):
    return xp.exp(x)


exp.defvjp(lambda xp, g, out, x: g * out)


@primitive
def expm1(xp, x):
    return xp.expm1(x)


expm1.defvjp(lambda xp, g, out, x: g * (out + 1))


@primitive
def log(xp, x):
    return xp.log(x)


log.defvjp(lambda xp, g, out, x: g / x)


@primitive
def log1p(xp, x):
    return xp.log1p(x)


log1p.defvjp(lambda xp, g, out, x: g / (x + 1))


@primitive
def sqrt(xp, x):
    return xp.sqrt(x)


sqrt.defvjp(lambda xp, g, out, x: g * 0.5 / out)


@primitive
def square(xp, x):
    return xp.square(x)


square.defvjp(lambda xp, g, out, x: g * 2 * x)


@primitive
def abs(xp, x):
    return xp.abs(x)


abs.defvjp(lambda xp, g, out, x: g * xp.sign(x))


@primitive
def sin(xp, x):
    return xp.sin(x)


sin.defvjp(lambda xp, g, out, x: g * xp.cos(x))


@primitive
def cos(xp, x):
    return xp.cos(x)


cos.defvjp(lambda xp, g, out, x: -g * xp.sin(x))


@primitive
def tanh(xp, x):
    return xp.tanh(x)


tanh.defvjp(lambda xp, g, out, x: g * (1 - out * out))


@primitive
def reciprocal(xp, x):
    return xp.reciprocal(x)


reciprocal.defvjp(lambda xp, g, out, x: -g * out * out)


@primitive
def erf(xp, x):
    from nnkit.backends import active

    return active.backend.erf(x)


erf.defvjp(lambda xp, g, out, x: g * (2.0 / 3.141592653589793**0.5) * xp.exp(-x * x))


# --- piecewise ---------------------------------------------------------------------------------
@primitive
def where(xp, condition, a, b):
    return xp.where(condition, a, b)


where.defvjp(
    None,
    lambda xp, g, out, c, a, b: unbroadcast(xp, xp.where(c, g, 0), a),
    lambda xp, g, out, c, a, b: unbroadcast(xp, xp.where(c, 0, g), b),
)


@primitive
def clip(xp, x, min_value, max_value):
    return xp.clip(x, min_value, max_value)


clip.defvjp(
    lambda xp, g, out, x, lo, hi: unbroadcast(xp, g * ((x >= lo) & (x <= hi)), x),
    lambda xp, g, out, x, lo, hi: unbroadcast(xp, g * (x < lo), lo),
    lambda xp, g, out, x, lo, hi: unbroadcast(xp, g * (x > hi), hi),
)


# --- no gradient --------------------------------------------------------------------------------
@primitive
def sign(xp, x):
    return xp.sign(x)


@primitive
def floor(xp, x):
    return xp.floor(x)


@primitive
def round(xp, x):
    return xp.round(x)


@primitive
def equal(xp, a, b):
    return xp.equal(a, b)


@primitive
def not_equal(xp, a, b):
    return xp.not_equal(a, b)


@primitive
def greater(xp, a, b):
    return xp.greater(a, b)


@primitive
def greater_equal(xp, a, b):
    return xp.greater_equal(a, b)


@primitive
def less(xp, a, b):
    return xp.less(a, b)


@primitive
def less_equal(xp, a, b):
    return xp.less_equal(a, b)


@primitive
def logical_and(xp, a, b):
    return xp.logical_and(a, b)


@primitive
def logical_or(xp, a, b):
    return xp.logical_or(a, b)


@primitive
def logical_not(xp, x):
    return xp.logical_not(x)


@primitive
def isnan(xp, x):
    return xp.isnan(x)


@primitive
def isfinite(xp, x):
    return xp.isfinite(x)


@primitive
def stop_gradient(xp, x):
    """The value of `x`, treated as a constant by differentiation."""
    from nnkit.backends import active

    return active.backend.stop_gradient(x)


# --- dtype ---------------------------------------------------------------------------------------
@primitive
def cast(xp, x, dtype):
    return xp.asarray(x).astype(dtype)


cast.defvjp(lambda xp, g, out, x, dtype: g.astype(x.dtype) if hasattr(x, "dtype") else g)
