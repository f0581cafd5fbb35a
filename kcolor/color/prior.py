"""The ab color prior of a data source: its histogram over the ab bins and the loss weights.

`kcolor.data.color_counts` counts it on photos (`kcolor color-prior DATA -o FILE`);
`kcolor train --loss classification` counts it on its training data (or reads
`--color-prior FILE`) and stores it in the run folder as
`color_prior.npz`, beside the checkpoints it weighs.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kcolor.color import ab_bins
from kcolor.fileio import atomic_write_bytes

PRIOR_FILE = "color_prior.npz"


@dataclass(frozen=True)
class ColorPrior:
    """Bins, raw pixel counts per bin and the smoothed prior; `weights(mix)` derives the loss
    weights. The file holds no weights: they depend on the run's `rebalance_mix`, so storing
    one mix's weights beside a run trained at another would mislead.

    Attributes:
        centers: `(Q, 2)` bin centers in Lab units.
        counts: `(Q,)` pixels whose nearest bin is each center.
        prior: `(Q,)` smoothed probabilities (`ab_bins.smoothed_prior`).
        images: photos counted.
    """

    centers: np.ndarray
    counts: np.ndarray
    prior: np.ndarray
    images: int

    @classmethod
    def from_counts(cls, centers, counts, images):
        return cls(
            np.asarray(centers, np.float32),
            np.asarray(counts, np.int64),
            ab_bins.smoothed_prior(counts, centers),
            int(images),
        )

    def weights(self, mix=ab_bins.PRIOR_MIX):
        """`(Q,)` loss weights at rebalancing `mix` (`ab_bins.rebalancing_weights`), mean 1
        under the prior."""
        return ab_bins.rebalancing_weights(self.prior, mix=mix)

    def save(self, path):
        """Write an `.npz` atomically (a kill never leaves half a file)."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            centers=self.centers,
            counts=self.counts,
            prior=self.prior,
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
                    int(data["images"]),
                )
        except (OSError, ValueError, KeyError) as err:
            raise ValueError(f"{path}: not a kcolor color prior ({err})") from None
