"""Source strings, folder and list discovery, and the hash split."""

import pytest

from kcolor.data.sources import FileSource, TFDSSource, hash_fraction, parse_source, split_relpaths


def test_tfds_source_strings():
    assert parse_source("tfds:coco/2017") == TFDSSource("coco/2017", "train")
    assert parse_source("tfds:coco/2017:validation") == TFDSSource("coco/2017", "validation")
    assert parse_source("tfds:coco/2017:train[:10%]") == TFDSSource("coco/2017", "train[:10%]")
    with pytest.raises(ValueError):
        parse_source("tfds:")


def test_folder_is_searched_recursively_and_skips_hidden_and_non_images(awkward_folder):
    source = parse_source(str(awkward_folder))
    assert isinstance(source, FileSource)
    assert "good/nested/photo_c.jpg" in source.relpaths
    assert ".hidden.jpg" not in source.relpaths and "notes.txt" not in source.relpaths
    assert list(source.relpaths) == sorted(source.relpaths)


def test_list_file_paths_are_relative_to_the_list(tmp_path, awkward_folder):
    listing = awkward_folder / "list.txt"
    listing.write_text("# two photos\ngood/photo_a.jpg\n\ngood/photo_b.png\n")
    source = parse_source(str(listing))
    assert source.relpaths == ("good/photo_a.jpg", "good/photo_b.png")
    assert all(p.startswith(str(awkward_folder)) for p in source.paths)


def test_clear_errors_for_missing_empty_and_wrong_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        parse_source(str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no image files"):
        parse_source(str(tmp_path / "empty"))
    (tmp_path / "list.txt").write_text("missing.jpg\n")
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        parse_source(str(tmp_path / "list.txt"))
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="not a folder"):
        parse_source(str(tmp_path / "data.csv"))


def test_split_is_a_partition_stable_and_independent_of_other_files():
    relpaths = [f"folder_{i % 7}/img_{i:05d}.jpg" for i in range(4000)]
    train = split_relpaths(relpaths, "train", 0.1)
    val = split_relpaths(relpaths, "val", 0.1)
    assert set(train).isdisjoint(val) and set(train) | set(val) == set(relpaths)
    assert 300 < len(val) < 500  # ~10% of 4000
    # Same answer in another order and with half of the other files gone.
    subset = relpaths[::2]
    assert set(split_relpaths(subset[::-1], "val", 0.1)) == set(val) & set(subset)
    assert split_relpaths(relpaths, "all", 0.1) == tuple(relpaths)


def test_hash_fraction_is_fixed_across_machines():
    # Pinned values: a change of rule would silently move files between train and val.
    assert hash_fraction("train/cat.jpg") == 0.913680177794912
    assert hash_fraction("photos/2019/IMG_0001.JPG") == 0.31658829254756454
