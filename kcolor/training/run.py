"""`train(config)`: build data, model and callbacks for one run folder, fit, save the generator.

Run folder layout:

    RUN_DIR/config.yaml            resolved config (what `--resume` reads back)
    RUN_DIR/history.csv            one row per epoch: train and val losses and metrics
    RUN_DIR/tensorboard/           TensorBoard logs
    RUN_DIR/checkpoints/           epoch-NNN.weights.h5 (last k), best.weights.h5, best.txt
    RUN_DIR/backup/                state for --resume (weights, optimizer, epoch), also mid-epoch
    RUN_DIR/samples/epoch-NNN.png  gray | prediction | truth on a fixed validation batch
    RUN_DIR/color_prior.npz        ab histogram and smoothed prior (--loss classification only)
    RUN_DIR/generator.keras        the trained generator (what evaluate/colorize/export use):
                                   the best validation epoch's weights unless restore_best is off
"""

import dataclasses
import logging
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras

from kcolor.fileio import atomic_path
from kcolor.models import check_image_size, generator_keys
from kcolor.training import callbacks as kc
from kcolor.training.budget import init_budget, weights_budget
from kcolor.training.config import reject_unknown_keys, write_config
from kcolor.training.datasets import (
    build_datasets,
    count_total_steps,
    run_color_prior,
    sample_batch,
)
from kcolor.training.errors import TrainingError
from kcolor.training.model_build import build_model, starts_guided
from kcolor.training.run_folder import GENERATOR_FILE
from kcolor.training.strategy import (
    device_kind,
    set_precision,
    strategy_for,
    work_around_keras_multi_worker_bugs,
)
from kcolor.training.worker import worker_identity

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    run_dir: Path
    generator_path: Path
    history: dict
    epochs_run: int


def train(config, resume=False):
    """Train one model as `config` says; returns a TrainResult.

    Args:
        config: a TrainConfig.
        resume: continue from `RUN_DIR/backup` (weights, optimizer state, epoch) when it exists;
            without it, a run folder that already holds a backup is refused.

    Raises:
        TrainingError: no usable images, an existing run without `resume`, a NaN loss.
    """
    arch = config.gan.generator if config.arch == "gan" else config.arch
    if not config.model.get("guided") and starts_guided(config.init_generator):
        # A guided start (the shipped default is one) trains as a guided run: its data carry
        # simulated points and palettes, and its guidance paths keep learning.
        log.info("%s is guided: training with color points (model.guided)", config.init_generator)
        config = dataclasses.replace(config, model={**config.model, "guided": True})
    try:
        reject_unknown_keys(config.model, generator_keys(arch), prefix="model.")
    except ValueError as err:
        raise TrainingError(str(err)) from None
    if not config.init_generator:
        sizes = {"--image-size": config.image_size, "--val-image-size": config.val_image_size}
        for option, size in sizes.items():
            if size is None:
                continue
            try:
                check_image_size(size, arch, **config.model)
            except ValueError as err:
                raise TrainingError(f"{option}: {err}") from None
    run_dir = Path(config.run_dir)
    chief, task_index = worker_identity()
    write_dir = run_dir if chief else run_dir / ".workers" / f"worker-{task_index}"
    has_backup = (write_dir / "backup").is_dir()
    if has_backup and not resume:
        raise TrainingError(
            f"{run_dir} already holds a run: pass --resume to continue it, or another --run-dir"
        )
    if resume and not has_backup:
        log.info("nothing to resume in %s: starting a new run", run_dir)
    new_folder = not run_dir.exists()
    write_dir.mkdir(parents=True, exist_ok=True)
    if chief:
        write_config(config, run_dir / "config.yaml")

    previous_policy = keras.mixed_precision.global_policy()
    try:
        generator, history, nan_guard = _fit(config, write_dir, chief)
    except BaseException:
        if new_folder and chief and not _holds_progress(write_dir):
            shutil.rmtree(run_dir, ignore_errors=True)  # a failed start leaves no run folder
        raise
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    if nan_guard.diverged:
        epoch, step, keys = nan_guard.diverged_at
        raise TrainingError(
            f"training stopped: {', '.join(keys)} became NaN or infinite at epoch {epoch}, "
            f"step {step}. The last good state is kept in {write_dir / 'checkpoints'} and "
            f"{write_dir / 'backup'}; try a lower --lr, or --resume after changing it."
        )
    generator_path = write_dir / GENERATOR_FILE
    with atomic_path(generator_path, prefix=".tmp-", suffix="") as tmp:
        _float32_copy(generator).save(tmp)
    return TrainResult(run_dir, generator_path, history.history, len(history.epoch))


