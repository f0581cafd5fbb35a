"""pix2pix-style GAN for colorization: holds a generator and a conditional PatchGAN discriminator.

The GAN model is for training only; the artifact that is saved, evaluated and exported is the
generator (`gan.generator`).
"""

import keras
from keras import ops

from kcolor.training.losses import AdversarialLoss
from kcolor.training.optimizer_pair import OptimizerPair


@keras.saving.register_keras_serializable(package="kcolor")
class ColorGAN(keras.Model):
    """Conditional GAN: each `train_step` updates D on real and generated pairs, then G.

    G's objective is `adversarial + l1_weight * L1(ab)`. The step is written twice, as the
    keras-io guides on customizing `fit()` do per backend: with `tf.GradientTape` under
    TensorFlow, and stateless (`jax.value_and_grad`, `stateless_apply`) under JAX. Both share
    the loss code below and report the same trackers.

    Args:
        generator: maps normalized L `(B, H, W, 1)` to normalized ab `(B, H, W, 2)`.
        discriminator: maps `[L, ab]` to patch logits.
        adversarial: "vanilla" (BCE), "lsgan" or "hinge".
        l1_weight: weight of the L1 term (pix2pix: 100; the study: 0.5).
        label_smoothing: one-sided smoothing of D's real target (the study used it).
        instance_noise: std of Gaussian noise added to every D input, real and fake alike
            (the study used it; it blurs the line D can draw early in training).
        seed: seed of the instance noise.

    Reference:
        Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", 2017.
    """

    def __init__(
        self,
        generator,
        discriminator,
        adversarial="vanilla",
        l1_weight=100.0,
        label_smoothing=0.0,
        instance_noise=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.adversarial = adversarial
        self.l1_weight = float(l1_weight)
        self.label_smoothing = float(label_smoothing)
        self.instance_noise = float(instance_noise)
        self.seed = seed
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_real_loss = AdversarialLoss(adversarial, "d_real", label_smoothing)
        self.d_fake_loss = AdversarialLoss(adversarial, "d_fake")
        self.g_adv_loss = AdversarialLoss(adversarial, "g")
        self.l1_loss = keras.losses.MeanAbsoluteError(name="l1")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.g_adv_tracker = keras.metrics.Mean(name="g_adv")
        self.l1_tracker = keras.metrics.Mean(name="l1")
        # Both networks are functional models, built at construction; nothing is left to build.
        self.built = True

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        """Takes one optimizer per network; both are built here so checkpoints restore them.

        Under JAX, Keras passes the state of `self.optimizer` through each jitted step, so both
        optimizers are handed to it as one `OptimizerPair`.
        """
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        if keras.backend.backend() == "jax":
            super().compile(optimizer=OptimizerPair(g_optimizer, d_optimizer), **kwargs)
        elif keras.backend.backend() == "tensorflow":
            super().compile(optimizer=g_optimizer, **kwargs)
        else:
            raise NotImplementedError(
                f"the GAN trains under tensorflow or jax, not {keras.backend.backend()}"
            )

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.g_adv_tracker, self.l1_tracker]

    def call(self, lightness, training=False):
        return self.generator(lightness, training=training)

    def _noisy(self, x):
        if not self.instance_noise:
            return x
        noise = keras.random.normal(ops.shape(x), stddev=self.instance_noise, seed=self.noise_seed)
        return x + ops.cast(noise, x.dtype)

    def _discriminate(self, lightness, ab, training):
        return self.discriminator([self._noisy(lightness), self._noisy(ab)], training=training)

    def _d_loss(self, lightness, ab, fake_ab, training):
        real_logits = self._discriminate(lightness, ab, training)
        fake_logits = self._discriminate(lightness, fake_ab, training)
        return self.d_real_loss(real_logits, real_logits) + self.d_fake_loss(
            fake_logits, fake_logits
        )

    def _g_losses(self, lightness, ab, fake_ab, training):
        fake_logits = self._discriminate(lightness, fake_ab, training)
        g_adv = self.g_adv_loss(fake_logits, fake_logits)
        l1 = self.l1_loss(ab, fake_ab)
        return g_adv + self.l1_weight * l1, g_adv, l1

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            return self._jax_train_step(*args)
        return self._tf_train_step(*args)

    def test_step(self, *args):
        if keras.backend.backend() == "jax":
            return self._jax_test_step(*args)
        return self._tf_test_step(*args)

    # -- TensorFlow -----------------------------------------------------------------------

    def _tf_train_step(self, data):
        import tensorflow as tf

        lightness, ab = data
        fake_ab = self.generator(lightness, training=True)
        with tf.GradientTape() as tape:
            d_loss = self._d_loss(lightness, ab, tf.stop_gradient(fake_ab), training=True)
        d_vars = self.discriminator.trainable_variables
        # scale_loss is the identity except under a LossScaleOptimizer (fp16 mixed precision).
        d_grads = tape.gradient(self.d_optimizer.scale_loss(d_loss), d_vars)
        self.d_optimizer.apply(d_grads, d_vars)

        with tf.GradientTape() as tape:
            fake_ab = self.generator(lightness, training=True)
            g_loss, g_adv, l1 = self._g_losses(lightness, ab, fake_ab, training=True)
        g_vars = self.generator.trainable_variables
        g_grads = tape.gradient(self.g_optimizer.scale_loss(g_loss), g_vars)
        self.g_optimizer.apply(g_grads, g_vars)
        return self._track(d_loss, g_loss, g_adv, l1)

    def _tf_test_step(self, data):
        lightness, ab = data
        fake_ab = self.generator(lightness, training=False)
        d_loss = self._d_loss(lightness, ab, fake_ab, training=False)
        g_loss, g_adv, l1 = self._g_losses(lightness, ab, fake_ab, training=False)
        return self._track(d_loss, g_loss, g_adv, l1)

    def _track(self, d_loss, g_loss, g_adv, l1):
        import tensorflow as tf

        # Losses are divided by the replica count for gradient summing; undo that for reporting.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for tracker, value in zip(self.metrics, (d_loss, g_loss, g_adv, l1), strict=True):
            tracker.update_state(value * replicas)
        return {tracker.name: tracker.result() for tracker in self.metrics}

    # -- JAX (stateless: Keras jits these and passes every variable's value in `state`) ------

    def _jax_train_step(self, state, data):
        import jax

        trainable, non_trainable, optimizer_values, metric_values = state
        lightness, ab = data
        d_index = self._indices(self.discriminator.trainable_variables)
        g_index = self._indices(self.generator.trainable_variables)
        g_count = len(self.g_optimizer.variables)
        g_opt, d_opt = optimizer_values[:g_count], optimizer_values[g_count:]

        def d_objective(d_values, non_trainable):
            def step():
                fake_ab = ops.stop_gradient(self.generator(lightness, training=True))
                return self._d_loss(lightness, ab, fake_ab, training=True)

            values = _replace(trainable, d_index, d_values)
            return self._run_stateless(step, values, non_trainable)

        (d_loss, non_trainable), d_grads = jax.value_and_grad(d_objective, has_aux=True)(
            [trainable[i] for i in d_index], non_trainable
        )
        d_values, d_opt = self.d_optimizer.stateless_apply(
            d_opt, d_grads, [trainable[i] for i in d_index]
        )
        trainable = _replace(trainable, d_index, d_values)

        def g_objective(g_values, non_trainable):
            def step():
                fake_ab = self.generator(lightness, training=True)
                g_loss, g_adv, l1 = self._g_losses(lightness, ab, fake_ab, training=True)
                return g_loss, (g_adv, l1)

            values = _replace(trainable, g_index, g_values)
            (g_loss, parts), non_trainable = self._run_stateless(step, values, non_trainable)
            return g_loss, (parts, non_trainable)

        (g_loss, ((g_adv, l1), non_trainable)), g_grads = jax.value_and_grad(
            g_objective, has_aux=True
        )([trainable[i] for i in g_index], non_trainable)
        g_values, g_opt = self.g_optimizer.stateless_apply(
            g_opt, g_grads, [trainable[i] for i in g_index]
        )
        trainable = _replace(trainable, g_index, g_values)
        logs, metric_values = self._stateless_track(metric_values, (d_loss, g_loss, g_adv, l1))
        return logs, (trainable, non_trainable, list(g_opt) + list(d_opt), metric_values)

    def _jax_test_step(self, state, data):
        trainable, non_trainable, metric_values = state
        lightness, ab = data

        def step():
            fake_ab = self.generator(lightness, training=False)
            d_loss = self._d_loss(lightness, ab, fake_ab, training=False)
            return (d_loss, *self._g_losses(lightness, ab, fake_ab, training=False))

        (d_loss, g_loss, g_adv, l1), non_trainable = self._run_stateless(
            step, trainable, non_trainable
        )
        logs, metric_values = self._stateless_track(metric_values, (d_loss, g_loss, g_adv, l1))
        return logs, (trainable, non_trainable, metric_values)

    def _indices(self, variables):
        """Positions of `variables` in `self.trainable_variables` (the order of JAX state)."""
        wanted = {id(v) for v in variables}
        return [i for i, v in enumerate(self.trainable_variables) if id(v) in wanted]

    def _run_stateless(self, step, trainable, non_trainable):
        """Run `step()` with every model variable bound to the given values (as
        `Model.stateless_call` does); returns its result and the updated non-trainable values
        (batch-norm statistics, the noise seed)."""
        mapping = list(zip(self.trainable_variables, trainable, strict=True))
        mapping += list(zip(self.non_trainable_variables, non_trainable, strict=True))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            result = step()
        updated = []
        for variable, value in zip(self.non_trainable_variables, non_trainable, strict=True):
            new_value = scope.get_current_value(variable)
            updated.append(value if new_value is None else new_value)
        return result, updated

    def _stateless_track(self, metric_values, values):
        logs, updated = {}, []
        for tracker, value in zip(self.metrics, values, strict=True):
            own = metric_values[len(updated) : len(updated) + len(tracker.variables)]
            own = tracker.stateless_update_state(own, value)
            logs[tracker.name] = tracker.stateless_result(own)
            updated += list(own)
        return logs, updated

    def get_config(self):
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "adversarial": self.adversarial,
            "l1_weight": self.l1_weight,
            "label_smoothing": self.label_smoothing,
            "instance_noise": self.instance_noise,
            "seed": self.seed,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def _replace(values, indices, new_values):
    """`values` (a list) with the items at `indices` replaced by `new_values`, in order."""
    values = list(values)
    for index, value in zip(indices, new_values, strict=True):
        values[index] = value
    return values
