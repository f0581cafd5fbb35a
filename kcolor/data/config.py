"""`DataConfig`: how a data source becomes batches, for tf.data and PyDataset alike."""

from dataclasses import dataclass


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
        guided: inputs for a guided generator, `(l, hint_ab, hint_mask, palette)`, with hints
            simulated from the truth (kcolor.color.hints.training_guidance).
        palette_fraction: share of guided crops given a palette (from another crop and flip of
            the same photo, so it tells the colors but not where they are).
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
    guided: bool = False
    palette_fraction: float = 0.5

    def __post_init__(self):
        if self.image_size < 8:
            raise ValueError(f"image_size must be at least 8, got {self.image_size}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not 0.0 <= self.palette_fraction <= 1.0:
            raise ValueError(f"palette_fraction must be in [0, 1], got {self.palette_fraction}")
