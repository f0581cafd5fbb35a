"""Keras callbacks that make a run folder: history, checkpoints, backups, sample grids, NaN stop.

Every file is written to a temporary name and renamed into place, so a kill at any moment
leaves either the old file or the new one, never half of one.
"""

import csv
import io
import math
import time
from pathlib import Path

import keras
import numpy as np

from kcolor.color import lab_math
from kcolor.fileio import atomic_path, atomic_write_bytes, atomic_write_png


def atomic_save_weights(model, path):
    """`model.save_weights` through a temporary `.weights.h5` file and an atomic rename."""
    with atomic_path(path, prefix=".tmp-", suffix="") as tmp:
        model.save_weights(str(tmp), overwrite=True)


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and remembers where it happened."""

    def __init__(self):
        super().__init__()
        self.diverged_at = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = [k for k, v in (logs or {}).items() if not math.isfinite(float(v))]
        if bad and self.diverged_at is None:
            self.diverged_at = (self._epoch + 1, batch + 1, bad)
            self.model.stop_training = True

    @property
    def diverged(self):
        return self.diverged_at is not None


class RunBackup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that survives kill -9 mid-epoch and never backs up diverged weights.

    Keras' version writes epoch 0 into its metadata for a mid-epoch backup made before the
    first epoch end of a resumed process (recording the epoch at its start fixes that), and with
    an integer `save_freq` it never saves at an epoch end (so the last epoch could be lost).
    """

    def __init__(self, backup_dir, nan_guard, save_freq="epoch"):
        super().__init__(
            backup_dir, save_freq=save_freq, double_checkpoint=True, delete_checkpoint=False
        )
        self.nan_guard = nan_guard

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self.save_freq != "epoch":  # Keras saves at epoch ends only with save_freq="epoch"
            self._save_model()

    def _save_model(self):
        if not self.nan_guard.diverged:
            super()._save_model()


class EpochCheckpoints(keras.callbacks.Callback):
    """`epoch-NNN.weights.h5` after every epoch (the last `keep` kept) and `best.weights.h5`."""

    def __init__(self, directory, monitor, nan_guard, keep=3):
        super().__init__()
        self.directory = Path(directory)
        self.monitor = monitor
        self.nan_guard = nan_guard
        self.keep = keep
        self.best_path = self.directory / "best.weights.h5"
        self._best_record = self.directory / "best.txt"

    def _best_value(self):
        if self._best_record.is_file():
            return float(self._best_record.read_text().split()[1])
        return math.inf

    def on_epoch_end(self, epoch, logs=None):
        if self.nan_guard.diverged:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_save_weights(self.model, self.directory / f"epoch-{epoch + 1:03d}.weights.h5")
        for old in sorted(self.directory.glob("epoch-*.weights.h5"))[: -self.keep]:
            old.unlink()
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and value < self._best_value():
            atomic_save_weights(self.model, self.best_path)
            atomic_write_bytes(
                self._best_record, f"{self.monitor} {value!r} epoch {epoch + 1}\n".encode()
            )


