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

from benchmarks.workloads import LEARNING_RATE, WORKLOADS, keras_style_stack, make_data

WORKLOAD = WORKLOADS["mlp"]


def disk_dataset(folder, count):
    """A PyDataset whose batch i lives in x_i.npy / y_i.npy; nothing else is kept."""
    import nnkit

    class DiskBatches(nnkit.utils.PyDataset):
        def __len__(self):
            return count

        def __getitem__(self, index):
            return (np.load(os.path.join(folder, f"x_{index}.npy")),
                    np.load(os.path.join(folder, f"y_{index}.npy")))

    return DiskBatches()


def write_batches(folder, data, count):
    for index in range(count):
        rows = slice(index * data.batch, (index + 1) * data.batch)
        np.save(os.path.join(folder, f"x_{index}.npy"), data.x[rows])
        np.save(os.path.join(folder, f"y_{index}.npy"), data.y[rows])


def build(backend):
    import nnkit

    nnkit.utils.set_random_seed(0)
    model = nnkit.Sequential(keras_style_stack(nnkit.layers, WORKLOAD))
    model.compile(optimizer=nnkit.optimizers.Adam(LEARNING_RATE), loss=WORKLOAD.loss, backend=backend)
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
    data = make_data(WORKLOAD, args.batches * WORKLOAD.batch, WORKLOAD.batch)
    with tempfile.TemporaryDirectory() as folder:
        write_batches(folder, data, args.batches)
        model = build(args.backend)
        seconds = epoch_seconds(model, args.repeats, [
            ("in_memory", (data.x, data.y), {"batch_size": data.batch, "shuffle": False}),
            ("streamed", (disk_dataset(folder, args.batches),), {})])
    in_memory, streamed = seconds["in_memory"], seconds["streamed"]
    per_step = 1e3 / args.batches
    print(f"backend {args.backend}, {args.batches} batches of {data.batch}: in-memory arrays {in_memory * per_step:.2f} "
          f"ms/step, PyDataset from disk {streamed * per_step:.2f} ms/step, ratio {streamed / in_memory:.3f}")


if __name__ == "__main__":
    main()
