"""`kcolor colorize`: colorize photos and folders at full resolution."""

import click

from kcolor.names import VIDEO_NETWORK_EVERY

IMAGE_FORMATS = ("png", "jpg", "same", "mp4")


@click.command("colorize")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--out",
    default="colorized",
    show_default=True,
    type=click.Path(),
    help="Output folder (created; never the inputs' own folder); folder inputs are mirrored "
    "inside it. With one input file, an -o ending in an image extension (photo-color.png) is "
    "the output file itself.",
)
@click.option(
    "--model",
    default="default",
    show_default=True,
    help="A run folder, .keras, SavedModel folder or .tflite file ('default': the shipped model).",
)
@click.option(
    "--backend",
    type=click.Choice(["auto", "keras", "tflite"]),
    default="auto",
    show_default=True,
    help="auto: the shipped model runs as its fp32 .tflite in LiteRT (fastest; same colors as "
    "its SavedModel, no TensorFlow import), other models as their format says. keras: the "
    "SavedModel / .keras through TensorFlow. tflite: LiteRT, as a phone does (--model 'default' "
    "or a .tflite file).",
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
    help="Output format of photos; 'same' keeps each input's. png is lossless (fast: the "
    "'Up' filter, deflate on every core); jpg is quality 95 with EXIF and ICC kept, about a "
    "fifth of the size. Videos keep their container (mp4, mov, mkv, avi, webm) unless 'mp4' "
    "(then photos are PNG).",
)
@click.option(
    "--temporal",
    type=click.Choice(["flow", "blend", "off"]),
    default="flow",
    show_default=True,
    help="Videos: steady colors from frame to frame. flow: blend each frame's colors with the "
    "previous ones moved along the motion; blend: the same without motion; off: each frame "
    "alone. Lightness is never touched.",
)
@click.option(
    "--network-every",
    type=click.IntRange(min=1),
    default=VIDEO_NETWORK_EVERY,
    show_default=True,
    help="Videos: run the network on every Nth frame; the frames between take the previous "
    "colors moved along the motion (--temporal flow or blend), and a scene cut always gets the "
    "network. 1: every frame.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing outputs (inputs never are).")
