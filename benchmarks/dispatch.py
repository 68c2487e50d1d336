"""`python -m benchmarks.dispatch [--device cpu|gpu]`: where nnkit-jax's small-step time goes beside pure JAX.

The mlp step and the one-sample model(x) are measured layer by layer, from the compiled program outwards,
each against the hand-written JAX baseline in the same process:

    train: pure JAX step | nnkit's compiled step with its bookkeeping (Trainer._train) | make_train_function
           (adds the per-call input checks) | the kernels in each compiled program
    model(x): jitted forward on a NumPy input | nnkit's compiled predict step | model(x)
    fit: one epoch from host arrays, per epoch: the hand-written JAX loop (a device_put per batch) | fit() |
         fit()'s parts: uploading the arrays once, then the steps that gather each batch on the device
    floor: one dispatch of a trivial jitted function with a device argument
Training rows are synced per block (dispatch overlaps the device, as in training); model(x) and the floor
are latencies, synced per call; fit rows are synced per epoch.

When the kernels match, what remains is host time per call, which only shows where a step is so small
that the device finishes before the host has dispatched the next one.
"""
import argparse
import re
import time

from benchmarks.cli import setup_environment


def _per_call_ms(fn, calls=300, repeats=5, latency=False, warmup=20):
    """Best of `repeats` blocks of `calls` calls, in ms per call; synced per block, or per call (latency)."""
    import jax

    if latency:
        call = fn

        def fn():
            return jax.block_until_ready(call())

    for _ in range(warmup):
        result = fn()
    jax.block_until_ready(result)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            result = fn()
        jax.block_until_ready(result)
        best = min(best, (time.perf_counter() - start) / calls * 1e3)
    return best


def _kernels(compiled):
    """Fusions and copies in the entry computation of a compiled program: the kernels it launches."""
    text = compiled.as_text()
    entry = text[text.index("ENTRY"):]
    return len(re.findall(r" fusion\(", entry)) + len(re.findall(r" copy\(", entry))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatch", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    args = parser.parse_args(argv)
    setup_environment(args.device)

    import jax
    import numpy as np

    from benchmarks import nnkit_runner
    from benchmarks.baselines import jax_optax
    from benchmarks.context import Context
    from benchmarks.workloads import WORKLOADS, make_data
    from nnkit.backends.active import using

    workload = WORKLOADS["mlp"]
    data = make_data(workload, workload.batch, workload.batch, seed=0)
    rows = []

    def measure(group, label, fn, compiled=None, **timing):
        kernels = None if compiled is None else _kernels(compiled)
        rows.append((group, label, _per_call_ms(fn, **timing), kernels))

    baseline = jax_optax.train_session(workload, data, Context(device=args.device))
    measure("train", "pure JAX step", baseline.step,
            compiled=baseline._train_step.lower(baseline.params, baseline.opt_state, baseline.x, baseline.y).compile())

    model = nnkit_runner.build_model(workload, "jax", 0)
    x, y = baseline.x, baseline.y
    train_function = model.make_train_function()
    train_function(x, y)
    trainer = model._trainer
    steps = trainer.steps
    with using(trainer.backend):  # what make_train_function sets up around the compiled step
        measure("train", "nnkit compiled step + bookkeeping",
                lambda: trainer._train(steps.train, [x], [y], None)[0]["loss"], compiled=steps.train.lower([v.value for v in steps.trainable], [], trainer.optimizer.state,
                                           trainer.metric_values, None, [x], [y], None).compile())
    measure("train", "nnkit make_train_function()", lambda: train_function(x, y)["loss"])

    one = np.asarray(data.x_batch[:1])
    apply, activation = jax_optax.make_apply(workload), jax_optax.output_activation(workload)
    forward = jax.jit(lambda params, inputs: activation(apply(params, inputs)))
    measure("model(x)", "jitted forward, NumPy input", lambda: forward(baseline.params, one), latency=True)
    measure("model(x)", "nnkit model(x)", lambda: model(one), latency=True)
    with using(trainer.backend):  # what model(x) sets up around the compiled predict step
        measure("model(x)", "nnkit compiled predict step", lambda: trainer.predict_batch([one])[0], latency=True)

    fit_data = make_data(workload, workload.plan(args.device).fit_batches * workload.batch, workload.batch, seed=1)
    epoch = dict(calls=1, latency=True, warmup=2)
    measure("fit", "pure JAX epoch loop", lambda: baseline.fit_epoch(fit_data.x, fit_data.y, None) or baseline.params,
            **epoch)
    measure("fit", "nnkit fit(), verbose=0", lambda: model.fit(fit_data.x, fit_data.y, batch_size=workload.batch,
                                                               verbose=0, shuffle=True) and model.weights[0].value,
            **epoch)
    host = trainer.data(fit_data.x, fit_data.y)
    measure("fit", "  its upload of the arrays", lambda: trainer.resident(host), **epoch)
    resident = trainer.resident(host)
    steps_per_epoch = host.steps(workload.batch)

    def gathered_epoch():
        with using(trainer.backend):
            for train_step in trainer.epoch_steps(host, resident, workload.batch, True, np.random.default_rng(0)):
                logs = train_step()
        return logs["loss"]

    measure("fit", f"  its {steps_per_epoch} steps on the uploaded arrays", gathered_epoch, **epoch)

    add = jax.jit(lambda a, b: a + b)
    scalar = jax.device_put(np.float32(1.0))
    measure("floor", "trivial jitted call, device argument", lambda: add(scalar, scalar), latency=True)

    print(f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({args.device}); ms per call")
    for group, label, ms, kernels in rows:
        print(f"  {group:<9} {label:<38} {ms:8.3f} ms" + (f"   {kernels} kernels" if kernels is not None else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
