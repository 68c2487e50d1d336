"""The checks every weights reader makes before it assigns anything: each layer's stored arrays against its
variables (count, then each shape), with skip_mismatch turning a mismatch into a warning."""
import warnings


def mismatch(where, variables, arrays):
    """Why `arrays` cannot be loaded into `variables` (a sentence starting with `where`), or None."""
    if len(arrays) != len(variables):
        return (f"{where}: expected {len(variables)} weights {[v.name for v in variables]}, "
                f"but the file holds {len(arrays)}")
    for variable, value in zip(variables, arrays):
        if tuple(value.shape) != tuple(variable.shape):
            return (f"{where}: weight '{variable.name}' has shape {tuple(variable.shape)} in the model, but "
                    f"shape {tuple(value.shape)} in the file")
    return None


def accepted(candidates, skip_mismatch, failure):
    """The (target, arrays) pairs of `candidates` [(target, problem or None, arrays)] that may be loaded: a
    problem raises ValueError(failure + problem), or with skip_mismatch is skipped with a warning."""
    loadable = []
    for target, problem, arrays in candidates:
        if problem is None:
            loadable.append((target, arrays))
        elif skip_mismatch:
            warnings.warn(f"Skipping loading weights for {problem}.", stacklevel=4)
        else:
            raise ValueError(f"{failure}{problem}.")
    return loadable
