"""Progbar: Keras 3's line format, in-place redraws on a terminal, one line elsewhere, lazy floats."""
import re
import sys

import numpy as np
import pytest

from nnkit.training import progbar as progbar_module
from nnkit.training.progbar import Progbar

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class FakeClock:
    """Stands in for the `time` module inside progbar: `monotonic()` returns `now`, set by the test."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self):
        return self.now


class CountingScalar:
    """A 0-d value that counts float() calls, like a JAX array whose every float() is a device sync."""

    def __init__(self, value, counter):
        self.value = value
        self.counter = counter

    def __float__(self):
        self.counter[0] += 1
        return float(self.value)

    def __mul__(self, other):
        return CountingScalar(self.value * other, self.counter)

    def __add__(self, other):
        return CountingScalar(self.value + other.value, self.counter)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "time", fake)
    return fake


@pytest.fixture
def not_a_terminal(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)


@pytest.fixture
def terminal(monkeypatch):
    """Make new bars behave as on a terminal (capsys' stream is not one)."""
    monkeypatch.setattr(progbar_module, "_redraws_in_place", lambda stream: True)


class Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


def test_terminal_detection(not_a_terminal):
    assert progbar_module._redraws_in_place(Stream(True))
    assert not progbar_module._redraws_in_place(Stream(False))
    assert not progbar_module._redraws_in_place(object())


def run_steps(bar, clock, steps, first=1.0, per_step=0.125, values=()):
    """Step 1 takes `first` seconds (warm-up), the others `per_step` each."""
    for step in range(1, steps + 1):
        clock.now += first if step == 1 else per_step
        bar.update(step, list(values))


def test_terminal_line_is_keras_3_format_redrawn_in_place(clock, terminal, capsys):
    bar = Progbar(32, stateful_metrics=["accuracy", "loss"])
    run_steps(bar, clock, 12, values=[("accuracy", 0.9), ("loss", 0.3)])
    out = capsys.readouterr().out
    last = out.split("\r")[-1]
    assert out.startswith("\r") and "\n" not in out
    assert "\x1b[" in last  # bold count, coloured bar on a terminal
    assert ANSI.sub("", last).rstrip() == (
        "12/32 " + "━" * 20 + " 2s 125ms/step - accuracy: 0.9000 - loss: 0.3000"
    )  # ETA: 20 steps left at 125 ms each; the slow first step is left out of the estimate


def test_terminal_final_line_shows_elapsed_time_and_ends_the_line(clock, terminal, capsys):
    bar = Progbar(4, stateful_metrics=["loss"])
    run_steps(bar, clock, 4, first=1.0, per_step=1.0, values=[("loss", 0.25)])
    out = capsys.readouterr().out
    assert out.endswith("\n")
    assert ANSI.sub("", out.split("\r")[-1]) == "4/4 " + "━" * 20 + " 4s 1s/step - loss: 0.2500\n"


def test_terminal_redraw_blanks_out_the_rest_of_a_longer_previous_line(clock, terminal, capsys):
    bar = Progbar(10, stateful_metrics=["loss"])
    clock.now += 1
    bar.update(1, [("loss", 1234.5)])
    clock.now += 1
    bar.update(2, [("loss", 1.5)])
    first, second = (ANSI.sub("", part) for part in capsys.readouterr().out.split("\r")[1:])
    assert len(second) == len(first) and second.endswith(" ")


def test_terminal_redraws_are_throttled_to_the_interval(clock, terminal, capsys):
    bar = Progbar(100, interval=0.05)
    for step in range(1, 101):
        clock.now += 0.01
        bar.update(step, [("loss", 1.0)])
    draws = capsys.readouterr().out.count("\r")
    assert 18 <= draws <= 22  # about every 5th step of 10 ms, plus the final line


def test_jupyter_and_pycharm_count_as_terminals(monkeypatch, not_a_terminal):
    monkeypatch.setitem(sys.modules, "ipykernel", type(sys)("ipykernel"))
    assert progbar_module._redraws_in_place(Stream(False))
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert progbar_module._redraws_in_place(Stream(False))


def test_not_a_terminal_prints_only_the_final_line(clock, capsys, not_a_terminal):
    bar = Progbar(1000, stateful_metrics=["loss"])
    run_steps(bar, clock, 1000, first=0.5, per_step=0.002, values=[("loss", 0.5)])
    out = capsys.readouterr().out
    assert out == "1000/1000 " + "━" * 20 + " 2s 2ms/step - loss: 0.5000\n"


def test_finalize_prints_the_line_before_the_target(clock, capsys, not_a_terminal):
    bar = Progbar(10)
    run_steps(bar, clock, 3)
    assert capsys.readouterr().out == ""
    bar.update(3, finalize=True)
    assert capsys.readouterr().out.startswith(" 3/10 " + "━" * 6 + "━" * 14 + " ")


@pytest.mark.parametrize(
    "per_step, shown",
    [(2.0, "2s/step"), (0.25, "250ms/step"), (0.0025, "2ms/step"), (0.0004, "400us/step")],
)
def test_time_per_step_units(clock, capsys, not_a_terminal, per_step, shown):
    bar = Progbar(3)
    run_steps(bar, clock, 3, first=per_step, per_step=per_step)
    assert f" {shown}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "per_step, eta",
    [(0.5, "4s"), (10.0, "1:20"), (600.0, "1:20:00")],
)
def test_eta_format(clock, terminal, capsys, per_step, eta):
    bar = Progbar(10)
    run_steps(bar, clock, 2, first=per_step, per_step=per_step)  # 8 steps to go
    line = ANSI.sub("", capsys.readouterr().out.split("\r")[-1])
    assert line.split()[2] == eta


