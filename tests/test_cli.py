"""The kcolor command line: help, version, laziness, and check-data."""

import subprocess
import sys

from click.testing import CliRunner
from kcolor.cli.main import SUBCOMMANDS, main


def test_help_and_version_do_not_import_tensorflow(tmp_path):
    code = (
        "import sys; from click.testing import CliRunner; from kcolor.cli.main import main;"
        "r1 = CliRunner().invoke(main, ['--help']); r2 = CliRunner().invoke(main, ['--version']);"
        "assert r1.exit_code == 0 and r2.exit_code == 0, (r1.output, r2.output);"
        "print(r2.output.strip()); print('tensorflow' in sys.modules)"
    )
    # cwd outside the repo: `python -c` puts cwd first on sys.path; the repo's kcolor/ has no cli.
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    version_line, tf_loaded = out.stdout.strip().splitlines()
    assert version_line.startswith("kcolor, version ")
    assert tf_loaded == "False"


def test_every_command_has_help():
    runner = CliRunner()
    for name in SUBCOMMANDS:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: main " in result.output or f"{name} [OPTIONS]" in result.output


def test_check_data_reports_counts_and_names_bad_files(awkward_folder):
    result = CliRunner().invoke(
        main,
        ["check-data", str(awkward_folder), "--image-size", "32", "--batch-size", "4", "--eval"],
    )
    assert result.exit_code == 0, result.output
    assert "11 images" in result.output
    assert "2 grayscale skipped" in result.output and "3 unreadable skipped" in result.output
    assert "truncated.jpg" in result.output


def test_check_data_missing_path_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["check-data", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "no such file or folder" in result.output
