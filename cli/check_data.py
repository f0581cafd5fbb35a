"""`kcolor check-data`: read a data source once, the way training reads it, and report."""

import click
from kcolor.cli.options import data_options


@click.command("check-data")
@click.argument("source")
@data_options
@click.option(
    "--eval/--train",
    "evaluation",
    default=False,
    help="Read as evaluation does (center crop) or as training does (random crop and flip).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many batches.")
def check_data(source, evaluation, limit, **data_kwargs):
    """Read SOURCE through the data pipeline and report what training would see.

    SOURCE is a folder of images (searched recursively), a .txt list of image paths, or
    tfds:NAME[:SPLIT] (for example tfds:coco/2017). Unreadable files are named on stderr and
    skipped; grayscale photos are counted and skipped unless --keep-gray is given.
    """
    from kcolor.quiet import import_tensorflow

    import_tensorflow()
    from kcolor.data.inspection import summarize_batches
    from kcolor.data.pipeline import DataConfig, PipelineStats, build_dataset

    # Checking must not start a download of every split (COCO: ~25 GB, minutes of retries
    # offline): an unprepared TFDS dataset is a one-line error saying how to prepare it.
    config = DataConfig(training=not evaluation, tfds_download=False, **data_kwargs)
    stats = PipelineStats(log_bad=False)  # listed once, sorted, after the report
    try:
        dataset = build_dataset(source, config, stats=stats)
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    report = summarize_batches(dataset, limit=limit)
    click.echo(report)
    click.echo(stats.summary())
    dropped = stats.used - report.n_images
    drops = config.training if config.drop_remainder is None else config.drop_remainder
    if drops and not limit and 0 < dropped < config.batch_size:
        click.echo(
            f"{dropped} of the {stats.used} images used fill no whole batch of "
            f"{config.batch_size}: training drops that last partial batch each epoch "
            "(--eval keeps it)"
        )
    for name, reason in sorted(stats.bad.items()):
        click.echo(f"unreadable: {name}: {reason}", err=True)
    if report.n_images == 0:
        raise click.ClickException("no usable images in this source")
