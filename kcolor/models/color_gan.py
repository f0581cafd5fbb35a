"""pix2pix-style GAN for colorization: holds a generator and a conditional PatchGAN discriminator.

The GAN model is for training only; the artifact that is saved, evaluated and exported is the
generator (`gan.generator`).
"""

import keras
import tensorflow as tf

from kcolor.losses import AdversarialLoss


@keras.saving.register_keras_serializable(package="kcolor")
class ColorGAN(keras.Model):
    """Conditional GAN: each `train_step` updates D on real and generated pairs, then G.

    G's objective is `adversarial + l1_weight * L1(ab)`.

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
        """Takes one optimizer per network; both are built here so checkpoints restore them."""
        super().compile(optimizer=g_optimizer, **kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.g_adv_tracker, self.l1_tracker]

    def call(self, lightness, training=False):
        return self.generator(lightness, training=training)

    def _noisy(self, x):
        if not self.instance_noise:
            return x
        noise = keras.random.normal(tf.shape(x), stddev=self.instance_noise, seed=self.noise_seed)
        return x + tf.cast(noise, x.dtype)

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

    def train_step(self, data):
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

    def test_step(self, data):
        lightness, ab = data
        fake_ab = self.generator(lightness, training=False)
        d_loss = self._d_loss(lightness, ab, fake_ab, training=False)
        g_loss, g_adv, l1 = self._g_losses(lightness, ab, fake_ab, training=False)
        return self._track(d_loss, g_loss, g_adv, l1)

    def _track(self, d_loss, g_loss, g_adv, l1):
        # Losses are divided by the replica count for gradient summing; undo that for reporting.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        for tracker, value in zip(self.metrics, (d_loss, g_loss, g_adv, l1), strict=True):
            tracker.update_state(value * replicas)
        return {tracker.name: tracker.result() for tracker in self.metrics}

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
