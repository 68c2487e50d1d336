"""Customizing what happens in fit() (Keras 3's guides): overridden train_step/test_step/predict_step in the
stateful form (eager on every backend) and in JAX's stateless form (jitted on JAX, eager on NumPy), with the
same numbers on every backend; compute_loss, the metrics property, reset_metrics and compile() without a loss."""
import numpy as np
import pytest

import nnkit
from nnkit import layers, metrics, ops, optimizers
from nnkit.backends import available_backends

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3)).astype(np.float32)
Y = (X @ np.array([[0.5], [-1.0], [0.25]], np.float32) + 0.1).astype(np.float32)
NOISE = RNG.normal(size=(12, 2)).astype(np.float32)


class TrackerModel(nnkit.Model):
    """The guide's custom metric trackers: Mean trackers made in __init__, listed by the metrics property."""

    def __init__(self):
        super().__init__()
        self.out = layers.Dense(1)
        self.loss_tracker = metrics.Mean(name="loss")
        self.mae_metric = metrics.MeanAbsoluteError(name="mae")

    def call(self, x):
        return self.out(x)

    def train_step(self, data):
        x, y = data

        def loss_and_prediction(_):
            y_pred = self(x, training=True)
            return ops.mean(ops.square(ops.subtract(y_pred, y))), y_pred

        (loss, y_pred), grads = ops.value_and_grad(loss_and_prediction, has_aux=True)(self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


class GAN(nnkit.Model):
    """The guide's GAN: two sub-models, two optimizers, no call(); the noise comes with the data here so that
    every backend sees the same numbers."""

    def __init__(self, generator, discriminator):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.d_loss_metric = metrics.Mean(name="d_loss")
        self.g_loss_metric = metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, data):
        real, noise = data
        batch = real.shape[0]
        generated = self.generator(noise)
        combined = ops.concatenate([generated, real], axis=0)
        labels = ops.concatenate([ops.ones((batch, 1)), ops.zeros((batch, 1))], axis=0)

        def d_loss_fn(_):
            return self.loss_fn(labels, self.discriminator(combined))

        d_loss, grads = ops.value_and_grad(d_loss_fn)(self.discriminator.trainable_weights)
        self.d_optimizer.apply(grads, self.discriminator.trainable_weights)

        def g_loss_fn(_):
            return self.loss_fn(ops.zeros((batch, 1)), self.discriminator(self.generator(noise)))

        g_loss, grads = ops.value_and_grad(g_loss_fn)(self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


class StatelessModel(nnkit.Model):
    """Keras' JAX guide: train_step(self, state, data) with stateless_call, stateless_apply and
    stateless_update_state; test_step and predict_step in the same form."""

    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(4, activation="tanh")
        self.out = layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x,
                                                              training=training)
        return self.compute_loss(x, y, y_pred), (y_pred, non_trainable_variables)

    def _update_metrics(self, metrics_variables, loss, y, y_pred):
        new_values, logs = [], {}
        for metric in self.metrics:
            values = metrics_variables[len(new_values):len(new_values) + len(metric.variables)]
            if metric.name == "loss":
                values = metric.stateless_update_state(values, loss)
            else:
                values = metric.stateless_update_state(values, y, y_pred)
            logs[metric.name] = metric.stateless_result(values)
            new_values += values
        return logs, new_values

    def train_step(self, state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = ops.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(trainable_variables, non_trainable_variables,
                                                                   x, y, training=True)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads,
                                                                                   trainable_variables)
        logs, metrics_variables = self._update_metrics(metrics_variables, loss, y, y_pred)
        return logs, (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)

    def test_step(self, state, data):
        trainable_variables, non_trainable_variables, metrics_variables = state
        x, y = data
        loss, (y_pred, non_trainable_variables) = self.compute_loss_and_updates(
            trainable_variables, non_trainable_variables, x, y)
        logs, metrics_variables = self._update_metrics(metrics_variables, loss, y, y_pred)
        return logs, (trainable_variables, non_trainable_variables, metrics_variables)

    def predict_step(self, state, data):
        trainable_variables, non_trainable_variables = state
        outputs, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, data)
        return ops.multiply(outputs, 2.0), non_trainable_variables


def _per_backend(run):
    """run(backend name) on every installed backend; their results (nested floats) must agree."""
    results = {name: run(name) for name in available_backends()}
    reference = results.pop("numpy")
    for name, result in results.items():
        np.testing.assert_allclose(np.hstack(result), np.hstack(reference), rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name} differs from numpy")
    return reference


def _history_values(history, *names):
    return [history.history[name] for name in names]


