"""The prefetch queue runs the batch pipeline on a thread ahead of the loop: items in order, the
transform off the caller's thread, at most `size` ready ahead, errors raised in the caller, the thread
stopped when the loop leaves early; and a fit from a generator of unknown length shows Keras' progress."""
import threading
import time

import numpy as np
import pytest

from nnkit.layers import Dense, Input
from nnkit.models import Sequential
from nnkit.training.data_adapters.prefetch_queue import PrefetchQueue


def test_items_arrive_in_order_transformed_on_another_thread():
    threads = set()

    def transform(item):
        threads.add(threading.get_ident())
        return item * 2

    assert list(PrefetchQueue(range(50), transform, size=3)) == [2 * i for i in range(50)]
    assert threads and threading.get_ident() not in threads


def test_the_queue_runs_at_most_size_items_ahead():
    produced = []
    queue = iter(PrefetchQueue(range(100), lambda item: produced.append(item) or item, size=2))
    assert next(queue) == 0
    time.sleep(0.2)
    assert len(produced) <= 4  # the one taken, two queued, one waiting to be put
    queue.close()


def test_an_error_in_the_pipeline_is_raised_in_the_loop():
    def failing():
        yield 1
        raise KeyError("batch 2 is missing")

    queue = iter(PrefetchQueue(failing(), lambda item: item))
    assert next(queue) == 1
    with pytest.raises(KeyError, match="batch 2 is missing"):
        next(queue)


def test_leaving_early_stops_the_thread():
    queue = PrefetchQueue(iter(int, 1), lambda item: item, size=2)  # an endless source
    for _ in zip(range(3), queue):
        pass
    queue.close()
    assert not queue._thread.is_alive()


def test_a_generator_of_unknown_length_shows_steps_and_one_line_per_epoch(capsys):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((12, 2)).astype("float32"), rng.standard_normal((12, 1)).astype("float32")
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(((x[i:i + 4], y[i:i + 4]) for i in range(0, 12, 4)), verbose=1)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("3/3 ") and "step - loss: " in lines[0]
