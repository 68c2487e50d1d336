"""Callbacks: hooks run by fit, evaluate and predict (Keras' `keras.callbacks`)."""
from nnkit.callbacks.backup_and_restore import BackupAndRestore
from nnkit.callbacks.callback import Callback
from nnkit.callbacks.callback_list import CallbackList
from nnkit.callbacks.csv_logger import CSVLogger
from nnkit.callbacks.early_stopping import EarlyStopping
from nnkit.callbacks.history import History
from nnkit.callbacks.lambda_callback import LambdaCallback
from nnkit.callbacks.model_checkpoint import ModelCheckpoint
from nnkit.callbacks.learning_rate_scheduler import LearningRateScheduler
from nnkit.callbacks.progbar_logger import ProgbarLogger
from nnkit.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from nnkit.callbacks.tensorboard import TensorBoard
from nnkit.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
