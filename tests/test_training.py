"""kcolor train end to end: run folder contents, resume after kill -9, NaN stop, clear errors."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main

from kcolor.training.config import config_from_dict
from kcolor.training.errors import TrainingError
from kcolor.training.model_build import build_model
from kcolor.training.run import train

TINY_GAN = ["--set", "gan.d_filters=[4,8]", "--set", "model.filters=[4,8]"]


def _history(run_dir):
    with open(run_dir / "history.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_cli_gan_run_writes_the_whole_run_folder(shared_data, tmp_path):
    run = tmp_path / "RUN"
    args = [
        "train",
        "--arch",
        "gan",
        "--data",
        str(shared_data / "set14"),
        "--image-size",
        "32",
        "--epochs",
        "1",
        "--steps-per-epoch",
        "2",
        "--run-dir",
        str(run),
        *TINY_GAN,
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = _history(run)
    assert len(rows) == 1 and {"d_loss", "g_loss", "l1"} <= set(rows[0])
    assert (run / "checkpoints" / "epoch-001.weights.h5").is_file()
    assert (run / "checkpoints" / "best.weights.h5").is_file()
    assert (run / "samples" / "epoch-001.png").is_file()
    assert (run / "config.yaml").is_file() and any((run / "tensorboard").rglob("*tfevents*"))
    generator = keras.saving.load_model(run / "generator.keras")
    assert generator.output_shape == (None, None, None, 2)
    # The same folder again without --resume is refused, not overwritten.
    again = CliRunner().invoke(main, args)
    assert again.exit_code != 0 and "--resume" in again.output


def test_regression_run_with_validation_and_resume_keeps_optimizer_state(awkward_folder, tmp_path):
    values = {
        "arch": "unet",
        "loss": "huber",
        "data": str(awkward_folder / "good"),
        "val_data": str(awkward_folder),
        "image_size": 32,
        "batch_size": 2,
        "epochs": 1,
        "steps_per_epoch": 3,
        "run_dir": str(tmp_path / "run"),
        "seed": 0,
        "model": {"filters": [4, 8]},
        "lr": 1e-3,
    }
    first = train(config_from_dict(values))
    assert {"loss", "val_loss", "ab_mae", "val_ab_mae"} <= set(first.history)
    second = train(config_from_dict({**values, "epochs": 2}), resume=True)
    assert second.epochs_run == 1  # only epoch 2 ran
    assert [row["epoch"] for row in _history(tmp_path / "run")] == ["1", "2"]
    # The same learning-rate schedule as the run (cosine over its 6 steps): a schedule is not
    # a variable, a float rate is, so the optimizer's saved variables must match.
    model, _, _ = build_model(config_from_dict(values), has_validation=True, total_steps=6)
    model.optimizer.build(model.trainable_variables)
    model.load_weights(tmp_path / "run" / "backup" / "latest.weights.h5")
    assert int(model.optimizer.iterations.numpy()) == 6  # 3 steps x 2 epochs, Adam moments too


def test_resume_after_kill_9_mid_epoch(shared_data, tmp_path):
    run = tmp_path / "run"
    args = [
        sys.executable,
        "-m",
        "kcolor.cli.main",
        "train",
        "--arch",
        "default",
        "--data",
        str(shared_data / "set14"),
        "--image-size",
        "64",
        "--batch-size",
        "4",
        "--epochs",
        "3",
        "--steps-per-epoch",
        "40",
        "--run-dir",
        str(run),
        "--seed",
        "1",
        "--set",
        "model.filters=[4,8]",
        "--set",
        "backup_every_steps=2",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    metadata = run / "backup" / "training_metadata.json"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:  # wait for a mid-epoch backup in epoch 2
            if metadata.is_file():
                try:
                    state = json.loads(metadata.read_text())
                except ValueError:
                    state = {}
                if state.get("epoch") == 1 and state.get("batch", 0) > 0:
                    break
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.02)
        else:
            pytest.fail("no mid-epoch backup appeared")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (run / "generator.keras").exists()
    assert [row["epoch"] for row in _history(run)] == ["1"]

    resumed = subprocess.run(
        [*args[:3], "train", "--run-dir", str(run), "--resume"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Epoch 2/3" in resumed.stdout and "Epoch 1/3" not in resumed.stdout
    assert [row["epoch"] for row in _history(run)] == ["1", "2", "3"]
    assert (run / "generator.keras").is_file()


def test_nan_loss_stops_with_a_clear_message_and_keeps_good_checkpoints(
    shared_data, tmp_path, monkeypatch
):
    import tensorflow as tf

    import kcolor.training.model_build as model_build

    class NaNAfterFirstEpoch(keras.losses.Loss):
        def __init__(self):
            super().__init__(name="nan_after")
            self.calls = tf.Variable(0, trainable=False)

        def call(self, y_true, y_pred):
            self.calls.assign_add(1)
            poison = tf.where(self.calls > 3, np.nan, 0.0)
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1) + poison

    monkeypatch.setattr(model_build, "build_regression_loss", lambda *a: NaNAfterFirstEpoch())
    run = tmp_path / "run"
    config = config_from_dict(
        {
            "data": str(shared_data / "set14"),
            "image_size": 32,
            "batch_size": 4,
            "epochs": 3,
            "steps_per_epoch": 3,
            "run_dir": str(run),
            "model": {"filters": [4, 8]},
        }
    )
    with pytest.raises(TrainingError, match="NaN or infinite at epoch 2"):
        train(config)
    assert sorted(p.name for p in (run / "checkpoints").glob("epoch-*")) == ["epoch-001.weights.h5"]
    assert json.loads((run / "backup" / "training_metadata.json").read_text())["epoch"] == 1
    assert [row["epoch"] for row in _history(run)] == ["1"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--data", "NOWHERE"], "no such file or folder"),
        (["--data", "EMPTY"], "no image files"),
        (["--data", "GRAY"], "no usable images"),
        (["--data", "SET14", "--batch-size", "16"], "are fewer than one batch of 16"),
        (["--data", "GOOD", "--set", "epoch=3"], "epoch (did you mean epochs or"),
        (["--data", "GOOD", "--set", "model.bogus=3"], "unknown config key(s): model.bogus"),
        (["--data", "GOOD", "--set", "model.filtres=[4,8]"], "did you mean model.filters"),
        (["--data", "GOOD", "--arch", "resnet"], "Invalid value for '--arch'"),
        ([], "data is required"),
    ],
)
def test_clear_errors(awkward_folder, shared_data, tmp_path, extra, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "gray").mkdir()
    (tmp_path / "gray" / "g.jpg").write_bytes((awkward_folder / "gray.jpg").read_bytes())
    paths = {
        "NOWHERE": str(tmp_path / "nowhere"),
        "EMPTY": str(tmp_path / "empty"),
        "GRAY": str(tmp_path / "gray"),
        "GOOD": str(awkward_folder / "good"),
        "SET14": str(shared_data / "set14"),
    }
    extra = [paths.get(arg, arg) for arg in extra]
    result = CliRunner().invoke(main, ["train", "--run-dir", str(tmp_path / "run"), *extra])
    assert result.exit_code != 0
    assert message in result.output
    assert len([line for line in result.output.splitlines() if "Error" in line]) == 1
    assert not (tmp_path / "run").exists()  # a failed start leaves no run folder behind


def test_bf16_run_saves_a_float32_generator_and_restores_the_policy(shared_data, tmp_path):
    config = config_from_dict(
        {
            "data": str(shared_data / "set5"),
            "image_size": 32,
            "batch_size": 2,
            "epochs": 1,
            "steps_per_epoch": 2,
            "mixed_precision": "bf16",
            "run_dir": str(tmp_path / "run"),
            "model": {"filters": [4, 8]},
        }
    )
    result = train(config)
    assert np.isfinite(result.history["loss"][-1])
    assert keras.mixed_precision.global_policy().name == "float32"
    generator = keras.saving.load_model(result.generator_path)
    assert {layer.dtype_policy.name for layer in generator.layers} == {"float32"}


def test_gan_fine_tune_starts_from_a_trained_generator(shared_data, tmp_path):
    base = {
        "data": str(shared_data / "set5"),
        "image_size": 32,
        "batch_size": 2,
        "epochs": 1,
        "steps_per_epoch": 1,
        "model": {"filters": [4, 8]},
        "seed": 0,
    }
    pretrained = train(config_from_dict({**base, "run_dir": str(tmp_path / "pre")}))
    config = config_from_dict(
        {
            **base,
            "arch": "gan",
            "run_dir": str(tmp_path / "gan"),
            "init_generator": str(tmp_path / "pre"),
            "gan": {"d_filters": [4, 8]},
        }
    )
    model, generator, _ = build_model(config, has_validation=False)
    start = keras.saving.load_model(pretrained.generator_path)
    for a, b in zip(generator.get_weights(), start.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert isinstance(model.discriminator, keras.Model)
    with pytest.raises(TrainingError, match="not found"):
        build_model(config_from_dict({**base, "init_generator": str(tmp_path / "nope")}), False)


@pytest.mark.parametrize("restore_best", [True, False])
def test_generator_keeps_the_best_validation_epoch_unless_told_otherwise(
    shared_data, tmp_path, restore_best
):
    values = {
        "data": str(shared_data / "set14"),
        "val_data": str(shared_data / "set5"),
        "image_size": 32,
        "batch_size": 4,
        "epochs": 3,
        "steps_per_epoch": 2,
        "run_dir": str(tmp_path / "run"),
        "seed": 0,
        "model": {"filters": [4, 8]},
        "lr": 0.05,
        "keep_checkpoints": 3,
        "restore_best": restore_best,
    }
    result = train(config_from_dict(values))
    losses = result.history["val_loss"]
    best_epoch = int(np.argmin(losses)) + 1
    checkpoints = tmp_path / "run" / "checkpoints"
    assert f"epoch {best_epoch}" in (checkpoints / "best.txt").read_text()
    chosen = f"epoch-{best_epoch:03d}" if restore_best else "epoch-003"
    model, _, _ = build_model(config_from_dict(values), has_validation=True)
    model.load_weights(checkpoints / f"{chosen}.weights.h5")
    saved = keras.saving.load_model(result.generator_path)
    for expected, actual in zip(model.get_weights(), saved.get_weights(), strict=True):
        np.testing.assert_array_equal(expected, actual)


def test_learning_rate_warms_up_then_follows_a_cosine():
    from kcolor.training.model_build import learning_rate

    config = config_from_dict({"data": "x", "lr": 1e-3, "warmup_fraction": 0.1})
    schedule = learning_rate(1e-3, config, total_steps=1000)
    at = [float(schedule(step)) for step in (0, 50, 100, 550, 1000)]
    assert at[0] == 0.0 and at[1] == pytest.approx(5e-4) and at[2] == pytest.approx(1e-3)
    # Halfway through the decay: (1 + cos(pi / 2)) / 2 of the way from lr to lr / 100.
    assert at[3] == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5), rel=1e-3)
    assert at[4] == pytest.approx(1e-5, rel=1e-3)
    constant = config_from_dict({"data": "x", "lr_schedule": "constant"})
    assert learning_rate(1e-3, constant, total_steps=1000) == 1e-3


@pytest.mark.parametrize("size, nearest", [(50, "48 or 64"), (8, "16")])
def test_image_size_the_generator_cannot_take_is_refused_before_any_file(
    shared_data, tmp_path, size, nearest
):
    run = tmp_path / "run"
    args = ["train", "--data", str(shared_data / "set5"), "--image-size", str(size)]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(run)])
    assert result.exit_code == 1
    assert f"multiple of 16; nearest: {nearest}" in result.output
    assert "Traceback" not in result.output and not run.exists()


def test_resume_from_another_directory_says_where_it_continues(shared_data, tmp_path, monkeypatch):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "photos").symlink_to(shared_data / "set14")
    monkeypatch.chdir(tmp_path / "project")
    args = ["train", "--data", "photos", "--run-dir", str(tmp_path / "run"), "--epochs", "1"]
    args += ["--image-size", "32", "--batch-size", "4", "--set", "model.filters=[4,8]"]
    result = CliRunner().invoke(main, [*args, "--steps-per-epoch", "2"])
    assert result.exit_code == 0, result.output
    saved = (tmp_path / "run" / "config.yaml").read_text()
    assert f"data: {tmp_path / 'project' / 'photos'}" in saved  # absolute: any cwd can resume
    monkeypatch.chdir(tmp_path)
    again = ["train", "--run-dir", str(tmp_path / "run"), "--resume", "--epochs", "2"]
    result = CliRunner().invoke(main, again)
    assert result.exit_code == 0, result.output
    assert f"resuming {tmp_path / 'run'} at epoch 2 of 2" in result.output
    result = CliRunner().invoke(main, ["train", "--resume"])
    assert result.exit_code == 2 and "--resume needs --run-dir" in result.output


def test_backups_come_at_least_four_times_an_epoch():
    from kcolor.training.run import backup_every

    config = config_from_dict({"data": "x", "epochs": 2})
    assert backup_every(config, total_steps=2 * 30) == 7  # small data: every 7 of 30 steps
    assert backup_every(config, total_steps=2 * 5000) == 200  # large: backup_every_steps
    assert backup_every(config, total_steps=None) == 200


def test_redirected_training_log_has_plain_lines(shared_data, tmp_path):
    """Keras' progress bar (ANSI escapes, carriage returns) only on a terminal."""
    args = [sys.executable, "-m", "kcolor.cli.main", "train", "--data", str(shared_data / "set14")]
    args += ["--image-size", "32", "--batch-size", "4", "--epochs", "2", "--steps-per-epoch", "2"]
    args += ["--run-dir", str(tmp_path / "run"), "--set", "model.filters=[4,8]"]
    done = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stdout + done.stderr
    assert "\x1b[" not in log and "\r" not in log
    assert sum(line.startswith("2/2 - ") for line in log.splitlines()) == 2  # a line per epoch


