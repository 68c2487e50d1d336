"""Replicas: the one seam between the trainer and a distribution engine (JAX SPMD, MPI).

The trainer asks this object where weights and batches live, which rows of each global batch this process
trains on, and how gradients, layer state and metrics are combined across replicas. This base class is the
single-device no-op: every method returns its argument, so the default path costs nothing per step.
"""


class Replicas:
    """One process, one device: nothing is placed, split or reduced. Engines override what they need."""

    #: Replicas the global batch is split over (devices on the data axis, or processes).
    count = 1
    #: Processes taking part in the job, and this one's number (0 is the chief).
    process_count = 1
    process_index = 0
    #: Whether weights and batches live on one device, so the trainer's one-device shortcuts apply (training
    #: data kept resident on the device and gathered there, several batches stacked into one compiled call).
    single_device = True

    @property
    def is_chief(self):
        """Whether this is process 0, the one that shows progress and writes checkpoints and logs."""
        return self.process_index == 0

    def check_batch_size(self, batch_size):
        """Raise a clear error where the global `batch_size` cannot be split evenly over the replicas."""

    def place_weights(self, variables):
        """Put each variable's value where it lives (replicated or sharded over devices)."""

    def keep_placement(self, variables, values):
        """Inside a step: the new `values` of `variables` constrained to stay where place_weights put them (a
        compiler may otherwise choose another layout for a step's outputs)."""
        return values

    def place_batch(self, arrays):
        """This process's batch arrays on its device(s), split on the batch axis; the no-op leaves them as they are."""
        return arrays

    def local_rows(self, rows):
        """This process's share of `rows`, an index matrix with one global batch per row."""
        return rows

    def reduce_gradients(self, grads, local_count):
        """The gradients of the global batch from this replica's gradients over `local_count` rows (an engine
        that needs the global count adds up the local ones). SPMD engines see the global batch already:
        identity, as here."""
        return grads

    def reduce_state(self, values):
        """Non-trainable values after a train step (moving statistics), made equal across processes."""
        return values

    def reduce_metrics(self, old_values, new_values):
        """Metric variables after an update: old + the sum over processes of (new - old); here `new_values`."""
        return new_values

    def broadcast(self, values):
        """Process 0's `values` on every process (initial weights start equal everywhere)."""
        return values

    def fail(self, error):
        """End the whole job after `error` in this process (others would wait forever); here re-raise it."""
        raise error


def process_columns(rows, index, count):
    """Process `index`'s contiguous share of the columns of `rows` (an index matrix, one global batch per row),
    split over `count` processes into nearly equal shares (equal where the width divides)."""
    width = rows.shape[1]
    return rows[:, width * index // count:width * (index + 1) // count]
