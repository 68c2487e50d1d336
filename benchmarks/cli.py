"""Command line: `python -m benchmarks [options]` (see README.md).

The device is set up here, before anything imports JAX, Keras or torch: `--device cpu` sets
JAX_PLATFORMS=cpu; `--device gpu` stops JAX from preallocating most of the GPU (the libraries share it
in one process); KERAS_BACKEND=jax is set for Keras 3.
"""
import argparse
import os
import sys

FRAMEWORKS = ("numpy", "torch", "jax", "keras", "nnkit")
BACKENDS = ("numpy", "jax", "cupy")


def _csv(choices):
    def parse(text):
        values = [v.strip() for v in text.split(",") if v.strip()]
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {','.join(choices)}")
        return values

    return parse


def parse_args(argv=None):
    from benchmarks.workloads import WORKLOAD_ORDER

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark nnkit against a NumPy loop, PyTorch eager, pure JAX + optax and Keras 3.",
    )
    parser.add_argument("--backends", type=_csv(BACKENDS), default=list(BACKENDS),
                        help="nnkit backends (default: numpy,jax,cupy; those that cannot run here show why)")
    parser.add_argument("--frameworks", type=_csv(FRAMEWORKS), default=list(FRAMEWORKS),
                        help="frameworks (default: nnkit,numpy,torch,jax,keras; 'numpy' is the hand-written loop)")
    parser.add_argument("--workloads", type=_csv(WORKLOAD_ORDER), default=list(WORKLOAD_ORDER),
                        help="workloads (default: mlp,cnn,lstm,wide,predict)")
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu", help="default: cpu")
    parser.add_argument("--steps", type=int, help="training steps per timed block (predict: calls per block); "
                        "default: per workload and device")
    parser.add_argument("--repeats", type=int, help="timed blocks (the median is reported); default per workload")
    parser.add_argument("--warmup", type=int, help="warm-up steps before timing; default per workload")
    parser.add_argument("--fit-batches", type=int, help="batches in the timed fit()/epoch; default per workload")
    parser.add_argument("--wide-batch", type=int, help="batch of the wide workload (default 512 on cpu, 4096 on gpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data and initial weights")
    parser.add_argument("--json", metavar="PATH", help="also write everything to this JSON file")
    parser.add_argument("--check", action="store_true",
                        help="no timing: check that every implementation's loss falls over --steps steps (default 10)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    for name in ("steps", "repeats", "fit_batches", "wide_batch"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.warmup is not None and args.warmup < 1:
        parser.error("--warmup must be >= 1")
    return args


def setup_environment(device):
    """Environment variables that must be set before the libraries are imported; returns warnings."""
    warnings = []
    if device == "cpu":
        if "jax" in sys.modules and os.environ.get("JAX_PLATFORMS") != "cpu":
            warnings.append("jax was imported before --device cpu could set JAX_PLATFORMS=cpu")
        os.environ["JAX_PLATFORMS"] = "cpu"
    else:
        if os.environ.get("JAX_PLATFORMS") == "cpu":
            del os.environ["JAX_PLATFORMS"]
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "jax"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return warnings


def main(argv=None):
    args = parse_args(argv)
    warnings = setup_environment(args.device)

    # Imported only now: nothing below may import jax/torch/keras before the environment is set.
    from benchmarks import check, machine, peak, report, suite, targets
    from benchmarks.context import Context
    from benchmarks.workloads import WORKLOADS

    if args.device == "gpu" and not machine.gpu_present():
        print("--device gpu: no GPU found (nvidia-smi lists none).", file=sys.stderr)
        return 2

    ctx = Context(device=args.device, seed=args.seed, verbose=not args.quiet)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    backends = args.backends if "nnkit" in args.frameworks else []
    frameworks = [f for f in suite.FRAMEWORK_ORDER if f in args.frameworks]
    if args.check:
        rows = check.run(ctx, args.workloads, frameworks, backends, steps=args.steps or 10)
        print(check.render(rows))
        if args.json:
            report.write_json(args.json, {"schema": 1, "machine": machine.collect(args.device), "check": rows})
        return 1 if check.failed(rows) else 0
    overrides = dict(steps=args.steps, repeats=args.repeats, warmup=args.warmup, fit_batches=args.fit_batches,
                     batch=args.wide_batch)
    runner = suite.Suite(ctx, args.workloads, frameworks, backends, overrides)
    machine_info = machine.collect(args.device)
    results = runner.run()

    machine_info["load_average_at_end"] = machine.load_average()
    machine_info["runtime"] = machine.runtime()
    if not machine_info["gpu"] and machine_info["runtime"].get("torch_cuda_device"):
        machine_info["gpu"] = machine_info["runtime"]["torch_cuda_device"]
    if "nnkit" in sys.modules:
        machine_info["libraries"]["nnkit"] = machine_info["libraries"]["nnkit"] or getattr(
            sys.modules["nnkit"], "__version__", "src")
    config = {
        "device": args.device, "workloads": args.workloads, "frameworks": runner.frameworks,
        "backends": runner.backends, "seed": args.seed, "overrides": {k: v for k, v in overrides.items() if v},
        "plans": {name: runner.plan(WORKLOADS[name]).__dict__ for name in args.workloads},
        "argv": sys.argv[1:] if argv is None else list(argv),
    }
    target_records = targets.evaluate(results, args.device, runner.backends)
    print(report.render(machine_info, results, target_records, config))
    if args.json:
        record = report.to_json(machine_info, config, results, target_records,
                                extra={"matmul_peaks": peak.measured()})
        report.write_json(args.json, record)
        print(f"\nJSON written to {args.json}")
    return 0
