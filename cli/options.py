"""Click options and checks shared by the commands: data options named like `DataConfig` fields,
and the output and input checks every command makes before its work starts."""

import contextlib
import functools

import click


def data_options(command):
    """Add the data pipeline options; they arrive as keyword arguments for DataConfig."""
    options = [
        click.option(
            "--image-size",
            default=256,
            show_default=True,
            type=click.IntRange(min=8),
            help="Side of the square crops, in pixels.",
        ),
        click.option(
            "--batch-size",
            default=16,
            show_default=True,
            type=click.IntRange(min=1),
            help="Images per batch.",
        ),
        click.option(
            "--subset",
            default="all",
            show_default=True,
            type=click.Choice(["all", "train", "val"]),
            help="For folders: all files, or one side of the split by path hash.",
        ),
        click.option(
            "--val-fraction",
            default=0.05,
            show_default=True,
            type=click.FloatRange(0.0, 1.0),
            help="Share of a folder's files in --subset val.",
        ),
        click.option("--seed", type=int, help="Make shuffling, crops and flips reproducible."),
        click.option(
            "--skip-gray/--keep-gray",
            default=True,
            show_default=True,
            help="Skip grayscale photos (they have no color to learn).",
        ),
        click.option(
            "--min-colorfulness",
            default=0.0,
            show_default=True,
            type=click.FloatRange(min=0),
            help="Also skip near-gray photos below this Hasler-Suesstrunk colorfulness (0: off).",
        ),
        click.option(
            "--tfds-data-dir",
            type=click.Path(file_okay=False),
            help="Where TensorFlow Datasets keeps prepared datasets.",
        ),
    ]
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


def require_writable_file(path):
    """Fail now, in one line, when the file PATH could not be written (before any work)."""
    from kcolor.fileio import check_output_file

    try:
        check_output_file(path)
    except OSError as err:
        raise click.ClickException(str(err)) from None


def require_writable_folder(path):
    """Fail now, in one line, when files could not be written in the folder PATH."""
    from kcolor.fileio import check_writable

    try:
        check_writable(path, create=False)
    except OSError as err:
        raise click.ClickException(str(err)) from None


@contextlib.contextmanager
def write_errors_in_one_line(path):
    """Turn an OSError while writing PATH (disk full, removed folder) into a one-line error."""
    from kcolor.fileio import write_error

    try:
        yield
    except OSError as err:
        raise click.ClickException(write_error(path, err)) from None


def require_source(option, value):
    """A data source that names a local path must exist (tfds: names are checked later)."""
    from pathlib import Path

    if value and not str(value).startswith("tfds:") and not Path(value).exists():
        raise click.BadParameter(f"{value}: no such file or folder", param_hint=option)


def require_model(value, option="MODEL", extra=("gray",)):
    """A model argument is a shipped name, one of `extra`, or a path that exists."""
    from pathlib import Path

    from kcolor.shipped import SHIPPED_NAMES

    if value in (*SHIPPED_NAMES, *extra) or Path(value).exists():
        return
    names = " or ".join(f"'{name}'" for name in (*SHIPPED_NAMES, *extra))
    raise click.BadParameter(
        f"{value}: no such run folder or model file (or {names})", param_hint=option
    )
