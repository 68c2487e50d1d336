"""CSVLogger: one complete, flushed line per epoch; header once; append and separator options."""
import numpy as np

from nnkit.callbacks import CallbackList, CSVLogger

EPOCHS = [{"val_loss": 2.0, "loss": 1.0}, {"val_loss": 1.5, "loss": 0.5}]


def test_writes_header_and_one_row_per_epoch(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path)], EPOCHS)
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n1,0.5,1.5\n"


def test_lines_are_complete_on_disk_while_training_runs(model, tmp_path):
    # A run that dies after two epochs (no on_train_end) leaves whole lines behind.
    path = tmp_path / "log.csv"
    cbs = CallbackList([CSVLogger(str(path))], model=model)
    cbs.on_train_begin()
    for epoch, logs in enumerate(EPOCHS):
        cbs.on_epoch_end(epoch, dict(logs))
        text = path.read_text()
        assert text.endswith("\n") and text.count("\n") == epoch + 2
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n1,0.5,1.5\n"


def test_append_continues_without_a_second_header(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path)], EPOCHS[:1])
    fit(model, [CSVLogger(path, append=True)], EPOCHS[1:])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n0,0.5,1.5\n"


def test_append_to_a_new_file_writes_the_header(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    fit(model, [CSVLogger(path, append=True)], EPOCHS[:1])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n"


def test_without_append_the_file_is_replaced(model, fit, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old\n")
    fit(model, [CSVLogger(path)], EPOCHS[:1])
    assert path.read_text() == "epoch,loss,val_loss\n0,1.0,2.0\n"


def test_separator_missing_keys_and_array_values(model, tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path, separator=";")
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": np.array(0.5), "vec": np.array([1, 2])})
    logger.on_epoch_end(1, {"vec": np.array([3, 4])})
    logger.on_train_end()
    assert path.read_text() == "epoch;loss;vec\n0;0.5;[1, 2]\n1;NA;[3, 4]\n"
