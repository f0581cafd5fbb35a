"""The hint sweep: score each model at 0, 1, 2, 5, ... color points (Zhang et al. 2017's
`test_sweep.py` protocol), so that "what a few points buy" is a number.

Protocol: the standard 256-px center crop (kcolor.evaluation.protocols); for each photo and each
point count N, N patches of 6 x 6 px with Gaussian centers, each painted with the patch's mean
true ab (kcolor.color.hints.sweep_hints). The draw is a function of (seed, photo index, N) only:
every model gets the same points, a rerun gets them again, and each N draws anew (as theirs).
`palette` adds a global hint: none, the photo's own (`truth`, an upper bound) or the previous
photo's in the set (`other`).

Metrics are the standard protocol's (sRGB PSNR and SSIM, colorfulness, cast) plus
`hint_error`: the mean ab distance (Lab units, L2) between the output and the hint over the hint
pixels, pooled over the set.
"""

import numpy as np
import tensorflow as tf

from kcolor.color import ab_bins, hints, lab_ops
from kcolor.color.lab_scale import AB_SCALE
from kcolor.evaluation.protocols import (
    EvaluationError,
    Scores,
    conventions,
    evaluation_dataset,
    load_predictors,
    score_batch,
    versions,
)

SWEEP_COUNTS = (0, 1, 2, 5, 10, 20, 50, 100)
SWEEP_SEED = 2017
SWEEP_METRICS = ("psnr", "ssim", "colorfulness", "cast")
PALETTES = ("none", "truth", "other")
HINT_ERROR_CONVENTION = (
    "mean ab distance sqrt(da^2+db^2) (Lab units) between output and hint over the hint pixels, "
    "pooled over the set"
)


def parse_counts(text):
    """ "0,1,2,5" -> (0, 1, 2, 5): distinct non-negative point counts, in the given order."""
    try:
        counts = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise ValueError(f"--hints expects point counts like 0,1,2,5,10, got {text!r}") from None
    if not counts or min(counts) < 0:
        raise ValueError(f"--hints expects non-negative point counts, got {text!r}")
    return counts


def hint_sweep(
    model_specs,
    data,
    counts=SWEEP_COUNTS,
    image_size=256,
    batch_size=16,
    limit=None,
    palette="none",
    seed=SWEEP_SEED,
    metric_names=SWEEP_METRICS,
    tfds_data_dir=None,
    progress=True,
):
    """Score each model at each point count; returns the JSON-ready result (a row per model and
    count).

    Args:
        model_specs: MODEL arguments (load_predictor), baselines `gray`, `hints-only`, `levin`
            included, or predictors; automatic models ignore the hints (their rows show it).
        counts: point counts to score.
        palette: "none", "truth" or "other" (see the module docstring).
        seed: fixes every point drawn.
        metric_names: subset of mse, psnr, ssim, colorfulness, auc, cast.
    """
    from tqdm.auto import tqdm

    if palette not in PALETTES:
        raise EvaluationError(f"palette must be one of {PALETTES}, got {palette!r}")
    unknown = sorted(set(metric_names) - {"mse", "psnr", "ssim", "colorfulness", "auc", "cast"})
    if unknown:
        raise EvaluationError(f"the hint sweep cannot score {', '.join(unknown)}")
    predictors = [  # a spec, or a predictor already made (tools/propagation_mix.py)
        spec if hasattr(spec, "predict_ab") else load_predictors([spec])[0] for spec in model_specs
    ]
    dataset, stats = evaluation_dataset(data, image_size, batch_size, tfds_data_dir)
    centers = ab_bins.in_gamut_bins()
    scores = {(p.name, n): Scores() for p in predictors for n in counts}
    n_images = 0
    previous_ab = None
    bar = tqdm(total=limit, unit="img", disable=None if progress else True, desc="hint sweep")
    for l_norm, ab_norm in dataset:
        if limit is not None and n_images >= limit:
            break
        if limit is not None:
            l_norm, ab_norm = l_norm[: limit - n_images], ab_norm[: limit - n_images]
        l_np = l_norm.numpy()
        true_ab = lab_ops.denormalize_ab(ab_norm)
        true_ab_np = true_ab.numpy()
        truth_rgb = lab_ops.normalized_lab_to_uint8(l_norm, ab_norm)
        palettes = _palettes(palette, true_ab_np, previous_ab, centers)
        previous_ab = true_ab_np[-1]
        for count in counts:
            guidance = _sweep_guidance(true_ab_np, n_images, count, seed, palettes)
            for predictor in predictors:
                pred_ab_norm = predictor.predict_ab(l_np, guidance)
                pred_ab = pred_ab_norm * AB_SCALE
                pred_rgb = lab_ops.normalized_lab_to_uint8(l_norm, tf.constant(pred_ab_norm))
                row = scores[(predictor.name, count)]
                score_batch(
                    row,
                    metric_names,
                    "standard",
                    pred_rgb,
                    truth_rgb,
                    tf.constant(pred_ab),
                    true_ab,
                )
                if count:
                    row.add_pooled("hint_error", *_hint_error_sums(pred_ab, guidance))
        n_images += int(l_norm.shape[0])
        bar.update(int(l_norm.shape[0]))
    bar.close()
    if n_images == 0:
        raise EvaluationError(f"no usable images in {data} ({stats.summary()})")
    if palette == "other" and n_images < 2:
        raise EvaluationError("--palette other needs at least 2 photos")
    rows = [
        {"model": p.name, "points": n, "metrics": scores[(p.name, n)].summary()}
        for p in predictors
        for n in counts
    ]
    return {
        "protocol": "hint sweep",
        "data": str(data),
        "image_size": image_size,
        "n_images": n_images,
        "points": list(counts),
        "patch_side": hints.SWEEP_PATCH_SIDE,
        "seed": seed,
        "palette": palette,
        "skipped": {"grayscale": stats.gray, "unreadable": len(stats.bad)},
        "conventions": {**conventions("standard"), "hint_error": HINT_ERROR_CONVENTION},
        "versions": versions(),
        "results": rows,
        "notices": [],
    }