def test_budget_counts_each_finished_epoch_once_and_adds_the_init(tmp_path):
    """budget.json: an epoch re-run after a kill replaces its first try; the cumulative budget
    adds what the init generator's run folder recorded."""
    import json

    from kcolor.training import budget
    from kcolor.training.callbacks import BudgetRecorder, NaNGuard

    init_run = tmp_path / "stage0"
    init_run.mkdir()
    budget.write_budget(init_run, {"crops": 1000, "cpu_hours": 0.5, "gpu_minutes": 2.0}, None)
    init = budget.init_budget(str(init_run / "generator.keras"))
    assert init == {"crops": 1000, "cpu_hours": 0.5, "gpu_minutes": 2.0}
    run = tmp_path / "stage1"
    run.mkdir()

    def epochs(numbers):
        recorder = BudgetRecorder(run, 16, 10, init, "cpu", NaNGuard(), init_weights=init)
        recorder.on_train_begin()
        for epoch in numbers:
            recorder.on_epoch_begin(epoch)
            recorder.on_epoch_end(epoch)

    epochs([0, 1])  # then a kill during epoch 3 (index 2), and a resume from epoch 2's end
    epochs([1, 2])  # epoch 2 again (a resume that restarted it), then epoch 3
    record = json.loads((run / "budget.json").read_text())
    assert record["run"]["epochs"] == 3 and record["run"]["crops"] == 3 * 10 * 16
    assert record["cumulative"]["crops"] == 1000 + 480
    assert record["cumulative"]["gpu_minutes"] == 2.0 and record["init_weights"] == init
    assert budget.describe(record["cumulative"]).startswith("1,480 crops")
    # A checkpoint released from the middle of the run counts its start and its epochs only.
    through_two = budget.budget_through_epoch(record, 2)
    assert through_two["crops"] == 1000 + 2 * 10 * 16 and through_two["gpu_minutes"] == 2.0
    seconds = sum(record["run"]["per_epoch"][e]["seconds"] for e in ("1", "2"))
    assert through_two["cpu_hours"] == pytest.approx(0.5 + seconds / 3600, abs=1e-4)
    assert budget.budget_through_epoch(record, 3) == record["cumulative"]
    with pytest.raises(ValueError, match="epoch 4"):
        budget.budget_through_epoch(record, 4)


