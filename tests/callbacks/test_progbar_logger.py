"""ProgbarLogger: Keras' epoch headers and lines for fit, evaluate and predict, without needless floats."""
import re

import pytest

from nnkit.callbacks import CallbackList, ProgbarLogger
from nnkit.training import progbar as progbar_module

ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAR = "━" * 20


class CountingScalar:
    """A 0-d value that counts float() calls, like a JAX array whose float() syncs the device."""

    def __init__(self, value, counter):
        self.value = value
        self.counter = counter

    def __float__(self):
        self.counter[0] += 1
        return float(self.value)


@pytest.fixture
def not_a_terminal(monkeypatch):
    monkeypatch.setattr(progbar_module, "_redraws_in_place", lambda stream: False)


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(progbar_module, "_redraws_in_place", lambda stream: True)


def lines(out):
    return ANSI.sub("", out).splitlines()


def test_fit_off_terminal_prints_a_header_and_one_line_per_epoch(model, fit, capsys, not_a_terminal):
    epochs = [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}, {"loss": 0.25, "val_loss": 1.0}]
    fit(model, [], epochs, steps=50, verbose=1, batch_logs=lambda e, b: {"loss": 1.0 / (b + 1)})
    out = lines(capsys.readouterr().out)
    assert len(out) == 6
    assert out[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert re.fullmatch(rf"50/50 {BAR} \d+s \d+(us|ms|s)/step - loss: 0\.2500 - val_loss: 1\.0000", out[5])


def test_single_epoch_has_no_header(model, fit, capsys, not_a_terminal):
    fit(model, [], [{"loss": 1.0}], steps=3, verbose=1)
    out = lines(capsys.readouterr().out)
    assert len(out) == 1 and out[0].startswith(f"3/3 {BAR} ")


def test_verbose_2_prints_a_summary_line_per_epoch(model, fit, capsys, terminal):
    fit(model, [], [{"loss": 1.0}, {"loss": 0.5}], steps=4, verbose=2)
    out = capsys.readouterr().out
    assert "\r" not in out and "━" not in out
    out = out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2" and len(out) == 4
    assert re.fullmatch(r"4/4 - \d+s - \d+(us|ms|s)/step - loss: 0\.5000", out[3])


def test_terminal_redraws_batches_in_place_showing_logs_as_given(model, capsys, terminal):
    cbs = CallbackList([], add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    logger = cbs.callbacks[0]
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 4.0})
    logger.progbar._last_draw = None  # let the next batch draw however fast the test runs
    cbs.on_train_batch_end(1, {"loss": 2.0})  # running mean from the trainer: shown, not re-averaged
    cbs.on_epoch_end(0, {"loss": 2.0})
    cbs.on_train_end()
    draws = [ANSI.sub("", d) for d in capsys.readouterr().out.split("\r")[1:]]
    assert len(draws) == 3
    assert draws[0].startswith("1/2 ") and draws[0].rstrip().endswith("loss: 4.0000")
    assert draws[1].startswith("2/2 ") and draws[1].rstrip().endswith("loss: 2.0000")
    assert draws[2].endswith("loss: 2.0000\n")


def test_validation_inside_fit_is_silent(model, capsys, terminal):
    cbs = CallbackList([], add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.callbacks[0].progbar.interval = 0.0  # draw every batch
    for batch in range(2):
        cbs.on_train_batch_end(batch, {"loss": 1.0})
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 9.0})
    cbs.on_test_end({"loss": 9.0})
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 9.0})
    cbs.on_train_end()
    draws = [ANSI.sub("", d) for d in capsys.readouterr().out.split("\r")[1:]]
    assert len(draws) == 3  # two batches and the epoch's final line
    assert " loss: 9.0000" not in "".join(draws)
    assert draws[-1].rstrip().endswith("loss: 1.0000 - val_loss: 9.0000")


def test_evaluate_prints_one_line(model, capsys, not_a_terminal):
    cbs = CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=1, steps=3)
    cbs.on_test_begin()
    for batch in range(3):
        cbs.on_test_batch_begin(batch)
        cbs.on_test_batch_end(batch, {"loss": 0.5})
    cbs.on_test_end({"loss": 0.5})
    out = lines(capsys.readouterr().out)
    assert len(out) == 1 and re.fullmatch(rf"3/3 {BAR} \d+s \d+(us|ms|s)/step - loss: 0\.5000", out[0])


def test_predict_prints_one_line_without_the_outputs(model, capsys, not_a_terminal):
    cbs = CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    cbs.on_predict_begin()
    for batch in range(2):
        cbs.on_predict_batch_end(batch, {"outputs": [[1.0, 2.0]]})
    cbs.on_predict_end()
    out = lines(capsys.readouterr().out)
    assert len(out) == 1 and re.fullmatch(rf"2/2 {BAR} \d+s \d+(us|ms|s)/step", out[0])


def test_unknown_steps_are_learnt_in_the_first_epoch(model, fit, capsys, not_a_terminal):
    fit(model, [], [{"loss": 1.0}, {"loss": 0.5}], steps=3, verbose=1)
    capsys.readouterr()
    cbs = CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=2, steps=None)
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for batch in range(3):
            cbs.on_train_batch_end(batch, {"loss": 1.0})
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    out = lines(capsys.readouterr().out)
    assert out[1].startswith(f"3/3 {BAR} ") and out[3].startswith(f"3/3 {BAR} ")


@pytest.mark.parametrize("dynamic", [False, True])
def test_batches_that_are_not_drawn_cost_no_float(model, capsys, monkeypatch, dynamic):
    monkeypatch.setattr(progbar_module, "_redraws_in_place", lambda stream: dynamic)
    counter = [0]
    cbs = CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=1, steps=500)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.callbacks[0].progbar.interval = 3600.0  # after the first draw, no batch is due again
    for batch in range(500):
        cbs.on_train_batch_end(batch, {"loss": CountingScalar(0.5, counter), "acc": CountingScalar(1.0, counter)})
    assert counter[0] == (2 if dynamic else 0)  # only the first batch is drawn on a terminal
    cbs.on_epoch_end(0, {"loss": 0.5, "acc": 1.0})
    assert lines(capsys.readouterr().out)[-1].rstrip().endswith("loss: 0.5000 - acc: 1.0000")


def test_verbose_auto_means_1_and_an_explicit_logger_with_verbose_0_is_silent(model, capsys, not_a_terminal):
    logger = ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 1, "steps": 1})
    assert logger.verbose == 1
    cbs = CallbackList([ProgbarLogger()], model=model, verbose=0, epochs=1, steps=1)
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_epoch_end(0, {"loss": 1.0})
    assert capsys.readouterr().out == ""

