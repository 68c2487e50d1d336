"""A layer call's arguments by name: `(inputs, *args, **kwargs)` bound to the parameters of the layer's call()."""
import inspect


def bind_call(layer, inputs, args, kwargs):
    """{call() parameter name: value} for this call; a TypeError naming the layer when call() cannot take it."""
    signature = inspect.signature(layer.call)
    try:
        return signature.bind(inputs, *args, **kwargs).arguments
    except TypeError as error:
        raise TypeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) cannot be called with {1 + len(args)} positional "
            f"argument(s) and keywords {sorted(kwargs)}: {error}. Its call signature is call{signature}."
        ) from None