def _finished_run(folder, epochs, config_text, best_epoch=None, init=None, init_weights=None):
    """A run folder with `epochs` recorded epochs of 10 steps x 16 crops (60 s each)."""
    from kcolor.training import budget

    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.yaml").write_text(config_text)
    if best_epoch:
        (folder / "checkpoints" / "best.txt").write_text(f"val_loss 1.0 epoch {best_epoch}\n")
    per_epoch = {
        str(e): {"steps": 10, "seconds": 60.0, "device": "cpu"} for e in range(1, epochs + 1)
    }
    run = {"crops": 160 * epochs, "steps": 10 * epochs, "cpu_hours": epochs / 60}
    run.update(epochs=epochs, per_epoch=per_epoch)
    budget.write_budget(folder, run, init or budget.empty_budget(), init_weights)


def test_weights_budget_counts_only_the_epochs_the_kept_weights_went_through(tmp_path):
    """A run keeps its best epoch and the next starts from it: the weights were trained on the
    kept epochs of their lineage, the runs spent more (budget.json's cumulative)."""
    from kcolor.training import budget

    first, second = tmp_path / "stage1", tmp_path / "stage2"
    _finished_run(first, 3, "restore_best: true\n", best_epoch=2)
    assert budget.weights_budget(first)["crops"] == 320  # epochs 1-2 of 3
    # The next stage, recorded the old way (no init_weights): its start is followed by name.
    spent_start = budget.init_budget(str(first))
    _finished_run(second, 2, f"init_generator: {first}\n", best_epoch=1, init=spent_start)
    assert budget.read_budget(second)["cumulative"]["crops"] == 480 + 320
    kept = budget.weights_budget(second)
    assert kept["crops"] == 320 + 160 and kept["cpu_hours"] == pytest.approx(3 / 60, abs=1e-4)
    scored_copy = second / "eval" / "epoch2-t0.4.keras"  # tools/score_checkpoints.py's name
    assert budget.weights_budget(scored_copy)["crops"] == 320 + 320
    checkpoint = second / "checkpoints" / "epoch-002.weights.h5"
    assert budget.init_budget(str(checkpoint))["crops"] == 480 + 320  # spent through epoch 2
    # init_weights, once recorded, is used as it is; a run kept its last epoch without
    # restore_best; a start from a shipped name, unrecorded, is unknown, not guessed.
    third = tmp_path / "stage3"
    _finished_run(third, 2, "restore_best: false\n", best_epoch=1, init_weights={"crops": 7})
    assert budget.weights_budget(third)["crops"] == 7 + 320
    fourth = tmp_path / "stage4"
    _finished_run(fourth, 1, "init_generator: default\n", best_epoch=1)
    assert budget.weights_budget(fourth) is None
    assert budget.weights_budget(tmp_path / "elsewhere.keras") is None


