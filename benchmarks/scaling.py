"""Scaling benchmark: fit() throughput of the mlp workload (784-512(relu)-512(relu)-10, Adam) at a fixed global
batch on 1, 2 and 4 replicas, and the efficiency against one (speedup / replicas):

- `mpi`: DataParallel on the NumPy backend over `mpirun -n N` processes;
- `jax`: DataParallel on the JAX backend over N CPU devices (XLA_FLAGS=--xla_force_host_platform_device_count=N);
- `alone`: the ceiling this machine allows: N processes (`mpirun -n N`) that each train their own model on
  1/N of every batch, with no communication at all.

Each (engine, N) runs in a fresh process (or MPI job). BLAS and XLA's Eigen kernels run on one thread per
replica, so the rows measure the distribution rather than library threading; on a machine with fewer cores
than replicas, replicas share cores and efficiency falls accordingly.

    python -m benchmarks.scaling                     # every engine, 1, 2 and 4 replicas
    python -m benchmarks.scaling --engines mpi --replicas 1,2 --batches 32 --repeats 5
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks.context import usable_cores
from benchmarks.workloads import LEARNING_RATE, WORKLOADS, keras_style_stack, make_data

ENGINES = ("mpi", "jax", "alone")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
JAX_ONE_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false"  # XLA's matmuls and convolutions on one thread
RUN_TIMEOUT_S = 900


def measure(engine, batches, batch, repeats, seed):
    """(median seconds of one fit() epoch of `batches` global batches after a warm-up fit, the replicas it ran
    on, whether this process reports); in a worker."""
    import nnkit
    from nnkit.distribution import DataParallel

    world = _world(engine)
    processes = 1 if world is None else world.Get_size()
    if engine == "alone":
        batch //= processes
    workload = WORKLOADS["mlp"]
    data = make_data(workload, batches * batch, batch, seed)
    nnkit.set_random_seed(seed)
    model = nnkit.Sequential(keras_style_stack(nnkit.layers, workload))
    model.compile(optimizer=nnkit.optimizers.Adam(LEARNING_RATE), loss=workload.loss,
                  backend="jax" if engine == "jax" else "numpy",
                  distribution=None if engine == "alone" else DataParallel())
    model.fit(data.x[:2 * batch], data.y[:2 * batch], batch_size=batch, epochs=1, verbose=0)
    seconds = []
    for _ in range(repeats):
        if world is not None:
            world.Barrier()  # timed epochs start together in every process
        start = time.perf_counter()
        model.fit(data.x, data.y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
        seconds.append(time.perf_counter() - start)
    replicas = processes if engine == "alone" else model._trainer.replicas.count
    return statistics.median(seconds), replicas, world is None or world.Get_rank() == 0


def _world(engine):
    """MPI's COMM_WORLD for the engines launched with mpirun, else None."""
    if engine == "jax":
        return None
    from mpi4py import MPI

    return MPI.COMM_WORLD


def worker(args):
    seconds, replicas, reports = measure(args.worker, args.batches, args.batch, args.repeats, args.seed)
    if reports:
        with open(args.out, "w") as file:
            json.dump({"seconds": seconds, "replicas": replicas}, file)


def launch(engine, count, args, out):
    """The command and environment of one (engine, count) measurement in a fresh process."""
    argv = ["-m", "benchmarks.scaling", "--worker", engine, "--out", out, "--batches", str(args.batches),
            "--batch", str(args.batch), "--repeats", str(args.repeats), "--seed", str(args.seed)]
    environment = dict(os.environ, **ONE_THREAD)
    if engine != "jax":
        from nnkit.distribution.mpirun import mpirun_command

        return mpirun_command(count, argv), environment
    environment["JAX_PLATFORMS"] = "cpu"
    environment["XLA_FLAGS"] = (f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={count} "
                                f"{JAX_ONE_THREAD_FLAGS}").strip()
    return [sys.executable, *argv], environment


def run(engine, count, args):
    """{'seconds', 'replicas'} of one measurement, or {'error'} saying why it did not run."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "result.json")
        try:
            command, environment = launch(engine, count, args, out)
            done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        except (FileNotFoundError, subprocess.TimeoutExpired) as error:
            return {"error": str(error)}
        if done.returncode != 0 or not os.path.exists(out):
            return {"error": _failure(done)}
        with open(out) as file:
            return json.load(file)


def _failure(done):
    """The exception line of a failed run's output (mpirun adds its own notes after it), else its exit code."""
    lines = (done.stderr + done.stdout).splitlines()
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return errors[-1] if errors else f"exit code {done.returncode}"


def table(results, samples):
    """The results as a Markdown table: throughput, speedup and efficiency against one replica per engine."""
    lines = ["| engine | replicas | samples/s | speedup | efficiency |", "| --- | ---: | ---: | ---: | ---: |"]
    for engine, rows in results.items():
        base = rows[0][1].get("seconds")
        for count, result in rows:
            if "error" in result:
                lines.append(f"| {engine} | {count} | not run: {result['error']} | | |")
                continue
            if result["replicas"] != count:
                lines.append(f"| {engine} | {count} | ran on {result['replicas']} replicas instead | | |")
                continue
            speedup = base / result["seconds"] if base else float("nan")
            lines.append(f"| {engine} | {count} | {samples / result['seconds']:,.0f} | {speedup:.2f} | "
                         f"{speedup / count:.0%} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=",".join(ENGINES), help="mpi,jax,alone (default: all three)")
    parser.add_argument("--replicas", default="1,2,4", help="replica counts (default 1,2,4)")
    parser.add_argument("--batches", type=int, default=24, help="global batches per timed epoch (default 24)")
    parser.add_argument("--batch", type=int, default=WORKLOADS["mlp"].batch, help="global batch size (default 128)")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs; the median is reported (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return
    counts = [int(n) for n in args.replicas.split(",")]
    results = {}
    for engine in args.engines.split(","):
        results[engine] = []
        for count in counts:
            print(f"  {engine}, {count} replica(s) ...", file=sys.stderr, flush=True)
            results[engine].append((count, run(engine, count, args)))
    print(f"mlp, global batch {args.batch}, {args.batches} batches per epoch, median of {args.repeats} epochs; "
          f"{usable_cores()} cores, one thread per replica; load average at the end "
          f"{os.getloadavg()[0]:.2f}\n")
    print(table(results, args.batches * args.batch))


if __name__ == "__main__":
    main()
