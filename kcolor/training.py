"""`train(config)`: build data, model and callbacks for one run folder, fit, save the generator.

Run folder layout:

    RUN_DIR/config.yaml            resolved config (what `--resume` reads back)
    RUN_DIR/history.csv            one row per epoch: train and val losses and metrics
    RUN_DIR/tensorboard/           TensorBoard logs
    RUN_DIR/checkpoints/           epoch-NNN.weights.h5 (last k), best.weights.h5, best.txt
    RUN_DIR/backup/                state for --resume (weights, optimizer, epoch), also mid-epoch
    RUN_DIR/samples/epoch-NNN.png  gray | prediction | truth on a fixed validation batch
    RUN_DIR/color_prior.npz        ab histogram and loss weights (--loss classification only)
    RUN_DIR/generator.keras        the trained generator (what evaluate/colorize/export use):
                                   the best validation epoch's weights unless restore_best is off
"""

import contextlib
import dataclasses
import logging
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from kcolor import callbacks as kc
from kcolor.ab_bins import rebalancing_weights
from kcolor.budget import init_budget
from kcolor.color_prior import PRIOR_FILE, ColorPrior, compute_color_prior
from kcolor.config import write_config
from kcolor.data_config import DataConfig
from kcolor.fileio import atomic_path
from kcolor.lab_scale import AB_SCALE
from kcolor.losses import ColorClassLoss, build_regression_loss, decoded_ab_mae
from kcolor.models import ColorGAN, PatchDiscriminator, build_generator, check_image_size
from kcolor.models.blocks import CLASS_LOGITS_LAYER
from kcolor.pipeline_stats import PipelineStats
from kcolor.shipped_generator import SHIPPED_INIT_NAMES, names_shipped_model
from kcolor.sources import FileSource, TFDSSource, parse_source, split_relpaths
from kcolor.worker import worker_identity

log = logging.getLogger(__name__)

GENERATOR_FILE = "generator.keras"


class TrainingError(RuntimeError):
    """A run that cannot start or had to stop; the message says why and what is kept."""


@dataclass
class TrainResult:
    run_dir: Path
    generator_path: Path
    history: dict
    epochs_run: int


def train(config, resume=False):
    """Train one model as `config` says; returns a TrainResult.

    Args:
        config: a TrainConfig.
        resume: continue from `RUN_DIR/backup` (weights, optimizer state, epoch) when it exists;
            without it, a run folder that already holds a backup is refused.

    Raises:
        TrainingError: no usable images, an existing run without `resume`, a NaN loss.
    """
    if not config.init_generator:
        arch = config.gan.generator if config.arch == "gan" else config.arch
        try:
            check_image_size(config.image_size, arch, **config.model)
        except ValueError as err:
            raise TrainingError(f"--image-size: {err}") from None
    run_dir = Path(config.run_dir)
    chief, task_index = worker_identity()
    write_dir = run_dir if chief else run_dir / ".workers" / f"worker-{task_index}"
    has_backup = (write_dir / "backup").is_dir()
    if has_backup and not resume:
        raise TrainingError(
            f"{run_dir} already holds a run: pass --resume to continue it, or another --run-dir"
        )
    if resume and not has_backup:
        log.info("nothing to resume in %s: starting a new run", run_dir)
    write_dir.mkdir(parents=True, exist_ok=True)
    if chief:
        write_config(config, run_dir / "config.yaml")

    previous_policy = keras.mixed_precision.global_policy()
    try:
        generator, history, nan_guard = _fit(config, write_dir, chief)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    if nan_guard.diverged:
        epoch, step, keys = nan_guard.diverged_at
        raise TrainingError(
            f"training stopped: {', '.join(keys)} became NaN or infinite at epoch {epoch}, "
            f"step {step}. The last good state is kept in {write_dir / 'checkpoints'} and "
            f"{write_dir / 'backup'}; try a lower --lr, or --resume after changing it."
        )
    generator_path = write_dir / GENERATOR_FILE
    with atomic_path(generator_path, prefix=".tmp-", suffix="") as tmp:
        _float32_copy(generator).save(tmp)
    return TrainResult(run_dir, generator_path, history.history, len(history.epoch))


