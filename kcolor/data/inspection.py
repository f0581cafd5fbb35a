"""Summaries of what a `(L, ab)` dataset yields: counts, shapes and value ranges."""

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm


@dataclass
class DatasetReport:
    """What one pass over a dataset produced."""

    n_batches: int = 0
    n_images: int = 0
    l_shape: tuple = ()
    ab_shape: tuple = ()
    l_min: float = np.inf
    l_max: float = -np.inf
    ab_min: float = np.inf
    ab_max: float = -np.inf

    def __str__(self):
        if not self.n_images:
            return "0 images"
        return (
            f"{self.n_images} images in {self.n_batches} batches; "
            f"L batch {self.l_shape} in [{self.l_min:.3f}, {self.l_max:.3f}], "
            f"ab batch {self.ab_shape} in [{self.ab_min:.3f}, {self.ab_max:.3f}] (normalized)"
        )


def summarize_batches(dataset, limit=None, progress=True):
    """Iterate `(l_norm, ab_norm)` batches once (at most `limit` of them) and report."""
    report = DatasetReport()
    batches = dataset.take(limit) if limit else dataset
    for l_norm, ab_norm in tqdm(
        batches, total=limit, unit="batch", disable=None if progress else True
    ):
        l_np, ab_np = l_norm.numpy(), ab_norm.numpy()
        report.n_batches += 1
        report.n_images += l_np.shape[0]
        report.l_shape, report.ab_shape = l_np.shape, ab_np.shape
        report.l_min = min(report.l_min, float(l_np.min()))
        report.l_max = max(report.l_max, float(l_np.max()))
        report.ab_min = min(report.ab_min, float(ab_np.min()))
        report.ab_max = max(report.ab_max, float(ab_np.max()))
    return report