def test_custom_metric_trackers_train_and_reset_each_epoch():
    def run(backend):
        nnkit.utils.set_random_seed(1)
        model = TrackerModel()
        model.compile(optimizer=optimizers.SGD(0.1), backend=backend)  # no loss: the step computes its own
        history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert [m.name for m in model.metrics] == ["loss", "mae"]
        # reset at the start of epoch 2: its loss is the mean over its own three batches only
        assert float(model.loss_tracker.count.numpy()) == 3.0
        return _history_values(history, "loss", "mae") + [model.get_weights()[0].ravel().tolist()]

    losses, maes, _ = _per_backend(run)
    assert losses[1] < losses[0] and maes[1] < maes[0]


def test_gan_with_two_optimizers_trains_the_same_on_every_backend():
    def run(backend):
        nnkit.utils.set_random_seed(2)
        generator = nnkit.Sequential([nnkit.Input((2,)), layers.Dense(3)], name="generator")
        discriminator = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)],
                                         name="discriminator")
        gan = GAN(generator, discriminator)
        gan.compile(optimizers.SGD(0.1), optimizers.SGD(0.2), nnkit.losses.BinaryCrossentropy(from_logits=True),
                    backend=backend)
        history = gan.fit(X, NOISE, batch_size=6, epochs=2, shuffle=False, verbose=0)
        assert gan.d_optimizer.iterations == 4 and gan.g_optimizer.iterations == 4
        return _history_values(history, "d_loss", "g_loss") + [generator.get_weights()[0].ravel().tolist()[:3]]

    _per_backend(run)


def test_stateless_steps_fit_evaluate_predict_on_every_backend():
    def run(backend):
        nnkit.utils.set_random_seed(3)
        model = StatelessModel()
        model.compile(optimizer=optimizers.Adam(0.05), loss="mse", metrics=["mae"], backend=backend)
        history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                            validation_data=(X[:4], Y[:4]))
        evaluated = model.evaluate(X, Y, batch_size=6, verbose=0, return_dict=True)
        predicted = model.predict(X[:3], verbose=0)
        assert predicted.shape == (3, 1)
        np.testing.assert_allclose(predicted, 2.0 * np.asarray(model(X[:3])), rtol=1e-5)  # its predict_step
        assert model.optimizer.iterations == 6
        return (_history_values(history, "loss", "mae", "val_loss") + [[evaluated["loss"], evaluated["mae"]]]
                + [predicted.ravel().tolist()])

    (losses, _, _, _, _) = _per_backend(run)
    assert losses[1] < losses[0]


