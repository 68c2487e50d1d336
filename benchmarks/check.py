"""`python -m benchmarks --check`: do the implementations really train? (no timing)

Each (training workload, framework[/backend]) trains a few steps on one batch of the learnable synthetic
task and must lower its loss. On the dense workloads the hand-written NumPy loop's gradients are also
compared with jax.grad of the pure-JAX baseline's loss at the same weights (both draw the same Glorot
weights from the same host RNG), which checks the hand-written backward pass and the fused
softmax-crossentropy gradient.
"""
import math

from benchmarks import nnkit_runner
from benchmarks.baselines import BASELINES
from benchmarks.measure import NotAvailable
from benchmarks.results import BASELINE_LABELS
from benchmarks.workloads import WORKLOADS, make_data

CHECK_BATCH = {"wide": 64}  # keep the check cheap on CPU
GRADIENT_TOLERANCE = 1e-4  # ||g_numpy - g_jax|| / ||g_jax|| per parameter (Frobenius), jax in float64


def _losses(session, steps):
    return [session.loss(session.step()) for _ in range(steps)]


def run(ctx, workload_names, frameworks, backends, steps=10):
    rows = []
    for name in workload_names:
        workload = WORKLOADS[name]
        if workload.is_predict:
            continue
        batch = CHECK_BATCH.get(name, workload.batch)
        data = make_data(workload, batch, batch, ctx.seed)
        runs = []
        for framework in frameworks:
            if framework == "nnkit":
                for backend in backends:
                    runs.append((f"nnkit-{backend}", lambda b=backend, w=workload, d=data: _nnkit(w, d, b, ctx)))
            else:
                runs.append((BASELINE_LABELS[framework],
                             lambda f=framework, w=workload, d=data: _baseline(w, d, f, ctx)))
        curves = {}
        for label, make in runs:
            ctx.log(f"[check {name}] {label}")
            try:
                session, skip = make()
                if skip:
                    rows.append({"workload": name, "framework": label, "status": skip})
                    continue
                losses = _losses(session, steps)
            except NotAvailable as error:
                rows.append({"workload": name, "framework": label, "status": f"not available yet ({error})"[:200]})
                continue
            except Exception as error:
                rows.append({"workload": name, "framework": label, "status": f"{type(error).__name__}: {error}"[:200]})
                continue
            curves[label] = losses
            finite = all(math.isfinite(v) for v in losses)
            ok = finite and losses[-1] < losses[0]
            rows.append({"workload": name, "framework": label, "batch": batch, "losses": losses,
                         "status": "learns" if ok else "DOES NOT LEARN"})
        if "numpy-loop" in curves and "jax" in curves:
            ctx.log(f"[check {name}] gradients numpy-loop vs jax.grad")
            worst = gradient_difference(workload, data, ctx)
            rows.append({"workload": name, "framework": "numpy-loop grads", "batch": batch,
                         "max_relative_difference": worst,
                         "status": "agree" if worst <= GRADIENT_TOLERANCE else "DISAGREE"})
    return rows


def gradient_difference(workload, data, ctx):
    """Largest relative (Frobenius) difference between the NumPy loop's float32 gradients and jax.grad's
    in float64 at the same weights. float64 keeps the reference's ReLU masks exact: in float32, a
    pre-activation within rounding of 0 can flip sign between two correct implementations."""
    import jax
    import numpy as np

    from benchmarks.baselines import jax_optax, numpy_loop

    stack = numpy_loop._stack(workload, ctx.seed)
    stack.backward(data.x_batch, data.y_batch)
    loss = jax_optax.make_loss(workload, jax_optax.make_apply(workload))
    with jax.enable_x64(True):
        params = jax.tree.map(lambda a: np.asarray(a, np.float64), jax_optax.init_params(workload, ctx.seed))
        grads = jax.grad(loss)(params, data.x_batch.astype(np.float64), data.y_batch.astype(np.float64))
        grads = jax.tree.map(np.asarray, grads)
    worst = 0.0
    for index, layer_grads in enumerate(grads):
        for key, position in (("w", 2 * index), ("b", 2 * index + 1)):
            reference = layer_grads[key]
            scale = max(float(np.linalg.norm(reference)), 1e-30)
            worst = max(worst, float(np.linalg.norm(stack.grads[position] - reference)) / scale)
    return worst


def _baseline(workload, data, framework, ctx):
    module = BASELINES[framework]
    reason = module.unavailable(ctx) or module.not_applicable(workload, ctx)
    if reason:
        return None, reason
    return module.train_session(workload, data, ctx), None


def _nnkit(workload, data, backend, ctx):
    unavailable = nnkit_runner.backend_unavailable(backend, ctx)
    if unavailable:
        return None, " ".join(unavailable)
    return nnkit_runner.train_session(workload, data, backend, ctx), None


def render(rows):
    out = ["Training check (loss on one batch, first step -> last step):"]
    for row in rows:
        head = f"  {row['workload']:<6} {row['framework']:<18}"
        if "losses" in row:
            losses = row["losses"]
            out.append(f"{head} {losses[0]:.4g} -> {losses[-1]:.4g} over {len(losses)} steps: {row['status']}")
        elif "max_relative_difference" in row:
            out.append(f"{head} vs float64 jax.grad: relative error {row['max_relative_difference']:.1e} "
                       f"(largest over parameters): {row['status']}")
        else:
            out.append(f"{head} {row['status']}")
    return "\n".join(out)


def failed(rows):
    return [r for r in rows if r["status"] in ("DOES NOT LEARN", "DISAGREE")]
