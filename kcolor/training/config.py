"""Training configuration: frozen dataclasses, YAML recipes, `key=value` overrides.

Precedence, lowest first: dataclass defaults < recipe YAML (`--config`) < command-line options
< `--set key=value` (dotted keys reach nested sections, e.g. `--set gan.l1_weight=0.5`).
The resolved config is written to `RUN_DIR/config.yaml`; `--resume` reads it back.
"""

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kcolor.names import (
    ADVERSARIAL_KINDS,
    ARCHS,
    BACKENDS,
    GENERATOR_ARCHS,
    HUBER_DELTA,
    LOSSES,
    LR_SCHEDULES,
    PRECISIONS,
    STRATEGIES,
)


@dataclass(frozen=True)
class GANConfig:
    """GAN-only settings (used when `arch` is "gan").

    Attributes:
        generator: generator architecture ("default", "unet" or "cnn"), unless `init_generator`.
        adversarial: "vanilla" (BCE, pix2pix), "lsgan" or "hinge".
        l1_weight: weight of the L1 term in G's loss (pix2pix: 100; the study: 0.5).
        label_smoothing: one-sided smoothing of D's real target.
        instance_noise: std of Gaussian noise on D's inputs.
        d_filters: discriminator stage widths; d_norm: its normalization ("spectral" too).
        d_lr: discriminator learning rate (defaults to `lr`).
    """

    generator: str = "default"
    adversarial: str = "vanilla"
    l1_weight: float = 100.0
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    d_filters: tuple = (64, 128, 256)
    d_norm: str = "batch"
    d_lr: float | None = None


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs; see `kcolor train --help` for the meaning of each field.

    `batch_size` is the global batch size: under a multi-device strategy each of N replicas gets
    `batch_size / N` images per step. With `lr_schedule="cosine"` the learning rate rises
    linearly from 0 to `lr` over the first `warmup_fraction` of all steps, then follows a cosine
    down to 1% of `lr` at the last step. `restore_best` saves the generator of the epoch with
    the best validation loss (regression and classification runs; a GAN keeps its last epoch,
    since its L1 term alone would pick the least adversarial one).
    `backend` is the Keras backend ("tensorflow", "jax" or "torch"): tensorflow reads data with
    tf.data and distributes with tf.distribute; jax and torch read it with Pillow and NumPy
    (`kcolor.data.photo_batches`, `workers` threads) and never import TensorFlow.
    """

    arch: str = "default"
    loss: str = "l1"
    data: str = ""
    val_data: str | None = None
    val_fraction: float = 0.05
    image_size: int = 256
    val_image_size: int | None = None
    batch_size: int = 16
    epochs: int = 20
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    lr: float = 1e-4
    lr_schedule: str = "cosine"
    warmup_fraction: float = 0.02
    beta_1: float = 0.9
    huber_delta: float = HUBER_DELTA
    run_dir: str | None = None
    strategy: str = "auto"
    backend: str = "tensorflow"
    workers: int = 2
    mixed_precision: str = "off"
    init_generator: str | None = None
    color_prior: str | None = None
    rebalance_mix: float = 0.5
    ab_regression: str = "l1"
    ab_regression_weight: float = 0.0
    ab_neutral_weight: float = 0.0
    train_semantic_encoder: bool = False
    guidance_only: bool = False
    palette_fraction: float = 0.5
    restore_best: bool = True
    seed: int | None = None
    skip_gray: bool = True
    min_colorfulness: float = 0.0
    cache: bool = False
    tfds_data_dir: str | None = None
    keep_checkpoints: int = 3
    backup_every_steps: int = 200
    sample_count: int = 6
    time_limit_minutes: float | None = None
    model: dict = field(default_factory=dict)
    gan: GANConfig = field(default_factory=GANConfig)

    def __post_init__(self):
        checks = [
            (self.arch in ARCHS, f"arch must be one of {ARCHS}"),
            (self.loss in LOSSES, f"loss must be one of {LOSSES}"),
            (self.lr_schedule in LR_SCHEDULES, f"lr_schedule must be one of {LR_SCHEDULES}"),
            (0 <= self.warmup_fraction < 1, "warmup_fraction must be in [0, 1)"),
            (0 < self.rebalance_mix <= 1, "rebalance_mix must be in (0, 1]"),
            (self.ab_regression in ("l1", "huber"), "ab_regression must be l1 or huber"),
            (self.ab_regression_weight >= 0, "ab_regression_weight must be >= 0"),
            (self.ab_neutral_weight >= 0, "ab_neutral_weight must be >= 0"),
            (0 <= self.palette_fraction <= 1, "palette_fraction must be in [0, 1]"),
            (self.strategy in STRATEGIES, f"strategy must be one of {STRATEGIES}"),
            (self.backend in BACKENDS, f"backend must be one of {BACKENDS}"),
            (self.workers >= 1, "workers must be at least 1"),
            (
                self.time_limit_minutes is None or self.time_limit_minutes > 0,
                "time_limit_minutes must be positive",
            ),
            (self.mixed_precision in PRECISIONS, f"mixed_precision must be one of {PRECISIONS}"),
            (
                self.gan.generator in GENERATOR_ARCHS,
                f"gan.generator must be one of {GENERATOR_ARCHS}",
            ),
            (
                self.gan.adversarial in ADVERSARIAL_KINDS,
                f"gan.adversarial must be one of {ADVERSARIAL_KINDS}",
            ),
            (bool(self.data), "data is required (a folder, a .txt list or tfds:NAME[:SPLIT])"),
            (self.image_size >= 8, "image_size must be at least 8"),
            (
                self.val_image_size is None or self.val_image_size >= 8,
                "val_image_size must be at least 8",
            ),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (self.epochs >= 1, "epochs must be at least 1"),
            (
                self.steps_per_epoch is None or self.steps_per_epoch >= 1,
                "steps_per_epoch must be at least 1",
            ),
            (self.lr > 0, "lr must be positive"),
            (self.keep_checkpoints >= 1, "keep_checkpoints must be at least 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self):
        """Plain dict (tuples as lists) for YAML."""
        return _plain(dataclasses.asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def parse_set(assignments):
    """Turn `["gan.l1_weight=0.5", "model.filters=[8, 16]"]` into a nested dict (YAML values)."""
    nested = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects key=value, got {assignment!r}")
        target = nested
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = yaml.safe_load(raw)
    return nested


def merge(base, update):
    """Recursive dict merge; `update` wins."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_yaml(path):
    """A YAML mapping from a file, with a clear error for a missing or malformed file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of config keys")
    return data


def config_from_dict(values):
    """Build a TrainConfig, rejecting unknown keys (a typo must not be silently ignored)."""
    values = dict(values)
    gan_values = values.pop("gan", None) or {}
    _reject_unknown(values, TrainConfig, "")
    _reject_unknown(gan_values, GANConfig, "gan.")
    if "d_filters" in gan_values:
        gan_values["d_filters"] = tuple(gan_values["d_filters"])
    hints = typing.get_type_hints(TrainConfig)
    for key, value in values.items():
        if hints[key] in (float, float | None) and isinstance(value, int) and value is not True:
            values[key] = float(value)
    return TrainConfig(**values, gan=GANConfig(**gan_values))


def _reject_unknown(values, cls, prefix):
    known = [f.name for f in dataclasses.fields(cls)]
    reject_unknown_keys(values, known, prefix)


def reject_unknown_keys(values, known, prefix=""):
    """Raise ValueError in one line for keys of `values` not in `known`, naming the closest known
    keys (a typo must not be silently ignored, nor written into the run's config.yaml)."""
    unknown = sorted(set(values) - set(known))
    if not unknown:
        return
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
        if close:
            parts.append(f"{prefix}{key} (did you mean {' or '.join(prefix + c for c in close)}?)")
        else:
            parts.append(f"{prefix}{key} (known: {', '.join(prefix + k for k in sorted(known))})")
    raise ValueError(f"unknown config key(s): {'; '.join(parts)}")


def resolve_config(recipe=None, options=None, assignments=()):
    """Defaults < recipe file < options dict < `--set` assignments."""
    values = read_yaml(recipe) if recipe else {}
    values = merge(values, {k: v for k, v in (options or {}).items() if v is not None})
    values = merge(values, parse_set(assignments))
    return config_from_dict(values)


def write_config(config, path):
    """Write the resolved config as YAML (atomically)."""
    path = Path(path)
    from kcolor.fileio import atomic_write_bytes

    atomic_write_bytes(path, yaml.safe_dump(config.to_dict(), sort_keys=False).encode("utf-8"))
