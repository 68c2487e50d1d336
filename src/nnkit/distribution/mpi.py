"""Data parallelism over processes with MPI (mpi4py): each process trains on its share of every global batch,
and one Allreduce per step gives every process the whole batch's gradients, so all of them keep equal weights.

Written against the backend's `xp`, `to_numpy` and `asarray`, so a device backend (CuPy) can reuse it: there
the flat buffers are built on the device and cross the host once per step; NCCL (cupy.cuda.nccl) would
replace the host copy and `Allreduce` in `_sum` with one device-side all-reduce on the same flat buffer.
"""
import math
import sys
import traceback

import numpy as np

from nnkit.distribution.replicas import Replicas, process_columns

INSTALL_COMMAND = 'pip install "nnkit[mpi]"  (mpi4py and the Open MPI runtime from PyPI)'


def mpi_replicas(backend, distribution):
    """The Replicas of `distribution` (a DataParallel) over the processes mpirun or srun started: an
    MpiReplicas, or the one-process no-op where this process runs alone (started without a launcher)."""
    from nnkit.distribution.distributions import DataParallel

    if not isinstance(distribution, DataParallel):
        raise ValueError(f"The {backend.name} backend runs DataParallel over MPI processes; it cannot run "
                         f"{distribution!r}. Use DataParallel(), or the jax backend for ModelParallel.")
    comm = _world(backend)
    mesh = distribution.device_mesh
    if mesh is not None and mesh.shape[0] != comm.Get_size():
        raise ValueError(f"DataParallel over {mesh.shape[0]} devices, but the {backend.name} backend has one "
                         f"replica per MPI process and this job has {comm.Get_size()}: start it with "
                         f"`mpirun -n {mesh.shape[0]}`, or use DataParallel() for all processes.")
    return Replicas() if comm.Get_size() == 1 else MpiReplicas(backend, comm)


def check_job(backend, num_processes, process_id):
    """nnkit.distribution.initialize() over MPI: the launcher has joined the processes already (it also knows the
    coordinator); a process count or id given must be the job's."""
    comm = _world(backend)
    size, rank = comm.Get_size(), comm.Get_rank()
    if num_processes not in (None, size) or process_id not in (None, rank):
        raise ValueError(f"initialize(num_processes={num_processes}, process_id={process_id}), but the launcher "
                         f"started this process as process {rank} of {size}: launch with `mpirun -n "
                         f"{num_processes or size}`, or leave both arguments out on the {backend.name} backend.")