def resume_point(run_dir):
    """`(epoch, step)` a `--resume` of `run_dir` continues from (1-based epoch; step 0 means
    the epoch starts afresh), or None when the folder holds no backup."""
    import json

    metadata = Path(run_dir) / "backup" / "training_metadata.json"
    if not metadata.is_file():
        return None
    state = json.loads(metadata.read_text())
    return int(state.get("epoch", 0)) + 1, int(state.get("batch", 0))


def _backup_every(config, total_steps):
    """Mid-epoch backups at least 4 times per epoch (a kill -9 loses at most a quarter of
    one), and never less often than `backup_every_steps`."""
    per_epoch = total_steps // config.epochs if total_steps else None
    every = config.backup_every_steps
    if per_epoch:
        every = min(every, max(1, per_epoch // 4)) if every else max(1, per_epoch // 4)
    return every or "epoch"


def _fit(config, write_dir, chief):
    """Build everything under the strategy and precision policy, then fit."""
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    _set_precision(config.mixed_precision)
    strategy = _strategy(config)
    try:
        train_ds, val_ds, stats = _datasets(config)
        sample_l, sample_ab = _sample_batch(
            val_ds if val_ds is not None else train_ds, config, stats
        )
        prior = _color_prior(config, write_dir, chief, val_ds is not None)
        total_steps = _total_steps(config, val_ds is not None)

        with strategy.scope():
            model, generator, monitor = build_model(
                config, val_ds is not None, color_prior=prior, total_steps=total_steps
            )

        nan_guard = kc.NaNGuard()
        backup_freq = _backup_every(config, total_steps)
        callbacks = [
            nan_guard,
            kc.RunBackup(str(write_dir / "backup"), nan_guard, save_freq=backup_freq),
            kc.EpochCheckpoints(
                write_dir / "checkpoints", monitor, nan_guard, config.keep_checkpoints
            ),
            kc.HistoryCSV(write_dir / "history.csv", nan_guard),
            kc.SampleGrid(write_dir / "samples", generator, sample_l, sample_ab),
            kc.BudgetRecorder(
                write_dir,
                config.batch_size,
                config.steps_per_epoch,
                init_budget(config.init_generator),
                _device_kind(),
                nan_guard,
            ),
        ]
        if config.time_limit_minutes:
            callbacks.append(kc.TimeLimit(config.time_limit_minutes))
        if keras.backend.backend() == "tensorflow":
            # Keras' TensorBoard callback writes through tf.summary: TensorFlow runs only.
            callbacks.append(
                keras.callbacks.TensorBoard(str(write_dir / "tensorboard"), profile_batch=0)
            )
            _work_around_keras_multi_worker_bugs(model, strategy)
        with warnings.catch_warnings(), strategy.scope():
            # Validation data has unknown length (filtered files), so Keras warns when it ends.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            history = model.fit(
                train_ds,
                epochs=config.epochs,
                steps_per_epoch=config.steps_per_epoch,
                validation_data=val_ds,
                validation_steps=config.validation_steps,
                callbacks=callbacks,
                # A progress bar on a terminal; one plain line per epoch in a redirected log.
                verbose=(1 if sys.stdout.isatty() else 2) if chief else 0,
                shuffle=False,  # the data pipelines shuffle
            )
    finally:
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(None)
    log.info("data: %s", stats.summary())
    if config.restore_best and config.arch != "gan" and not nan_guard.diverged:
        _restore_best(model, write_dir / "checkpoints")
    return generator, history, nan_guard


def _device_kind():
    """The device kind Keras trains on, for budget.json: "cpu", or "gpu" / "tpu"."""
    platforms = {device.split(":")[0].lower() for device in keras.distribution.list_devices()}
    accelerators = sorted(platforms - {"cpu"})
    return accelerators[0] if accelerators else "cpu"


class _SingleDevice:
    """Stands in for a tf.distribute strategy where Keras distributes by itself (JAX, torch)."""

    def scope(self):
        return contextlib.nullcontext()


def _strategy(config):
    """A tf.distribute strategy under TensorFlow; under JAX, `keras.distribution.DataParallel`
    over all local devices when there are several (the batch is split across them)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from kcolor.distribute import make_strategy

        return make_strategy(config.strategy)
    if config.strategy in ("multi-worker", "tpu"):
        raise TrainingError(
            f"--strategy {config.strategy} is tf.distribute: use --backend tensorflow"
        )
    if backend != "jax" or config.strategy == "default":
        return _SingleDevice()
    devices = keras.distribution.list_devices()
    if len(devices) > 1:
        if config.batch_size % len(devices):
            raise TrainingError(
                f"--batch-size {config.batch_size} does not split over {len(devices)} devices: "
                f"pass a multiple of {len(devices)}"
            )
        log.info("data parallel over %d devices: %s", len(devices), ", ".join(devices))
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return _SingleDevice()


def _restore_best(model, checkpoint_dir):
    """Load the best epoch's weights (EpochCheckpoints' best.weights.h5) before saving."""
    best = checkpoint_dir / "best.weights.h5"
    if best.is_file():
        model.load_weights(str(best))
        record = (checkpoint_dir / "best.txt").read_text().strip()
        log.info("generator from the best epoch: %s", record)


def _color_prior(config, write_dir, chief, has_validation):
    """The run's color prior for --loss classification: kept in the run folder, else read from
    --color-prior, else counted on the training photos (then saved for --resume and reports)."""
    if config.loss != "classification" or config.arch == "gan":
        return None
    saved = write_dir / PRIOR_FILE
    if saved.is_file():
        return ColorPrior.load(saved)
    if config.color_prior:
        prior = ColorPrior.load(config.color_prior)
    else:
        source = parse_source(config.data)
        split = isinstance(source, FileSource) and not config.val_data and has_validation
        log.info("counting the ab colors of %s for the class weights", config.data)
        prior = compute_color_prior(
            config.data,
            subset="train" if split else "all",
            val_fraction=config.val_fraction,
            tfds_data_dir=config.tfds_data_dir,
            progress=chief,
        )
    if chief:
        prior.save(saved)
    return prior


def _total_steps(config, has_validation):
    """Optimizer steps in the whole run (for the LR schedule); None when the data length is
    unknown (a TFDS source without --steps-per-epoch)."""
    if config.steps_per_epoch:
        return config.epochs * config.steps_per_epoch
    source = parse_source(config.data)
    if not isinstance(source, FileSource):
        return None
    subset = "train" if has_validation and not config.val_data else "all"
    files = len(split_relpaths(source.relpaths, subset, config.val_fraction))
    return config.epochs * max(1, files // config.batch_size)


def _float32_copy(generator):
    """The generator rebuilt under the float32 policy with the same weights.

    Mixed-precision training stores float32 weights but records bf16/fp16 compute in every layer;
    the saved artifact should run in float32 everywhere (evaluation, export, CPUs without bf16).
    """
    if all(layer.dtype_policy.name == "float32" for layer in generator.layers):
        return generator
    copy = type(generator).from_config(generator.get_config())
    copy.set_weights(generator.get_weights())
    return copy


def _work_around_keras_multi_worker_bugs(model, strategy):
    """Make Keras 3 `fit` run under MultiWorkerMirroredStrategy (keras-team/keras#20585).

    Keras 3.15 fails there twice: its eager "symbolic build" reduces the first batch with
    `strategy.reduce`, and it reduces each scalar loss and metric with `axis=0`. Without a stored
    strategy Keras builds while tracing instead (taking the strategy from the scope), and scalar
    logs are averaged over replicas with `axis=None`. Only used for this strategy.
    """
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    from keras.src.backend.tensorflow import trainer as tf_trainer

    model._distribute_strategy = None
    original = getattr(
        tf_trainer.reduce_per_replica, "kcolor_original", tf_trainer.reduce_per_replica
    )

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy
        ):
            return keras.tree.map_structure(
                lambda value: strategy.reduce("MEAN", value, axis=None), values
            )
        return original(values, strategy, reduction)

    reduce_per_replica.kcolor_original = original
    tf_trainer.reduce_per_replica = reduce_per_replica


def _set_precision(mode):
    policy = {"off": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}[mode]
    keras.mixed_precision.set_global_policy(policy)


def _data_config(config, training):
    return DataConfig(
        image_size=config.image_size,
        batch_size=config.batch_size,
        training=training,
        val_fraction=config.val_fraction,
        seed=config.seed,
        cache=config.cache,
        skip_gray=config.skip_gray,
        min_colorfulness=config.min_colorfulness,
        repeat=training and config.steps_per_epoch is not None,
        tfds_data_dir=config.tfds_data_dir,
    )


def _datasets(config):
    """Train and validation data; a folder without --val-data splits by path hash. tf.data
    under TensorFlow, `PhotoBatches` (Pillow and NumPy) under the other backends."""
    stats = PipelineStats()
    train_cfg = _data_config(config, training=True)
    val_cfg = _data_config(config, training=False)
    if keras.backend.backend() == "tensorflow":
        from kcolor.data import build_dataset

        def build(source, data_config, stats=None, subset="all"):
            return build_dataset(source, data_config, stats=stats, subset=subset)
    else:
        from kcolor.photo_batches import PhotoBatches

        def build(source, data_config, stats=None, subset="all"):
            data_config, steps = dataclasses.replace(data_config, subset=subset), None
            if data_config.training:
                steps = config.steps_per_epoch
            else:  # validation is decoded once and kept: it is read every epoch
                data_config = dataclasses.replace(data_config, cache=True)
            if isinstance(parse_source(source), TFDSSource):
                raise ValueError(
                    f"{source}: TFDS sources are read by tf.data; use --backend tensorflow, "
                    "or a folder or .txt list of photos"
                )
            return PhotoBatches(
                source, data_config, stats=stats, steps=steps, workers=config.workers
            )

    try:
        source = parse_source(config.data)
        if config.val_data:
            train_ds = build(config.data, train_cfg, stats=stats)
            val_ds = build(config.val_data, val_cfg)
        elif isinstance(source, TFDSSource):
            log.warning("no --val-data for a TFDS source: training without validation")
            train_ds, val_ds = build(config.data, train_cfg, stats=stats), None
        elif not split_relpaths(source.relpaths, "val", config.val_fraction):
            log.warning(
                "%s is too small for a %.0f%% validation split: training without validation "
                "(pass --val-data)",
                config.data,
                100 * config.val_fraction,
            )
            train_ds, val_ds = build(config.data, train_cfg, stats=stats), None
        else:
            train_ds = build(config.data, train_cfg, stats=stats, subset="train")
            val_ds = build(config.data, val_cfg, subset="val")
    except (FileNotFoundError, ValueError) as err:
        raise TrainingError(str(err)) from None
    return train_ds, val_ds, stats


def _sample_batch(dataset, config, stats):
    """First batch of `dataset`, cut to `sample_count` images; also proves the data is not empty."""
    try:
        if isinstance(dataset, keras.utils.PyDataset):
            lightness, ab = dataset[0]
        else:
            lightness, ab = (t.numpy() for t in next(iter(dataset.take(1))))
    except (StopIteration, IndexError, ValueError):
        raise TrainingError(
            f"no usable images in {config.data} ({stats.summary()}); with --batch-size "
            f"{config.batch_size}, training needs at least one full batch"
        ) from None
    count = config.sample_count
    return np.asarray(lightness)[:count], np.asarray(ab)[:count]


def build_model(config, has_validation, color_prior=None, total_steps=None):
    """Model to fit, the generator inside it, and the metric that picks the best checkpoint.

    Call it inside the strategy's scope. For --loss classification the fitted model is the
    generator cut at its `ab_logits` layer (same weights), and `color_prior` weighs the loss.
    """
    prefix = "val_" if has_validation else ""
    if config.arch == "gan":
        gan_cfg = config.gan
        generator = _initial_generator(config, gan_cfg.generator)
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
            g_optimizer=_adam(config.lr, config, total_steps),
            d_optimizer=_adam(gan_cfg.d_lr or config.lr, config, total_steps),
        )
        return model, generator, f"{prefix}l1"
    if config.loss == "classification":
        generator = _initial_generator(config, config.arch, head="classification")
        model = _class_logits_model(generator)
        decoder = generator.get_layer("ab_annealed_mean")
        centers = decoder.centers * AB_SCALE
        if color_prior is None:
            raise TrainingError("--loss classification needs a color prior")
        if color_prior.centers.shape != centers.shape or not np.allclose(
            color_prior.centers, centers, atol=1e-3
        ):
            raise TrainingError("the color prior's ab bins differ from the model's")
        model.compile(
            optimizer=_adam(config.lr, config, total_steps),
            loss=ColorClassLoss(
                centers,
                rebalancing_weights(color_prior.prior, mix=config.rebalance_mix),
                regression_weight=config.ab_regression_weight,
                regression=config.ab_regression,
                temperature=decoder.temperature,
                huber_delta=config.huber_delta,
            ),
            metrics=[decoded_ab_mae(centers, decoder.temperature)],
        )
        return model, generator, f"{prefix}loss"
    generator = _initial_generator(config, config.arch)
    generator.compile(
        optimizer=_adam(config.lr, config, total_steps),
        loss=build_regression_loss(config.loss, config.huber_delta),
        metrics=[keras.metrics.MeanAbsoluteError(name="ab_mae")],
    )
    return generator, generator, f"{prefix}loss"


def _class_logits_model(generator):
    """The generator's layers up to `ab_logits`: what the class loss is fitted on."""
    try:
        logits = generator.get_layer(CLASS_LOGITS_LAYER).output
    except ValueError:
        raise TrainingError(
            "--loss classification needs a generator with a class head; "
            "--init-generator points to a regression model"
        ) from None
    return keras.Model(generator.inputs, logits, name=f"{generator.name}_logits")


def _learning_rate(lr, config, total_steps):
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


def _adam(lr, config, total_steps=None):
    optimizer = keras.optimizers.Adam(_learning_rate(lr, config, total_steps), beta_1=config.beta_1)
    if config.mixed_precision == "fp16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def _initial_generator(config, arch, head="regression"):
    if not config.init_generator:
        return build_generator(arch, head=head, **config.model)
    path = Path(config.init_generator)
    if names_shipped_model(config.init_generator):
        return _shipped_generator(config)
    if path.is_dir():
        path = path / GENERATOR_FILE
    if not path.is_file():
        raise TrainingError(
            f"--init-generator: {path} not found (a run dir, a .keras file or "
            f"{' or '.join(SHIPPED_INIT_NAMES)})"
        )
    log.info("starting the generator from %s", path)
    return keras.saving.load_model(path, compile=False)


def _shipped_generator(config):
    """The shipped model's generator (`--init-generator default`): it needs TensorFlow to read
    the SavedModel, so under another backend the user converts it once."""
    if keras.backend.backend() != "tensorflow":
        raise TrainingError(
            f"--init-generator {config.init_generator} reads the shipped SavedModel with "
            "TensorFlow: write it once as a .keras file with `python tools/shipped_keras.py "
            "default.keras` and pass that file"
        )
    from kcolor.shipped import ShippedModelError
    from kcolor.shipped_generator import ShippedGeneratorError, load_shipped_generator

    log.info("starting the generator from the shipped %s model", config.init_generator)
    try:
        return load_shipped_generator(config.init_generator)
    except (ShippedModelError, ShippedGeneratorError) as err:
        raise TrainingError(f"--init-generator: {err}") from None
