"""Multi-device checks of the JAX SPMD distribution, run in one subprocess with 4 host CPU devices
(XLA_FLAGS=--xla_force_host_platform_device_count=4 must be set before jax is imported).
Prints one JSON object of results that tests/backends/test_jax_sharding.py asserts on."""
import json

import numpy as np

import nnkit
from nnkit import distribution as dist
from nnkit.layers import BatchNormalization, Dense

rng = np.random.default_rng(0)
X = rng.normal(size=(64, 6)).astype("float32")
Y = rng.normal(size=(64, 4)).astype("float32")


def model(batch_norm=False):
    """The same initial weights every call; layer names fixed so LayoutMap keys match."""
    nnkit.set_random_seed(1)
    layers = [Dense(8, activation="relu", name="hidden", input_shape=(6,))]
    if batch_norm:
        layers.append(BatchNormalization(name="norm"))
    return nnkit.Sequential(layers + [Dense(4, name="head")])


def fit(distribution, batch_norm=False, samples=64, **fit_args):
    net = model(batch_norm)
    net.compile("adam", "mse", metrics=["mae"], backend="jax", distribution=distribution)
    history = net.fit(X[:samples], Y[:samples], batch_size=16, epochs=2, shuffle=False, verbose=0, **fit_args)
    return net, history.history


def relative_difference(a, b):
    """The largest |a - b| relative to the largest |a|, over all weight arrays."""
    return max(float(np.max(np.abs(x - y)) / np.max(np.abs(x))) for x, y in zip(a.get_weights(), b.get_weights()))


def sharding(variable):
    value = variable.value
    return {"spec": [None if axis is None else str(axis) for axis in value.sharding.spec],
            "devices": len(value.sharding.device_set), "shard_shape": list(value.addressable_shards[0].data.shape)}


def main():
    results = {"devices": dist.list_devices(backend="jax")}
    validation = (X[:32], Y[:32])
    single, single_history = fit(None, validation_data=validation)
    parallel, parallel_history = fit(dist.DataParallel(), validation_data=validation)
    results["data_parallel"] = {"difference": relative_difference(single, parallel),
                                "loss": [single_history["loss"], parallel_history["loss"]],
                                "val_loss": [single_history["val_loss"], parallel_history["val_loss"]],
                                "kernel": sharding(parallel.get_layer("hidden").kernel),
                                "count": parallel._trainer.replicas.count}
    x_test = X[:40]
    results["evaluate"] = [single.evaluate(x_test, Y[:40], batch_size=8, verbose=0),
                           parallel.evaluate(x_test, Y[:40], batch_size=8, verbose=0)]
    results["predict"] = float(np.max(np.abs(single.predict(x_test, batch_size=8, verbose=0)
                                             - parallel.predict(x_test, batch_size=8, verbose=0))))

    mesh = dist.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = dist.LayoutMap(mesh)
    layout_map["hidden/kernel"] = (None, "model")
    layout_map["head/.*"] = None
    sharded, sharded_history = fit(dist.ModelParallel(layout_map=layout_map), validation_data=validation)
    results["model_parallel"] = {"difference": relative_difference(single, sharded),
                                 "val_loss": [single_history["val_loss"], sharded_history["val_loss"]],
                                 "kernel": sharding(sharded.get_layer("hidden").kernel),
                                 "head": sharding(sharded.get_layer("head").kernel),
                                 "count": sharded._trainer.replicas.count}

    # 62 samples: the last batch of 14 rows does not split over 4 devices and is replicated instead.
    single, _ = fit(None, batch_norm=True, samples=62)
    parallel, _ = fit(dist.DataParallel(devices=dist.list_devices(backend="jax")), batch_norm=True, samples=62)
    results["batch_norm"] = relative_difference(single, parallel)

    dist.set_distribution(dist.DataParallel())  # compile() without distribution= takes the one set here
    try:
        net = model()
        net.compile("sgd", "mse", backend="jax")
        results["set_distribution_count"] = net._trainer.replicas.count
        net.fit(X, Y, batch_size=6, epochs=1, verbose=0)
        results["indivisible"] = None
    except ValueError as error:
        results["indivisible"] = str(error)
    finally:
        dist.set_distribution(None)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
