"""`kcolor export`: write a generator as a SavedModel or a TFLite model and check its parity."""

import click

QUANTIZE = ("none", "fp16", "dynamic", "int8")


@click.command("export")
@click.argument("model")
@click.option("--format", "fmt", type=click.Choice(["savedmodel", "tflite"]), required=True)
@click.option(
    "--quantize",
    type=click.Choice(QUANTIZE),
    default="none",
    show_default=True,
    help="TFLite only: fp16 weights, dynamic-range int8, or full int8 (needs --calibration-data).",
)
@click.option(
    "--calibration-data",
    metavar="SRC",
    help="Photos for int8 calibration, and for the parity check (folder, list or tfds:).",
)
@click.option(
    "--size",
    default=256,
    show_default=True,
    type=click.IntRange(min=16),
    help="Fixed input side S of the exported model ([1, S, S, 1]).",
)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(),
    help="Output .tflite file or SavedModel folder.",
)
def export(model, fmt, quantize, calibration_data, size, out):
    """Export MODEL (a run folder, a .keras generator, or the shipped 'default') for serving or
    for phones, e.g. the shipped model at another size or quantization.

    The exported model maps lightness L in [0, 100], float32 [1, S, S, 1], to ab in Lab units,
    float32 [1, S, S, 2], under the signature "colorize" (docs/mobile.md). After export, the
    Keras and exported outputs are compared on real photos and the PSNR is printed.

    \b
    Example:
      kcolor export runs/default-l1 --format tflite --quantize int8 \\
          --calibration-data ../shared/data/set14 -o default-int8.tflite
      kcolor export default --format tflite --size 512 -o default-512.tflite
    """
    from pathlib import Path

    from kcolor.cli.options import (
        require_model,
        require_source,
        require_writable_file,
        require_writable_folder,
        write_errors_in_one_line,
    )

    # Everything a user can get wrong is checked before TensorFlow loads (seconds, not minutes).
    require_model(model, extra=())
    if fmt == "savedmodel" and quantize != "none":
        raise click.BadParameter(
            "quantization applies to --format tflite only", param_hint="--quantize"
        )
    if quantize == "int8" and not calibration_data:
        raise click.BadParameter(
            "int8 needs --calibration-data (photos like the ones to colorize)",
            param_hint="--quantize",
        )
    require_source("--calibration-data", calibration_data)
    if fmt == "savedmodel":
        if Path(out).is_dir() and any(Path(out).iterdir()):
            raise click.ClickException(f"{out} exists and is not empty")
        require_writable_folder(out)
    else:
        require_writable_file(out)

    from kcolor.quiet import import_tensorflow

    import_tensorflow()
    from kcolor.inference.export import (
        PARITY_BARS_DB,
        ExportError,
        export_savedmodel,
        export_tflite,
        load_generator,
        parity_psnr,
    )

    try:
        generator = load_generator(model)
    except (ExportError, FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    try:
        with write_errors_in_one_line(out):
            if fmt == "savedmodel":
                path = export_savedmodel(generator, out, size=size)
            else:
                path = export_tflite(
                    generator, out, quantize=quantize, calibration_data=calibration_data, size=size
                )
    except (ExportError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"wrote {path}")
    if calibration_data:
        checks = [False, True] if getattr(generator, "guided", False) else [False]
        for guided in checks:
            psnr = parity_psnr(generator, path, calibration_data, size=size, guided=guided)
            bar = PARITY_BARS_DB[quantize]
            verdict = "ok" if psnr >= bar else f"BELOW the {bar:.0f} dB bar"
            shown = "identical" if psnr == float("inf") else f"{psnr:.2f} dB"
            what = "with simulated points and palettes" if guided else "final sRGB"
            click.echo(f"parity vs Keras ({what}, {calibration_data}): PSNR {shown} ({verdict})")
    else:
        click.echo("parity not checked: pass --calibration-data photos to compare with Keras")
