"""`kcolor colorize`: colorize photos and folders at full resolution."""

import click

IMAGE_FORMATS = ("png", "jpg", "same")


@click.command("colorize")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder (created); folder inputs are mirrored inside it.",
)
@click.option(
    "--model",
    default="default",
    show_default=True,
    help="A run folder, .keras, SavedModel folder or .tflite file ('default': the shipped model).",
)
@click.option(
    "--backend",
    type=click.Choice(["keras", "tflite"]),
    default="keras",
    show_default=True,
    help="tflite runs the .tflite through LiteRT, as a phone does "
    "(--model must be a .tflite file).",
)
@click.option("-r", "--recursive", is_flag=True, help="Also colorize photos in subfolders.")
@click.option(
    "--size",
    default=256,
    show_default=True,
    type=click.IntRange(min=16),
    help="Long side, in pixels, of the copy the network sees (the output keeps the "
    "input's full resolution).",
)
@click.option(
    "--format",
    "out_format",
    type=click.Choice(IMAGE_FORMATS),
    default="png",
    show_default=True,
    help="Output format; 'same' keeps each input's.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing outputs (inputs never are).")
@click.option("--compare", is_flag=True, help="Write gray | colorized side by side.")
def colorize(inputs, out, model, backend, recursive, size, out_format, overwrite, compare):
    """Colorize INPUTS (photos or folders) into OUT at the photos' full resolution.

    Bad files are reported one line each and skipped; the exit code is non-zero if any failed.
    Every output is written to a temporary file and renamed, so an interrupted run leaves no
    half-written image.

    \b
    Example:
      kcolor colorize old_photos/ -o colorized/ --recursive --model runs/default-l1
    """
    from kcolor.batch import colorize_paths, plan_outputs

    if backend == "tflite" and not (str(model).endswith(".tflite") or model == "default"):
        raise click.BadParameter(
            "--backend tflite needs --model FILE.tflite or the shipped 'default'",
            param_hint="--model",
        )
    if backend == "keras" and str(model).endswith(".tflite"):
        backend = "tflite"
    try:
        jobs, problems = plan_outputs(inputs, out, recursive, out_format)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    for message in problems:
        click.echo(f"error: {message}", err=True)
    try:
        from kcolor.colorizer import Colorizer

        colorizer = Colorizer.load(model, size=size, backend=backend)
    except (FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    summary = colorize_paths(
        colorizer,
        jobs,
        overwrite=overwrite,
        compare=compare,
        out_format=out_format,
        report=lambda message: click.echo(message, err=True),
    )
    failed = summary["failed"] + len(problems)
    click.echo(
        f"{summary['written']} written, {summary['skipped']} skipped (exist; --overwrite "
        f"to replace), {failed} failed"
    )
    if failed:
        raise SystemExit(1)
