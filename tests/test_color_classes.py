"""The color-class objective: bins, soft targets, rebalancing, annealed mean, loss, training,
export parity, and the AuC metric, each against a plain NumPy or scikit-image computation."""

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main
from skimage import color as skcolor

from kcolor.color import ab_bins
from kcolor.color.prior import ColorPrior
from kcolor.evaluation.metrics import ab_auc
from kcolor.models import build_generator
from kcolor.models.annealed_mean import AnnealedMean
from kcolor.training.losses import ColorClassLoss

TINY = ["--set", "model.filters=[8,16]", "--image-size", "32", "--batch-size", "4"]


@pytest.fixture(scope="module")
def centers():
    return ab_bins.in_gamut_bins()


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_bins_are_the_cells_that_hold_srgb_colors(centers):
    # An independent scan: scikit-image's Lab of an sRGB grid of 96 steps per channel.
    steps = np.linspace(0, 1, 96)
    rgb = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), -1).reshape(-1, 1, 3)
    ab = skcolor.rgb2lab(rgb).reshape(-1, 3)[:, 1:]
    assert len(centers) == 262 and np.all(centers % 10 == 0)
    nearest = ab_bins.nearest_bin(ab, centers)
    # Every sRGB color lies in the cell (half-width 5) of its nearest bin ...
    assert np.abs(ab - centers[nearest]).max() <= 5.0 + 1e-3
    # ... and (almost) every bin holds some of these colors: bins are in gamut.
    assert len(np.unique(nearest)) >= len(centers) - 3


def test_soft_encoding_sums_to_one_over_five_gaussian_neighbors(centers):
    rng = np.random.default_rng(0)
    pixels = np.concatenate([rng.uniform(-60, 60, (200, 2)), centers[:20], [[3.0, 7.0]]])
    targets, nearest = ab_bins.soft_encode(pixels.astype(np.float32), centers)
    targets, nearest = np.asarray(targets), np.asarray(nearest)
    np.testing.assert_allclose(targets.sum(-1), 1.0, atol=1e-5)
    assert np.all((targets > 0).sum(-1) == 5)
    for pixel, target in zip(pixels, targets, strict=True):
        d2 = ((centers - pixel) ** 2).sum(-1)
        chosen = np.flatnonzero(target)
        # The chosen bins are 5 nearest ones (any of them where distances tie) ...
        np.testing.assert_allclose(np.sort(d2[chosen]), np.sort(d2)[:5], atol=0.05)
        # ... weighted by a Gaussian of sigma 5 Lab units.
        expected = np.exp(-d2[chosen] / (2 * 5.0**2))
        np.testing.assert_allclose(target[chosen], expected / expected.sum(), atol=1e-4)
    np.testing.assert_array_equal(nearest, ab_bins.nearest_bin(pixels, centers))


def test_rebalancing_weights_have_mean_one_and_favor_rare_colors(centers):
    counts = np.zeros(len(centers))
    gray = ab_bins.nearest_bin(np.zeros((1, 2)), centers)[0]
    counts[gray] = 1000
    counts[5] = 1
    prior = ab_bins.smoothed_prior(counts, centers)
    d2 = ((centers - centers[gray]) ** 2).sum(-1)
    neighbor = int(np.argmin(np.where(d2 > 0, d2, np.inf)))  # 10 Lab units away
    assert prior[neighbor] / prior[gray] == pytest.approx(np.exp(-100 / 50), rel=0.02)
    weights = ab_bins.rebalancing_weights(prior)
    assert np.sum(prior * weights) == pytest.approx(1.0, abs=1e-5)
    assert weights[gray] < 1 < weights[5]
    # mix = 1 is uniform weighting: every weight is 1.
    np.testing.assert_allclose(ab_bins.rebalancing_weights(prior, mix=1.0), 1.0, rtol=1e-6)


