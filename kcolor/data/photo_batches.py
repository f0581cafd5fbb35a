"""`PhotoBatches`: normalized `(L, ab)` batches from image files with Pillow and NumPy only.

The data path for the JAX and PyTorch backends (no TensorFlow import), a `keras.utils.PyDataset`
read by threads. It follows `kcolor.data.pipeline`'s tf.data pipeline stage by stage: the same
decoding (`kcolor.image_io`), the same split by path hash, short side resized to `image_size`
(antialiased bilinear; Pillow's filter, so pixels differ slightly from tf.image's), the same
grayscale and near-gray rules (`kcolor.color.photo_filters`), random crop and flip for training
or the center crop, the same Lab math (`kcolor.color.lab_math`), and the same
`PipelineStats` counts.

- Evaluation (`training=False`): every photo is decoded once, up front, and its center crop
  kept (uint8), so batches are full and in list order, exactly as tf.data's filter-then-batch.
- Training with `cache=True`: every photo is decoded and resized once, up front (threads, a
  progress bar), and kept in memory as uint8; epochs then only crop, flip and convert. Best
  for sets that fit in memory (14,700 photos at a 128-px short side: about 1 GB by arithmetic).
- Training with `cache=False`: each batch decodes its files, and a skipped file is replaced by
  another photo, so batches stay full.

Every batch is a function of (seed, epoch, index), so threads may build them in any order.
"""

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import keras
import numpy as np
from PIL import Image

from kcolor.color import ab_bins, hints, lab_math, photo_filters
from kcolor.color.lab_scale import AB_SCALE
from kcolor.data.config import DataConfig
from kcolor.data.sources import FileSource, parse_source, split_relpaths
from kcolor.data.stats import STATUS_BAD, STATUS_DULL, STATUS_GRAY, STATUS_OK, PipelineStats
from kcolor.image_io import ImageDecodeError, read_rgb

_MAX_REPLACEMENTS = 100  # tries to replace one skipped training file before giving up


