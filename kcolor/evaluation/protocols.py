"""Score colorizers on a data source, under the standard protocol or the study's ("seed") one.

Conventions are stated in docs/evaluation.md and in each metric's docstring
(kcolor/evaluation/metrics.py).
Evaluation images come from `build_dataset(training=False)`: the short side resized to
`image_size`, then the center square crop (deterministic); grayscale photos are skipped because
they carry no color to score. Statistics accumulate batch by batch, so memory does not grow with
the number of images (FID keeps running sums, not images).
"""

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tensorflow as tf

from kcolor.color import lab_ops
from kcolor.data.pipeline import DataConfig, PipelineStats, build_dataset
from kcolor.evaluation import metrics
from kcolor.evaluation.fid import (
    GaussianStats,
    InceptionFeatures,
    InceptionWeightsUnavailable,
    frechet_distance,
    resolve_inception_weights,
)
from kcolor.fileio import atomic_write_png
from kcolor.models.predictors import ModelLoadError, load_predictor
from kcolor.names import EVAL_METRICS, PROTOCOLS

log = logging.getLogger(__name__)

METRICS = EVAL_METRICS


class EvaluationError(RuntimeError):
    """A model or option that cannot be evaluated; the message says why in one line."""


# ---------------------------------------------------------------------------------------------
# Accumulation


@dataclass
class Scores:
    """Per-image (or per-batch, for the seed MSE/PSNR) values of one model."""

    values: dict = field(default_factory=dict)
    fid_stats: GaussianStats | None = None

    pooled: dict = field(default_factory=dict)

    def add(self, name, batch_values):
        self.values.setdefault(name, []).extend(np.asarray(batch_values, np.float64).ravel())

    def add_pooled(self, name, sums, counts):
        """A ratio pooled over pixels (cast): mean = all sums / all counts; std and n over the
        images that have any counted pixel."""
        total = self.pooled.setdefault(name, [0.0, 0.0])
        sums, counts = np.asarray(sums, np.float64).ravel(), np.asarray(counts, np.float64).ravel()
        total[0] += float(sums.sum())
        total[1] += float(counts.sum())
        self.add(name, sums[counts > 0] / counts[counts > 0])

    def summary(self):
        result = {
            name: {"mean": float(np.mean(v)), "std": float(np.std(v)), "n": len(v)}
            for name, v in self.values.items()
        }
        for name, (total, count) in self.pooled.items():
            result[name]["mean"] = total / count if count else float("nan")
        return result


def _lab_as_rgb255(l_norm, ab_norm):
    """The study's FID input: Lab scaled to [0, 1] channel-wise (L / 100, (ab + 128) / 255),
    fed to Inception as if it were RGB; returned on the 0-255 scale."""
    lightness = lab_ops.denormalize_l(l_norm) / 100.0
    ab = metrics.seed_scale_ab(lab_ops.denormalize_ab(ab_norm))
    return tf.concat([tf.cast(lightness, tf.float64), ab], axis=-1) * 255.0