def test_kcolor_runs_holds_default_run_folders_and_resume_finds_them(
    shared_data, tmp_path, monkeypatch
):
    """Issue 17: a campaign's folders live outside the clone, under $KCOLOR_RUNS."""
    runs = tmp_path / "runs-elsewhere"
    monkeypatch.setenv("KCOLOR_RUNS", str(runs))
    monkeypatch.chdir(tmp_path)
    args = ["train", "--data", str(shared_data / "set14"), "--epochs", "1"]
    args += ["--image-size", "32", "--batch-size", "4", "--set", "model.filters=[4,8]"]
    result = CliRunner().invoke(main, [*args, "--steps-per-epoch", "1"])
    assert result.exit_code == 0, result.output
    assert (runs / "default-l1" / "generator.keras").is_file() and not (tmp_path / "runs").exists()
    budget = json.loads((runs / "default-l1" / "budget.json").read_text())
    assert budget["run"]["crops"] == 4 and budget["cumulative"]["crops"] == 4
    again = ["train", "--run-dir", "default-l1", "--resume", "--epochs", "2"]
    result = CliRunner().invoke(main, again)
    assert result.exit_code == 0, result.output
    assert f"resuming {runs / 'default-l1'} at epoch 2 of 2" in result.output
    assert json.loads((runs / "default-l1" / "budget.json").read_text())["run"]["crops"] == 8


