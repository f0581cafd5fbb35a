"""PhotoBatches (Pillow + NumPy, for JAX and PyTorch) against the tf.data pipeline."""

import numpy as np
import pytest
from fixtures_images import EXPECTED

from kcolor.data.config import DataConfig
from kcolor.data.photo_batches import PhotoBatches
from kcolor.data.pipeline import build_dataset
from kcolor.data.stats import PipelineStats


@pytest.mark.parametrize("cache", [False, True])
def test_same_files_skipped_and_counted_as_tf_data(awkward_folder, cache):
    config = DataConfig(image_size=32, batch_size=3, training=False, cache=cache)
    stats = PipelineStats()
    batches = PhotoBatches(str(awkward_folder), config, stats=stats)
    pairs = [batches[i] for i in range(len(batches))]
    l_norm = np.concatenate([p[0] for p in pairs if len(p[0])])
    n_used = sum(v == "used" for v in EXPECTED.values())
    assert l_norm.shape == (n_used, 32, 32, 1)
    assert stats.used == n_used
    assert stats.gray == sum(v == "gray" for v in EXPECTED.values())
    bad = {str(awkward_folder / name) for name, v in EXPECTED.items() if v == "bad"}
    assert set(stats.bad) == bad


def test_center_crops_match_tf_data_up_to_the_resize_filter(shared_data):
    """Same photos, same order, same crop and Lab math: only Pillow's and tf.image's bilinear
    filters differ (under one 8-bit level on average)."""
    config = DataConfig(image_size=64, batch_size=4, training=False)
    tf_l, tf_ab = next(iter(build_dataset(str(shared_data / "set14"), config)))
    np_l, np_ab = PhotoBatches(str(shared_data / "set14"), config)[0]
    assert np_l.shape == tuple(tf_l.shape) and np_ab.shape == tuple(tf_ab.shape)
    assert np_l.dtype == np.float32 and np_ab.dtype == np.float32
    assert np.abs(np_l - tf_l.numpy()).mean() * 50 < 1.0  # L units
    assert np.abs(np_ab - tf_ab.numpy()).mean() * 110 < 1.0  # ab units


def test_training_batches_are_full_reproducible_and_shuffled(awkward_folder):
    config = DataConfig(image_size=32, batch_size=4, training=True, seed=3, repeat=True)
    first = PhotoBatches(str(awkward_folder), config, steps=5)
    again = PhotoBatches(str(awkward_folder), config, steps=5)
    for index in range(5):
        l_norm, ab_norm = first[index]
        assert l_norm.shape == (4, 32, 32, 1) and ab_norm.shape == (4, 32, 32, 2)
        np.testing.assert_array_equal(l_norm, again[index][0])
    epoch_one = first[0][0]
    first.on_epoch_end()
    assert not np.array_equal(first[0][0], epoch_one)  # a new epoch draws new crops
    assert len(first) == 5
