"""Runs the chosen (workload x framework[/backend]) grid and returns the rows, in table order."""
import gc
import sys

from benchmarks import measure, nnkit_runner, peak
from benchmarks.baselines import BASELINE_ORDER, BASELINES
from benchmarks.results import NOT_APPLICABLE, NOT_INSTALLED, PREDICT_VARIANTS, Result, status_row
from benchmarks.workloads import WORKLOADS, make_data

FRAMEWORK_ORDER = BASELINE_ORDER + ("nnkit",)


def _free_device_caches():
    """Between rows: return cached device memory so each row's peak is its own."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        try:
            cupy.get_default_memory_pool().free_all_blocks()
        except Exception:
            pass


class Suite:
    def __init__(self, ctx, workloads, frameworks, backends, overrides):
        self.ctx = ctx
        self.workloads = workloads
        self.frameworks = [f for f in FRAMEWORK_ORDER if f in frameworks]
        self.backends = backends
        self.overrides = overrides
        self._unavailable = {}

    def plan(self, workload):
        overrides = dict(self.overrides)
        if workload.name != "wide":
            overrides.pop("batch", None)
        if workload.is_predict:
            overrides.pop("fit_batches", None)
        return workload.plan(self.ctx.device, **overrides)

    def baseline_unavailable(self, name):
        if name not in self._unavailable:
            try:
                self._unavailable[name] = BASELINES[name].unavailable(self.ctx)
            except Exception as error:
                self._unavailable[name] = f"unusable: {type(error).__name__}: {error}"
        return self._unavailable[name]

    def run(self):
        results = []
        for name in self.workloads:
            workload = WORKLOADS[name]
            plan = self.plan(workload)
            self.ctx.log(f"[{name}] {workload.description}")
            if workload.is_predict:
                data = make_data(workload, 1, 1, self.ctx.seed)
            else:
                data = make_data(workload, plan.batch * max(1, plan.fit_batches), plan.batch, self.ctx.seed)
            for framework in self.frameworks:
                if framework == "nnkit":
                    for backend in self.backends:
                        _free_device_caches()
                        results += self.run_nnkit(workload, plan, data, backend)
                else:
                    _free_device_caches()
                    results += self.run_baseline(workload, plan, data, framework)
        return results

    # ------------------------------------------------------------------------------------------ rows
    def _template(self, workload, framework, backend=None):
        def template(variant):
            return Result(workload=workload.name, framework=framework, device=self.ctx.device,
                          backend=backend, variant=variant)

        return template

    def _wide_extras(self, workload, plan, library):
        if workload.name != "wide":
            return None, None
        return workload.train_flops(plan.batch), peak.matmul_peak_tflops(library, self.ctx.device)

    def run_baseline(self, workload, plan, data, name):
        module = BASELINES[name]
        device = self.ctx.device
        variant = "call" if workload.is_predict else None
        reason = self.baseline_unavailable(name)
        if reason:
            status = NOT_INSTALLED if reason.startswith("not installed") else NOT_APPLICABLE
            return [status_row(workload.name, name, device, status, reason, variant=variant)]
        reason = module.not_applicable(workload, self.ctx)
        if reason:
            return [status_row(workload.name, name, device, NOT_APPLICABLE, reason, variant=variant)]
        self.ctx.log(f"{name} ...")
        memory_kind = self.ctx.memory_kind(module.LIBRARY)
        if workload.is_predict:
            x1 = data.x[:1]
            rows = measure.run_predict(self._template(workload, name),
                                       lambda: module.predict_session(workload, x1, self.ctx),
                                       plan, memory_kind, log=self.ctx.log)
            for row in rows:  # a build failure comes back without a variant
                row.variant = row.variant or "call"
            return rows
        flops, peak_tflops = self._wide_extras(workload, plan, module.LIBRARY)
        result = self._template(workload, name)(None)
        return [measure.run_training(result, lambda: module.train_session(workload, data, self.ctx), data, plan,
                                     memory_kind, flops, peak_tflops, log=self.ctx.log)]

    def run_nnkit(self, workload, plan, data, backend):
        device = self.ctx.device
        unavailable = nnkit_runner.backend_unavailable(backend, self.ctx)
        variants = PREDICT_VARIANTS if workload.is_predict else (None,)
        if unavailable:
            status, reason = unavailable
            return [status_row(workload.name, "nnkit", device, status, reason, backend=backend, variant=v)
                    for v in variants]
        self.ctx.log(f"nnkit-{backend} ...")
        memory_kind = self.ctx.memory_kind(nnkit_runner.library(backend))
        template = self._template(workload, "nnkit", backend)
        if workload.is_predict:
            x1 = data.x[:1]
            rows = measure.run_predict(template, lambda: nnkit_runner.predict_session(workload, x1, backend, self.ctx),
                                       plan, memory_kind, log=self.ctx.log)
            if len(rows) == 1 and rows[0].variant is None:  # failed before any variant ran: one row per variant
                failed = rows[0]
                rows = [status_row(workload.name, "nnkit", device, failed.status, failed.reason, backend=backend,
                                   variant=v) for v in variants]
            return rows
        flops, peak_tflops = self._wide_extras(workload, plan, nnkit_runner.library(backend))
        return [measure.run_training(template(None),
                                     lambda: nnkit_runner.train_session(workload, data, backend, self.ctx),
                                     data, plan, memory_kind, flops, peak_tflops, log=self.ctx.log)]
