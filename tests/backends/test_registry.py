"""The backend registry: listing, lookup, errors that name the fix, one instance per backend, activation."""
import importlib.util
import sys

import pytest

import nnkit.backends as backends
from nnkit.backends import active, available_backends, current, get_backend
from nnkit.backends.base import Backend


def test_available_backends_lists_the_installed_ones():
    names = available_backends()
    assert "numpy" in names
    assert ("jax" in names) == (importlib.util.find_spec("jax") is not None)
    assert all(isinstance(n, str) for n in names)


def test_unknown_backend_is_a_value_error_naming_the_installed_ones():
    with pytest.raises(ValueError) as info:
        get_backend("nope")
    message = str(info.value)
    assert "'nope'" in message
    for name in available_backends():
        assert name in message


def test_missing_library_is_an_import_error_naming_the_pip_extra(monkeypatch):
    """A registered backend whose array library is not installed (simulated): the error says how to install it."""
    monkeypatch.setitem(
        backends._REGISTRY, "fake", ("nnkit.backends._no_such_backend_module", "FakeBackend", "fakelib", "fakeextra")
    )
    assert "fake" not in available_backends()  # its library is not importable
    with pytest.raises(ImportError) as info:
        get_backend("fake")
    message = str(info.value)
    assert "fake" in message and "fakelib" in message
    assert "pip install 'nnkit[fakeextra]'" in message
    assert "numpy" in message  # and lists what is installed


def test_registered_jax_without_jax_installed(monkeypatch):
    """The real jax entry with jax missing: a clean ImportError with `pip install 'nnkit[jax]'`."""
    import builtins

    real_import = builtins.__import__

    def no_jax(name, *args, **kwargs):
        if name == "jax" or name.startswith("jax."):
            raise ModuleNotFoundError("No module named 'jax'", name="jax")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(backends, "_instances", {})
    monkeypatch.delitem(sys.modules, "nnkit.backends.jax_backend", raising=False)  # restored afterwards
    monkeypatch.setattr(builtins, "__import__", no_jax)
    with pytest.raises(ImportError) as info:
        get_backend("jax")
    assert "No module named 'jax'" in str(info.value)  # the failure really is the missing library
    assert "pip install 'nnkit[jax]'" in str(info.value)


@pytest.mark.parametrize("name", available_backends())
def test_get_backend_returns_the_same_instance(name):
    first = get_backend(name)
    assert get_backend(name) is first
    assert isinstance(first, Backend) and first.name == name
    assert get_backend(first) is first  # an instance passes through


def test_default_backend_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NNKIT_BACKEND", "numpy")
    assert get_backend(None) is get_backend("numpy")
    monkeypatch.setenv("NNKIT_BACKEND", "nope")
    with pytest.raises(ValueError):
        get_backend()


def test_using_activates_and_restores(backend):
    numpy_backend = get_backend("numpy")
    assert current() is backend and active.xp is backend.xp
    with active.using(numpy_backend):
        assert current() is numpy_backend and active.xp is numpy_backend.xp
    assert current() is backend
    with pytest.raises(RuntimeError):
        with active.using(numpy_backend):
            raise RuntimeError
    assert current() is backend and active.xp is backend.xp
