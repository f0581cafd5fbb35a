"""`kcolor train`: train a CNN, U-Net or GAN colorizer into a run folder."""

from pathlib import Path

import click
from click.core import ParameterSource

from kcolor.names import ARCHS, BACKENDS, LOSSES, LR_SCHEDULES, PRECISIONS, STRATEGIES


@click.command("train")
@click.option(
    "--arch",
    type=click.Choice(ARCHS),
    help="Model: 'default' (lean U-Net for CPUs/phones), 'unet' (the study's), 'cnn', "
    "or 'gan' (pix2pix-style; generator set by gan.generator).  [default: default]",
)
@click.option(
    "--loss",
    type=click.Choice(LOSSES),
    help="Loss for cnn/unet/default: a regression on ab (mse, l1, huber) or 'classification' "
    "(ab-bin classes with rebalanced soft targets, Zhang et al. 2016: more vivid colors).  "
    "[default: l1]",
)
@click.option(
    "--color-prior",
    type=click.Path(dir_okay=False),
    help="For --loss classification: class weights from `kcolor color-prior`. Default: "
    "counted on the training photos and saved in the run folder.",
)
@click.option("--data", help="Training photos: a folder, a .txt list, or tfds:NAME[:SPLIT].")
@click.option(
    "--val-data", help="Validation photos. Default for a folder: 5% of it, split by path hash."
)
@click.option(
    "--image-size", type=click.IntRange(min=8), help="Crop side in pixels.  [default: 256]"
)
@click.option(
    "--val-image-size",
    type=click.IntRange(min=8),
    help="Validation crop side, e.g. 256 to judge a 192-px stage at colorize's size (the best "
    "epoch is chosen on it).  [default: --image-size]",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    help="Global batch size (split across devices).  [default: 16]",
)
@click.option("--epochs", type=click.IntRange(min=1), help="Epochs to train in all.  [default: 20]")
@click.option(
    "--steps-per-epoch",
    type=click.IntRange(min=1),
    help="Batches per epoch (the data repeats). Default: one pass over the data.",
)
@click.option(
    "--lr",
    type=click.FloatRange(min=0, min_open=True),
    help="Adam learning rate (the peak, with --lr-schedule cosine).  [default: 1e-4]",
)
@click.option(
    "--lr-schedule",
    type=click.Choice(LR_SCHEDULES),
    help="'cosine': linear warm-up over 2% of the steps, then cosine decay to lr/100; "
    "'constant'.  [default: cosine]",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False),
    help="Run folder for config, history, checkpoints, samples and the generator. "
    "Default: $KCOLOR_RUNS/ARCH-LOSS when KCOLOR_RUNS is set (keep long runs outside the "
    "clone), else runs/ARCH-LOSS.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --run-dir from its last saved state (its config.yaml "
    "applies; options given here override it); a folder with no run starts one. A relative "
    "--run-dir is also looked up under $KCOLOR_RUNS.",
)
@click.option(
    "--config",
    "recipe",
    type=click.Path(dir_okay=False),
    help="YAML recipe (see configs/); options given here override it.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override any config key, e.g. --set gan.l1_weight=0.5 (repeatable).",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    help="Keras backend. tensorflow: tf.data and tf.distribute (TFDS sources too). jax, "
    "torch: photos read by Pillow/NumPy threads, no TensorFlow import (jax: pip install "
    "'.[jax]'; several GPUs split each batch). Recorded in the run's config.yaml.  "
    "[default: $KERAS_BACKEND, else tensorflow]",
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    help="tf.distribute strategy (tensorflow); under jax, auto and mirrored split each batch "
    "over all local devices, default uses one.  [default: auto]",
)
@click.option(
    "--mixed-precision",
    type=click.Choice(PRECISIONS),
    help="bf16 speeds up recent CPUs and GPUs; fp16 is for GPUs.  [default: off]",
)
@click.option(
    "--init-generator",
    metavar="RUN_OR_MODEL",
    help="Start the generator from a run folder, a .keras file, or 'default' (the shipped "
    "model), e.g. a U-Net run before a GAN fine-tune.",
)
@click.option("--seed", type=int, help="Seed for weights, shuffling and augmentation.")
@click.option(
    "--tfds-data-dir",
    type=click.Path(file_okay=False),
    help="Where TensorFlow Datasets keeps prepared datasets.",
)
@click.pass_context
def train(ctx, recipe, assignments, resume, **options):
    """Train a colorizer and write everything into a run folder.

    \b
    Examples:
      kcolor train --data photos/ --epochs 10
      kcolor train --loss classification --data photos/ --epochs 10
      kcolor train --config configs/study-unet-l1.yaml --data tfds:coco/2017 \\
          --val-data tfds:coco/2017:validation
      kcolor train --arch gan --init-generator runs/default-l1 --data photos/
      kcolor train --run-dir runs/default-l1 --resume
    """
    import os

    from kcolor.training.backend import (
        BACKEND_ENV,
        keep_tensorflow_out,
        require_backend,
        use_backend,
    )
    from kcolor.training.config import resolve_config

    if resume and not options["run_dir"]:
        raise click.UsageError("--resume needs --run-dir RUN: the run folder to continue")
    if resume:
        options["run_dir"] = _under_runs_root(options["run_dir"])
    explicit = {
        name: _absolute_if_local(name, value)
        for name, value in options.items()
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    }
    saved = Path(options["run_dir"]) / "config.yaml" if options["run_dir"] else None
    resuming_saved = resume and recipe is None and saved is not None and saved.is_file()
    if resuming_saved:
        recipe = str(saved)  # its recorded backend applies unless --backend is given
    elif "backend" not in explicit and os.environ.get(BACKEND_ENV):
        explicit["backend"] = os.environ[BACKEND_ENV]
    from kcolor.training.run_folder import GENERATOR_FILE, resume_point, run_is_complete

    try:
        config = resolve_config(recipe, explicit, assignments)
        if config.run_dir is None:
            name = "gan" if config.arch == "gan" else f"{config.arch}-{config.loss}"
            run_dir = str(Path(os.environ.get(RUNS_ENV) or "runs") / name)
            config = resolve_config(recipe, {**explicit, "run_dir": run_dir}, assignments)
        _check_before_training(config)
        if resume and run_is_complete(config.run_dir, config.epochs):
            click.echo(
                f"{config.run_dir} is already complete: all {config.epochs} epoch(s) trained; "
                f"generator: {Path(config.run_dir) / GENERATOR_FILE} (raise --epochs to go on)"
            )
            return
        require_backend(config.backend)
        if config.backend != "tensorflow":
            keep_tensorflow_out()
        use_backend(config.backend)  # before the first Keras import
        from kcolor.training.errors import TrainingError
        from kcolor.training.run import train as run_training
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    try:
        point = resume_point(config.run_dir) if resume else None
        if point:
            epoch, step = point
            at = f", after step {step} of it" if step else ""
            click.echo(f"resuming {config.run_dir} at epoch {epoch} of {config.epochs}{at}")
        result = run_training(config, resume=resume)
    except (TrainingError, FileNotFoundError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:  # the disk filled mid-run: the last good epoch is kept for --resume
        from kcolor.fileio import write_error

        raise click.ClickException(
            f"{write_error(config.run_dir, err)}; the last finished epoch is kept: free space "
            "and --resume"
        ) from None
    click.echo(f"trained {result.epochs_run} epoch(s); generator: {result.generator_path}")


def _check_before_training(config):
    """One-line errors for missing inputs and an unwritable run folder, before TensorFlow
    loads and long before the first epoch."""
    from kcolor.cli.options import require_model, require_source, require_writable_folder

    require_source("--data", config.data)
    require_source("--val-data", config.val_data)
    if config.init_generator:
        require_model(config.init_generator, option="--init-generator", extra=())
    if config.color_prior and not Path(config.color_prior).is_file():
        raise click.BadParameter(f"{config.color_prior}: no such file", param_hint="--color-prior")
    require_writable_folder(config.run_dir)


# Options that name local files: stored absolute in the run's config.yaml, so that
# `--resume` works from any directory.
RUNS_ENV = "KCOLOR_RUNS"


def _under_runs_root(run_dir):
    """With --resume, a relative --run-dir that does not exist here but does under $KCOLOR_RUNS
    is that one, so `kcolor train --run-dir stage1 --resume` finds a campaign's folder from any
    directory."""
    import os

    root = os.environ.get(RUNS_ENV)
    path = Path(run_dir)
    if root and not path.is_absolute() and not path.exists() and (Path(root) / path).is_dir():
        return str(Path(root) / path)
    return run_dir


_PATH_OPTIONS = ("data", "val_data", "init_generator", "color_prior", "tfds_data_dir")


def _absolute_if_local(name, value):
    from kcolor.models.shipped_generator import names_shipped_model

    if name == "init_generator" and names_shipped_model(value):
        return value  # the shipped model, not a path
    if name in _PATH_OPTIONS and isinstance(value, str) and not value.startswith("tfds:"):
        return str(Path(value).expanduser().absolute())
    return value
