"""fit / evaluate / predict on every data form besides arrays (Keras 3's data adapters): generators with and
without steps, (x, y) tuples, PyDataset (threads, processes, on_epoch_end, shuffled order), a PyTorch
DataLoader, pandas DataFrames, validation_data in each form; and the errors a user meets: a batch of the
wrong structure, an exhausted generator, a PyDataset whose __len__ lies. A frozen linear model (SGD with
rate 0) makes every loss checkable against the same call on plain arrays."""
import numpy as np
import pytest

from nnkit import callbacks, optimizers
from nnkit.layers import Dense, Input
from nnkit.models import Sequential
from nnkit.utils import PyDataset

RNG = np.random.default_rng(3)
X = RNG.standard_normal((22, 3)).astype("float32")
Y = RNG.standard_normal((22, 1)).astype("float32")
W = RNG.uniform(0.5, 2.0, size=22).astype("float32")
BATCH = 8


def batches(weights=False):
    """(x, y[, sample_weight]) batches of 8, 8 and 6 samples."""
    for start in range(0, len(X), BATCH):
        part = slice(start, start + BATCH)
        yield (X[part], Y[part], W[part]) if weights else (X[part], Y[part])


class ArrayDataset(PyDataset):
    def __init__(self, length=None, **kwargs):
        super().__init__(**kwargs)
        self.length = length
        self.epochs_begun = self.epochs_ended = 0

    def __len__(self):
        return self.length or -(-len(X) // BATCH)

    def __getitem__(self, index):
        if index * BATCH >= len(X):
            raise IndexError(f"batch {index} is past the data")
        part = slice(index * BATCH, (index + 1) * BATCH)
        return X[part], Y[part]

    def on_epoch_begin(self):
        self.epochs_begun += 1

    def on_epoch_end(self):
        self.epochs_ended += 1


@pytest.fixture(scope="module")
def frozen():
    """One frozen linear model per backend, shared by the tests (the weights never change)."""
    models = {}

    def get(backend):
        if backend not in models:
            model = Sequential([Input(shape=(3,)), Dense(1)])
            model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="mse", metrics=["mae"], backend=backend)
            models[backend] = model
        return models[backend]

    return get


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_a_generator_trains_evaluates_and_predicts_as_arrays_do(frozen, backend):
    model = frozen(backend)
    expected = model.evaluate(X, Y, batch_size=BATCH, verbose=0, return_dict=True)
    history = model.fit(batches(), epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected["loss"]], rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(batches(), verbose=0, return_dict=True)["mae"], expected["mae"],
                               rtol=1e-5)
    np.testing.assert_allclose(model.predict((x for x, _ in batches()), verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


def test_sample_weights_from_the_batches_count_as_array_sample_weights(frozen):
    model = frozen("numpy")
    expected = model.evaluate(X, Y, sample_weight=W, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(model.evaluate(batches(weights=True), verbose=0), expected, rtol=1e-6)


def test_steps_per_epoch_reads_a_generator_across_epochs(frozen):
    model = frozen("numpy")

    def forever():
        while True:
            yield from batches()

    history = model.fit(forever(), steps_per_epoch=3, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    np.testing.assert_allclose(history.history["loss"][0], history.history["loss"][2], rtol=1e-6)


def test_an_exhausted_generator_is_a_clear_error(frozen):
    model = frozen("numpy")
    with pytest.raises(ValueError, match="exhausted.*steps_per_epoch"):
        model.fit(batches(), epochs=2, verbose=0)


def test_a_batch_of_the_wrong_structure_is_a_clear_error(frozen):
    model = frozen("numpy")
    with pytest.raises(ValueError, match="tuple of 4 items"):
        model.fit(iter([(X, Y, W, W)]), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\) needs targets.*yielded a batch without them"):
        model.fit(iter([X]), verbose=0)
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(batches(), Y, verbose=0)


def test_an_x_y_tuple_is_unpacked(frozen):
    model = frozen("numpy")
    np.testing.assert_allclose(model.evaluate((X, Y, W), verbose=0), model.evaluate(X, Y, sample_weight=W, verbose=0))


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_a_py_dataset_trains_and_hears_each_epoch_begin_and_end(frozen, backend):
    model = frozen(backend)
    dataset = ArrayDataset()
    history = model.fit(dataset, epochs=2, verbose=0)
    assert dataset.epochs_begun == dataset.epochs_ended == 2
    expected = model.evaluate(X, Y, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected[0]] * 2, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")  # the forked workers only index the dataset, no JAX
@pytest.mark.parametrize("workers, processes", [(3, False), (2, True)])
def test_a_py_dataset_fetched_by_workers_gives_the_batches_in_order(frozen, workers, processes):
    model = frozen("numpy")
    dataset = ArrayDataset(workers=workers, use_multiprocessing=processes, max_queue_size=2)
    np.testing.assert_allclose(model.predict(dataset, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_a_py_dataset_whose_len_lies_is_a_clear_error(frozen):
    model = frozen("numpy")
    with pytest.raises(ValueError, match=r"says __len__\(\) = 5, but __getitem__\(3\) raised IndexError"):
        model.fit(ArrayDataset(length=5), verbose=0, shuffle=False)


def test_validation_data_takes_generators_datasets_and_tuples(frozen):
    model = frozen("numpy")
    expected = model.evaluate(X, Y, verbose=0)[0]
    for validation in (batches(), ArrayDataset(), (X, Y)):
        history = model.fit(X, Y, epochs=1, verbose=0, validation_data=validation)
        np.testing.assert_allclose(history.history["val_loss"], [expected], rtol=1e-5)


def test_validation_steps_limits_the_validation_batches(frozen):
    model = frozen("numpy")
    history = model.fit(X, Y, epochs=2, verbose=0, validation_data=ArrayDataset(), validation_steps=1)
    first = model.evaluate(X[:BATCH], Y[:BATCH], verbose=0)[0]
    np.testing.assert_allclose(history.history["val_loss"], [first] * 2, rtol=1e-5)


def test_a_torch_data_loader_feeds_fit_and_predict(frozen):
    torch = pytest.importorskip("torch")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)),
                                         batch_size=BATCH)
    model = frozen("numpy")
    history = model.fit(loader, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [model.evaluate(X, Y, verbose=0)[0]], rtol=1e-5)
    assert model.predict(loader, verbose=0).shape == (len(X), 1)


def test_pandas_frames_and_series_are_arrays(frozen):
    pandas = pytest.importorskip("pandas")
    model = frozen("numpy")
    frame, series = pandas.DataFrame(X, columns=["a", "b", "c"]), pandas.Series(Y[:, 0])
    np.testing.assert_allclose(model.evaluate(frame, series, verbose=0), model.evaluate(X, Y, verbose=0), rtol=1e-6)


def test_a_lying_len_is_caught_with_workers_too(frozen):
    with pytest.raises(ValueError, match=r"__getitem__\(3\) raised IndexError"):
        frozen("numpy").predict(ArrayDataset(length=6, workers=2), verbose=0)


def test_steps_limit_in_memory_arrays_too(frozen):
    model = frozen("numpy")
    assert len(model.predict(X, batch_size=BATCH, steps=2, verbose=0)) == 2 * BATCH
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=BATCH, steps=1, verbose=0),
                               model.evaluate(X[:BATCH], Y[:BATCH], verbose=0), rtol=1e-6)
    seen = []
    counter = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    model.fit(X, Y, batch_size=BATCH, steps_per_epoch=2, epochs=2, verbose=0, callbacks=[counter])
    assert seen == [0, 1, 0, 1]