class PhotoBatches(keras.utils.PyDataset):
    """Batches `(l_norm (B, S, S, 1), ab_norm (B, S, S, 2))` of float32 from image files.

    Args:
        source: a folder, a `.txt`/`.lst` list or an image file (not `tfds:`: that is tf.data).
        config: a `DataConfig` (`repeat` with `steps` makes an endless stream cut into epochs).
        stats: a `PipelineStats` filled as files are read.
        steps: batches per epoch when `config.repeat` (`fit(steps_per_epoch=...)`).
        workers: threads that build batches (and decode the cache).
    """

    def __init__(self, source, config=None, *, stats=None, steps=None, workers=1):
        super().__init__(workers=workers, use_multiprocessing=False)
        self.config = config or DataConfig()
        self.stats = stats if stats is not None else PipelineStats()
        parsed = parse_source(source) if isinstance(source, str) else source
        if not isinstance(parsed, FileSource):
            raise ValueError(
                f"{source}: TFDS sources are read by tf.data; use --backend tensorflow, or "
                "a folder or .txt list of photos"
            )
        relpaths = split_relpaths(parsed.relpaths, self.config.subset, self.config.val_fraction)
        if not relpaths:
            raise ValueError(
                f"{parsed.root}: the {self.config.subset!r} subset is empty "
                f"(val_fraction={self.config.val_fraction}, {len(parsed.relpaths)} files in all)"
            )
        self.paths = [str(parsed.root / rel) for rel in relpaths]
        self.steps = steps if self.config.repeat else None
        self.epoch = 0
        self._base_seed = (
            self.config.seed
            if self.config.seed is not None
            else int(np.random.default_rng().integers(2**31))
        )
        drop = self.config.drop_remainder
        self._drop = self.config.training if drop is None else drop
        self._images = None
        if self.config.cache or not self.config.training:
            self._images = self._load_all(workers)

    # -- reading --------------------------------------------------------------------------

    def _read(self, path):
        """The photo resized to short side `image_size` as uint8, or None when it is skipped."""
        size = self.config.image_size
        try:
            image = read_rgb(path, min_size=size)
        except ImageDecodeError as err:
            self.stats.note_bad(path, err.reason)
            self.stats.keep(STATUS_BAD, path)
            return None
        image = resize_short_side(image, size)
        if not self.config.training:
            image = _center_crop(image, size)
        status = STATUS_OK
        if self.config.skip_gray and photo_filters.is_grayscale(image):
            status = STATUS_GRAY
        elif (
            self.config.min_colorfulness > 0
            and photo_filters.colorfulness(image / 255.0) < self.config.min_colorfulness
        ):
            status = STATUS_DULL
        return image if self.stats.keep(status, path) else None

    def _load_all(self, workers):
        from tqdm import tqdm

        with ThreadPoolExecutor(max(1, workers)) as pool:
            results = list(
                tqdm(
                    pool.map(self._read, self.paths),
                    total=len(self.paths),
                    desc="reading photos",
                    unit="img",
                    disable=None,
                    leave=False,
                )
            )
        images = [image for image in results if image is not None]
        if not images:
            raise ValueError(f"no usable images ({self.stats.summary()})")
        return images

    # -- PyDataset ------------------------------------------------------------------------

    @property
    def _count(self):
        return len(self._images) if self._images is not None else len(self.paths)

    def __len__(self):
        if self.steps:
            return self.steps
        batches = self._count / self.config.batch_size
        return math.floor(batches) if self._drop else math.ceil(batches)

    def on_epoch_end(self):
        self.epoch += 1

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(index)
        rng = np.random.default_rng([self._base_seed, self.epoch, index])
        photos = self._batch_images(index, rng)
        images = [self._crop(image, rng) for image in photos]
        if not images:
            raise ValueError(f"no usable images ({self.stats.summary()})")
        rgb = np.stack(images).astype(np.float32) / 255.0
        l_norm, ab_norm = lab_math.rgb_to_normalized_lab(rgb)
        if not self.config.guided:
            return l_norm, ab_norm
        return self._guided_inputs(l_norm, ab_norm, photos, images, rng), ab_norm

    def _guided_inputs(self, l_norm, ab_norm, photos, crops, rng):
        """`(l, hint_ab, hint_mask, palette)` as the tf.data builder makes them: points drawn
        from each crop's truth, a palette from another crop and flip of the same photo (the
        flipped center crop when evaluating), kcolor.color.hints.training_guidance."""
        if self.config.training:
            others = [self._crop(image, rng) for image in photos]
        else:
            others = [crop[:, ::-1] for crop in crops]
        _, other_ab = lab_math.rgb_to_normalized_lab(np.stack(others).astype(np.float32) / 255.0)
        centers = ab_bins.in_gamut_bins()
        parts = [
            hints.training_guidance(
                ab * AB_SCALE, other * AB_SCALE, rng, centers, self.config.palette_fraction
            )
            for ab, other in zip(ab_norm, other_ab, strict=True)
        ]
        hint_ab, mask, palette = (np.stack(column) for column in zip(*parts, strict=True))
        return l_norm, hint_ab / AB_SCALE, mask, palette

    def _batch_images(self, index, rng):
        """The uint8 photos of batch `index`: positions of a per-pass shuffled order when
        training, the list order otherwise."""
        size, count = self.config.batch_size, self._count
        if self.steps:
            start = (self.epoch * self.steps + index) * size
        else:
            start = (self.epoch * count if self.config.training else 0) + index * size
        if not self._drop:  # the last batch of a pass may be short
            size = min(size, count - index * size)
        images = []
        for position in range(start, start + size):
            image = self._image_at(position, count)
            if image is None and self.config.training:
                for _ in range(_MAX_REPLACEMENTS):
                    image = self._image_at(int(rng.integers(count)), count, shuffled=False)
                    if image is not None:
                        break
            if image is not None:
                images.append(image)
        return images

    def _image_at(self, position, count, shuffled=True):
        item = position % count
        if shuffled and self.config.training:
            item = self._order(position // count)[item]
        if self._images is not None:
            return self._images[item]
        return self._read(self.paths[item])

    def _order(self, pass_index):
        return _permutation(self._base_seed, pass_index, self._count)

    def _crop(self, image, rng):
        size = self.config.image_size
        height, width = image.shape[:2]
        if not self.config.training:
            return _center_crop(image, size)
        top = int(rng.integers(height - size + 1))
        left = int(rng.integers(width - size + 1))
        crop = image[top : top + size, left : left + size]
        return crop[:, ::-1] if rng.random() < 0.5 else crop


@functools.lru_cache(maxsize=4)
def _permutation(seed, pass_index, count):
    """The shuffled order of one pass over `count` photos (computed once per pass, not per
    photo: every batch of the pass looks it up)."""
    return np.random.default_rng([seed, pass_index, 7]).permutation(count)


def resize_short_side(image, size):
    """Resize a uint8 `(H, W, 3)` so the shorter side is `size`, keeping the aspect ratio
    (Pillow's antialiased bilinear filter); sides never fall below `size`."""
    height, width = image.shape[:2]
    scale = size / min(height, width)
    new_h = max(size, round(height * scale))
    new_w = max(size, round(width * scale))
    if (new_h, new_w) == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))


def _center_crop(image, size):
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return image[top : top + size, left : left + size]
