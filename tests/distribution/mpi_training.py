"""The MPI job of tests/distribution/test_mpi.py: `mpirun -n 2 python mpi_training.py OUT`.

Every process trains the same small models under DataParallel on the NumPy backend and writes its final weights
and History to OUT/process<i>.npz, its stdout to OUT/stdout<i>.txt and its ModelCheckpoint files under
OUT/checkpoints<i>/. Then process 1 raises inside a second fit(), which must end the whole job.
`train()` is also the one-process reference the test runs without MPI.
"""
import pathlib
import sys

import numpy as np

import nnkit
from nnkit import layers
from nnkit.callbacks import Callback, ModelCheckpoint
from nnkit.distribution import DataParallel

# 50 samples in global batches of 7: two processes take 3 and 4 rows of each, and of the last batch (1 row)
# one process takes nothing.
SAMPLES, BATCH_SIZE, EPOCHS = 50, 7, 2


def train(batch_normalization, distribution=None, checkpoints=None, verbose=0):
    """(final weights, {History.history, evaluate: its [loss, accuracy], predict: the outputs}) of a Dense classifier
    trained with shuffling from fixed seeds."""
    nnkit.set_random_seed(7)
    data = np.random.default_rng(0)
    x = data.normal(size=(SAMPLES, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[data.integers(0, 3, SAMPLES)]
    middle = [layers.BatchNormalization()] if batch_normalization else []
    model = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(8, activation="relu"), *middle,
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer=nnkit.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"],
                  backend="numpy", distribution=distribution)
    callbacks = [] if checkpoints is None else [
        ModelCheckpoint(str(checkpoints / "epoch{epoch}.weights.h5"), save_weights_only=True)]
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS, shuffle=True, verbose=verbose,
                        callbacks=callbacks)
    results = {**history.history, "evaluate": model.evaluate(x, y, batch_size=BATCH_SIZE, verbose=0),
               "predict": model.predict(x, batch_size=BATCH_SIZE, verbose=0)}
    return model.get_weights(), results


class FailOnProcessOne(Callback):
    """Raises in process 1 after its second batch, while process 0 goes on to the next step's Allreduce."""

    def __init__(self, process):
        super().__init__()
        self.process = process

    def on_train_batch_end(self, batch, logs=None):
        if self.process == 1 and batch == 1:
            raise RuntimeError("deliberate failure in process 1")


def main(out):
    from mpi4py import MPI

    process = MPI.COMM_WORLD.Get_rank()
    sys.stdout = open(out / f"stdout{process}.txt", "w")
    checkpoints = out / f"checkpoints{process}"
    checkpoints.mkdir()
    dense, dense_results = train(False, DataParallel(), checkpoints, verbose=2)
    normalized, _ = train(True, DataParallel())
    np.savez(out / f"process{process}.npz",
             **{f"dense{i}": w for i, w in enumerate(dense)},
             **{f"normalized{i}": w for i, w in enumerate(normalized)},
             **{f"results_{name}": values for name, values in dense_results.items()})
    sys.stdout.flush()
    nnkit.set_random_seed(7)
    model = nnkit.Sequential([nnkit.Input((4,)), layers.Dense(3)])
    model.compile(loss="mse", backend="numpy", distribution=DataParallel())
    model.fit(np.ones((40, 4), "float32"), np.ones((40, 3), "float32"), batch_size=8, epochs=1, verbose=0,
              callbacks=[FailOnProcessOne(process)])
    print("the failing fit() returned", flush=True)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
