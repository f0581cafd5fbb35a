"""`kcolor color-prior`: count a data source's ab colors into class weights for training."""

import click


@click.command("color-prior")
@click.argument("source")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The .npz file to write (bins, counts, smoothed prior; training derives the weights "
    "at its rebalance_mix).",
)
@click.option("--limit", type=click.IntRange(min=1), help="Count at most this many photos.")
@click.option(
    "--subset",
    default="all",
    show_default=True,
    type=click.Choice(["all", "train", "val"]),
    help="For folders and lists: all files, or one side of the split by path hash "
    "(training uses 'train' when it splits off its own validation photos).",
)
@click.option(
    "--tfds-data-dir",
    type=click.Path(file_okay=False),
    help="Where TensorFlow Datasets keeps prepared datasets.",
)
def color_prior(source, output, limit, subset, tfds_data_dir):
    """Count the ab colors of SOURCE and write the class weights of `--loss classification`.

    Every pixel (photos center-cropped at 64 px) is counted in its nearest ab bin (262 bins of
    10 Lab units that hold sRGB colors); the histogram is smoothed (Gaussian, sigma 5), mixed
    half and half with uniform, and inverted into weights with mean 1 over the photos' pixels
    (Zhang et al. 2016). Pass the file to `kcolor train --color-prior`.

    \b
    Example:
      kcolor color-prior photos/ -o prior.npz
      kcolor train --loss classification --data photos/ --color-prior prior.npz
    """
    from kcolor.cli.options import require_source, require_writable_file, write_errors_in_one_line

    require_source("SOURCE", source)
    require_writable_file(output)
    from kcolor.quiet import import_tensorflow

    import_tensorflow()
    import numpy as np

    from kcolor.data.color_counts import compute_color_prior

    try:
        prior = compute_color_prior(source, subset=subset, limit=limit, tfds_data_dir=tfds_data_dir)
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    with write_errors_in_one_line(output):
        prior.save(output)
    from kcolor.color.ab_bins import PRIOR_MIX

    weights = prior.weights(PRIOR_MIX)
    used = int(np.count_nonzero(prior.counts))
    click.echo(
        f"counted {prior.images} photos: {used} of {len(prior.centers)} ab bins occur; "
        f"weights at mix {PRIOR_MIX} (training's default rebalance_mix) {weights.min():.2f} to "
        f"{weights.max():.2f}; wrote {output}"
    )
