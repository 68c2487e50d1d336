"""Keras 3's progress bar, `12/32 ━━━━━━━━━━━━━━━━━━━━ 1s 45ms/step - loss: 0.3000`, redrawn in place
on a terminal and printed as one final line elsewhere; values become numbers only when a line is drawn."""
import os
import sys
import time

_BOLD, _GREEN, _GREY = "1", "32", "37"


class Progbar:
    """A bar over `target` steps (None if unknown) with named values, averaged over the steps seen
    unless named in `stateful_metrics` (or, given `stateless_metrics`, unless not named there)."""

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Pass stateful_metrics (names shown as given; the rest are averaged) or "
                "stateless_metrics (names averaged; the rest shown as given), not both."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic_display = _redraws_in_place(sys.stdout)
        self._values = {}  # name -> (sum of value * steps, steps), or (value, 1) when shown as given
        self._seen_so_far = 0
        self._start = time.monotonic()
        self._time_after_first_step = None
        self._last_draw = None
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Record `values` ((name, value) pairs) at step `current` and draw if due; the final line
        (`finalize`, by default `current >= target`) is always drawn."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        steps = max(current - self._seen_so_far, 1)
        for name, value in values or ():
            if self._is_averaged(name):
                weighted = value * steps
                if name in self._values:
                    total, count = self._values[name]
                    self._values[name] = (total + weighted, count + steps)
                else:
                    self._values[name] = (weighted, steps)
            else:
                self._values[name] = (value, 1)
        self._seen_so_far = current

        now = time.monotonic()
        per_step = self._step_duration(current, now)
        if self.verbose == 1:
            due = self._last_draw is None or now - self._last_draw >= self.interval
            if finalize or (self._dynamic_display and due):
                self._draw(current, now, per_step, finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._summary_line(current, now, per_step) + "\n")

    def add(self, n, values=None):
        """Advance by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _is_averaged(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation, warm-up) once there are more."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step

    def _draw(self, current, now, per_step, finalize):
        known = self.target is not None and self.target > 0
        if known:
            count = f"{current:>{len(str(self.target))}}/{self.target}"
            done = min(int(self.width * current / self.target), self.width)
            segments = [(count, _BOLD), (" ", None), ("━" * done, _GREEN), ("━" * (self.width - done), _GREY)]
        else:
            segments = [(f"{current:>7}/Unknown", None)]
        if known and not finalize:
            clock = _format_eta(per_step * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        segments += [(" ", None), (clock, _BOLD), (" " + _format_per_step(per_step, self.unit_name), None)]
        segments.append((self._metrics_text(), None))

        plain = "".join(text for text, _ in segments)
        if self._dynamic_display:
            styled = "".join(_style(text, code) for text, code in segments)
            message = "\r" + styled + " " * max(self._prev_width - len(plain), 0)
            self._prev_width = len(plain)
            if finalize:
                message += "\n"
        else:
            message = plain + "\n"
        self._write(message)
        self._last_draw = now

    def _summary_line(self, current, now, per_step):
        """The verbose=2 line: `32/32 - 1s - 45ms/step - loss: 0.3000`."""
        count = f"{current}/{self.target}" if self.target else f"{current}"
        return f"{count} - {now - self._start:.0f}s - {_format_per_step(per_step, self.unit_name)}" + self._metrics_text()

    def _metrics_text(self):
        return "".join(f" - {name}: {_format_value(total, count)}" for name, (total, count) in self._values.items())

    @staticmethod
    def _write(message):
        sys.stdout.write(message)
        sys.stdout.flush()


def _redraws_in_place(stream):
    """True where `\\r` redraws a line: a terminal, Jupyter, or PyCharm's console."""
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _style(text, code):
    return f"\x1b[{code}m{text}\x1b[0m" if code and text else text


def _format_value(total, count):
    """A number as Keras shows it (4 decimals, or scientific when tiny); anything else as text."""
    try:
        value = float(total) / count
    except (TypeError, ValueError):
        return str(total)
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_per_step(seconds, unit_name):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"
