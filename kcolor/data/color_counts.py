"""Count the ab colors of a data source into a `ColorPrior` (the class loss's weights).

Lives with the data pipelines because it reads photos through them; the prior itself (bins,
smoothing, weights, file format) is `kcolor.color.prior`.
"""

import numpy as np

from kcolor.color import ab_bins
from kcolor.color.lab_scale import AB_SCALE
from kcolor.color.prior import ColorPrior
from kcolor.data.config import DataConfig
from kcolor.data.stats import PipelineStats

# The prior is a histogram of colors, not of detail: small images give the same counts.
PRIOR_IMAGE_SIZE = 64


def compute_color_prior(
    data,
    *,
    subset="all",
    val_fraction=0.05,
    limit=None,
    image_size=PRIOR_IMAGE_SIZE,
    tfds_data_dir=None,
    progress=True,
):
    """Count the ab bins of every pixel of `data` (center crops at `image_size` px).

    Args:
        data: a data source string (a folder, a .txt list or tfds:NAME[:SPLIT]).
        subset, val_fraction: for file sources, count only the training split, as training does.
        limit: count at most this many photos.

    Returns:
        ColorPrior.
    """
    from tqdm.auto import tqdm

    stats = PipelineStats()
    config = DataConfig(
        image_size=image_size,
        batch_size=64,
        training=False,
        subset=subset,
        val_fraction=val_fraction,
        tfds_data_dir=tfds_data_dir,
    )
    dataset = _ab_batches(data, config, stats)
    centers = ab_bins.in_gamut_bins()
    counts = np.zeros(len(centers), np.int64)
    images = 0
    bar = tqdm(total=limit, unit="img", disable=None if progress else True, desc="counting colors")
    for ab in dataset:
        if limit is not None:
            ab = ab[: limit - images]
        nearest = ab_bins.nearest_bin(ab.reshape(-1, 2) * AB_SCALE, centers)
        counts += np.bincount(nearest, minlength=len(centers))
        images += len(ab)
        bar.update(len(ab))
        if limit is not None and images >= limit:
            break
    bar.close()
    if images == 0:
        raise ValueError(f"no usable images in {data} ({stats.summary()})")
    return ColorPrior.from_counts(centers, counts, images)


def _ab_batches(data, config, stats):
    """Normalized ab batches as NumPy: through tf.data under the TensorFlow backend (TFDS
    sources too), through `PhotoBatches` (no TensorFlow) under the others."""
    import keras

    if keras.backend.backend() == "tensorflow":
        from kcolor.data.pipeline import build_dataset

        for _, ab_norm in build_dataset(data, config, stats=stats):
            yield ab_norm.numpy()
        return
    from kcolor.data.photo_batches import PhotoBatches

    batches = PhotoBatches(data, config, stats=stats)
    for index in range(len(batches)):
        yield batches[index][1]
