"""`python -m benchmarks.dispatch [--device cpu|gpu]`: where nnkit-jax's small-step time goes beside pure JAX.

The mlp step and the one-sample model(x) are measured layer by layer, from the compiled program outwards,
each against the hand-written JAX baseline in the same process:

    train: pure JAX step | nnkit's compiled step with its bookkeeping (Trainer._train) | make_train_function
           (adds the per-call input checks) | the kernels in each compiled program
    model(x): jitted forward on a NumPy input | nnkit's compiled predict step | model(x)
    floor: one dispatch of a trivial jitted function with a device argument
Training rows are synced per block (dispatch overlaps the device, as in training); model(x) and the floor
are latencies, synced per call.

When the kernels match, what remains is host time per call, which only shows where a step is so small
that the device finishes before the host has dispatched the next one.
"""
import argparse
import re
import time

from benchmarks.cli import setup_environment


def _per_call_ms(fn, calls=300, repeats=5, latency=False):
    """Best of `repeats` blocks of `calls` calls, in ms per call; synced per block, or per call (latency)."""
    import jax

    if latency:
        call = fn

        def fn():
            return jax.block_until_ready(call())

    for _ in range(20):
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
    import optax

    from benchmarks import nnkit_runner
    from benchmarks.baselines import jax_optax
    from benchmarks.workloads import LEARNING_RATE, WORKLOADS, make_data
    from nnkit.backends.active import using

    workload = WORKLOADS["mlp"]
    data = make_data(workload, workload.batch, workload.batch, seed=0)
    x, y = jax.device_put(data.x_batch), jax.device_put(data.y_batch)
    rows = []

    loss = jax_optax.make_loss(workload, jax_optax.make_apply(workload))
    optimizer = optax.adam(LEARNING_RATE)

    def train_step(params, opt_state, x, y):
        value, grads = jax.value_and_grad(loss)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, value

    jax_step = jax.jit(train_step, donate_argnums=(0, 1))
    state = {"params": jax.device_put(jax_optax.init_params(workload, 0))}
    state["opt"] = optimizer.init(state["params"])

    def run_jax_step():
        state["params"], state["opt"], value = jax_step(state["params"], state["opt"], x, y)
        return value

    rows.append(("train", "pure JAX step", _per_call_ms(run_jax_step),
                 _kernels(jax_step.lower(state["params"], state["opt"], x, y).compile())))

    model = nnkit_runner.build_model(workload, "jax", 0)
    train_function = model.make_train_function()
    train_function(x, y)
    trainer = model._trainer
    steps = trainer.steps
    compiled = steps.train.lower([v.value for v in steps.trainable], [], trainer.optimizer.state,
                                 trainer.metric_values, None, [x], [y], None).compile()
    with using(trainer.backend):
        rows.append(("train", "nnkit compiled step + bookkeeping", _per_call_ms(
            lambda: trainer._train(steps.train, [x], [y], None)[0]["loss"]), _kernels(compiled)))
    rows.append(("train", "nnkit make_train_function()", _per_call_ms(lambda: train_function(x, y)["loss"]), None))

    one = np.asarray(data.x_batch[:1])
    apply, activation = jax_optax.make_apply(workload), jax_optax.output_activation(workload)
    forward = jax.jit(lambda params, inputs: activation(apply(params, inputs)))
    rows.append(("model(x)", "jitted forward, NumPy input", _per_call_ms(lambda: forward(state["params"], one), latency=True), None))
    rows.append(("model(x)", "nnkit model(x)", _per_call_ms(lambda: model(one), latency=True), None))
    with using(trainer.backend):  # what model(x) sets up around the compiled predict step
        rows.append(("model(x)", "nnkit compiled predict step", _per_call_ms(lambda: trainer.predict_batch([one])[0], latency=True),
                     None))

    add = jax.jit(lambda a, b: a + b)
    scalar = jax.device_put(np.float32(1.0))
    rows.append(("floor", "trivial jitted call, device argument", _per_call_ms(lambda: add(scalar, scalar), latency=True), None))

    print(f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({args.device}); ms per call")
    for group, label, ms, kernels in rows:
        print(f"  {group:<9} {label:<38} {ms:8.3f} ms" + (f"   {kernels} kernels" if kernels is not None else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
