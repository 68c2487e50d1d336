"""A misspelt constructor keyword is a TypeError that suggests the right one."""
import pytest

from nnkit.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler,
                             ReduceLROnPlateau)


@pytest.mark.parametrize(
    "make, wrong, right",
    [
        (lambda **kw: EarlyStopping(**kw), "patince", "patience"),
        (lambda **kw: EarlyStopping(**kw), "restore_best_weight", "restore_best_weights"),
        (lambda **kw: ReduceLROnPlateau(**kw), "cooldwn", "cooldown"),
        (lambda **kw: ReduceLROnPlateau(**kw), "factr", "factor"),
        (lambda **kw: LearningRateScheduler(lambda e: 0.1, **kw), "verbos", "verbose"),
        (lambda **kw: CSVLogger("log.csv", **kw), "seperator", "separator"),
        (lambda **kw: LambdaCallback(**kw), "on_epoch_ends", "on_epoch_end"),
    ],
)
def test_wrong_keyword_suggests_the_right_one(make, wrong, right):
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{wrong}'. Did you mean '{right}'"):
        make(**{wrong: 1})


def test_no_suggestion_when_nothing_is_close():
    with pytest.raises(TypeError, match="EarlyStopping\\(\\) got an unexpected keyword argument 'xyzzy'$"):
        EarlyStopping(xyzzy=1)


def test_right_keywords_still_work():
    assert EarlyStopping(patience=3, mode="max").patience == 3
