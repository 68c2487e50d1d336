"""One measured row: a (workload, framework[/backend][, predict variant]) with its numbers or its status."""
from dataclasses import asdict, dataclass, field

# Statuses a row can have.
OK = "ok"
NOT_INSTALLED = "not installed"
NOT_AVAILABLE = "not available yet"  # nnkit (or one of its layers/backends) does not exist yet
NOT_APPLICABLE = "n/a"
ERROR = "error"

# How each baseline is named in tables and ratio columns.
BASELINE_LABELS = {"numpy": "numpy-loop", "torch": "torch", "jax": "jax", "keras": "keras"}

# Predict variants. Baselines that have no `predict_on_batch` / `predict` are compared through `call`.
PREDICT_VARIANTS = ("call", "predict_on_batch", "predict")
VARIANT_LABELS = {"call": "model(x)", "predict_on_batch": "predict_on_batch", "predict": "predict()"}


@dataclass
class Result:
    workload: str
    framework: str  # 'nnkit' or a baseline key: 'numpy', 'torch', 'jax', 'keras'
    device: str
    backend: str | None = None  # nnkit's backend
    variant: str | None = None  # predict workload: 'call' | 'predict_on_batch' | 'predict'
    status: str = OK
    reason: str | None = None
    batch: int | None = None
    step: dict | None = None  # seconds per step (latency per call for predict): median/min/max/all
    warmup_s: float | None = None  # the first step (first call), compile included
    warmup_total_s: float | None = None  # all warm-up steps
    build_s: float | None = None  # building the model and placing the batch
    fit_samples_per_s: float | None = None
    fit_epoch: dict | None = None  # seconds per epoch: median/min/max/all
    fit_samples: int | None = None
    fit_kind: str | None = None  # 'fit()' or 'epoch loop'
    memory: dict | None = None
    loss_first: float | None = None
    loss_last: float | None = None
    tflops: float | None = None
    peak_tflops: float | None = None
    iterations: int | None = None  # predict: calls per timed block
    notes: list = field(default_factory=list)

    @property
    def label(self):
        if self.framework == "nnkit":
            name = f"nnkit-{self.backend}"
        else:
            name = BASELINE_LABELS.get(self.framework, self.framework)
        if self.variant:
            name += f" {VARIANT_LABELS.get(self.variant, self.variant)}"
        return name

    @property
    def ok(self):
        return self.status == OK

    @property
    def step_s(self):
        return None if not self.step else self.step["median"]

    def as_dict(self):
        record = asdict(self)
        record["label"] = self.label
        record["step_ms"] = None if self.step_s is None else self.step_s * 1e3
        return record


def status_row(workload, framework, device, status, reason=None, backend=None, variant=None):
    return Result(workload=workload, framework=framework, device=device, backend=backend, variant=variant,
                  status=status, reason=reason)
