"""The model a run fits: the generator (new, a run's, or the shipped one), its loss, optimizer
and learning-rate schedule, and the metric that picks the best checkpoint."""

import json
import logging
from pathlib import Path

import keras
import numpy as np

from kcolor.color.lab_scale import AB_SCALE
from kcolor.models import PatchDiscriminator, build_generator
from kcolor.models.blocks import CLASS_LOGITS_LAYER
from kcolor.models.guidance import guided_copy, is_guidance_layer
from kcolor.models.semantic_prior import SEMANTIC_ENCODER_LAYER
from kcolor.models.shipped_generator import SHIPPED_INIT_NAMES, names_shipped_model
from kcolor.training.color_gan import ColorGAN
from kcolor.training.errors import TrainingError
from kcolor.training.losses import (
    ColorClassLoss,
    NeutralCast,
    build_regression_loss,
    decoded_ab_mae,
    decoded_cast,
)
from kcolor.training.run_folder import GENERATOR_FILE

log = logging.getLogger(__name__)


def build_model(config, has_validation, color_prior=None, total_steps=None):
    """Model to fit, the generator inside it, and the metric that picks the best checkpoint.

    Call it inside the strategy's scope. For --loss classification the fitted model is the
    generator cut at its `ab_logits` layer (same weights), and `color_prior` weighs the loss.
    """
    prefix = "val_" if has_validation else ""
    if config.arch == "gan":
        gan_cfg = config.gan
        generator = initial_generator(config, gan_cfg.generator)
        discriminator = PatchDiscriminator(filters=gan_cfg.d_filters, norm=gan_cfg.d_norm)
        model = ColorGAN(
            generator,
            discriminator,
            adversarial=gan_cfg.adversarial,
            l1_weight=gan_cfg.l1_weight,
            label_smoothing=gan_cfg.label_smoothing,
            instance_noise=gan_cfg.instance_noise,
            seed=config.seed,
        )
        model.compile(
            g_optimizer=adam(config.lr, config, total_steps),
            d_optimizer=adam(gan_cfg.d_lr or config.lr, config, total_steps),
        )
        return model, generator, f"{prefix}l1"
    if config.loss == "classification":
        generator = initial_generator(config, config.arch, head="classification")
        model = class_logits_model(generator)
        decoder = generator.get_layer("ab_annealed_mean")
        centers = decoder.centers * AB_SCALE
        if color_prior is None:
            raise TrainingError("--loss classification needs a color prior")
        if color_prior.centers.shape != centers.shape or not np.allclose(
            color_prior.centers, centers, atol=1e-3
        ):
            raise TrainingError("the color prior's ab bins differ from the model's")
        model.compile(
            optimizer=adam(config.lr, config, total_steps),
            loss=ColorClassLoss(
                centers,
                color_prior.weights(mix=config.rebalance_mix),
                regression_weight=config.ab_regression_weight,
                regression=config.ab_regression,
                temperature=decoder.temperature,
                huber_delta=config.huber_delta,
                neutral_weight=config.ab_neutral_weight,
            ),
            metrics=[
                decoded_ab_mae(centers, decoder.temperature),
                decoded_cast(centers, decoder.temperature),
            ],
        )
        return model, generator, f"{prefix}loss"
    generator = initial_generator(config, config.arch)
    generator.compile(
        optimizer=adam(config.lr, config, total_steps),
        loss=build_regression_loss(config.loss, config.huber_delta),
        metrics=[keras.metrics.MeanAbsoluteError(name="ab_mae"), NeutralCast()],
    )
    return generator, generator, f"{prefix}loss"


def class_logits_model(generator):
    """The generator's layers up to `ab_logits`: what the class loss is fitted on."""
    try:
        logits = generator.get_layer(CLASS_LOGITS_LAYER).output
    except ValueError:
        raise TrainingError(
            "--loss classification needs a generator with a class head; "
            "--init-generator points to a regression model"
        ) from None
    return keras.Model(generator.inputs, logits, name=f"{generator.name}_logits")


def learning_rate(lr, config, total_steps):
    """A float for a constant rate, or warm-up then cosine decay over `total_steps`."""
    if config.lr_schedule == "constant" or not total_steps:
        if config.lr_schedule == "cosine":
            log.warning("unknown number of steps: constant learning rate (pass --steps-per-epoch)")
        return lr
    warmup = int(config.warmup_fraction * total_steps)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else lr,
        decay_steps=max(1, total_steps - warmup),
        alpha=0.01,
        warmup_target=lr if warmup else None,
        warmup_steps=warmup,
    )