@click.option(
    "--compare",
    is_flag=True,
    help="Photos: also write gray | colorized side by side as NAME-compare.png, beside the "
    "colorized NAME.png (videos: not applied).",
)
@click.option(
    "--hints",
    "hints_file",
    type=click.Path(dir_okay=False),
    help="Color points for one photo (a guided model): a JSON file "
    '{"version": 1, "points": [{"x": 120, "y": 40, "color": "#b03a2e", "size": 6}]}, '
    "x and y in the photo's pixels (docs/guided.md). Without it, each photo uses its sidecar "
    "PHOTO.hints.json when there is one.",
)
@click.option(
    "--reference",
    type=click.Path(dir_okay=False),
    help="A color photo whose palette the colors follow (a guided model; photos and videos).",
)
def colorize(
    inputs,
    out,
    model,
    backend,
    recursive,
    size,
    out_format,
    temporal,
    network_every,
    overwrite,
    compare,
    hints_file,
    reference,
):
    """Colorize INPUTS (photos, videos or folders) into OUT at their full resolution.

    Bad files are reported one line each and skipped; the exit code is non-zero if any failed.
    Every output is written to a temporary file and renamed, so an interrupted run leaves no
    half-written file. Videos (found by content, not only by name) keep their size, frame
    rate, frame count, audio and rotation; they need `pip install 'kcolor[video]'`.

    \b
    Examples:
      kcolor colorize old_photos/ -o colorized/ --recursive --model runs/default-l1
      kcolor colorize film.mp4 -o colorized/
      kcolor colorize photo.jpg --hints photo.hints.json -o colorized/
      kcolor colorize photo.jpg --reference holiday-in-color.jpg -o colorized/
    """
    import sys
    from pathlib import Path

    from kcolor.fileio import check_writable
    from kcolor.image_io import ImageDecodeError, is_image_path
    from kcolor.inference.batch import colorize_paths, is_output_file, plan_outputs
    from kcolor.video_io import VIDEO_EXTENSIONS, import_av

    if backend == "tflite" and not (str(model).endswith(".tflite") or model == "default"):
        raise click.BadParameter(
            "--backend tflite needs --model FILE.tflite or the shipped 'default'",
            param_hint="--model",
        )
    if backend == "keras" and str(model).endswith(".tflite"):
        raise click.BadParameter(
            "--backend keras runs a run folder, .keras or SavedModel; a .tflite file runs in "
            "LiteRT (--backend tflite or auto)",
            param_hint="--model",
        )
    if backend == "auto" and str(model).endswith(".tflite"):
        backend = "tflite"
    names_a_file = is_image_path(out) or Path(out).suffix.lower() in VIDEO_EXTENSIONS
    if names_a_file and not Path(out).is_dir() and not is_output_file(out, inputs):
        raise click.BadParameter(
            f"{out} names a file, but the input is a folder or several files (or a video and "
            "a photo name): pass a folder for -o",
            param_hint="-o",
        )
    if hints_file is not None:
        _check_hints_option(hints_file, inputs)
    if reference is not None and not Path(reference).is_file():
        raise click.BadParameter(f"{reference}: no such file", param_hint="--reference")
    uses_tensorflow = backend == "keras" or (backend == "auto" and model != "default")
    if uses_tensorflow and model != "gray":
        from kcolor.quiet import import_tensorflow

        import_tensorflow()  # quietly, before Keras or a SavedModel loads it with its log lines
    plan = plan_outputs(inputs, out, recursive, out_format, compare=compare, hints=hints_file)
    for message in plan.problems:
        click.echo(f"error: {message}", err=True)
    for message in plan.notes:
        click.echo(f"note: {message}", err=True)
    if not plan.jobs:
        raise click.ClickException("nothing to colorize")
    if any(job.video for job in plan.jobs):
        try:  # a missing extra is one line before anything runs, not a failure per video
            import_av()
            if temporal == "flow":
                from kcolor.inference.temporal import import_cv2

                import_cv2()
        except ImportError as err:
            raise click.ClickException(str(err)) from None
    if hints_file is not None:
        _check_hints_file(hints_file, inputs[0])  # before any folder or file is made
    out_folder = Path(out).parent if is_output_file(out, inputs) else Path(out)
    try:
        check_writable(out_folder)
        from kcolor.inference.colorizer import Colorizer

        colorizer = Colorizer.load(model, size=size, backend=backend)
        palette = colorizer.reference_palette(reference) if reference is not None else None
        if hints_file is not None:
            colorizer.require_guided("color points")  # refused at once, not per photo
    except ImageDecodeError as err:
        raise click.ClickException(f"--reference: {err}") from None
    except (OSError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    if not colorizer.guided and any(job.hints for job in plan.jobs):
        click.echo(
            f"note: {model} takes no color points: the photos' .hints.json files are ignored",
            err=True,
        )
        plan.jobs = [job._replace(hints=None) for job in plan.jobs]
    summary = colorize_paths(
        colorizer,
        plan.jobs,
        overwrite=overwrite,
        temporal=temporal,
        palette=palette,
        network_every=network_every,
    )
    failed = summary["failed"] + len(plan.problems)
    parts = [f"{summary['written']} written to {out}"]
    if compare:
        parts[0] += " (each with a -compare side-by-side)"
    if summary["skipped"]:
        parts.append(f"{summary['skipped']} skipped (exist; --overwrite to replace)")
    parts.append(f"{failed} failed")
    if summary["interrupted"]:
        left = len(plan.jobs) - summary["written"] - summary["skipped"] - summary["failed"]
        click.echo(f"interrupted: {', '.join(parts)}, {left} not done", err=True)
        sys.exit(130)
    click.echo(", ".join(parts))
    if failed:
        sys.exit(1)


def _check_hints_option(hints_file, inputs):
    """--hints names one photo's points: one input, a photo, and a file that exists."""
    from pathlib import Path

    from kcolor.video_io import is_video_path

    if not Path(hints_file).is_file():
        raise click.BadParameter(f"{hints_file}: no such file", param_hint="--hints")
    if len(inputs) != 1 or not Path(inputs[0]).is_file():
        raise click.BadParameter(
            "--hints is for one photo; for folders, put PHOTO.hints.json beside each photo",
            param_hint="--hints",
        )
    if is_video_path(inputs[0]):
        raise click.BadParameter(
            "color points do not apply to a video (they have no place in a moving picture); "
            "--reference PHOTO does",
            param_hint="--hints",
        )


def _check_hints_file(hints_file, photo):
    """The --hints file read against the photo's upright size: a bad point is one line."""
    from kcolor.image_io import ImageDecodeError, open_image
    from kcolor.inference.hints_file import HintsFileError, read_hints_file

    try:
        width, height = open_image(photo).size
        read_hints_file(hints_file, width, height)
    except (ImageDecodeError, HintsFileError) as err:
        raise click.ClickException(str(err)) from None
