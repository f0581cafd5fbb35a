"""The one `tf.data` builder: a source string in, batches of normalized `(L, ab)` pairs out.

Stages, in order (each a small function below):
1. read: image files are decoded by Pillow in parallel (`kcolor.image_io`: EXIF rotation, CMYK,
   16-bit, palette, alpha); TFDS images come decoded from tensorflow-datasets.
2. resize the short side to `image_size` (bilinear, antialiased), keeping the aspect ratio.
3. filter: unreadable files, grayscale photos (`skip_gray`) and, optionally, near-gray ones below
   `min_colorfulness` are dropped, counted in a `PipelineStats`, and named in the log.
4. optional cache, then repeat.
5. crop to `image_size` x `image_size`: random crop and random horizontal flip for training, the
   center crop for evaluation (deterministic: same input, same pixels).
6. sRGB -> Lab in the graph (`kcolor.color.lab_math` on TensorFlow ops), normalized; batch;
   prefetch.

With `guided`, step 6 also simulates each crop's hints from its truth (kcolor.color.hints) and
the element's input becomes `(l_norm, hint_ab_norm, hint_mask, palette)`.

Output element: `(l_norm, ab_norm)`, float32, shapes `(B, S, S, 1)` in [-1, 1] and `(B, S, S, 2)`
in about [-1, 1] (see `kcolor.color.lab_ops` for the exact ranges).
"""

import dataclasses
import functools
import logging

import numpy as np
import tensorflow as tf

from kcolor.color import ab_bins, hints, lab_math, photo_filters
from kcolor.color.lab_scale import AB_SCALE
from kcolor.color.tf_numpy import TF_NUMPY
from kcolor.data.config import DataConfig
from kcolor.data.sources import TFDSSource, parse_source, split_relpaths
from kcolor.data.stats import (  # noqa: F401  (PipelineStats is part of this API)
    STATUS_BAD,
    STATUS_DULL,
    STATUS_GRAY,
    STATUS_OK,
    PipelineStats,
)
from kcolor.image_io import ImageDecodeError, read_rgb

log = logging.getLogger(__name__)

AUTOTUNE = tf.data.AUTOTUNE


_SHUFFLE_BUFFER_AFTER_CACHE = 256


def build_dataset(source, config=None, *, stats=None, **overrides):
    """Build a `tf.data.Dataset` of normalized `(L, ab)` batches from a source string.

    Args:
        source: `tfds:NAME[:SPLIT]`, a folder, a `.txt`/`.lst` list of paths, or an image file
            (see `kcolor.data.sources`).
        config: a `DataConfig`; keyword `overrides` replace its fields.
        stats: a `PipelineStats` to fill while the dataset is iterated (optional).

    Returns:
        A dataset of `(l_norm, ab_norm)` float32 pairs shaped `(B, S, S, 1)` and `(B, S, S, 2)`.

    Raises:
        FileNotFoundError, ValueError: missing path, empty folder, unknown TFDS name, bad option.

    Example:
        >>> ds = build_dataset("../shared/data/set14", image_size=128, batch_size=4, training=False)
        >>> l_norm, ab_norm = next(iter(ds))
    """
    config = dataclasses.replace(config or DataConfig(), **overrides)
    stats = stats if stats is not None else PipelineStats()
    parsed = parse_source(source)
    if isinstance(parsed, TFDSSource):
        images = _read_tfds(parsed, config)
    else:
        images = _read_files(parsed, config, stats)
    return _pipeline(images, config, stats)


def _read_files(file_source, config, stats):
    """Dataset of `(uint8 image (H, W, 3), status, name)` from image files."""
    relpaths = split_relpaths(file_source.relpaths, config.subset, config.val_fraction)
    if not relpaths:
        raise ValueError(
            f"{file_source.root}: the {config.subset!r} subset is empty "
            f"(val_fraction={config.val_fraction}, {len(file_source.relpaths)} files in all)"
        )
    paths = [str(file_source.root / rel) for rel in relpaths]
    ds = tf.data.Dataset.from_tensor_slices(paths)
    if config.training:
        ds = ds.shuffle(len(paths), seed=config.seed, reshuffle_each_iteration=True)
    min_size = config.image_size

    def decode(path_bytes):
        path = path_bytes.decode("utf-8")
        try:
            return read_rgb(path, min_size=min_size), np.int32(STATUS_OK)
        except ImageDecodeError as err:
            stats.note_bad(path, err.reason)
            return np.zeros((1, 1, 3), np.uint8), np.int32(STATUS_BAD)

    def read(path):
        image, status = tf.numpy_function(decode, [path], [tf.uint8, tf.int32], stateful=False)
        image.set_shape([None, None, 3])
        status.set_shape([])
        return image, status, path

    return ds.map(read, num_parallel_calls=AUTOTUNE)