def _holds_progress(write_dir):
    """True once a run has saved something to resume from (a backup or an epoch's weights)."""
    return any(
        path.is_file()
        for folder in ("backup", "checkpoints")
        for path in (write_dir / folder).rglob("*")
    )


def backup_every(config, total_steps):
    """Mid-epoch backups at least 4 times per epoch (a kill -9 loses at most a quarter of
    one), and never less often than `backup_every_steps`."""
    per_epoch = total_steps // config.epochs if total_steps else None
    every = config.backup_every_steps
    if per_epoch:
        every = min(every, max(1, per_epoch // 4)) if every else max(1, per_epoch // 4)
    return every or "epoch"


def _fit(config, write_dir, chief):
    """Build everything under the strategy and precision policy, then fit."""
    if config.seed is not None:
        keras.utils.set_random_seed(config.seed)
    set_precision(config.mixed_precision)
    strategy = strategy_for(config)
    try:
        train_ds, val_ds, stats = build_datasets(config)
        sample_l, sample_ab = sample_batch(
            val_ds if val_ds is not None else train_ds, config, stats
        )
        prior = run_color_prior(config, write_dir, chief, val_ds is not None)
        total_steps = count_total_steps(config, val_ds is not None)

        with strategy.scope():
            model, generator, monitor = build_model(
                config, val_ds is not None, color_prior=prior, total_steps=total_steps
            )

        nan_guard = kc.NaNGuard()
        backup_freq = backup_every(config, total_steps)
        callbacks = [
            nan_guard,
            kc.RunBackup(str(write_dir / "backup"), nan_guard, save_freq=backup_freq),
            kc.EpochCheckpoints(
                write_dir / "checkpoints", monitor, nan_guard, config.keep_checkpoints
            ),
            kc.HistoryCSV(write_dir / "history.csv", nan_guard),
            kc.SampleGrid(write_dir / "samples", generator, sample_l, sample_ab),
            kc.BudgetRecorder(
                write_dir,
                config.batch_size,
                config.steps_per_epoch,
                init_budget(config.init_generator),
                device_kind(),
                nan_guard,
                init_weights=weights_budget(config.init_generator),
            ),
        ]
        if config.time_limit_minutes:
            callbacks.append(kc.TimeLimit(config.time_limit_minutes))
        if keras.backend.backend() == "tensorflow":
            # Keras' TensorBoard callback writes through tf.summary: TensorFlow runs only.
            callbacks.append(
                keras.callbacks.TensorBoard(str(write_dir / "tensorboard"), profile_batch=0)
            )
            work_around_keras_multi_worker_bugs(model, strategy)
        with warnings.catch_warnings(), strategy.scope():
            # Validation data has unknown length (filtered files), so Keras warns when it ends.
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            history = model.fit(
                train_ds,
                epochs=config.epochs,
                steps_per_epoch=config.steps_per_epoch,
                validation_data=val_ds,
                validation_steps=config.validation_steps,
                callbacks=callbacks,
                # A progress bar on a terminal; one plain line per epoch in a redirected log.
                verbose=(1 if sys.stdout.isatty() else 2) if chief else 0,
                shuffle=False,  # the data pipelines shuffle
            )
    finally:
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(None)
    log.info("data: %s", stats.summary())
    if config.restore_best and config.arch != "gan" and not nan_guard.diverged:
        _restore_best(model, write_dir / "checkpoints")
    return generator, history, nan_guard


def _restore_best(model, checkpoint_dir):
    """Load the best epoch's weights (EpochCheckpoints' best.weights.h5) before saving."""
    best = checkpoint_dir / "best.weights.h5"
    if best.is_file():
        model.load_weights(str(best))
        record = (checkpoint_dir / "best.txt").read_text().strip()
        log.info("generator from the best epoch: %s", record)


def _float32_copy(generator):
    """The generator rebuilt under the float32 policy with the same weights.

    Mixed-precision training stores float32 weights but records bf16/fp16 compute in every layer;
    the saved artifact should run in float32 everywhere (evaluation, export, CPUs without bf16).
    """
    if all(layer.dtype_policy.name == "float32" for layer in generator.layers):
        return generator
    copy = type(generator).from_config(generator.get_config())
    copy.set_weights(generator.get_weights())
    return copy
