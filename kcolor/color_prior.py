"""The ab color prior of a data source: its histogram over the ab bins and the loss weights.

`kcolor color-prior DATA -o FILE` computes it; `kcolor train --loss classification` computes it
from its training data (or reads `--color-prior FILE`) and stores it in the run folder as
`color_prior.npz`, beside the checkpoints it weighs.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kcolor import ab_bins
from kcolor.fileio import atomic_write_bytes

PRIOR_FILE = "color_prior.npz"

# The prior is a histogram of colors, not of detail: small images give the same counts.
PRIOR_IMAGE_SIZE = 64


@dataclass(frozen=True)
class ColorPrior:
    """Bins, raw pixel counts per bin, the smoothed prior and the rebalancing weights.

    Attributes:
        centers: `(Q, 2)` bin centers in Lab units.
        counts: `(Q,)` pixels whose nearest bin is each center.
        prior: `(Q,)` smoothed probabilities (`ab_bins.smoothed_prior`).
        weights: `(Q,)` loss weights (`ab_bins.rebalancing_weights`), mean 1 under `prior`.
        images: photos counted.
    """

    centers: np.ndarray
    counts: np.ndarray
    prior: np.ndarray
    weights: np.ndarray
    images: int

    @classmethod
    def from_counts(cls, centers, counts, images):
        prior = ab_bins.smoothed_prior(counts, centers)
        weights = ab_bins.rebalancing_weights(prior)
        return cls(
            np.asarray(centers, np.float32),
            np.asarray(counts, np.int64),
            prior,
            weights,
            int(images),
        )

    def save(self, path):
        """Write an `.npz` atomically (a kill never leaves half a file)."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            centers=self.centers,
            counts=self.counts,
            prior=self.prior,
            weights=self.weights,
            images=self.images,
        )
        atomic_write_bytes(Path(path), buffer.getvalue())

    @classmethod
    def load(cls, path):
        """Read a file written by `save`, with a one-line error for anything else."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such color prior file")
        try:
            with np.load(path) as data:
                return cls(
                    data["centers"],
                    data["counts"],
                    data["prior"],
                    data["weights"],
                    int(data["images"]),
                )
        except (OSError, ValueError, KeyError) as err:
            raise ValueError(f"{path}: not a kcolor color prior ({err})") from None


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

    from kcolor.data_config import DataConfig
    from kcolor.lab_scale import AB_SCALE
    from kcolor.pipeline_stats import PipelineStats

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
        from kcolor.data import build_dataset

        for _, ab_norm in build_dataset(data, config, stats=stats):
            yield ab_norm.numpy()
        return
    from kcolor.photo_batches import PhotoBatches

    batches = PhotoBatches(data, config, stats=stats)
    for index in range(len(batches)):
        yield batches[index][1]
