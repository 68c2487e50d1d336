"""The measurement protocol, shared by every framework so that all rows are measured the same way.

A framework runner only has to build a *session*; this module times it.

Training session (built by `build()`, which is timed as build_s and inside the memory probe):
    step()            -> handle   one forward + loss + backward + Adam update on the resident batch
    sync(handle)                  wait until that step's work is done
    loss(handle)      -> float    the loss the step computed
    fit_epoch(x, y, labels)       one epoch over the host arrays (fit() or the hand-written loop), synced;
                                  None when the framework has neither
    fit_kind                      'fit()' or 'epoch loop'
    matmul_library                library whose matmul peak the TFLOP/s figure is compared to
    notes                         list of strings for the report

Predict session:
    calls             {variant: zero-argument callable running the model on the one-sample batch}
    sync(handle), notes
"""
import gc
import traceback

from benchmarks import memory, timing
from benchmarks.results import ERROR, NOT_AVAILABLE, OK


class NotAvailable(Exception):
    """Raised by a runner when a piece it needs does not exist (yet): the row says 'not available yet'."""


def _failure(result, error, status=ERROR):
    result.status = status
    result.reason = str(error) if isinstance(error, NotAvailable) else f"{type(error).__name__}: {error}".strip()
    if len(result.reason) > 300:
        result.reason = result.reason[:297] + "..."
    if status == ERROR:
        result.notes.append(traceback.format_exc(limit=6))
    return result


def run_training(result, build, data, plan, memory_kind, flops_per_step=None, peak_tflops=None, log=None):
    """Measure one training workload. `build()` returns a training session (or raises NotAvailable).

    The memory probe (`memory_kind`, see memory.py) covers the build too: weights, optimizer state and the
    resident batch count towards the peak.
    """
    result.batch = data.batch
    probe = None
    session = None
    try:
        probe = memory.probe(memory_kind)
        probe.start()
        build_s, session = timing.time_once(build)
        result.build_s = build_s
        result.notes.extend(getattr(session, "notes", []))

        # Warm-up: the first step is reported on its own (it includes tracing / compilation).
        first_s, handle = timing.time_once(session.step, session.sync)
        result.warmup_s = first_s
        result.loss_first = session.loss(handle)
        rest_s = 0.0
        if plan.warmup > 1:
            rest_s, handle = timing.time_block(session.step, plan.warmup - 1, session.sync)
        result.warmup_total_s = first_s + rest_s
        if log:
            log(f"warm-up {first_s:.3f}s")

        per_step, handle = timing.time_repeats(session.step, plan.steps, plan.repeats, session.sync)
        result.step = timing.summarize(per_step)
        result.loss_last = session.loss(handle)
        if flops_per_step and result.step_s:
            result.tflops = flops_per_step / result.step_s / 1e12
            result.peak_tflops = peak_tflops
        if log:
            log(f"step {result.step_s * 1e3:.2f} ms")

        fit_epoch = getattr(session, "fit_epoch", None)
        if fit_epoch is not None and plan.fit_batches > 0 and plan.fit_repeats > 0:
            result.fit_kind = session.fit_kind
            n = data.batch * plan.fit_batches
            x, y = data.x[:n], data.y[:n]
            labels = None if data.labels is None else data.labels[:n]
            if session.fit_kind == "fit()":  # a one-batch epoch first: compiles fit's own path
                warm = data.batch
                fit_epoch(x[:warm], y[:warm], None if labels is None else labels[:warm])
            epochs = []
            for _ in range(plan.fit_repeats):
                gc.collect()
                seconds, _ = timing.time_once(lambda: fit_epoch(x, y, labels))
                epochs.append(seconds)
            result.fit_epoch = timing.summarize(epochs)
            result.fit_samples = n
            result.fit_samples_per_s = n / timing.median(epochs)
            if log:
                log(f"fit {result.fit_samples_per_s:.0f} samples/s")
        result.status = OK
    except NotAvailable as error:
        _failure(result, error, NOT_AVAILABLE)
    except NotImplementedError as error:
        _failure(result, error, NOT_AVAILABLE)
    except Exception as error:  # a broken framework must not stop the suite
        _failure(result, error)
    finally:
        if probe is not None:
            try:
                result.memory = probe.stop().as_dict()
            except Exception as error:
                result.notes.append(f"memory probe failed: {error}")
        del session
        gc.collect()
    return result


def run_predict(template, build, plan, memory_kind, log=None):
    """Measure predict latency. `build()` returns a predict session; one Result per variant it offers.

    `template(variant)` makes an empty Result for a variant. All variants share one memory measurement.
    """
    results = []
    probe = None
    try:
        probe = memory.probe(memory_kind)
        probe.start()
        build_s, session = timing.time_once(build)
        for variant, call in session.calls.items():
            result = template(variant)
            result.batch = 1
            result.build_s = build_s
            result.notes.extend(getattr(session, "notes", []))
            results.append(result)
            try:
                first_s, _ = timing.time_once(call, session.sync)
                result.warmup_s = first_s
                warm_s, _ = timing.time_block(call, max(1, plan.warmup), session.sync)
                result.warmup_total_s = first_s + warm_s
                per_call = warm_s / max(1, plan.warmup)
                iterations = plan.steps or timing.iterations_for(per_call, plan.predict_time_s)
                result.iterations = iterations
                result.step = timing.summarize(timing.time_latency(call, iterations, plan.repeats, session.sync))
                result.status = OK
                if log:
                    log(f"{variant} {result.step_s * 1e3:.3f} ms")
            except (NotAvailable, NotImplementedError) as error:
                _failure(result, error, NOT_AVAILABLE)
            except Exception as error:
                _failure(result, error)
        if probe is not None:
            measurement = probe.stop().as_dict()
            for result in results:
                result.memory = measurement
        del session
    except (NotAvailable, NotImplementedError) as error:
        results = [_failure(template(None), error, NOT_AVAILABLE)]
    except Exception as error:
        results = [_failure(template(None), error)]
    gc.collect()
    return results
