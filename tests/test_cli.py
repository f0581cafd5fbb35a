"""The kcolor command line: help, version, laziness, and check-data."""

import functools
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from kcolor.cli.main import SUBCOMMANDS, main

REPO_ROOT = Path(__file__).resolve().parents[1]


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
    # Training mode drops the last partial batch: the counts must say so, not just differ.
    result = CliRunner().invoke(
        main, ["check-data", str(awkward_folder), "--image-size", "32", "--batch-size", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "8 images in 2 batches" in result.output and "11 images used" in result.output
    assert "3 of the 11 images used fill no whole batch of 4" in result.output


def test_check_data_names_each_unreadable_file_once(awkward_folder):
    """Issue 30, item 11: the pipeline's own warning and the final list named each twice."""
    from cli_child import run_cli

    code, output = run_cli("check-data", awkward_folder, "--image-size", "32", "--eval")
    assert code == 0, output
    named = [line for line in output.splitlines() if "truncated.jpg" in line]
    assert len(named) == 1 and named[0].startswith("unreadable: "), output


def test_check_data_missing_path_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["check-data", str(tmp_path / "nope")])
    assert result.exit_code != 0
    assert "no such file or folder" in result.output


def test_every_repo_path_in_help_texts_and_docs_exists():
    """A help text or README example that names a file of this repository names one that
    exists (`configs/unet-l1.yaml` did not)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    texts = {
        f"kcolor {name} --help": CliRunner().invoke(main, [name, "--help"]).output
        for name in SUBCOMMANDS
    }
    texts.update(
        {
            str(p.relative_to(root)): p.read_text()
            for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))]
        }
    )
    pattern = re.compile(
        r"(?<![\w./-])((?:configs|examples|tools|bench|docs|savedmodels|tflite)/[\w./{}$*,-]*\w)"
    )
    missing = [
        f"{where}: {path}"
        for where, text in texts.items()
        for path in pattern.findall(text)
        if not any(c in path for c in "{$*") and not (root / path).exists()  # not templates
    ]
    assert not missing, missing


def test_plain_colorize_prints_only_its_own_lines(shared_data, tmp_path):
    """No oneDNN, CPU-feature, absl, LiteRT delegate or deprecation lines without -v."""
    import shutil

    shutil.copy(shared_data / "kodak24" / "kodim05.png", tmp_path / "photo.png")
    out = tmp_path / "out"
    for backend in ("keras", "tflite"):
        done = subprocess.run(
            [sys.executable, "-m", "kcolor.cli.main", "colorize", str(tmp_path / "photo.png")]
            + ["-o", str(out / backend), "--backend", backend],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        lines = (done.stdout + done.stderr).strip().splitlines()
        assert lines == [f"1 written to {out / backend}, 0 failed"], lines


def test_the_python_api_prints_no_tensorflow_start_up_lines(shared_data, tmp_path):
    """Issue 30, item 12: `kcolor.data.build_dataset` from Python, like the CLI, shows no
    oneDNN / CPU-feature / absl lines (a user's own TF_CPP_MIN_LOG_LEVEL still wins)."""
    import os

    code = (
        "from kcolor.data.pipeline import build_dataset;"
        f"ds = build_dataset({str(shared_data / 'set5')!r}, image_size=64, batch_size=2,"
        " training=False);"
        "print(sum(1 for _ in ds))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KCOLOR_QUIET")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3" and done.stderr == "", done.stderr
    loud = subprocess.run(
        [sys.executable, "-c", "import kcolor, tensorflow"],
        capture_output=True,
        text=True,
        env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"},
    )
    assert "cpu_feature_guard" in loud.stderr  # the user's choice is kept


def test_colorize_without_out_writes_into_colorized_here(shared_data, tmp_path):
    """Issue 30, item 8: `kcolor colorize photo.jpg` needs no -o (default `colorized/` in the
    current folder), and still never writes over an input."""
    import shutil

    shutil.copy(shared_data / "kodak24" / "kodim05.png", tmp_path / "photo.png")
    run = functools.partial(
        subprocess.run, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    done = run([sys.executable, "-m", "kcolor.cli.main", "colorize", "photo.png"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1 written to colorized, 0 failed"
    assert (tmp_path / "colorized" / "photo.png").is_file()
    again = run([sys.executable, "-m", "kcolor.cli.main", "colorize", "colorized/photo.png"])
    assert again.returncode == 1 and "would overwrite an input" in again.stderr


def test_colorize_with_the_tflite_path_imports_neither_tensorflow_nor_keras(shared_data, tmp_path):
    """The shipped model's default path (auto) and --backend tflite run on NumPy and LiteRT."""
    photo = shared_data / "kodak24" / "kodim05.png"
    code = (
        "import sys; from click.testing import CliRunner; from kcolor.cli.main import main;"
        "from kcolor import Colorizer;"
        f"a = CliRunner().invoke(main, ['colorize', {str(photo)!r}, '-o', 'auto']);"
        f"b = CliRunner().invoke(main, ['colorize', {str(photo)!r}, '-o', 'lite', "
        "'--backend', 'tflite']);"
        "assert a.exit_code == 0 and b.exit_code == 0, (a.output, b.output);"
        f"Colorizer.load('default').colorize({str(photo)!r});"
        "print(sorted(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "auto" / "kodim05.png").is_file()
    assert (tmp_path / "lite" / "kodim05.png").is_file()


def test_the_readme_main_command_output_is_ignored_by_git():
    """Issue 19, item 11: `kcolor colorize examples/ -o colorized/` leaves nothing to commit."""
    from pathlib import Path

    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().splitlines()
    assert "colorized/" in ignored


def test_the_readme_first_screen_holds_what_it_does_the_command_and_a_picture():
    """Issue 30, item 6: a person with a shoebox of photos reads what kcolor does, the one
    command and a before/after picture before any metric."""
    readme = (REPO_ROOT / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:25])
    main_command = "pip install . && kcolor colorize examples/ -o colorized/"
    assert main_command in first_screen
    assert "![" in first_screen and "Before" in first_screen
    assert "PSNR" not in first_screen and "dB" not in first_screen  # figures come later
    test_command = readme.split("<!-- ci:test-command -->", 1)[1]
    assert "chromium" in test_command.split("##", 1)[0].lower()  # what the browser tests need


def test_the_readme_export_examples_write_outside_the_shipped_models():
    """Issue 19, item 6: an example exporting into savedmodels/default could never succeed."""
    import re
    import shlex

    readme = (REPO_ROOT / "README.md").read_text()
    lines = [line for line in readme.splitlines() if line.startswith("kcolor export ")]
    assert len(lines) >= 3
    for line in lines:
        args = shlex.split(line)
        out = Path(args[args.index("-o") + 1])
        assert out.parts[0] not in ("savedmodels", "tflite"), line
        assert not (REPO_ROOT / out).exists(), line  # exists only after the user runs it
        assert re.match(r"kcolor export (runs/\S+|default) ", line)
