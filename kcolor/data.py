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
6. sRGB -> Lab in the graph, normalized by `kcolor.color`; batch; prefetch.

Output element: `(l_norm, ab_norm)`, float32, shapes `(B, S, S, 1)` in [-1, 1] and `(B, S, S, 2)`
in about [-1, 1] (see `kcolor.color` for the exact ranges).
"""

import dataclasses
import logging
import threading
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from kcolor import color, metrics
from kcolor.image_io import ImageDecodeError, read_rgb
from kcolor.sources import TFDSSource, parse_source, split_relpaths

log = logging.getLogger(__name__)

AUTOTUNE = tf.data.AUTOTUNE

# Element status codes carried through the graph until the counting filter.
STATUS_OK = 0
STATUS_BAD = 1
STATUS_GRAY = 2
STATUS_DULL = 3

# A photo counts as grayscale when fewer than 1% of its pixels have a channel spread
# (max - min of R, G, B on 0-255) above 8 and the mean spread is below 3. This is the rule that
# flags the grayscale images in ../shared/data/manifest.csv, so the two agree.
GRAY_PIXEL_SPREAD = 8.0
GRAY_MAX_COLORED_SHARE = 0.01
GRAY_MAX_MEAN_SPREAD = 3.0

_SHUFFLE_BUFFER_AFTER_CACHE = 256


@dataclass(frozen=True)
class DataConfig:
    """How to turn a source into batches.

    Attributes:
        image_size: side S of the square crops, in pixels.
        batch_size: images per batch (the global batch size under tf.distribute).
        training: random crop, flip and shuffling when True; a deterministic center crop when False.
        subset: for file sources, `"all"`, or `"train"`/`"val"` of a split by path hash.
        val_fraction: share of files in the `"val"` subset.
        seed: makes shuffling, crops and flips reproducible; None draws fresh randomness.
        cache: False, True (in memory) or a file path prefix; caches resized uint8 images.
        skip_gray: drop grayscale photos, which have no color to learn or score.
        min_colorfulness: also drop photos whose Hasler-Suesstrunk colorfulness is below this
            (0 disables; BigColor and DDColor filter near-gray photos like this).
        repeat: repeat forever (for `fit(steps_per_epoch=...)`).
        drop_remainder: drop a last incomplete batch; defaults to `training`.
        tfds_data_dir: TFDS data_dir (where prepared datasets live).
        tfds_download: let TFDS download and prepare a dataset that is not in `tfds_data_dir`
            (all its splits); when False, an unprepared dataset is a one-line error at once.
    """

    image_size: int = 256
    batch_size: int = 16
    training: bool = True
    subset: str = "all"
    val_fraction: float = 0.05
    seed: int | None = None
    cache: bool | str = False
    skip_gray: bool = True
    min_colorfulness: float = 0.0
    repeat: bool = False
    drop_remainder: bool | None = None
    tfds_data_dir: str | None = None
    tfds_download: bool = True

    def __post_init__(self):
        if self.image_size < 8:
            raise ValueError(f"image_size must be at least 8, got {self.image_size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")


class PipelineStats:
    """Counts what the pipeline read and skipped, by file name; safe to update from tf.data threads.

    Each file is counted once however many epochs run.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._names = {STATUS_OK: set(), STATUS_BAD: {}, STATUS_GRAY: set(), STATUS_DULL: set()}

    def note_bad(self, name, reason):
        """Remember an unreadable file and log it once."""
        with self._lock:
            first_time = name not in self._names[STATUS_BAD]
            self._names[STATUS_BAD][name] = reason
        if first_time:
            log.warning("skipped unreadable image %s: %s", name, reason)

    def keep(self, status, name):
        """Count one element and say whether it goes on down the pipeline."""
        status = int(status)
        name = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        with self._lock:
            if status == STATUS_BAD:
                self._names[STATUS_BAD].setdefault(name, "unreadable")
            else:
                self._names[status].add(name)
        return status == STATUS_OK

    @property
    def used(self):
        """Number of distinct images passed on."""
        return len(self._names[STATUS_OK])

    @property
    def bad(self):
        """`{name: reason}` of unreadable files."""
        return dict(self._names[STATUS_BAD])

    @property
    def gray(self):
        """Number of distinct grayscale photos skipped."""
        return len(self._names[STATUS_GRAY])

    @property
    def dull(self):
        """Number of distinct photos skipped for low colorfulness."""
        return len(self._names[STATUS_DULL])

    def summary(self):
        """One line for logs and the CLI."""
        return (
            f"{self.used} images used, {self.gray} grayscale skipped, "
            f"{self.dull} near-gray skipped, {len(self._names[STATUS_BAD])} unreadable skipped"
        )


def build_dataset(source, config=None, *, stats=None, **overrides):
    """Build a `tf.data.Dataset` of normalized `(L, ab)` batches from a source string.

    Args:
        source: `tfds:NAME[:SPLIT]`, a folder, a `.txt`/`.lst` list of paths, or an image file
            (see `kcolor.sources`).
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
    if config.training:
        seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip(ds, seeds.batch(2))
        ds = ds.map(lambda image, seed: _random_crop_flip(image, seed, size), AUTOTUNE)
    else:
        ds = ds.map(lambda image: _center_crop(image, size), num_parallel_calls=AUTOTUNE)
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
    """Whether a float image on the 0-255 scale holds no color (see GRAY_* above)."""
    spread = tf.reduce_max(rgb255, axis=-1) - tf.reduce_min(rgb255, axis=-1)
    colored_share = tf.reduce_mean(tf.cast(spread > GRAY_PIXEL_SPREAD, tf.float32))
    return tf.logical_and(
        colored_share < GRAY_MAX_COLORED_SHARE, tf.reduce_mean(spread) < GRAY_MAX_MEAN_SPREAD
    )


def _resize_and_check(image, name, config):
    resized = tf.clip_by_value(resize_short_side(image, config.image_size), 0.0, 255.0)
    status = tf.constant(STATUS_OK, tf.int32)
    if config.skip_gray:
        status = tf.where(is_grayscale(resized), STATUS_GRAY, status)
    if config.min_colorfulness > 0:
        dull = metrics.colorfulness(resized / 255.0) < config.min_colorfulness
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


def _to_normalized_lab(image, size):
    rgb = tf.cast(image, tf.float32) / 255.0
    l_norm, ab_norm = color.rgb_to_normalized_lab(rgb)
    l_norm.set_shape([size, size, 1])
    ab_norm.set_shape([size, size, 2])
    return l_norm, ab_norm
