"""Timing primitives: warm-up, blocks of steps, median of repeats, with a `sync` hook.

Asynchronous libraries (JAX, CUDA torch, CuPy) return before the work is done. Every timed block therefore
ends with `sync(last_result)`, which must wait until the device has finished (e.g. jax.block_until_ready,
torch.cuda.synchronize). Inside a block steps are *not* synced, so dispatch can overlap with compute the
way it does in a real training loop.
"""
import gc
import math
import statistics
import time

clock = time.perf_counter


def no_sync(_result=None):
    """The sync hook for synchronous libraries (NumPy, CPU torch)."""
    return None


def time_once(fn, sync=no_sync):
    """Run fn() once, wait for it, and return (seconds, result)."""
    start = clock()
    result = fn()
    sync(result)
    return clock() - start, result


def time_block(step, steps, sync=no_sync):
    """Run `steps` calls of step() back to back, sync on the last result; return (seconds, last result)."""
    result = None
    start = clock()
    for _ in range(steps):
        result = step()
    sync(result)
    return clock() - start, result


def time_repeats(step, steps, repeats, sync=no_sync):
    """Per-step seconds of `repeats` timed blocks of `steps` steps each, and the last result."""
    per_step, result = [], None
    for _ in range(repeats):
        gc.collect()
        seconds, result = time_block(step, steps, sync)
        per_step.append(seconds / steps)
    return per_step, result


def time_latency(call, iterations, repeats, sync=no_sync):
    """Per-call seconds for a latency measurement: every call is synced before the next one starts."""

    def one():
        result = call()
        sync(result)
        return result

    per_call = []
    for _ in range(repeats):
        gc.collect()
        start = clock()
        for _ in range(iterations):
            one()
        per_call.append((clock() - start) / iterations)
    return per_call


def iterations_for(seconds_per_call, target_seconds, lo=1, hi=100_000):
    """How many calls fill about `target_seconds`, given one call's duration."""
    if seconds_per_call <= 0:
        return hi
    return int(min(hi, max(lo, math.ceil(target_seconds / seconds_per_call))))


def median(values):
    return statistics.median(values) if values else None


def summarize(values):
    """Median, min, max and the raw values (seconds) for the JSON record."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "all": list(values)}