def evaluate(
    model_specs,
    data,
    image_size=256,
    batch_size=16,
    limit=None,
    protocol="standard",
    metric_names=None,
    inception_weights=None,
    samples_dir=None,
    tfds_data_dir=None,
    progress=True,
):
    """Score each model on `data`; returns the JSON-ready result dict (see docs/evaluation.md).

    Args:
        model_specs: MODEL arguments (see `kcolor.models.predictors.load_predictor`).
        data: a data source string (kcolor.data.sources).
        limit: score at most this many images.
        protocol: "standard" or "seed".
        metric_names: subset of METRICS; None means all but FID (a notice says how to add
            it). FID without available Inception weights is an error.
        inception_weights: InceptionV3 weights file (else $KCOLOR_INCEPTION_WEIGHTS, else Keras'
            download cache).
        samples_dir: write side-by-side grids (gray | each model | truth) per batch here.
    """
    from tqdm.auto import tqdm

    if protocol not in PROTOCOLS:
        raise EvaluationError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    names = list(metric_names or [m for m in METRICS if m != "fid"])
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise EvaluationError(f"unknown metric(s) {', '.join(unknown)}; choose from {METRICS}")
    notices = []
    if metric_names is None:
        notices.append(
            "FID skipped: add fid to --metrics to compute it (InceptionV3 weights: downloaded "
            "once by Keras, or --inception-weights FILE)"
        )

    # Every argument is checked before anything slow or networked (Inception weights) starts.
    predictors = load_predictors(model_specs)
    for predictor in predictors:
        fixed = getattr(predictor, "input_size", None)
        if fixed and tuple(fixed) != (image_size, image_size):
            raise EvaluationError(
                f"{predictor.name} takes fixed {fixed[0]}x{fixed[1]} inputs: evaluate it with "
                f"--image-size {fixed[0]}"
            )
    dataset, stats = evaluation_dataset(data, image_size, batch_size, tfds_data_dir)
    inception = None
    if "fid" in names:
        try:
            inception = InceptionFeatures(resolve_inception_weights(inception_weights))
        except InceptionWeightsUnavailable as err:
            raise EvaluationError(f"FID: {err}") from None

    scores = {p.name: Scores() for p in predictors}
    truth_scores = Scores()
    if inception is not None:
        for s in [*scores.values(), truth_scores]:
            s.fid_stats = GaussianStats(2048 if protocol == "standard" else 1000)

    n_images = 0
    bar = tqdm(total=limit, unit="img", disable=None if progress else True, desc="evaluating")
    for batch_index, (l_norm, ab_norm) in enumerate(dataset):
        if limit is not None and n_images >= limit:
            break
        if limit is not None:
            l_norm, ab_norm = l_norm[: limit - n_images], ab_norm[: limit - n_images]
        l_np = l_norm.numpy()
        truth_rgb = lab_ops.normalized_lab_to_uint8(l_norm, ab_norm)
        true_ab = lab_ops.denormalize_ab(ab_norm)
        if "colorfulness" in names:
            truth_scores.add(
                "colorfulness", metrics.colorfulness(tf.cast(truth_rgb, tf.float32) / 255.0)
            )
        if inception is not None:
            truth_scores.fid_stats.update(
                _fid_features(inception, protocol, truth_rgb, l_norm, ab_norm)
            )
        grids = (
            [lab_ops.normalized_lab_to_uint8(l_norm, tf.zeros_like(ab_norm))]
            if samples_dir
            else None
        )
        for predictor in predictors:
            pred_ab_norm = tf.constant(predictor.predict_ab(l_np))
            pred_rgb = lab_ops.normalized_lab_to_uint8(l_norm, pred_ab_norm)
            pred_ab = lab_ops.denormalize_ab(pred_ab_norm)
            score_batch(
                scores[predictor.name], names, protocol, pred_rgb, truth_rgb, pred_ab, true_ab
            )
            if inception is not None:
                scores[predictor.name].fid_stats.update(
                    _fid_features(inception, protocol, pred_rgb, l_norm, pred_ab_norm)
                )
            if grids is not None:
                grids.append(pred_rgb)
        if grids is not None:
            grids.append(truth_rgb)
            _write_grid(samples_dir, batch_index, grids)
        n_images += int(l_norm.shape[0])
        bar.update(int(l_norm.shape[0]))
    bar.close()
    if n_images == 0:
        raise EvaluationError(f"no usable images in {data} ({stats.summary()})")
    if inception is not None and n_images < 2:
        raise EvaluationError("FID needs at least 2 images")

    results = []
    for predictor in predictors:
        summary = scores[predictor.name].summary()
        if inception is not None:
            summary["fid"] = _fid_value(scores[predictor.name].fid_stats, truth_scores.fid_stats)
        ordered = {name: summary[name] for name in names if name in summary}
        results.append({"model": predictor.name, "metrics": ordered})
    return {
        "protocol": protocol,
        "data": str(data),
        "image_size": image_size,
        "n_images": n_images,
        "skipped": {"grayscale": stats.gray, "unreadable": len(stats.bad)},
        "conventions": conventions(protocol),
        "versions": versions(),
        "reference": {"model": "ground truth", "metrics": truth_scores.summary()},
        "results": results,
        "notices": notices,
    }


def load_predictors(model_specs):
    """The MODEL arguments as predictors (their keras form), one-line errors for bad ones."""
    try:
        return [load_predictor(spec, backend="keras") for spec in model_specs]
    except (ModelLoadError, FileNotFoundError) as err:
        raise EvaluationError(str(err)) from None


def evaluation_dataset(data, image_size, batch_size, tfds_data_dir=None):
    """The evaluation crops of `data` (deterministic center crops) and the stats they fill."""
    stats = PipelineStats()
    config = DataConfig(
        image_size=image_size,
        batch_size=batch_size,
        training=False,
        tfds_data_dir=tfds_data_dir,
        tfds_download=False,  # scoring never starts a dataset download
    )
    try:
        return build_dataset(data, config, stats=stats), stats
    except (FileNotFoundError, ValueError) as err:
        raise EvaluationError(str(err)) from None