def test_annealed_mean_at_t1_is_the_expected_ab_and_small_t_the_mode(centers):
    logits = np.random.default_rng(1).normal(0, 2, (3, 4, len(centers))).astype(np.float32)
    expected = _softmax(logits) @ centers
    np.testing.assert_allclose(ab_bins.annealed_mean(logits, centers, 1.0), expected, atol=1e-3)
    annealed = _softmax(logits / 0.38) @ centers
    np.testing.assert_allclose(ab_bins.annealed_mean(logits, centers), annealed, atol=1e-3)
    mode = centers[np.argmax(logits, -1)]
    np.testing.assert_allclose(ab_bins.annealed_mean(logits, centers, 1e-4), mode, atol=1e-3)
    layer = AnnealedMean(centers / 110.0, 1.0)
    np.testing.assert_allclose(layer(logits), expected / 110.0, atol=1e-5)
    assert AnnealedMean.from_config(layer.get_config()).temperature == 1.0


def test_class_loss_matches_numpy_cross_entropy_and_pools_to_a_strided_head(centers):
    rng = np.random.default_rng(2)
    weights = rng.uniform(0.5, 2.0, len(centers)).astype(np.float32)
    ab_norm = rng.uniform(-0.5, 0.5, (2, 4, 4, 2)).astype(np.float32)
    logits = rng.normal(0, 1, (2, 2, 2, len(centers))).astype(np.float32)
    loss = ColorClassLoss(centers, weights)
    # Reference: pool ab 2x2, soft targets by NumPy, weighted cross-entropy, mean.
    pooled = ab_norm.reshape(2, 2, 2, 2, 2, 2).mean(axis=(2, 4)) * 110.0
    d2 = ((pooled[..., None, :] - centers) ** 2).sum(-1)
    order = np.argsort(d2, -1)[..., :5]
    kernel = np.exp(-np.take_along_axis(d2, order, -1) / 50.0)
    targets = np.zeros_like(d2)
    np.put_along_axis(targets, order, kernel / kernel.sum(-1, keepdims=True), -1)
    log_p = np.log(_softmax(logits.astype(np.float64)))
    per_pixel = -(targets * log_p).sum(-1) * weights[order[..., 0]]
    assert float(loss(ab_norm, logits)) == pytest.approx(per_pixel.mean(), rel=1e-4)
    assert ColorClassLoss.from_config(loss.get_config()).weights.shape == (len(centers),)