def _read_tfds(tfds_source, config):
    """Dataset of `(uint8 image (H, W, 3), status, name)` from tensorflow-datasets."""
    import tensorflow_datasets as tfds  # heavy import, only for TFDS sources

    if config.subset != "all":
        raise ValueError(
            "subset/val_fraction split folders only; for TFDS pick a split in the source, "
            "e.g. tfds:coco/2017:validation or tfds:coco/2017:train[:5%]"
        )
    try:
        builder = tfds.builder(tfds_source.name, data_dir=config.tfds_data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(
            f"unknown TFDS dataset {tfds_source.name!r} (see tfds.list_builders())"
        ) from None
    image_key = _tfds_image_key(builder.info.features)
    if image_key is None:
        raise ValueError(f"TFDS dataset {tfds_source.name!r} has no image feature")
    name_key = "image/filename" if "image/filename" in builder.info.features else None
    if config.tfds_download:
        builder.download_and_prepare()
    elif not builder.is_prepared():
        raise ValueError(
            f"tfds:{tfds_source.name} is not prepared in {builder.data_dir}: prepare it once "
            f"with `tfds build {tfds_source.name} --data_dir DIR` (or let `kcolor train` download "
            "it), then pass --tfds-data-dir DIR"
        )
    read_config = tfds.ReadConfig(shuffle_seed=config.seed)
    ds = builder.as_dataset(
        split=tfds_source.split, shuffle_files=config.training, read_config=read_config
    )
    channels = builder.info.features[image_key].shape[-1]

    def pick(example):
        image = example[image_key]
        if channels == 1:
            image = tf.image.grayscale_to_rgb(image)
        image = image[..., :3]  # drops alpha when there is one
        name = example[name_key] if name_key else tf.constant("")
        return image, tf.constant(STATUS_OK, tf.int32), name

    ds = ds.map(pick, num_parallel_calls=AUTOTUNE)
    # A record that fails to decode is skipped instead of ending the run.
    return ds.ignore_errors(log_warning=True)


def _tfds_image_key(features):
    """Name of the image feature: 'image' when there is one, else the first Image feature."""
    import tensorflow_datasets as tfds

    if "image" in features and isinstance(features["image"], tfds.features.Image):
        return "image"
    for key, feature in features.items():
        if isinstance(feature, tfds.features.Image):
            return key
    return None


def _pipeline(images, config, stats):
    """Shared stages 2-6 for every source."""
    size = config.image_size
    ds = images.filter(lambda image, status, name: status != STATUS_BAD)
    ds = ds.map(
        lambda image, status, name: _resize_and_check(image, name, config),
        num_parallel_calls=AUTOTUNE,
    )

    def count_and_keep(image, status, name):
        return tf.numpy_function(stats.keep, [status, name], tf.bool, stateful=True)

    ds = ds.filter(count_and_keep).map(lambda image, status, name: image)
    if config.cache:
        ds = ds.cache("" if config.cache is True else str(config.cache))
        if config.training:
            ds = ds.shuffle(_SHUFFLE_BUFFER_AFTER_CACHE, seed=config.seed)
    if config.repeat:
        ds = ds.repeat()
    if config.guided:
        ds = _guided_examples(ds, config)
    elif config.training:
        seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, seeds.batch(2))
        ds = ds.map(lambda image, seed: _random_crop_flip(image, seed, size), AUTOTUNE)
    else:
        ds = ds.map(lambda image: _center_crop(image, size), num_parallel_calls=AUTOTUNE)
    if not config.guided:
        ds = ds.map(lambda image: _to_normalized_lab(image, size), num_parallel_calls=AUTOTUNE)
    drop = config.training if config.drop_remainder is None else config.drop_remainder
    ds = ds.batch(config.batch_size, drop_remainder=drop, num_parallel_calls=AUTOTUNE)
    return ds.prefetch(AUTOTUNE)