def adam(lr, config, total_steps=None):
    optimizer = keras.optimizers.Adam(learning_rate(lr, config, total_steps), beta_1=config.beta_1)
    if config.mixed_precision == "fp16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def starts_guided(init_generator):
    """Whether `--init-generator` names a guided generator (the shipped default, a run folder's
    or a .keras file's), read from its saved config without building it."""
    import zipfile

    if not init_generator:
        return False
    if names_shipped_model(init_generator):
        from kcolor.models.shipped_generator import ShippedGeneratorError, generator_config

        try:
            return bool(generator_config(init_generator)["config"].get("guided"))
        except ShippedGeneratorError:
            return False
    path = Path(init_generator)
    if path.is_dir():
        path = path / GENERATOR_FILE
    try:
        with zipfile.ZipFile(path) as archive:
            saved = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False  # missing or unreadable: _starting_generator says so
    return bool(saved.get("config", {}).get("guided"))


def initial_generator(config, arch, head="regression"):
    """The generator a run starts from (new, or `--init-generator`), its ImageNet encoder
    frozen or not as `train_semantic_encoder` says."""
    generator = _starting_generator(config, arch, head)
    if config.model.get("guided") and not getattr(generator, "guided", False):
        # Hint inputs added to a trained automatic generator, at zero: it starts as it was.
        try:
            generator = guided_copy(generator)
        except ValueError as err:
            raise TrainingError(f"--set model.guided=true: {err}") from None
    generator = set_semantic_trainable(generator, config.train_semantic_encoder)
    if config.guidance_only:
        freeze_all_but_guidance(generator)
    return generator


def freeze_all_but_guidance(generator):
    """`guidance_only`: train the hint and palette paths alone. The rest, BatchNorm statistics
    included, stays frozen, so without points or palette the model keeps the colors of the
    generator it started from exactly (its automatic twin is that generator)."""
    layers = [layer for layer in generator.layers if is_guidance_layer(layer)]
    if not layers:
        raise TrainingError("guidance_only needs a guided generator (--set model.guided=true)")
    for layer in generator.layers:
        layer.trainable = is_guidance_layer(layer)


def set_semantic_trainable(generator, trainable):
    """Freeze or fine-tune the generator's ImageNet encoder (`model.semantic`). Frozen by default;
    the campaign's loss plateaued at about 1.7 M trainable weights with it frozen. Its BatchNorm
    layers stay frozen, so they keep ImageNet's statistics (a training=False call does not pin
    them once their layer is trainable)."""
    try:
        encoder = generator.get_layer(SEMANTIC_ENCODER_LAYER)
    except ValueError:
        if trainable:
            raise TrainingError(
                "train_semantic_encoder needs a generator with an ImageNet encoder "
                "(--set model.semantic=mobilenet)"
            ) from None
        return generator
    encoder.trainable = bool(trainable)
    for layer in encoder.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # Keras 3: a frozen BatchNorm runs on its moving statistics
    return generator


def _starting_generator(config, arch, head):
    if not config.init_generator:
        return build_generator(arch, head=head, **config.model)
    path = Path(config.init_generator)
    if names_shipped_model(config.init_generator):
        return shipped_generator(config)
    if path.is_dir():
        path = path / GENERATOR_FILE
    if not path.is_file():
        raise TrainingError(
            f"--init-generator: {path} not found (a run dir, a .keras file or "
            f"{' or '.join(SHIPPED_INIT_NAMES)})"
        )
    log.info("starting the generator from %s", path)
    return keras.saving.load_model(path, compile=False)


def shipped_generator(config):
    """The shipped model's generator (`--init-generator default`): it needs TensorFlow to read
    the SavedModel, so under another backend the user converts it once."""
    if keras.backend.backend() != "tensorflow":
        raise TrainingError(
            f"--init-generator {config.init_generator} reads the shipped SavedModel with "
            "TensorFlow: write it once as a .keras file with `python tools/shipped_keras.py "
            "default.keras` and pass that file"
        )
    from kcolor.models.shipped_generator import ShippedGeneratorError, load_shipped_generator
    from kcolor.shipped import ShippedModelError

    log.info("starting the generator from the shipped %s model", config.init_generator)
    try:
        return load_shipped_generator(config.init_generator)
    except (ShippedModelError, ShippedGeneratorError) as err:
        raise TrainingError(f"--init-generator: {err}") from None