def test_color_prior_command_writes_weights_with_mean_one(shared_data, tmp_path):
    out = tmp_path / "prior.npz"
    result = CliRunner().invoke(main, ["color-prior", str(shared_data / "set14"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    prior = ColorPrior.load(out)
    assert prior.images == 12 and prior.counts.sum() == 12 * 64 * 64
    for mix in (0.5, 0.8):
        assert np.sum(prior.prior * prior.weights(mix)) == pytest.approx(1.0, abs=1e-5)
    with np.load(out) as saved:  # issue 19, item 17: no weights of one mix in the file
        assert "weights" not in saved.files
    bad = tmp_path / "bad.npz"
    bad.write_text("not a prior")
    with pytest.raises(ValueError, match="not a kcolor color prior"):
        ColorPrior.load(bad)


@pytest.mark.parametrize("arch", ["default", "unet", "cnn"])
def test_train_classification_for_each_generator(arch, shared_data, tmp_path):
    run = tmp_path / arch
    args = ["train", "--arch", arch, "--loss", "classification", "--data"]
    args += [str(shared_data / "set14"), "--epochs", "1", "--steps-per-epoch", "2"]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(run), *TINY])
    assert result.exit_code == 0, result.output
    assert ColorPrior.load(run / "color_prior.npz").images == 12
    generator = keras.saving.load_model(run / "generator.keras")
    assert generator.head == "classification"
    ab = generator.predict(np.zeros((1, 32, 48, 1), np.float32), verbose=0)
    assert ab.shape == (1, 32, 48, 2) and np.abs(ab).max() <= 1.0


def test_validation_at_its_own_size_logs_the_cast(shared_data, tmp_path):
    """A stage trains on 32-px crops and is judged on 48-px ones (like 192 px judged at 256),
    with the cast beside the loss in its history."""
    from PIL import Image

    run = tmp_path / "run"
    args = ["train", "--loss", "classification", "--data", str(shared_data / "set14")]
    args += ["--val-data", str(shared_data / "set5"), "--val-image-size", "48"]
    args += ["--epochs", "1", "--steps-per-epoch", "2", "--run-dir", str(run), *TINY]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    header = (run / "history.csv").read_text().splitlines()[0].split(",")
    assert {"cast", "val_cast", "val_loss"} <= set(header)
    assert "val_image_size: 48" in (run / "config.yaml").read_text()
    with Image.open(run / "samples" / "epoch-001.png") as grid:  # gray | colors | truth
        assert grid.width == 3 * 48


def test_gan_fine_tunes_a_classification_generator_and_regression_init_is_refused(
    shared_data, tmp_path
):
    data = ["--data", str(shared_data / "set14"), "--epochs", "1", "--steps-per-epoch", "1"]
    base = tmp_path / "class"
    result = CliRunner().invoke(
        main, ["train", "--loss", "classification", *data, "--run-dir", str(base), *TINY]
    )
    assert result.exit_code == 0, result.output
    gan = tmp_path / "gan"
    args = ["train", "--arch", "gan", "--init-generator", str(base), *data]
    args += ["--run-dir", str(gan), "--set", "gan.d_filters=[4,8]", "--image-size", "32"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert keras.saving.load_model(gan / "generator.keras").head == "classification"
    regression = tmp_path / "l1"
    result = CliRunner().invoke(main, ["train", *data, "--run-dir", str(regression), *TINY])
    assert result.exit_code == 0, result.output
    args = ["train", "--loss", "classification", "--init-generator", str(regression), *data]
    result = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "x"), *TINY])
    assert result.exit_code != 0 and "class head" in result.output