def _world(backend):
    """MPI's COMM_WORLD, or a clear error naming the install command where mpi4py is missing."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"DataParallel on the {backend.name} backend runs over MPI processes and needs mpi4py "
                          f"with an MPI library: {INSTALL_COMMAND}; then launch with `mpirun -n 2 python "
                          f"script.py`.") from error
    return MPI.COMM_WORLD


class MpiReplicas(Replicas):
    """One replica per MPI process. Rows of each global batch are split into contiguous, nearly equal shares
    (a batch not divisible by the process count gives shares one row apart); gradients and layer state are
    averaged weighted by each share's rows, so training equals one process on the global batch."""

    def __init__(self, backend, comm):
        from mpi4py import MPI

        self.backend, self.comm, self._sum_op = backend, comm, MPI.SUM
        self._in_place = MPI.IN_PLACE
        self.count = self.process_count = comm.Get_size()
        self.process_index = comm.Get_rank()
        self._rows = None  # rows of the batch this process works on now (place_batch records them)
        self._gradient_buffers = {}  # (length, dtype) -> the buffer every step's gradients are reduced in

    def place_batch(self, arrays):
        """The arrays as they are (this process's share already); their rows weigh this process's part in the
        reductions of the step, and a process with none (a last batch narrower than the job) adds nothing."""
        self._rows = len(arrays[0]) if arrays else self._rows
        return arrays

    def local_rows(self, rows):
        """This process's columns of process 0's index matrix: every process splits the same batches, even where
        their shuffles (their seeds) differ."""
        chief = self.comm.bcast(rows if self.is_chief else None, root=0)
        if chief.shape != rows.shape:
            raise ValueError(f"Process {self.process_index} has data for batches of shape {rows.shape}, process 0 "
                             f"{chief.shape}: every process must pass fit() the same data (the whole data set, or "
                             f"the same number of samples) and the same batch_size.")
        return process_columns(chief, self.process_index, self.count)

    def reduce_gradients(self, grads, local_count):
        """The row-weighted mean over processes, sum(grads * rows) / sum(rows), in one Allreduce of one flat
        buffer that also carries the rows; a process with no rows in this
        step (a last batch narrower than the job) contributes zeros.

        The buffer is the same every step (a fresh one costs page faults: ~2 ms per step for the 2.7 MB of an
        MLP on a VM): the returned gradients are views into it, valid until the next step's reduction."""
        return self._weighted_mean(grads, np.result_type(*[g.dtype for g in grads]), int(local_count),
                                   self._gradient_buffer)

    def reduce_state(self, values):
        """Floating values (moving statistics) as their row-weighted mean over processes, one Allreduce; others
        (integer seeds) stay as they are. Weighted by the rows of this process's batch (see place_batch)."""
        floating = [i for i, v in enumerate(values) if np.issubdtype(v.dtype, np.floating)]
        if not floating:
            return values
        rows = 1 if self._rows is None else self._rows
        reduced = list(values)
        floats = [values[i] for i in floating]
        for i, value in zip(floating, self._weighted_mean(floats, np.float64, rows, self.backend.xp.empty)):
            reduced[i] = value
        return reduced

    def reduce_metrics(self, old_values, new_values):
        """old + the sum over processes of (new - old): every process's counts and totals for this step, in one
        float64 Allreduce (exact for integer counts)."""
        if not new_values:
            return new_values
        xp = self.backend.xp
        deltas = [xp.asarray(new, dtype=xp.float64) - xp.asarray(old, dtype=xp.float64)
                  for old, new in zip(old_values, new_values)]
        sizes = _sizes(deltas)
        flat = self._flat(deltas, sizes, np.float64, self.backend.xp.empty, scale=0 if self._rows == 0 else 1)
        self._sum(flat)
        return [xp.asarray(old + delta, dtype=old.dtype)
                for old, delta in zip(old_values, self._unflat(flat, deltas, sizes))]

    def broadcast(self, values):
        """Process 0's `values` on every process, after checking that every process holds the same shapes."""
        host = [np.ascontiguousarray(self.backend.to_numpy(v)) for v in values]
        layout = [(a.shape, a.dtype.str) for a in host]
        chief = self.comm.bcast(layout if self.is_chief else None, root=0)
        if chief != layout:
            raise ValueError(f"Process {self.process_index} holds values of shapes and dtypes {layout}, process 0 "
                             f"{chief}: every process must build the same model.")
        for array in host:
            self.comm.Bcast(array, root=0)
        return [self.backend.asarray(a) for a in host]

    def fail(self, error):
        """Print which process failed and why, then end the whole job (MPI Abort): the other processes wait in a
        collective call that this one will never make, and would hang."""
        message = "".join(traceback.format_exception(error))
        sys.stdout.flush()
        sys.stderr.write(f"nnkit: MPI process {self.process_index} of {self.count} failed; ending the job.\n"
                         f"{message}")
        sys.stderr.flush()
        self.comm.Abort(1)

    # --- one flat host buffer per collective ------------------------------------------------------------------
    def _weighted_mean(self, arrays, dtype, rows, allocate):
        """sum over processes of (arrays * rows) / sum over processes of rows, in one Allreduce of one buffer
        (from `allocate(length, dtype)`) whose last slot carries the rows."""
        sizes = _sizes(arrays)
        flat = self._flat(arrays, sizes, dtype, allocate, scale=rows, extra=1)
        flat[-1] = rows
        self._sum(flat)
        flat[:-1] /= flat[-1]
        return self._unflat(flat, arrays, sizes)

    def _flat(self, arrays, sizes, dtype, allocate, scale=1, extra=0):
        """The arrays (of `sizes` elements) times `scale` (zeros where it is 0, whatever they hold), raveled in
        one pass into a buffer of `dtype` from `allocate(length, dtype)`, with `extra` zeroed slots at its end; on
        the host (a device backend copies it there once)."""
        xp, total = self.backend.xp, sum(sizes)
        buffer = allocate(total + extra, dtype)
        buffer[total if scale else 0:] = 0
        if scale:
            start = 0
            for array, size in zip(arrays, sizes):
                xp.multiply(xp.reshape(array, (-1,)), scale, out=buffer[start:start + size])
                start += size
        return self.backend.to_numpy(buffer)

    def _gradient_buffer(self, length, dtype):
        key = (length, dtype)
        if key not in self._gradient_buffers:
            self._gradient_buffers[key] = self.backend.xp.empty(length, dtype)
        return self._gradient_buffers[key]

    def _sum(self, flat):
        """The buffer summed over processes, in place."""
        self.comm.Allreduce(self._in_place, flat, op=self._sum_op)

    def _unflat(self, flat, like, sizes):
        """The buffer cut back into arrays shaped and typed like `like` (of `sizes` elements), on the backend."""
        xp, out, start = self.backend.xp, [], 0
        device = self.backend.asarray(flat[:sum(sizes)])
        for array, size in zip(like, sizes):
            out.append(xp.reshape(device[start:start + size], array.shape).astype(array.dtype, copy=False))
            start += size
        return out


def _sizes(arrays):
    """The element count of each array (the slots it takes in a flat buffer)."""
    return [math.prod(a.shape) for a in arrays]