def resize_short_side(image, size):
    """Resize so the shorter side is `size`, keeping the aspect ratio (bilinear, antialiased).

    Returns float32 in the input's value range.
    """
    shape = tf.shape(image)
    height = tf.cast(shape[0], tf.float32)
    width = tf.cast(shape[1], tf.float32)
    scale = tf.cast(size, tf.float32) / tf.minimum(height, width)
    new_h = tf.maximum(size, tf.cast(tf.round(height * scale), tf.int32))
    new_w = tf.maximum(size, tf.cast(tf.round(width * scale), tf.int32))
    return tf.image.resize(image, [new_h, new_w], method="bilinear", antialias=True)


def is_grayscale(rgb255):
    """Whether a float image on the 0-255 scale holds no color (`kcolor.color.photo_filters`)."""
    return photo_filters.is_grayscale(rgb255, TF_NUMPY)


def _resize_and_check(image, name, config):
    resized = tf.clip_by_value(resize_short_side(image, config.image_size), 0.0, 255.0)
    status = tf.constant(STATUS_OK, tf.int32)
    if config.skip_gray:
        status = tf.where(is_grayscale(resized), STATUS_GRAY, status)
    if config.min_colorfulness > 0:
        dull = photo_filters.colorfulness(resized / 255.0, TF_NUMPY) < config.min_colorfulness
        status = tf.where(tf.logical_and(status == STATUS_OK, dull), STATUS_DULL, status)
    # uint8 keeps a cache four times smaller than float32.
    return tf.cast(tf.round(resized), tf.uint8), status, name


def _center_crop(image, size):
    shape = tf.shape(image)
    top = (shape[0] - size) // 2
    left = (shape[1] - size) // 2
    return tf.image.crop_to_bounding_box(image, top, left, size, size)


def _random_crop_flip(image, seed, size):
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(image, [size, size, 3], seed=crop_seed)
    return tf.image.stateless_random_flip_left_right(image, seed=flip_seed)


def _guided_examples(ds, config):
    """`((l, hint_ab, hint_mask, palette), ab)` per image: the crop as usual, a second crop and
    flip for the palette (a flipped center crop when evaluating), and the hints drawn in NumPy
    from a seed that the crop's own seed (training) or its index (evaluation) fixes."""
    size = config.image_size
    if config.training:
        seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, seeds.batch(2))
    else:
        base = tf.constant(config.seed or 0, tf.int64)
        ds = ds.enumerate().map(lambda index, image: (image, tf.stack([base, index])))

    def example(image, seed):
        crop_seed, other_seed, hint_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 3)
        )
        if config.training:
            crop = _random_crop_flip(image, crop_seed, size)
            other = _random_crop_flip(image, other_seed, size)
        else:
            crop = _center_crop(image, size)
            other = tf.image.flip_left_right(crop)
        l_norm, ab_norm = _to_normalized_lab(crop, size)
        _, other_ab_norm = _to_normalized_lab(other, size)
        numpy_seed = tf.random.stateless_uniform(
            [], hint_seed, minval=0, maxval=2**62, dtype=tf.int64
        )
        hint_ab, mask, palette = tf.numpy_function(
            _numpy_guidance,
            [ab_norm, other_ab_norm, numpy_seed, config.palette_fraction],
            [tf.float32, tf.float32, tf.float32],
            stateful=False,
        )
        hint_ab.set_shape([size, size, 2])
        mask.set_shape([size, size, 1])
        palette.set_shape([len(_bin_centers()) + 1])
        return (l_norm, hint_ab, mask, palette), ab_norm

    return ds.map(example, num_parallel_calls=AUTOTUNE)


@functools.cache
def _bin_centers():
    return ab_bins.in_gamut_bins()


def _numpy_guidance(ab_norm, other_ab_norm, seed, palette_fraction):
    """kcolor.color.hints.training_guidance on normalized ab (the hint map stays normalized)."""
    rng = np.random.default_rng(int(seed))
    hint_ab, mask, palette = hints.training_guidance(
        ab_norm * AB_SCALE, other_ab_norm * AB_SCALE, rng, _bin_centers(), float(palette_fraction)
    )
    return hint_ab / AB_SCALE, mask, palette


def _to_normalized_lab(image, size):
    rgb = tf.cast(image, tf.float32) / 255.0
    l_norm, ab_norm = lab_math.rgb_to_normalized_lab(rgb, TF_NUMPY)
    l_norm.set_shape([size, size, 1])
    ab_norm.set_shape([size, size, 2])
    return l_norm, ab_norm