class HistoryCSV(keras.callbacks.Callback):
    """`history.csv`: one row per finished epoch; rows of a resumed run replace re-run epochs."""

    def __init__(self, path, nan_guard):
        super().__init__()
        self.path = Path(path)
        self.nan_guard = nan_guard
        self.rows = {}

    def on_train_begin(self, logs=None):
        if self.path.is_file():
            with open(self.path, newline="", encoding="utf-8") as handle:
                self.rows = {int(row["epoch"]): row for row in csv.DictReader(handle)}

    def on_epoch_end(self, epoch, logs=None):
        if self.nan_guard.diverged:
            return
        self.rows[epoch + 1] = {
            "epoch": epoch + 1,
            **{k: float(v) for k, v in (logs or {}).items()},
        }
        keys = ["epoch"] + sorted({k for row in self.rows.values() for k in row} - {"epoch"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys)
        writer.writeheader()
        for key in sorted(self.rows):
            writer.writerow(self.rows[key])
        atomic_write_bytes(self.path, buffer.getvalue().encode("utf-8"))


class SampleGrid(keras.callbacks.Callback):
    """`samples/epoch-NNN.png` on a fixed validation batch: gray input | prediction | truth.

    `inputs` is the lightness, or a guided generator's `(l, hint_ab, hint_mask, palette)`."""

    def __init__(self, directory, generator, inputs, ab):
        super().__init__()
        self.directory = Path(directory)
        self.generator = generator
        guided = isinstance(inputs, tuple | list)
        self.inputs = [np.asarray(x) for x in inputs] if guided else np.asarray(inputs)
        self.lightness = self.inputs[0] if guided else self.inputs
        self.ab = np.asarray(ab)

    def on_epoch_end(self, epoch, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        predicted = self.generator.predict(self.inputs, verbose=0)
        grid = sample_grid(self.lightness, predicted, self.ab)
        atomic_write_png(self.directory / f"epoch-{epoch + 1:03d}.png", grid)


def sample_grid(lightness, predicted_ab, true_ab):
    """uint8 image: one row per sample, columns gray | predicted colors | true colors."""
    gray = lab_math.normalized_lab_to_uint8(lightness, np.zeros_like(true_ab))
    predicted = lab_math.normalized_lab_to_uint8(lightness, np.asarray(predicted_ab))
    truth = lab_math.normalized_lab_to_uint8(lightness, true_ab)
    rows = [
        np.concatenate([g, p, t], axis=1) for g, p, t in zip(gray, predicted, truth, strict=True)
    ]
    return np.concatenate(rows, axis=0)


class BudgetRecorder(keras.callbacks.Callback):
    """`budget.json` (kcolor.training.budget): crops, steps and wall-clock time of each finished
    epoch, kept per epoch so that an epoch re-run after a kill replaces its first try."""

    def __init__(
        self, run_dir, crops_per_step, steps_per_epoch, init, device, nan_guard, init_weights=None
    ):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.crops_per_step = int(crops_per_step)
        self.steps_per_epoch = steps_per_epoch
        self.init = init
        self.init_weights = init_weights
        self.device = device
        self.nan_guard = nan_guard
        self.epochs = {}

    def on_train_begin(self, logs=None):
        from kcolor.training.budget import read_budget

        recorded = read_budget(self.run_dir) or {}
        self.epochs = {int(k): v for k, v in recorded.get("run", {}).get("per_epoch", {}).items()}

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.monotonic()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        from kcolor.training.budget import write_budget

        if self.nan_guard.diverged:
            return
        self.epochs[epoch + 1] = {
            "steps": self.steps_per_epoch or self._steps,
            "seconds": round(time.monotonic() - self._started, 2),
            "device": self.device,
        }
        steps = sum(e["steps"] for e in self.epochs.values())
        cpu = sum(e["seconds"] for e in self.epochs.values() if e["device"] == "cpu")
        gpu = sum(e["seconds"] for e in self.epochs.values() if e["device"] != "cpu")
        run = {
            "crops": steps * self.crops_per_step,
            "steps": steps,
            "cpu_hours": round(cpu / 3600, 4),
            "gpu_minutes": round(gpu / 60, 3),
            "epochs": len(self.epochs),
            "per_epoch": {str(k): self.epochs[k] for k in sorted(self.epochs)},
        }
        write_budget(self.run_dir, run, self.init, self.init_weights)


class TimeLimit(keras.callbacks.Callback):
    """Stop at the end of the first epoch that ends after `minutes` of training, so a run on a
    lent machine (GPU sessions have a fixed lease) always saves its generator in time."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = float(minutes) * 60.0

    def on_train_begin(self, logs=None):
        self._started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() - self._started >= self.seconds:
            self.model.stop_training = True
