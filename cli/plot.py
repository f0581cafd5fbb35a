"""`kcolor plot`: loss curves of run folders, or bar charts of evaluation results."""

import click


@click.command("plot")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--metrics",
    "metrics_mode",
    is_flag=True,
    help="INPUTS are `kcolor evaluate --json` files: draw a bar chart per metric.",
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
    """
    from kcolor.evaluation.plots import plot_histories, plot_metrics

    try:
        (plot_metrics if metrics_mode else plot_histories)(list(inputs), out)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"wrote {out}")
