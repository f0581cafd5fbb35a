"""`kcolor plot`: loss curves of run folders, or bar charts of evaluation results."""

import click


@click.command("plot")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--metrics",
    "metrics_mode",
    is_flag=True,
    help="INPUTS are `kcolor evaluate --json` files: draw a bar chart per metric (for "
    "--hints sweeps: PSNR against the number of color points, beside Zhang et al. 2017's).",
)
@click.option(
    "-o",
    "--out",
    default="plot.png",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="PNG file to write.",
)
def plot(inputs, metrics_mode, out):
    """Plot training curves of run folders, or (--metrics) evaluation results.

    \b
    Examples:
      kcolor plot runs/unet-mse runs/unet-l1 runs/unet-huber -o losses.png
      kcolor plot --metrics eval-standard.json -o metrics.png
      kcolor plot --metrics sweep-coco.json -o sweep.png
    """
    from kcolor.cli.options import require_writable_file, write_errors_in_one_line

    require_writable_file(out)
    from kcolor.evaluation.plots import history_figure, metrics_figure, png_bytes
    from kcolor.fileio import atomic_write_bytes

    try:
        figure = (metrics_figure if metrics_mode else history_figure)(list(inputs))
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise click.ClickException(str(err)) from None
    with write_errors_in_one_line(out):
        atomic_write_bytes(out, png_bytes(figure))
    click.echo(f"wrote {out}")
