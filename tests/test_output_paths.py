"""Every command writes the way colorize does (issue 19): the output location is checked before
the work starts, files are written to a temporary name and renamed, and a location that cannot
be written is one line naming it, with no traceback and nothing half-written."""

import os
import subprocess
from pathlib import Path

import pytest
from cli_child import run_cli


def _mount_tmpfs(folder, options):
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nothing can be written in: a read-only tmpfs as root, else mode 0555."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if not _mount_tmpfs(folder, "ro,size=64k"):
        pytest.skip("root without mount: no way to make a read-only folder here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def full_folder(tmp_path):
    """A folder on a tiny tmpfs filled to the last block: writes fail with ENOSPC."""
    folder = tmp_path / "full"
    folder.mkdir()
    if os.geteuid() != 0 or not _mount_tmpfs(folder, "size=256k"):
        pytest.skip("needs root and mount for a real full disk")
    try:
        with open(folder / "filler", "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _one_line_error_naming(code, output, path):
    lines = [line for line in output.splitlines() if line.startswith("Error:")]
    assert code == 1, output
    assert len(lines) == 1 and f"cannot write to {path}" in lines[0], output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "gray", "--data", "{set5}", "--json", "{out}/scores.json"],
        ["evaluate", "gray", "--data", "{set5}", "--samples", "{out}/grids"],
        ["plot", "{run}", "-o", "{out}/losses.png"],
        ["export", "{run}", "--format", "tflite", "-o", "{out}/model.tflite"],
        ["export", "{run}", "--format", "savedmodel", "-o", "{out}/savedmodel"],
        ["color-prior", "{set5}", "-o", "{out}/prior.npz"],
        ["train", "--data", "{set5}", "--epochs", "1", "--run-dir", "{out}/run"],
    ],
    ids=lambda c: " ".join(c[:1] + [a for a in c if a.startswith("-") and a != "--data"][-1:]),
)
def test_a_read_only_output_is_refused_before_any_work(
    command, read_only_folder, shared_data, small_run
):
    values = {"set5": shared_data / "set5", "run": small_run, "out": read_only_folder}
    args = [arg.format(**values) for arg in command]
    target = next(a for a in args if str(read_only_folder) in a)
    code, output = run_cli(*args)
    _one_line_error_naming(code, output, target)
    assert "NO_TENSORFLOW" in output  # refused before the slow import, so before any work
    assert list(read_only_folder.iterdir()) == []


def test_a_file_where_a_folder_should_be_is_one_line_for_every_command(tmp_path, shared_data):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    for args in (
        ["evaluate", "gray", "--data", shared_data / "set5", "--json", blocker / "s.json"],
        ["color-prior", shared_data / "set5", "-o", blocker / "p.npz"],
        ["train", "--data", shared_data / "set5", "--run-dir", blocker / "run"],
    ):
        code, output = run_cli(*args)
        _one_line_error_naming(code, output, args[-1])
        assert "is a file, not a folder" in output


def test_evaluate_json_on_a_full_disk_prints_the_scores_first_and_leaves_no_file(
    full_folder, shared_data
):
    out = full_folder / "scores.json"
    code, output = run_cli(
        "evaluate", "gray", "--data", shared_data / "set5", "--metrics", "psnr", "--json", out
    )
    _one_line_error_naming(code, output, out)
    assert "gray" in output and "psnr" in output  # the table came out before the failed write
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler"]


def test_savedmodel_export_on_a_full_disk_leaves_no_half_folder(full_folder, small_run):
    out = full_folder / "savedmodel"
    code, output = run_cli("export", small_run, "--format", "savedmodel", "-o", out)
    _one_line_error_naming(code, output, out)
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler"]


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "gray", "--data", "{set5}", "--metrics", "psnr", "--json", "{out}/s.json"],
        ["plot", "{run}", "-o", "{out}/losses.png"],
        ["export", "{run}", "--format", "tflite", "-o", "{out}/model.tflite"],
        ["export", "{run}", "--format", "savedmodel", "-o", "{out}/savedmodel"],
        ["color-prior", "{set5}", "--limit", "3", "-o", "{out}/prior.npz"],
    ],
    ids=lambda c: " ".join(c[:1] + [a for a in c if a.startswith("-") and a != "--data"][-1:]),
)
def test_every_writer_creates_missing_parent_folders(command, tmp_path, shared_data, small_run):
    """Issue 30: one rule for every command, `-o new/folder/file` works (README's own
    `kcolor export ... -o exported/default-512.tflite` in a fresh clone failed after the work)."""
    values = {"set5": shared_data / "set5", "run": small_run, "out": tmp_path / "new" / "deeper"}
    args = [arg.format(**values) for arg in command]
    target = Path(next(a for a in args if str(values["out"]) in a))
    code, output = run_cli(*args)
    assert code == 0, output
    assert target.exists() and (target.is_dir() or target.stat().st_size > 0)
