"""The TFDS path, offline: tfds.testing.mock_data replaces downloads with generated examples."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from kcolor.data.pipeline import build_dataset


@pytest.fixture
def mock_tfds():
    with tfds.testing.mock_data(num_examples=6):
        yield


def test_coco_2017_train_yields_lab_batches(mock_tfds, tmp_path):
    ds = build_dataset(
        "tfds:coco/2017", image_size=32, batch_size=3, seed=0, tfds_data_dir=str(tmp_path)
    )
    batches = [(lum.numpy(), ab.numpy()) for lum, ab in ds]
    assert len(batches) == 2
    l_norm, ab_norm = batches[0]
    assert l_norm.shape == (3, 32, 32, 1) and ab_norm.shape == (3, 32, 32, 2)
    assert -1 <= l_norm.min() and l_norm.max() <= 1 and np.abs(ab_norm).max() < 1


def test_explicit_split_and_grayscale_dataset(mock_tfds, tmp_path):
    val = build_dataset(
        "tfds:coco/2017:validation",
        image_size=16,
        batch_size=2,
        training=False,
        tfds_data_dir=str(tmp_path),
    )
    assert sum(lum.shape[0] for lum, _ in val) == 6
    # mnist images are single-channel: they are expanded to RGB, then skipped as grayscale
    # unless skip_gray is off.
    kept = build_dataset(
        "tfds:mnist",
        image_size=16,
        batch_size=2,
        training=False,
        skip_gray=False,
        tfds_data_dir=str(tmp_path),
    )
    assert sum(lum.shape[0] for lum, _ in kept) == 6
    skipped = build_dataset(
        "tfds:mnist", image_size=16, batch_size=2, training=False, tfds_data_dir=str(tmp_path)
    )
    assert sum(lum.shape[0] for lum, _ in skipped) == 0


def test_unknown_name_and_folder_options_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown TFDS dataset 'no_such_dataset'"):
        build_dataset("tfds:no_such_dataset", tfds_data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no image feature"):
        build_dataset("tfds:imdb_reviews", tfds_data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="tfds:coco/2017:validation"):
        build_dataset("tfds:coco/2017", subset="val", tfds_data_dir=str(tmp_path))


def test_unprepared_dataset_fails_at_once_when_downloads_are_off(tmp_path):
    import time

    from click.testing import CliRunner
    from kcolor.cli.main import main

    start = time.monotonic()
    with pytest.raises(ValueError, match="tfds build coco/2017"):
        build_dataset("tfds:coco/2017:validation", tfds_data_dir=str(tmp_path), tfds_download=False)
    args = ["check-data", "tfds:coco/2017:validation", "--tfds-data-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "is not prepared in" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert time.monotonic() - start < 60  # no network retries
