"""Shared fixtures: where ../shared/data lives, and a folder of awkward image files."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir():
    """../shared/data next to the repo, or $KCOLOR_SHARED_DATA."""
    return Path(os.environ.get("KCOLOR_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if not (path / "manifest.csv").is_file():
        pytest.skip(f"real photos not found at {path} (set KCOLOR_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def awkward_folder(tmp_path_factory, shared_data):
    """A folder with real photos plus every kind of file users throw at kcolor."""
    from fixtures_images import make_awkward_folder

    return make_awkward_folder(tmp_path_factory.mktemp("awkward"), shared_data)


@pytest.fixture(scope="session")
def small_run(shared_data, tmp_path_factory):
    """A run folder of a small default-architecture generator trained for a few steps, so its
    outputs are not trivial (shared by the evaluation, plot, colorize and export tests)."""
    from click.testing import CliRunner
    from kcolor.cli.main import main

    run = tmp_path_factory.mktemp("runs") / "small"
    args = [
        "train",
        "--data",
        str(shared_data / "set14"),
        "--image-size",
        "64",
        "--batch-size",
        "4",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "5",
        "--lr",
        "0.01",
        "--run-dir",
        str(run),
        "--seed",
        "0",
        "--set",
        "model.filters=[8,16,32]",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return run
