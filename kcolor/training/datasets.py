"""The run's data: train and validation pipelines, the sample batch, the step count and the
color prior the class loss is weighed with."""

import dataclasses
import logging

import keras
import numpy as np

from kcolor.color.prior import PRIOR_FILE, ColorPrior
from kcolor.data.color_counts import compute_color_prior
from kcolor.data.config import DataConfig
from kcolor.data.sources import FileSource, TFDSSource, parse_source, split_relpaths
from kcolor.data.stats import PipelineStats
from kcolor.training.errors import TrainingError

log = logging.getLogger(__name__)


def data_config(config, training):
    """Validation crops at `val_image_size` when set: a stage training at 192 px is then
    judged at colorize's 256 px, where smaller crops were seen to drift (docs/results.md)."""
    size = config.image_size if training else config.val_image_size or config.image_size
    return DataConfig(
        image_size=size,
        batch_size=config.batch_size,
        training=training,
        val_fraction=config.val_fraction,
        seed=config.seed,
        cache=config.cache,
        skip_gray=config.skip_gray,
        min_colorfulness=config.min_colorfulness,
        repeat=training and config.steps_per_epoch is not None,
        tfds_data_dir=config.tfds_data_dir,
        guided=bool(config.model.get("guided")),
        palette_fraction=config.palette_fraction,
    )


def build_datasets(config):
    """Train and validation data; a folder without --val-data splits by path hash. tf.data
    under TensorFlow, `PhotoBatches` (Pillow and NumPy) under the other backends."""
    stats = PipelineStats()
    train_cfg = data_config(config, training=True)
    val_cfg = data_config(config, training=False)
    if keras.backend.backend() == "tensorflow":
        from kcolor.data.pipeline import build_dataset

        def build(source, data_config, stats=None, subset="all"):
            return build_dataset(source, data_config, stats=stats, subset=subset)
    else:
        from kcolor.data.photo_batches import PhotoBatches

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


def sample_batch(dataset, config, stats):
    """First batch of `dataset`, cut to `sample_count` images; also proves the data is not empty."""
    try:
        if isinstance(dataset, keras.utils.PyDataset):
            lightness, ab = dataset[0]
        else:
            lightness, ab = keras.tree.map_structure(
                lambda t: t.numpy(), next(iter(dataset.take(1)))
            )
    except (StopIteration, IndexError, ValueError):
        if 0 < stats.used < config.batch_size:
            raise TrainingError(
                f"{stats.used} usable images in {config.data} are fewer than one batch of "
                f"{config.batch_size} ({stats.summary()}): pass --batch-size {stats.used} or "
                "less, or more photos"
            ) from None
        raise TrainingError(
            f"no usable images in {config.data} ({stats.summary()}); with --batch-size "
            f"{config.batch_size}, training needs at least one full batch"
        ) from None
    count = config.sample_count
    if isinstance(lightness, tuple | list):  # a guided model's (l, hint_ab, hint_mask, palette)
        return tuple(np.asarray(part)[:count] for part in lightness), np.asarray(ab)[:count]
    return np.asarray(lightness)[:count], np.asarray(ab)[:count]


def count_total_steps(config, has_validation):
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


def run_color_prior(config, write_dir, chief, has_validation):
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