def test_guidance_only_trains_the_hint_paths_and_keeps_every_trunk_weight(shared_data, tmp_path):
    base = {
        "arch": "unet",
        "data": str(shared_data / "set5"),
        "image_size": 32,
        "batch_size": 2,
        "epochs": 1,
        "steps_per_epoch": 2,
        "model": {"filters": [4, 8]},
        "seed": 0,
    }
    pretrained = train(config_from_dict({**base, "run_dir": str(tmp_path / "pre")}))
    start = keras.saving.load_model(pretrained.generator_path)
    guided = {
        **base,
        "run_dir": str(tmp_path / "guided"),
        "init_generator": str(tmp_path / "pre"),
        "guidance_only": True,
        "palette_fraction": 1.0,
        "lr": 1e-2,
        "model": {"filters": [4, 8], "guided": True},
    }
    result = train(config_from_dict(guided))
    trained = keras.saving.load_model(result.generator_path)
    moved = []
    for layer in trained.layers:
        if not layer.weights:
            continue
        if layer.name.startswith(("hints", "palette")):
            moved.append(any(np.abs(w).max() > 0 for w in layer.get_weights()))
            continue
        before = start.get_layer(layer.name).get_weights()
        for a, b in zip(layer.get_weights(), before, strict=True):
            np.testing.assert_array_equal(a, b)  # BatchNorm statistics included
    assert moved and all(moved)
    automatic = {**guided, "model": {"filters": [4, 8]}, "run_dir": str(tmp_path / "auto")}
    with pytest.raises(TrainingError, match="guidance_only needs a guided generator"):
        build_model(config_from_dict(automatic), has_validation=False)
