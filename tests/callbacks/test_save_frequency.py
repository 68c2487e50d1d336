"""SaveFrequency, the one rule for when ModelCheckpoint, BackupAndRestore and TensorBoard write: per epoch, or
every N training batches counted across epochs; bad values are a ValueError naming the callback."""
import pytest

from nnkit.callbacks._save_frequency import SaveFrequency


def test_per_epoch_never_asks_for_a_batch_write():
    frequency = SaveFrequency("epoch", "ModelCheckpoint")
    assert frequency.per_epoch
    assert not any(frequency.batch_ended() for _ in range(5))


def test_every_n_batches_counts_across_epochs_and_can_restart():
    frequency = SaveFrequency(3, "BackupAndRestore")
    assert not frequency.per_epoch
    assert [frequency.batch_ended() for _ in range(7)] == [False, False, True, False, False, True, False]
    frequency.restart()
    assert [frequency.batch_ended() for _ in range(3)] == [False, False, True]


def test_batch_means_every_batch_where_the_callback_accepts_it():
    frequency = SaveFrequency("batch", "TensorBoard", argument="update_freq", batch_name=True)
    assert frequency.value == 1
    assert [frequency.batch_ended() for _ in range(2)] == [True, True]


@pytest.mark.parametrize("value", ["batch", 0, -2, 1.5, True])
def test_a_bad_value_names_the_callback_and_the_argument(value):
    with pytest.raises(ValueError, match=r"ModelCheckpoint: unrecognized save_freq: .*'epoch' or a positive integer"):
        SaveFrequency(value, "ModelCheckpoint")


def test_the_message_lists_batch_where_it_is_accepted():
    with pytest.raises(ValueError, match=r"TensorBoard: unrecognized update_freq: 'sometimes'.*'epoch', 'batch'"):
        SaveFrequency("sometimes", "TensorBoard", argument="update_freq", batch_name=True)
