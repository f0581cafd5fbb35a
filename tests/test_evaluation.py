"""Evaluation: metrics against scikit-image, the study's formulas by hand, the CLI end to end."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main
from PIL import Image
from skimage import color as skcolor
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from kcolor.data.pipeline import build_dataset
from kcolor.evaluation import metrics
from kcolor.evaluation.protocols import EvaluationError, evaluate


def _photo_pairs(shared_data):
    """Real photos and distorted versions of them (noise and a color shift)."""
    rng = np.random.default_rng(0)
    pairs = []
    for path in sorted((shared_data / "kodak24").glob("*.png"))[:3]:
        truth = np.asarray(Image.open(path).convert("RGB"))[:200, :240]
        noisy = truth.astype(int) + rng.integers(-25, 25, truth.shape) + np.array([10, -5, 0])
        pairs.append((np.clip(noisy, 0, 255).astype(np.uint8), truth))
    return pairs


def test_psnr_and_ssim_match_scikit_image_on_real_photos(shared_data):
    for predicted, truth in _photo_pairs(shared_data):
        assert float(metrics.psnr_rgb(predicted, truth)) == pytest.approx(
            peak_signal_noise_ratio(truth, predicted, data_range=255), abs=1e-3
        )
        reference = structural_similarity(
            truth,
            predicted,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
            data_range=255,
            channel_axis=-1,
        )
        assert float(metrics.ssim_rgb(predicted, truth)) == pytest.approx(reference, abs=1e-4)


def test_seed_protocol_formulas_by_hand():
    true_ab = np.zeros((1, 2, 2, 2))
    predicted_ab = np.full((1, 2, 2, 2), 25.5)  # (ab + 128) / 255 differs by exactly 0.1
    mse = float(metrics.seed_ab_mse(predicted_ab, true_ab))
    assert mse == pytest.approx(0.01)
    assert float(metrics.seed_psnr(mse)) == pytest.approx(40.0)  # 20*log10(1/0.01), not 20 dB
    rng = np.random.default_rng(1)
    a = rng.uniform(-80, 80, (2, 24, 30, 2))
    b = a + rng.normal(0, 8, a.shape)
    ours = metrics.seed_ssim_ab(b, a).numpy()
    reference = [
        structural_similarity(
            (a[i] + 128) / 255, (b[i] + 128) / 255, win_size=11, data_range=1, channel_axis=-1
        )
        for i in range(2)
    ]
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_gray_baseline_on_coco_val2017_matches_an_independent_computation(shared_data):
    data = str(shared_data / "coco_val2017")
    standard = evaluate(["gray"], data, metric_names=["psnr", "mse"], progress=False)
    seed = evaluate(
        ["gray"], data, protocol="seed", metric_names=["mse"], batch_size=16, progress=False
    )
    # Independent: scikit-image's Lab conversion and PSNR on the same evaluation crops.
    psnrs, seed_mse = [], []
    for l_norm, ab_norm in build_dataset(data, image_size=256, batch_size=16, training=False):
        from kcolor.color.lab_ops import normalized_lab_to_rgb

        crops = np.round(normalized_lab_to_rgb(l_norm, ab_norm).numpy() * 255).astype(np.uint8)
        lab = skcolor.rgb2lab(crops)
        gray = lab.copy()
        gray[..., 1:] = 0
        gray_rgb = np.round(np.clip(skcolor.lab2rgb(gray), 0, 1) * 255).astype(np.uint8)
        psnrs += [
            peak_signal_noise_ratio(c, g, data_range=255)
            for c, g in zip(crops, gray_rgb, strict=True)
        ]
        seed_mse.append(np.mean((lab[..., 1:] / 255.0) ** 2))
    ours_psnr = standard["results"][0]["metrics"]["psnr"]["mean"]
    ours_seed = seed["results"][0]["metrics"]["mse"]["mean"]
    print(
        f"gray on coco_val2017: PSNR {ours_psnr:.3f} dB (skimage {np.mean(psnrs):.3f}), "
        f"seed ab-MSE {ours_seed:.5f} (skimage {np.mean(seed_mse):.5f})"
    )
    assert standard["n_images"] == len(psnrs) == 196
    assert ours_psnr == pytest.approx(np.mean(psnrs), abs=0.02)
    assert ours_seed == pytest.approx(np.mean(seed_mse), rel=1e-3)
    assert ours_psnr == pytest.approx(23.0, abs=0.3) and ours_seed == pytest.approx(
        0.0034, abs=2e-4
    )


def test_cli_scores_gray_run_keras_and_tflite_and_writes_json(
    shared_data, small_run, tmp_path, monkeypatch
):
    import keras
    import tensorflow as tf

    import kcolor.models.presets  # noqa: F401

    monkeypatch.setenv("KCOLOR_INCEPTION_WEIGHTS", str(tmp_path / "absent.h5"))
    generator = keras.saving.load_model(small_run / "generator.keras")
    tflite = tmp_path / "tiny.tflite"
    generator.export(
        str(tflite),
        format="litert",
        verbose=False,
        input_signature=[tf.TensorSpec([1, 64, 64, 1], tf.float32)],
    )
    out = tmp_path / "out.json"
    result = CliRunner().invoke(
        main,
        [
            "evaluate",
            "gray",
            str(small_run),
            str(small_run / "generator.keras"),
            str(tflite),
            "--data",
            str(shared_data / "set14"),
            "--image-size",
            "64",
            "--batch-size",
            "4",
            "--json",
            str(out),
            "--samples",
            str(tmp_path / "samples"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "FID skipped" in result.output
    report = json.loads(out.read_text())
    assert report["protocol"] == "standard" and report["n_images"] == 12
    assert set(report["versions"]) >= {"kcolor", "tensorflow", "keras"}
    models = [r["model"] for r in report["results"]]
    assert models == ["gray", str(small_run), str(small_run / "generator.keras"), str(tflite)]
    for entry in report["results"]:
        assert set(entry["metrics"]) == {"mse", "psnr", "ssim", "colorfulness", "auc", "cast"}
        assert set(entry["metrics"]["psnr"]) >= {"mean", "std"}
    wrong_size = CliRunner().invoke(
        main, ["evaluate", str(tflite), "--data", str(shared_data / "set5"), "--image-size", "32"]
    )
    assert wrong_size.exit_code != 0 and "--image-size 64" in wrong_size.output
    keras_psnr = report["results"][2]["metrics"]["psnr"]["mean"]
    assert report["results"][3]["metrics"]["psnr"]["mean"] == pytest.approx(keras_psnr, abs=0.01)
    assert any((tmp_path / "samples").glob("*.png"))


def test_explicit_fid_without_weights_and_bad_models_are_clear_errors(
    shared_data, tmp_path, monkeypatch
):
    monkeypatch.setenv("KCOLOR_INCEPTION_WEIGHTS", str(tmp_path / "absent.h5"))
    data = str(shared_data / "set5")
    with pytest.raises(EvaluationError, match="--inception-weights|not found"):
        evaluate(["gray"], data, metric_names=["fid"], progress=False)
    with pytest.raises(EvaluationError, match="no such model"):
        evaluate([str(tmp_path / "nope.keras")], data, metric_names=["psnr"], progress=False)
    with pytest.raises(EvaluationError, match="unknown metric"):
        evaluate(["gray"], data, metric_names=["lpips"], progress=False)
    # A bad model or data source is reported before the Inception weights are looked for.
    import kcolor.evaluation.protocols

    def no_download(*args):
        raise AssertionError("Inception weights fetched before the arguments were checked")

    monkeypatch.setattr(kcolor.evaluation.protocols, "resolve_inception_weights", no_download)
    with pytest.raises(EvaluationError, match="no such model"):
        evaluate([str(tmp_path / "nope.keras")], data, metric_names=["fid"], progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(EvaluationError, match="no image"):
        evaluate(["gray"], str(tmp_path / "empty"), metric_names=["fid"], progress=False)


def test_fid_end_to_end_with_a_weights_file(shared_data, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    weights = tmp_path / "inception.weights.h5"
    keras.applications.InceptionV3(weights=None, classifier_activation=None).save_weights(weights)
    result = evaluate(
        ["gray"],
        str(shared_data / "set5"),
        image_size=64,
        metric_names=["fid"],
        inception_weights=str(weights),
        progress=False,
    )
    fid = result["results"][0]["metrics"]["fid"]["mean"]
    assert np.isfinite(fid) and fid >= 0


def test_plot_loss_curves_and_metric_bars(small_run, tmp_path):
    curves = tmp_path / "curves.png"
    result = CliRunner().invoke(main, ["plot", str(small_run), str(small_run), "-o", str(curves)])
    assert result.exit_code == 0, result.output
    assert Image.open(curves).size[0] > 100
    from kcolor.evaluation.plots import history_figure

    lines = history_figure([small_run]).axes[0].get_lines()  # a one-epoch run: markers only
    assert lines and all(line.get_marker() not in (None, "None", "") for line in lines)
    report = {
        "protocol": "standard",
        "results": [
            {"model": "gray", "metrics": {"psnr": {"mean": 23.0, "std": 4.0}}},
            {"model": "unet", "metrics": {"psnr": {"mean": 24.0, "std": 4.0}}},
        ],
    }
    (tmp_path / "eval.json").write_text(json.dumps(report))
    bars = tmp_path / "bars.png"
    result = CliRunner().invoke(
        main, ["plot", "--metrics", str(tmp_path / "eval.json"), "-o", str(bars)]
    )
    assert result.exit_code == 0, result.output
    assert Image.open(bars).size[0] > 100
    missing = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert missing.exit_code != 0 and "history.csv" in missing.output


def test_table_has_no_empty_ground_truth_row():
    """Issue 19, item 12: `--metrics auc` has nothing to score on the truth: no row for it."""
    from kcolor.evaluation.protocols import format_table

    def result(reference_metrics):
        return {
            "results": [{"model": "gray", "metrics": {"auc": {"mean": 0.9, "std": 0.01}}}],
            "reference": {"model": "ground truth", "metrics": reference_metrics},
            "n_images": 5,
            "data": "set5",
            "image_size": 256,
            "protocol": "standard",
            "notices": [],
        }

    assert "ground truth" not in format_table(result({}))
    with_truth = format_table(result({"auc": {"mean": 1.0, "std": 0.0}}))
    assert "ground truth  1.0000" in with_truth
