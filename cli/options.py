"""Click options shared by the commands that read data, named like `DataConfig` fields."""

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
