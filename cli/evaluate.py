"""`kcolor evaluate`: score models (and the gray baseline) on a data source."""

import click

from kcolor.names import EVAL_METRICS, PROTOCOLS


@click.command("evaluate")
@click.argument("models", nargs=-1, required=True)
@click.option(
    "--data", required=True, help="Evaluation photos: a folder, a .txt list or tfds:NAME[:SPLIT]."
)
@click.option(
    "--image-size",
    default=256,
    show_default=True,
    type=click.IntRange(min=16),
    help="Short side resize, then center crop to this square.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Score at most this many images.")
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--protocol",
    type=click.Choice(PROTOCOLS),
    default="standard",
    show_default=True,
    help="standard: literature conventions; seed: the study's own formulas.",
)
@click.option(
    "--metrics",
    "metric_list",
    metavar="LIST",
    help=f"Comma-separated subset of {','.join(EVAL_METRICS)} [default: all but fid, which "
    "needs InceptionV3 weights: Keras downloads them once, or --inception-weights].",
)
@click.option(
    "--inception-weights",
    type=click.Path(dir_okay=False),
    help="InceptionV3 weights file (with top) for FID; or set KCOLOR_INCEPTION_WEIGHTS.",
)
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False), help="Also write results here."
)
@click.option(
    "--samples",
    "samples_dir",
    type=click.Path(file_okay=False),
    help="Write side-by-side grids (gray | each model | truth) here.",
)
@click.option(
    "--hints",
    "hint_counts",
    metavar="LIST",
    help="Hint sweep: score each model with this many color points per photo, e.g. "
    "0,1,2,5,10,20,50,100 (6x6-px patches of the true colors, the same points for every "
    "model; Zhang et al. 2017's protocol). Baselines: gray, hints-only, levin.",
)
@click.option(
    "--palette",
    type=click.Choice(["none", "truth", "other"]),
    default="none",
    show_default=True,
    help="With --hints: also give a palette: the photo's own (an upper bound) or another photo's.",
)
@click.option("--tfds-data-dir", type=click.Path(file_okay=False))
def evaluate(
    models,
    data,
    image_size,
    limit,
    batch_size,
    protocol,
    metric_list,
    inception_weights,
    json_path,
    samples_dir,
    hint_counts,
    palette,
    tfds_data_dir,
):
    """Score MODELS on --data and print one row per model.

    MODEL is a run folder, a .keras file, a SavedModel folder, a .tflite file, or `gray` (the
    baseline that predicts no color). With --hints, also `hints-only` (the points painted) and
    `levin` (the points propagated, Levin et al. 2004). Examples:

        kcolor evaluate gray runs/default-l1 --data ../shared/data/coco_val2017 --json out.json

        kcolor evaluate gray hints-only levin default runs/guided --hints 0,1,10,100 \
            --data ../shared/data/kodak24
    """
    from kcolor.cli.options import (
        require_model,
        require_source,
        require_writable_file,
        require_writable_folder,
        write_errors_in_one_line,
    )

    # Everything a user can get wrong is checked before TensorFlow loads (seconds, not minutes).
    names = [m.strip() for m in metric_list.split(",") if m.strip()] if metric_list else None
    unknown = sorted(set(names or ()) - set(EVAL_METRICS))
    if unknown:
        raise click.BadParameter(
            f"unknown metric(s) {', '.join(unknown)}; choose from {','.join(EVAL_METRICS)}",
            param_hint="--metrics",
        )
    require_source("--data", data)
    counts = _sweep_counts(hint_counts, protocol, names, samples_dir, palette)
    baselines = ("gray", "hints-only", "levin") if counts else ("gray",)
    for model in models:
        require_model(model, extra=baselines)
    if json_path:
        require_writable_file(json_path)
    if samples_dir:
        require_writable_folder(samples_dir)

    from kcolor.quiet import import_tensorflow

    import_tensorflow()
    import json
    from pathlib import Path

    from kcolor.evaluation.protocols import EvaluationError, format_table
    from kcolor.evaluation.protocols import evaluate as run_evaluation
    from kcolor.fileio import atomic_write_bytes

    common = {
        "image_size": image_size,
        "batch_size": batch_size,
        "limit": limit,
        "tfds_data_dir": tfds_data_dir,
    }
    try:
        if counts:
            from kcolor.evaluation.hint_sweep import SWEEP_METRICS, format_sweep_table, hint_sweep

            result = hint_sweep(
                models, data, counts, palette=palette, metric_names=names or SWEEP_METRICS, **common
            )
            table = format_sweep_table(result)
        else:
            result = run_evaluation(
                models,
                data,
                protocol=protocol,
                metric_names=names,
                inception_weights=inception_weights,
                samples_dir=samples_dir,
                **common,
            )
            table = format_table(result)
    except EvaluationError as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:  # the --samples grids: the disk filled or the folder went away
        from kcolor.fileio import write_error

        raise click.ClickException(write_error(samples_dir, err)) from None
    click.echo(table)  # printed first: a failed --json write loses no numbers
    if json_path:
        with write_errors_in_one_line(json_path):
            Path(json_path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(json_path, (json.dumps(result, indent=2) + "\n").encode("utf-8"))
        click.echo(f"wrote {json_path}")


def _sweep_counts(hint_counts, protocol, names, samples_dir, palette):
    """The --hints point counts, checked against the options the sweep does not take."""
    if not hint_counts:
        if palette != "none":
            raise click.BadParameter("needs --hints", param_hint="--palette")
        return None
    from kcolor.evaluation.hint_sweep import SWEEP_METRICS, parse_counts

    try:
        counts = parse_counts(hint_counts)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--hints") from None
    if protocol != "standard":
        raise click.BadParameter("the hint sweep uses the standard protocol", param_hint="--hints")
    if samples_dir:
        raise click.BadParameter("--samples is not written by the hint sweep", param_hint="--hints")
    if names and not set(names) <= {*SWEEP_METRICS, "mse", "auc"}:
        raise click.BadParameter(
            "the hint sweep scores mse, psnr, ssim, colorfulness, auc and cast",
            param_hint="--hints",
        )
    return counts