def _palettes(palette, true_ab, previous_ab, centers):
    """One palette vector per photo of the batch (Lab-unit ab in, `(B, Q + 1)` out)."""
    if palette == "none":
        return np.stack([hints.no_palette(centers)] * len(true_ab))
    if palette == "truth":
        return np.stack([hints.palette_histogram(ab, centers) for ab in true_ab])
    # "other": the previous photo of the set (the first photo takes the second's).
    sources = [previous_ab, *true_ab[:-1]] if previous_ab is not None else None
    if sources is None:
        sources = [true_ab[1 % len(true_ab)], *true_ab[:-1]]
    return np.stack([hints.palette_histogram(ab, centers) for ab in sources])


def _sweep_guidance(true_ab, first_index, count, seed, palettes):
    """The batch's `Guidance` at `count` points: each photo's own draw (normalized ab)."""
    maps = [
        hints.sweep_hints(ab, count, hints.sweep_rng(seed, first_index + i, count))
        for i, ab in enumerate(true_ab)
    ]
    hint_ab = np.stack([m[0] for m in maps]) / AB_SCALE
    return hints.Guidance(hint_ab, np.stack([m[1] for m in maps]), palettes)


def _hint_error_sums(pred_ab, guidance):
    """Per photo: the summed ab distance to the hints over its hint pixels, and their count."""
    mask = guidance.hint_mask[..., 0]
    distance = np.linalg.norm(pred_ab - guidance.hint_ab * AB_SCALE, axis=-1)
    return (distance * mask).sum(axis=(1, 2)), mask.sum(axis=(1, 2))


def format_sweep_table(result):
    """Terminal table: a row per model and point count."""
    names = list(dict.fromkeys(k for r in result["results"] for k in r["metrics"]))
    header = ["model", "points", *names]
    rows = []
    for entry in result["results"]:
        row = [entry["model"], str(entry["points"])]
        for name in names:
            value = entry["metrics"].get(name)
            row.append("" if value is None else f"{value['mean']:.4f}")
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    footer = (
        f"{result['n_images']} images from {result['data']} at {result['image_size']} px, "
        f"hint sweep ({result['patch_side']}-px points, seed {result['seed']}, palette "
        f"{result['palette']})"
    )
    return "\n".join([*lines, footer])