class RegularizedModel(nnkit.Model):
    """A model with an activity regularizer, a kernel regularizer and an add_loss term of its own."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1, kernel_initializer="ones", kernel_regularizer=nnkit.regularizers.L2(0.1),
                                  activity_regularizer=nnkit.regularizers.L1(0.01))

    def call(self, x):
        y = self.dense(x)
        self.add_loss(ops.multiply(ops.mean(ops.abs(y)), 0.5))
        return y


def test_losses_list_added_terms_then_weight_penalties(backend):
    model = RegularizedModel()
    model.compile(optimizer="sgd", backend=backend.name)
    outputs = np.asarray(model(X, training=True))
    activity = 0.01 * np.abs(outputs).sum() / len(X)
    own = 0.5 * np.abs(outputs).mean()
    penalty = 0.1 * 3.0  # L2 of a (3, 1) kernel of ones
    # the model's own terms, then its sublayers' (Keras' order), then the weight penalties
    assert [float(np.asarray(t)) for t in model.losses] == pytest.approx([own, activity, penalty], rel=1e-5)
    assert [float(np.asarray(t)) for t in model.dense.losses] == pytest.approx([activity, penalty], rel=1e-5)
    total = model.compute_loss(X, None, outputs)
    assert float(np.asarray(total)) == pytest.approx(activity + own + penalty, rel=1e-5)
    alone = layers.Dense(1, kernel_initializer="ones", activity_regularizer=nnkit.regularizers.L1(0.01))
    alone_outputs = np.asarray(alone(backend.asarray(X)))  # a layer called on its own keeps its terms too
    assert [float(np.asarray(t)) for t in alone.losses] == pytest.approx([0.01 * np.abs(alone_outputs).mean()],
                                                                          rel=1e-5)


def test_compile_without_a_loss_trains_on_added_losses(backend):
    """The built-in step sums the add_loss terms and regularization when compile() has no loss."""
    nnkit.utils.set_random_seed(4)
    model = RegularizedModel()
    model.compile(optimizer=optimizers.SGD(0.1), backend=backend.name)
    history = model.fit(X, Y, batch_size=6, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    plain = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)])
    plain.compile(optimizer="sgd", backend=backend.name)
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.fit(X, Y, verbose=0)


def test_compute_loss_sums_compiled_loss_and_added_losses(backend):
    model = RegularizedModel()
    model.compile(optimizer="sgd", loss="mae", backend=backend.name)
    y_pred = model(X, training=True)
    extra = sum(float(np.asarray(t)) for t in model.losses)
    mae = np.abs(Y - np.asarray(y_pred)).mean()
    assert float(np.asarray(model.compute_loss(X, Y, y_pred))) == pytest.approx(mae + extra, rel=1e-5)
    with pytest.warns(UserWarning, match="compiled_loss"):
        assert float(np.asarray(model.compiled_loss(Y, y_pred))) == pytest.approx(mae + extra, rel=1e-5)
    with pytest.raises(ValueError, match="No loss to compute"):
        nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)]).compute_loss(X, Y, np.zeros_like(Y))


def test_default_train_step_with_super_and_metrics_property(backend):
    """`return super().train_step(data)` from an override: the stateful default, with compiled metrics and
    tracker attributes in `metrics`; reset_metrics resets them all."""
    class Counting(nnkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="zeros")
            self.seen = metrics.Sum(name="seen")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            self.seen.update_state(ops.cast(data[0].shape[0], "float32"))
            logs = super().train_step(data)
            return {**logs, "seen": self.seen.result()}

        def test_step(self, data):
            return super().test_step(data)

        def predict_step(self, data):
            return ops.add(super().predict_step(data), 1.0)

    model = Counting()
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=["mae"], backend=backend.name)
    history = model.fit(X, Y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "mae", "seen"]
    assert history.history["seen"] == [12.0, 12.0]  # reset at each epoch's start
    assert history.history["loss"][1] < history.history["loss"][0]
    model.reset_metrics()
    assert [float(np.asarray(m.result())) for m in model.metrics] == [0.0, 0.0, 0.0]
    evaluated = model.evaluate(X, Y, batch_size=6, verbose=0, return_dict=True)
    y_pred = np.asarray(model(X))
    assert evaluated["loss"] == pytest.approx(float(np.mean((y_pred - Y) ** 2)), rel=1e-5)
    assert evaluated["mae"] == pytest.approx(float(np.mean(np.abs(y_pred - Y))), rel=1e-5)
    np.testing.assert_allclose(model.predict(X, batch_size=5, verbose=0), y_pred + 1.0, rtol=1e-6)


def test_hand_written_loop_gives_the_same_numbers_on_every_backend():
    def run(backend):
        nnkit.utils.set_random_seed(5)
        model = nnkit.Sequential([nnkit.Input((3,)), layers.Dense(1)])
        model.compile(optimizer="sgd", backend=backend)
        optimizer = optimizers.SGD(0.1)
        losses = []
        for start in range(0, 12, 4):
            x, y = X[start:start + 4], Y[start:start + 4]

            def loss_fn(_):
                return ops.mean(ops.square(ops.subtract(model(x, training=True), y)))

            loss, grads = ops.value_and_grad(loss_fn)(model.trainable_variables)
            optimizer.apply(grads, model.trainable_variables)
            losses.append(float(np.asarray(loss)))
        return losses + model.get_weights()[0].ravel().tolist()

    losses = _per_backend(run)[:3]
    assert losses[2] < losses[0]


class StatelessDropout(StatelessModel):
    def __init__(self):
        super().__init__()
        self.dropout = layers.Dropout(0.5)

    def call(self, x, training=False):
        return self.out(self.dropout(self.hidden(x), training=training))


def test_a_jitted_stateless_step_draws_new_dropout_masks_each_batch(backend):
    model = StatelessDropout()
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", backend=backend.name)
    losses = [model.train_on_batch(X, Y) for _ in range(3)]
    assert len(set(losses)) == 3  # the same weights, a new mask each batch


def test_metric_stateless_methods_leave_the_metric_alone(backend):
    mean = metrics.Mean()
    values = mean.stateless_update_state(mean.stateless_reset_state(), backend.asarray(np.array([1.0, 3.0])))
    values = mean.stateless_update_state(values, backend.asarray(np.array([5.0])))
    assert float(np.asarray(mean.stateless_result(values))) == 3.0
    assert float(np.asarray(mean.result())) == 0.0  # its own Variables untouched
    with pytest.raises(ValueError, match="needs 2 state values"):
        mean.stateless_result(values[:1])


def test_pack_and_unpack_x_y_sample_weight():
    from nnkit.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight

    assert pack_x_y_sample_weight(X) is X
    assert pack_x_y_sample_weight([X, X]) == ([X, X],)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(X, Y))[1] is Y
    assert unpack_x_y_sample_weight(X) == (X, None, None)
    with pytest.raises(ValueError, match="4 items"):
        unpack_x_y_sample_weight((X, Y, Y, Y))


def test_a_tf_keras_2_style_step_with_compiled_loss_and_compiled_metrics(backend):
    """tf.keras 2's guide: self.compiled_loss(y, y_pred), self.compiled_metrics.update_state(y, y_pred) and
    {m.name: m.result() for m in self.metrics}."""
    class Classic(nnkit.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1, kernel_initializer="zeros")

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data

            def loss_fn(_):
                y_pred = self(x, training=True)
                return self.compiled_loss(y, y_pred), y_pred

            (loss, y_pred), grads = ops.value_and_grad(loss_fn, has_aux=True)(self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics if m.name != "loss"}

    model = Classic()
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=["mae"], backend=backend.name)
    with pytest.warns(UserWarning, match="compiled_loss"):
        logs = model.train_on_batch(X, Y, return_dict=True)
    assert logs == pytest.approx({"mae": float(np.abs(Y).mean())}, rel=1e-5)  # zero weights predicted 0


def _guide_model_class(base, value_and_grad):
    """The stateless custom model of Keras 3's "Customizing fit() with JAX" guide, verbatim but for the
    base class and the gradient function (jax.value_and_grad there, nnkit.ops.value_and_grad here)."""
    class CustomModel(base):
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y, training=False):
            y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x,
                                                                  training=training)
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(trainable_variables, non_trainable_variables,
                                                                       x, y, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads,
                                                                                       trainable_variables)
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[len(new_metrics_vars):
                                                     len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
                else:
                    this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (trainable_variables, non_trainable_variables, optimizer_variables, new_metrics_vars)
            return logs, state

    return CustomModel


def test_the_jax_guide_model_trains_as_in_keras():
    """Keras' guide, run by Keras 3 (JAX) and by nnkit on every backend from the same weights: the same
    losses, metrics and weights. It subclasses a functional model: CustomModel(inputs, outputs). (Keras is
    tested on JAX, so this test needs JAX.)"""
    from layer_checks import keras_or_skip

    keras = keras_or_skip()
    import jax

    inputs = keras.Input(shape=(3,))
    reference = _guide_model_class(keras.Model, jax.value_and_grad)(inputs, keras.layers.Dense(1)(inputs))
    reference.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    initial = reference.get_weights()
    expected = reference.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history

    def run(backend, value_and_grad=ops.value_and_grad):
        inputs = nnkit.Input((3,))
        model = _guide_model_class(nnkit.Model, value_and_grad)(inputs, layers.Dense(1)(inputs))
        model.set_weights(initial)
        model.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=["mae"], backend=backend)
        history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
        return [history["loss"], history["mae"], model.get_weights()[0].ravel()]

    keras_results = np.hstack([expected["loss"], expected["mae"], reference.get_weights()[0].ravel()])
    np.testing.assert_allclose(np.hstack(_per_backend(run)), keras_results, rtol=1e-5)
    # on nnkit's JAX backend the guide's code runs verbatim, jax.value_and_grad included
    np.testing.assert_allclose(np.hstack(run("jax", jax.value_and_grad)), keras_results, rtol=1e-5)


class Regularized(nnkit.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1, kernel_regularizer=nnkit.regularizers.L2(0.5))

    def call(self, x):
        return self.dense(x)


class KerasJaxDefaultStep(Regularized):
    """Keras' default JAX train_step, written with the compute_loss_and_updates helper."""

    def train_step(self, state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = ops.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (_, _, non_trainable_variables, metrics_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metrics_variables, x, y, None, training=True)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, grads,
                                                                                   trainable_variables)
        return {"loss": loss}, (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)


def test_compute_loss_and_updates_trains_like_the_built_in_step_regularization_included(backend):
    start, trained = None, []
    for model in (Regularized(), KerasJaxDefaultStep()):
        model.compile(optimizer=optimizers.SGD(0.1), loss="mse", backend=backend.name)
        model(X[:1])  # builds the weights; both models then start from the first one's
        start = model.get_weights() if start is None else start
        model.set_weights(start)
        model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for built_in, custom in zip(*trained):
        np.testing.assert_allclose(custom, built_in, rtol=1e-5, atol=1e-7)