def test_unknown_target(clock, terminal, capsys):
    bar = Progbar(None)
    run_steps(bar, clock, 12, first=0.5, per_step=0.5)
    line = ANSI.sub("", capsys.readouterr().out.split("\r")[-1])
    assert line.startswith("     12/Unknown 6s 500ms/step")


def test_values_are_averaged_over_steps_unless_stateful(clock, capsys, not_a_terminal):
    bar = Progbar(4, stateful_metrics=["acc"])
    for step, (loss, acc) in enumerate([(1.0, 0.25), (2.0, 0.5), (3.0, 0.5), (4.0, 0.75)], start=1):
        bar.update(step, [("loss", loss), ("acc", acc)])
    out = capsys.readouterr().out
    assert out.rstrip().endswith("- loss: 2.5000 - acc: 0.7500")


def test_averages_weight_values_by_the_steps_they_cover(clock, capsys, not_a_terminal):
    bar = Progbar(4)
    bar.add(1, [("loss", 1.0)])
    bar.add(3, [("loss", 5.0)])  # covers steps 2-4
    assert capsys.readouterr().out.rstrip().endswith("loss: 4.0000")


def test_stateless_metrics_inverts_the_default(clock, capsys, not_a_terminal):
    bar = Progbar(2, stateless_metrics=["loss"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    bar.update(2, [("loss", 3.0), ("acc", 0.9)])
    assert capsys.readouterr().out.rstrip().endswith("loss: 2.0000 - acc: 0.9000")
    with pytest.raises(ValueError, match="not both"):
        Progbar(2, stateful_metrics=["a"], stateless_metrics=["b"])


def test_small_values_use_scientific_notation_and_arrays_are_accepted(clock, capsys, not_a_terminal):
    bar = Progbar(1, stateful_metrics=["lr", "loss"])
    bar.update(1, [("lr", 1e-4), ("loss", np.float32(0.5))])
    assert capsys.readouterr().out.rstrip().endswith("lr: 1.0000e-04 - loss: 0.5000")


def test_verbose_2_prints_one_summary_line_without_bar(clock, capsys, terminal):
    bar = Progbar(32, verbose=2, stateful_metrics=["loss"])
    run_steps(bar, clock, 32, first=0.125, per_step=0.125, values=[("loss", 0.3)])
    assert capsys.readouterr().out == "32/32 - 4s - 125ms/step - loss: 0.3000\n"


def test_verbose_0_prints_nothing(clock, capsys, terminal):
    bar = Progbar(3, verbose=0)
    run_steps(bar, clock, 3, values=[("loss", 1.0)])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("averaged", [False, True])
def test_no_float_on_steps_that_are_not_drawn_off_terminal(clock, capsys, not_a_terminal, averaged):
    counter = [0]
    bar = Progbar(200, stateful_metrics=None if averaged else ["loss"])
    for step in range(1, 201):
        clock.now += 0.1
        bar.update(step, [("loss", CountingScalar(0.5, counter))])
        if step < 200:
            assert counter[0] == 0
    assert counter[0] == 1  # the final line only
    assert capsys.readouterr().out.rstrip().endswith("loss: 0.5000")


def test_no_float_on_steps_within_the_redraw_interval(clock, terminal, capsys):
    counter = [0]
    bar = Progbar(100, interval=10.0, stateful_metrics=["loss"])
    for step in range(1, 101):
        clock.now += 0.01
        bar.update(step, [("loss", CountingScalar(0.5, counter))])
    assert capsys.readouterr().out.count("\r") == 2  # first step and final line
    assert counter[0] == 2