def score_batch(scores, names, protocol, pred_rgb, truth_rgb, pred_ab, true_ab):
    if protocol == "standard":
        if "mse" in names:
            scores.add("mse", metrics.ab_mse(pred_ab, true_ab))
        if "psnr" in names:
            scores.add("psnr", metrics.psnr_rgb(pred_rgb, truth_rgb))
        if "ssim" in names:
            scores.add("ssim", metrics.ssim_rgb(pred_rgb, truth_rgb))
    else:
        batch_mse = metrics.seed_ab_mse(pred_ab, true_ab)
        if "mse" in names:
            scores.add("mse", batch_mse)
        if "psnr" in names:
            scores.add("psnr", metrics.seed_psnr(batch_mse))
        if "ssim" in names:
            scores.add("ssim", metrics.seed_ssim_ab(pred_ab, true_ab))
    if "colorfulness" in names:
        scores.add("colorfulness", metrics.colorfulness(tf.cast(pred_rgb, tf.float32) / 255.0))
    if "auc" in names:
        scores.add("auc", metrics.ab_auc(pred_ab, true_ab))
    if "cast" in names:
        scores.add_pooled("cast", *metrics.neutral_chroma_sums(pred_ab, true_ab))


def _fid_features(inception, protocol, rgb, l_norm, ab_norm):
    if protocol == "standard":
        return inception.pool3(rgb)
    return inception.logits(_lab_as_rgb255(l_norm, ab_norm))


def _fid_value(model_stats, truth_stats):
    value = frechet_distance(model_stats.mean, model_stats.cov, truth_stats.mean, truth_stats.cov)
    return {"mean": value, "std": None, "n": model_stats.count}


def _write_grid(samples_dir, batch_index, columns):
    """One PNG per batch: a row per image, columns gray | each model | truth."""
    samples_dir = Path(samples_dir)
    samples_dir.mkdir(parents=True, exist_ok=True)
    rows = np.concatenate(
        [
            np.concatenate([c.numpy()[i] for c in columns], axis=1)
            for i in range(columns[0].shape[0])
        ],
        axis=0,
    )
    atomic_write_png(samples_dir / f"batch-{batch_index:04d}.png", rows)


AUC_CONVENTION = (
    "Zhang 2016 raw accuracy: share of pixels with ab error (Lab units, L2) <= t, "
    "mean over t = 0..150, per image"
)


CAST_CONVENTION = (
    "mean predicted chroma sqrt(a^2+b^2) (Lab units) over all pixels whose true chroma is "
    "under 5, pooled over the set; std over images with such pixels; gray scores 0"
)


def conventions(protocol):
    if protocol == "standard":
        return {
            "mse": "ab in Lab units, mean over pixels and both channels, per image",
            "psnr": "sRGB uint8, data_range 255, 10*log10(255^2/MSE), per image",
            "ssim": "sRGB uint8, Gaussian window 11 sigma 1.5, data_range 255, per image",
            "fid": "Keras InceptionV3 ImageNet pool3 (2048-d) of sRGB at 299x299",
            "colorfulness": "Hasler-Suesstrunk M3 of the sRGB prediction, per image",
            "auc": AUC_CONVENTION,
            "cast": CAST_CONVENTION,
        }
    return {
        "mse": "the study's: ((ab+128)/255) squared error, mean per batch",
        "psnr": "the study's, NON-STANDARD: 20*log10(1/MSE) per batch (twice the usual value)",
        "ssim": "the study's: SSIM of the two (ab+128)/255 channels, uniform window 11, "
        "data_range 1, per image",
        "fid": "the study's variant: InceptionV3 1000 logits of Lab scaled to [0,1] fed as RGB",
        "colorfulness": "Hasler-Suesstrunk M3 of the sRGB prediction, per image",
        "auc": AUC_CONVENTION,  # the same under both protocols
        "cast": CAST_CONVENTION,
    }


def versions():
    import keras

    import kcolor

    return {"kcolor": kcolor.__version__, "tensorflow": tf.__version__, "keras": keras.__version__}


def format_table(result):
    """Terminal table: one row per model, `mean +- std` per metric, then the image count."""
    names = list(dict.fromkeys(k for r in result["results"] for k in r["metrics"]))
    header = ["model", *names]
    rows = []
    reference = result["reference"]
    # The ground truth scores only what can be scored on it (colorfulness); no empty row.
    shown_reference = [reference] if any(n in reference["metrics"] for n in names) else []
    for entry in [*result["results"], *shown_reference]:
        row = [entry["model"]]
        for name in names:
            value = entry["metrics"].get(name)
            if value is None:
                row.append("")
            elif value.get("std") is None or math.isnan(value["std"]):
                row.append(f"{value['mean']:.4f}")
            else:
                row.append(f"{value['mean']:.4f} +- {value['std']:.4f}")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    footer = (
        f"{result['n_images']} images from {result['data']} at {result['image_size']} px, "
        f"protocol {result['protocol']}"
    )
    if result["protocol"] == "seed":
        footer += " (PSNR is the study's non-standard 20*log10(1/MSE))"
    return "\n".join([*lines, footer, *result["notices"]])
