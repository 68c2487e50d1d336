"""nnkit's performance targets and how a run is judged against them.

Every target is a ratio taken within one run, on one machine:
- metric 'step': nnkit step time (predict: latency) / baseline step time, must be <= limit
  (or < limit where strict);
- metric 'fit':  nnkit fit() throughput / baseline fit throughput, must be >= limit.
A target whose rows are missing (not installed, not available yet, not run) is reported as '-', not MISS.
"""
from dataclasses import dataclass

from benchmarks.results import BASELINE_LABELS, VARIANT_LABELS

PASS, MISS, MISSING = "PASS", "MISS", "-"


@dataclass(frozen=True)
class Target:
    backend: str  # nnkit backend ('*' for every backend)
    workload: str
    baseline: str  # 'numpy' | 'torch' | 'jax' | 'keras'
    limit: float
    metric: str = "step"  # 'step' | 'fit'
    devices: tuple = ("cpu", "gpu")
    variant: str | None = None  # predict: nnkit's variant
    baseline_variant: str | None = None  # predict: the baseline's variant
    strict: bool = False

    def describe(self):
        who = "nnkit" if self.backend == "*" else f"nnkit-{self.backend}"
        what = self.workload
        if self.variant:
            what += f" {VARIANT_LABELS[self.variant]}"
        base = BASELINE_LABELS[self.baseline]
        if self.baseline_variant:
            base += f" {VARIANT_LABELS[self.baseline_variant]}"
        if self.metric == "fit":
            return f"{who} {what} fit() throughput >= {self.limit:g} x {base} ({'/'.join(self.devices)})"
        sign = "<" if self.strict else "<="
        kind = "latency" if self.variant else "step time"
        return f"{who} {what} {kind} {sign} {self.limit:g} x {base} ({'/'.join(self.devices)})"


TARGETS = (
    # CPU, NumPy backend
    Target("numpy", "mlp", "numpy", 1.05, devices=("cpu",)),
    Target("numpy", "mlp", "torch", 1.25, devices=("cpu",)),
    Target("numpy", "cnn", "torch", 1.5, devices=("cpu",)),
    Target("numpy", "lstm", "torch", 1.3, devices=("cpu",)),
    # JAX backend, CPU and GPU: every workload within 10% of the hand-written jax.jit + optax loop
    *(Target("jax", w, "jax", 1.1) for w in ("mlp", "cnn", "lstm", "wide")),
    Target("jax", "predict", "jax", 1.1, variant="call", baseline_variant="call"),
    # GPU: fit() throughput
    Target("jax", "mlp", "keras", 5.0, metric="fit", devices=("gpu",)),
    # predict latency on one sample
    Target("numpy", "predict", "torch", 1.5, devices=("cpu",), variant="call", baseline_variant="call"),
    Target("numpy", "predict", "torch", 1.5, devices=("cpu",), variant="predict_on_batch", baseline_variant="call"),
    Target("*", "predict", "keras", 1.0, variant="predict", baseline_variant="predict", strict=True),
)


def find(results, workload, framework, backend=None, variant=None):
    for result in results:
        if (result.workload == workload and result.framework == framework and result.variant == variant
                and (backend is None or result.backend == backend)):
            return result
    return None


def baseline_for(results, nnkit_row, baseline, baseline_variant=None):
    """The baseline row an nnkit row is compared with (predict: same variant, else the baseline's call)."""
    if nnkit_row.variant is None:
        return find(results, nnkit_row.workload, baseline)
    wanted = baseline_variant or nnkit_row.variant
    return find(results, nnkit_row.workload, baseline, variant=wanted) or \
        find(results, nnkit_row.workload, baseline, variant="call")


def step_ratio(nnkit_row, baseline_row):
    if nnkit_row is None or baseline_row is None or not (nnkit_row.ok and baseline_row.ok):
        return None
    if not nnkit_row.step_s or not baseline_row.step_s:
        return None
    return nnkit_row.step_s / baseline_row.step_s


def fit_ratio(nnkit_row, baseline_row):
    if nnkit_row is None or baseline_row is None or not (nnkit_row.ok and baseline_row.ok):
        return None
    if not nnkit_row.fit_samples_per_s or not baseline_row.fit_samples_per_s:
        return None
    return nnkit_row.fit_samples_per_s / baseline_row.fit_samples_per_s


def verdict(target, ratio):
    if ratio is None:
        return MISSING
    if target.metric == "fit":
        return PASS if ratio >= target.limit else MISS
    return PASS if (ratio < target.limit if target.strict else ratio <= target.limit) else MISS


def evaluate(results, device, backends):
    """One record per (target, nnkit backend) that applies to this run: its device, its workloads, and the
    nnkit backends that can run here (a backend that is 'n/a' on this device has no targets here)."""
    records = []
    workloads = {r.workload for r in results}
    for target in TARGETS:
        if device not in target.devices or target.workload not in workloads:
            continue
        for backend in (backends if target.backend == "*" else [target.backend]):
            if backend not in backends:
                continue
            nnkit_row = find(results, target.workload, "nnkit", backend, target.variant)
            if nnkit_row is not None and nnkit_row.status == "n/a":
                continue
            base_row = find(results, target.workload, target.baseline, variant=target.baseline_variant)
            ratio = (fit_ratio if target.metric == "fit" else step_ratio)(nnkit_row, base_row)
            why = None
            if ratio is None:
                missing = [row_desc(row, label) for row, label in ((nnkit_row, f"nnkit-{backend}"),
                                                                  (base_row, BASELINE_LABELS[target.baseline]))
                           if row is None or not row.ok]
                why = "; ".join(missing) or "no ratio"
            records.append({
                "target": target.describe().replace("nnkit ", f"nnkit-{backend} ", 1)
                if target.backend == "*" else target.describe(),
                "backend": backend, "workload": target.workload, "variant": target.variant,
                "baseline": target.baseline, "baseline_variant": target.baseline_variant,
                "metric": target.metric, "limit": target.limit, "strict": target.strict,
                "ratio": ratio, "verdict": verdict(target, ratio), "why_missing": why,
            })
    return records


def row_desc(row, label):
    if row is None:
        return f"{label}: not run"
    return f"{label}: {row.status}"


def cell_verdicts(records):
    """{(backend, workload, variant, baseline, metric): verdict} for marking table cells."""
    return {(r["backend"], r["workload"], r["variant"], r["baseline"], r["metric"]): r for r in records}
