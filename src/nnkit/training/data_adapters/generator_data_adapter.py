"""Python generators and iterators of batches: consumed across epochs, `steps` batches per epoch, or
until exhausted where `steps` is not given."""
import itertools


class GeneratorDataAdapter:
    """A generator's batches; a re-iterable object (not an iterator) is iterated afresh each epoch."""

    def __init__(self, data, steps=None):
        self.data = data
        self.steps = steps
        self.reiterable = iter(data) is not data
        self._iterator = None if self.reiterable else data
        self.name = f"The {type(data).__name__} given as data"

    @property
    def num_batches(self):
        return self.steps

    def epoch_batches(self):
        """This epoch's raw batches; an epoch that gets none at all is an error (an exhausted generator)."""
        iterator = iter(self.data) if self.reiterable else self._iterator
        count = 0
        for batch in itertools.islice(iterator, self.steps):
            count += 1
            yield batch
        if count == 0:
            raise ValueError(
                f"{self.name} is exhausted: it yielded no batch this epoch. A generator runs once; for several "
                f"epochs make it loop forever and pass steps_per_epoch (steps for evaluate/predict), or use "
                f"nnkit.utils.PyDataset, which is indexed afresh each epoch.")

    def on_epoch_end(self):
        """Generators have no epoch hook."""
