"""The tf.data builder on image folders: shapes, ranges, skipping, determinism."""

import csv
import logging

import numpy as np
import pytest
import tensorflow as tf
from fixtures_images import EXPECTED

from kcolor.data.pipeline import (
    DataConfig,
    PipelineStats,
    build_dataset,
    is_grayscale,
    resize_short_side,
)
from kcolor.image_io import read_rgb


def _collect(ds):
    pairs = [(lum.numpy(), ab.numpy()) for lum, ab in ds]
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def test_folder_with_bad_files_is_read_to_the_end(awkward_folder, caplog):
    stats = PipelineStats()
    with caplog.at_level(logging.WARNING, logger="kcolor.data.pipeline"):
        ds = build_dataset(
            str(awkward_folder), image_size=32, batch_size=3, training=False, stats=stats
        )
        l_norm, ab_norm = _collect(ds)
    n_used = sum(v == "used" for v in EXPECTED.values())
    assert l_norm.shape == (n_used, 32, 32, 1) and ab_norm.shape == (n_used, 32, 32, 2)
    assert stats.used == n_used
    assert stats.gray == sum(v == "gray" for v in EXPECTED.values())
    bad = {name for name, v in EXPECTED.items() if v == "bad"}
    assert {str(awkward_folder / name) for name in bad} == set(stats.bad)
    for name in bad:  # each skipped file is named in the log
        assert any(name in record.getMessage() for record in caplog.records)


def test_keep_gray_passes_grayscale_photos(awkward_folder):
    stats = PipelineStats()
    ds = build_dataset(
        str(awkward_folder),
        image_size=32,
        batch_size=4,
        training=False,
        skip_gray=False,
        stats=stats,
    )
    l_norm, ab_norm = _collect(ds)
    assert stats.gray == 0
    assert l_norm.shape[0] == sum(v in ("used", "gray") for v in EXPECTED.values())


def test_min_colorfulness_skips_dull_photos(awkward_folder):
    stats = PipelineStats()
    list(
        build_dataset(
            str(awkward_folder), image_size=32, training=False, min_colorfulness=1000.0, stats=stats
        )
    )
    assert stats.used == 0 and stats.dull == sum(v == "used" for v in EXPECTED.values())


def test_batches_have_documented_shapes_and_ranges(shared_data):
    ds = build_dataset(
        str(shared_data / "set14"), image_size=64, batch_size=4, training=True, seed=0
    )
    assert ds.element_spec[0].shape.as_list() == [4, 64, 64, 1]
    assert ds.element_spec[1].shape.as_list() == [4, 64, 64, 2]
    l_norm, ab_norm = _collect(ds)
    assert l_norm.shape[0] == 12  # 14 photos, 2 grayscale, batches of 4 with drop_remainder
    assert -1.0 <= l_norm.min() and l_norm.max() <= 1.0
    assert -1.0 < ab_norm.min() and ab_norm.max() < 1.0
    assert np.abs(ab_norm).mean() > 0.02  # real color, not gray


def test_same_seed_same_batches_and_eval_is_deterministic(shared_data):
    def run(**kwargs):
        return _collect(
            build_dataset(str(shared_data / "set5"), image_size=48, batch_size=2, **kwargs)
        )

    a, b, c = run(seed=7), run(seed=7), run(seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    np.testing.assert_array_equal(run(training=False)[0], run(training=False)[0])


def test_repeat_gives_fresh_crops_each_epoch(shared_data):
    ds = build_dataset(str(shared_data / "set5"), image_size=48, batch_size=5, seed=3, repeat=True)
    epochs = [lum.numpy() for lum, _ in ds.take(2)]
    assert epochs[0].shape == (5, 48, 48, 1) and not np.array_equal(epochs[0], epochs[1])


def test_eval_center_crop_is_the_middle_of_the_resized_photo(shared_data):
    path = shared_data / "set5" / "butterfly.png"
    ds = build_dataset(str(path), image_size=64, batch_size=1, training=False)
    l_norm, _ = next(iter(ds))
    resized = tf.round(tf.clip_by_value(resize_short_side(read_rgb(path), 64), 0, 255))
    top = (resized.shape[0] - 64) // 2
    left = (resized.shape[1] - 64) // 2
    from kcolor.color.lab_ops import rgb_to_normalized_lab

    expected, _ = rgb_to_normalized_lab(resized[top : top + 64, left : left + 64] / 255.0)
    np.testing.assert_allclose(l_norm[0].numpy(), expected.numpy(), atol=1e-5)


def test_cache_and_subsets(shared_data, tmp_path):
    full = DataConfig(image_size=32, batch_size=64, training=False, cache=True)
    n_all = _collect(build_dataset(str(shared_data / "set14"), full))[0].shape[0]
    n_train = _collect(
        build_dataset(str(shared_data / "set14"), full, subset="train", val_fraction=0.3)
    )[0]
    n_val = _collect(
        build_dataset(str(shared_data / "set14"), full, subset="val", val_fraction=0.3)
    )[0]
    assert n_train.shape[0] + n_val.shape[0] == n_all == 12
    with pytest.raises(ValueError, match="subset is empty"):
        build_dataset(str(shared_data / "set14"), full, subset="val", val_fraction=0.0)


def test_gray_detection_agrees_with_the_manifest(shared_data):
    rows = list(csv.DictReader(open(shared_data / "manifest.csv", encoding="utf-8")))
    gray_rows = [r for r in rows if r["gray"] != "color"]
    color_rows = [r for r in rows if r["gray"] == "color"][::100]
    assert gray_rows and color_rows
    for row in gray_rows + color_rows:
        rgb = read_rgb(shared_data / row["set"] / row["file"], min_size=256)
        resized = tf.clip_by_value(resize_short_side(rgb, 256), 0, 255)
        assert bool(is_grayscale(resized)) == (row["gray"] != "color"), row["file"]


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        build_dataset(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="image_size"):
        DataConfig(image_size=0)