def test_classification_generator_exports_to_tflite_with_parity(shared_data, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    generator = build_generator("default", head="classification", filters=(8, 16, 32))
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.3, w.shape).astype("float32") for w in generator.get_weights()]
    generator.set_weights(weights)
    model = tmp_path / "class.keras"
    generator.save(model)
    for quantize, bar in (("none", 45), ("int8", 25)):
        out = tmp_path / f"class-{quantize}.tflite"
        args = ["export", str(model), "--format", "tflite", "--quantize", quantize, "--size", "64"]
        args += ["--calibration-data", str(shared_data / "set14"), "-o", str(out)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        line = next(x for x in result.output.splitlines() if x.startswith("parity"))
        psnr = float("inf") if "identical" in line else float(line.split("PSNR ")[1].split()[0])
        assert psnr >= bar, line
        ops = {op["op_name"] for op in Interpreter(model_path=str(out))._get_ops_details()}
        assert not any(name.startswith("Flex") or name == "CUSTOM" for name in ops), ops


def test_auc_matches_a_numpy_loop_over_thresholds():
    rng = np.random.default_rng(4)
    truth = rng.uniform(-80, 80, (3, 16, 16, 2))
    predicted = truth + rng.normal(0, 40, truth.shape)
    predicted[0] = truth[0]  # a perfect image scores 1
    predicted[1, :4] += 200  # errors beyond 150 count in no threshold
    errors = np.sqrt(((predicted - truth) ** 2).sum(-1))
    reference = [np.mean([np.mean(e <= t) for t in range(151)]) for e in errors]
    ours = ab_auc(predicted, truth).numpy()
    np.testing.assert_allclose(ours, reference, atol=1e-12)
    assert ours[0] == 1.0


def test_evaluate_reports_auc(shared_data, small_run):
    args = ["evaluate", "gray", str(small_run), "--data", str(shared_data / "set5")]
    args += ["--metrics", "auc,psnr", "--image-size", "64"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "model " in line)
    assert header.split("model")[-1].split() == ["auc", "psnr"]
    gray_auc = next(line for line in result.output.splitlines() if line.startswith("gray"))
    assert 0.5 < float(gray_auc.split()[1]) < 1.0


def test_rebalance_mix_and_regression_weights_reach_the_loss(centers):
    from kcolor.training.config import config_from_dict
    from kcolor.training.model_build import build_model

    counts = np.random.default_rng(5).integers(0, 1000, len(centers))
    prior = ColorPrior.from_counts(centers, counts, images=1)
    values = {"data": "x", "loss": "classification", "model": {"filters": [4, 8]}}
    for mix in (0.5, 1.0):
        config = config_from_dict({**values, "rebalance_mix": mix})
        model, _, _ = build_model(config, has_validation=False, color_prior=prior)
        expected = ab_bins.rebalancing_weights(prior.prior, mix=mix)
        np.testing.assert_allclose(model.loss.weights, expected, rtol=1e-6)
    assert np.all(model.loss.weights == 1.0)  # mix 1: no rebalancing
    config = config_from_dict({**values, "ab_regression_weight": 20, "ab_neutral_weight": 15})
    model, _, _ = build_model(config, has_validation=False, color_prior=prior)
    assert (model.loss.regression_weight, model.loss.neutral_weight) == (20.0, 15.0)
    with pytest.raises(ValueError, match="ab_neutral_weight"):
        config_from_dict({**values, "ab_neutral_weight": -1})


def test_regression_term_adds_weighted_l1_of_the_decoded_colors(centers):
    from kcolor.training.losses import decoded_regression_values

    rng = np.random.default_rng(6)
    ab_norm = rng.uniform(-0.5, 0.5, (2, 4, 4, 2)).astype(np.float32)
    logits = rng.normal(0, 2, (2, 4, 4, len(centers))).astype(np.float32)
    # Reference: annealed mean at T 0.8 by NumPy, then L1 on ab / 110, mean over a and b.
    decoded = _softmax(logits.astype(np.float64) / 0.8) @ centers / 110.0
    l1 = np.abs(decoded - ab_norm).mean(-1)
    ours = decoded_regression_values(ab_norm, logits, centers, temperature=0.8, kind="l1")
    np.testing.assert_allclose(np.asarray(ours), l1, rtol=1e-4, atol=1e-6)
    plain = ColorClassLoss(centers)
    tied = ColorClassLoss(centers, regression_weight=10.0, temperature=0.8)
    expected = float(plain(ab_norm, logits)) + 10.0 * l1.mean()
    assert float(tied(ab_norm, logits)) == pytest.approx(expected, rel=1e-4)
    huber = decoded_regression_values(ab_norm, logits, centers, 0.8, kind="huber", delta=0.1)
    r = np.abs(decoded - ab_norm)
    reference = np.where(r <= 0.1, 0.5 * r**2, 0.1 * (r - 0.05)).mean(-1)
    np.testing.assert_allclose(np.asarray(huber), reference, rtol=1e-4, atol=1e-7)
    again = ColorClassLoss.from_config(tied.get_config())
    assert (again.regression_weight, again.temperature) == (10.0, 0.8)
    with pytest.raises(ValueError, match="regression must be one of"):
        ColorClassLoss(centers, regression="mse")


def test_neutral_term_weights_the_l1_only_where_the_truth_is_gray(centers):
    rng = np.random.default_rng(7)
    ab_norm = rng.uniform(-0.5, 0.5, (2, 4, 4, 2)).astype(np.float32)
    ab_norm[:, :2] *= 0.02  # the top half is gray: chroma under 5 Lab units (0.045 * 110)
    logits = rng.normal(0, 2, (2, 4, 4, len(centers))).astype(np.float32)
    decoded = _softmax(logits.astype(np.float64) / 0.8) @ centers / 110.0
    l1 = np.abs(decoded - ab_norm).mean(-1)
    gray = np.hypot(ab_norm[..., 0], ab_norm[..., 1]) * 110.0 < 5.0
    assert gray[:, :2].all() and not gray[:, 2:].any()
    plain = ColorClassLoss(centers, regression_weight=10.0, temperature=0.8)
    neutral = ColorClassLoss(centers, regression_weight=10.0, temperature=0.8, neutral_weight=20.0)
    expected = float(plain(ab_norm, logits)) + 20.0 * (l1 * gray).mean()
    assert float(neutral(ab_norm, logits)) == pytest.approx(expected, rel=1e-4)
    only = ColorClassLoss(centers, temperature=0.8, neutral_weight=20.0)
    alone = float(ColorClassLoss(centers)(ab_norm, logits)) + 20.0 * (l1 * gray).mean()
    assert float(only(ab_norm, logits)) == pytest.approx(alone, rel=1e-4)
    assert ColorClassLoss.from_config(neutral.get_config()).neutral_weight == 20.0


def test_neutral_chroma_matches_numpy_and_gray_scores_zero():
    from kcolor.evaluation.metrics import neutral_chroma_sums

    rng = np.random.default_rng(7)
    truth = rng.uniform(-8, 8, (3, 16, 16, 2))
    truth[2] = 40.0  # no neutral pixel at all
    predicted = rng.normal(5, 10, truth.shape)
    sums, counts = (np.asarray(v) for v in neutral_chroma_sums(predicted, truth))
    neutral = np.hypot(truth[..., 0], truth[..., 1]) < 5
    chroma = np.hypot(predicted[..., 0], predicted[..., 1])
    np.testing.assert_allclose(sums, [(chroma[i] * neutral[i]).sum() for i in range(3)])
    np.testing.assert_array_equal(counts, neutral.reshape(3, -1).sum(-1))
    assert counts[2] == 0
    gray_sums, _ = neutral_chroma_sums(np.zeros_like(truth), truth)
    assert np.all(np.asarray(gray_sums) == 0)


def test_training_cast_metric_pools_neutral_pixels_like_numpy(centers):
    """`cast` in a run's history: a class head decoded at its temperature, scored at its own
    (strided) resolution against the pooled truth, pooled over batches like evaluate's."""
    from kcolor.training.losses import NeutralCast, decoded_cast

    rng = np.random.default_rng(8)
    truth = rng.uniform(-0.06, 0.06, (2, 2, 8, 8, 2)).astype(np.float32)  # ab / 110: some < 5
    logits = rng.normal(0, 2, (2, 2, 4, 4, len(centers))).astype(np.float32)
    metric = decoded_cast(centers, temperature=0.6)
    chroma_sum = neutral = 0.0
    for y_true, y_pred in zip(truth, logits, strict=True):
        metric.update_state(y_true, y_pred)
        pooled = y_true.astype(np.float64).reshape(2, 4, 2, 4, 2, 2).mean(axis=(2, 4)) * 110
        mask = np.hypot(pooled[..., 0], pooled[..., 1]) < 5
        ab = _softmax(y_pred.astype(np.float64) / 0.6) @ centers
        chroma_sum += (np.hypot(ab[..., 0], ab[..., 1]) * mask).sum()
        neutral += mask.sum()
    assert 0 < neutral < truth[..., 0].size / 4
    assert float(metric.result()) == pytest.approx(chroma_sum / neutral, rel=1e-4)
    regression = NeutralCast()  # a regression head's output is normalized ab already
    regression.update_state(truth[0], np.zeros_like(truth[0]))
    assert float(regression.result()) == 0.0  # gray scores 0
    regression.reset_state()
    regression.update_state(truth[0], np.full_like(truth[0], 0.03))
    assert float(regression.result()) == pytest.approx(np.hypot(3.3, 3.3), rel=1e-5)


def test_evaluate_reports_cast_pooled_over_neutral_pixels(shared_data, small_run):
    from kcolor.evaluation.protocols import evaluate

    result = evaluate(
        ["gray", str(small_run)],
        str(shared_data / "set5"),
        image_size=64,
        metric_names=["cast", "psnr"],
        progress=False,
    )
    gray, model = (r["metrics"]["cast"] for r in result["results"])
    assert gray["mean"] == 0.0 and model["mean"] > 0.0
    assert "under 5" in result["conventions"]["cast"]
