"""Streaming benchmark: one epoch of the mlp workload (784-512-512-10, Adam, batch 128) trained from a
PyDataset that reads each batch from its own .npy file on disk, against the same epoch on in-memory arrays
(the device-resident fast path). The data set on disk is `--batches` batches; the PyDataset holds one batch,
the prefetch queue two more: the streamed run keeps over 10 x less than the data set in memory (the
whole set is also loaded, for the in-memory run it is compared with).

    python -m benchmarks.pydataset_streaming --backend jax --batches 200 --repeats 3
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np

BATCH, FEATURES, CLASSES = 128, 784, 10


class DiskBatches:
    """Batch i lives in x_i.npy / y_i.npy; nothing else is kept."""

    def __init__(self, folder, count):
        import nnkit

        class Dataset(nnkit.utils.PyDataset):
            def __len__(self):
                return count

            def __getitem__(self, index):
                return (np.load(os.path.join(folder, f"x_{index}.npy")),
                        np.load(os.path.join(folder, f"y_{index}.npy")))

        self.dataset = Dataset()


def write_batches(folder, count, rng):
    teacher = rng.standard_normal((FEATURES, CLASSES)).astype(np.float32)
    for index in range(count):
        x = rng.standard_normal((BATCH, FEATURES)).astype(np.float32)
        y = np.eye(CLASSES, dtype=np.float32)[np.argmax(x @ teacher, axis=1)]
        np.save(os.path.join(folder, f"x_{index}.npy"), x)
        np.save(os.path.join(folder, f"y_{index}.npy"), y)


def read_all(folder, count):
    return (np.concatenate([np.load(os.path.join(folder, f"x_{i}.npy")) for i in range(count)]),
            np.concatenate([np.load(os.path.join(folder, f"y_{i}.npy")) for i in range(count)]))


def build(backend):
    import nnkit
    from nnkit import layers

    nnkit.utils.set_random_seed(0)
    model = nnkit.Sequential([layers.Input((FEATURES,)), layers.Dense(512, activation="relu"),
                              layers.Dense(512, activation="relu"), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=nnkit.optimizers.Adam(1e-3), loss="categorical_crossentropy", backend=backend)
    return model


def epoch_seconds(model, repeats, runs):
    """{name: median wall time of one fit epoch} for each (name, args, kwargs) in `runs`, after a warm-up
    epoch each (compilation); the runs alternate, so a change in the machine's load hits them alike."""
    def one_epoch(args, kwargs):
        start = time.perf_counter()
        model.fit(*args, epochs=1, verbose=0, **kwargs)
        model.get_weights()  # waits for the device
        return time.perf_counter() - start

    for _, args, kwargs in runs:
        one_epoch(args, kwargs)
    times = {name: [] for name, _, _ in runs}
    for _ in range(repeats):
        for name, args, kwargs in runs:
            times[name].append(one_epoch(args, kwargs))
    return {name: statistics.median(values) for name, values in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="jax")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        write_batches(folder, args.batches, np.random.default_rng(0))
        x, y = read_all(folder, args.batches)
        model = build(args.backend)
        seconds = epoch_seconds(model, args.repeats, [
            ("in_memory", (x, y), {"batch_size": BATCH, "shuffle": False}),
            ("streamed", (DiskBatches(folder, args.batches).dataset,), {})])
    in_memory, streamed = seconds["in_memory"], seconds["streamed"]
    per_step = 1e3 / args.batches
    print(f"backend {args.backend}, {args.batches} batches of {BATCH}: in-memory arrays {in_memory * per_step:.2f} "
          f"ms/step, PyDataset from disk {streamed * per_step:.2f} ms/step, ratio {streamed / in_memory:.3f}")


if __name__ == "__main__":
    main()
