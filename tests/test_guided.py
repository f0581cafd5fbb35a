"""Guided colorization: the hint simulator and sweep sampler (kcolor.color.hints), the guided
generator (kcolor.models.guidance) and its training data."""

import numpy as np
import pytest

from kcolor.color import ab_bins, hints


def test_training_hints_follow_zhang_2017_recipe():
    rng = np.random.default_rng(7)
    counts, sides, starts = [], [], []
    for _ in range(4000):
        patches = hints.sample_patches(192, 192, rng)
        counts.append(len(patches))
        sides.extend(patches[:, 2])
        starts.extend(patches[:, 0] + (patches[:, 2] - 1) / 2.0)
    counts = np.asarray(counts)
    # Geometric with stop probability 1/8: P(none) = 1/8, mean 7 (std of the mean ~0.12).
    assert abs(np.mean(counts == 0) - 0.125) < 0.015
    assert abs(counts.mean() - 7.0) < 0.4
    side_shares = np.bincount(sides, minlength=10)[1:] / len(sides)
    np.testing.assert_allclose(side_shares, 1 / 9, atol=0.01)
    # Centers Gaussian around the middle, sigma a quarter of the free span (~46 px at 192).
    starts = np.asarray(starts)
    assert abs(starts.mean() - 95.5) < 1.0
    assert 40 < starts.std() < 48


def test_hints_are_each_patch_mean_and_the_mask_marks_them():
    ab = np.random.default_rng(0).normal(0, 30, (32, 40, 2)).astype(np.float32)
    patches = np.array([[2, 3, 4], [20, 30, 1]])
    hint_ab, mask = hints.paint_patches(ab, patches)
    np.testing.assert_allclose(
        hint_ab[2:6, 3:7], np.broadcast_to(ab[2:6, 3:7].mean((0, 1)), (4, 4, 2)), rtol=1e-5
    )
    np.testing.assert_allclose(hint_ab[20, 30], ab[20, 30])
    assert mask.sum() == 17 and mask[2:6, 3:7].all() and mask[20, 30, 0] == 1
    assert np.all(hint_ab[mask[..., 0] == 0] == 0)


def test_sweep_gives_the_same_points_to_every_caller_and_new_points_per_count():
    ab = np.random.default_rng(1).normal(0, 30, (256, 256, 2)).astype(np.float32)
    first = hints.sweep_hints(ab, 10, hints.sweep_rng(4, 3, 10))
    again = hints.sweep_hints(ab, 10, hints.sweep_rng(4, 3, 10))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    other_image = hints.sweep_hints(ab, 10, hints.sweep_rng(4, 4, 10))
    assert not np.array_equal(first[1], other_image[1])
    patches = hints.sample_patches(256, 256, hints.sweep_rng(4, 3, 5), count=5, sides=(6,))
    assert patches.shape == (5, 3) and np.all(patches[:, 2] == 6)
    assert hints.sweep_hints(ab, 0, hints.sweep_rng(4, 3, 0))[1].sum() == 0


def test_palette_is_a_histogram_over_the_bins_with_a_flag():
    centers = ab_bins.in_gamut_bins()
    ab = np.zeros((16, 16, 2), np.float32)
    ab[:8] = (40.0, 30.0)
    palette = hints.palette_histogram(ab, centers, stride=1)
    assert palette.shape == (len(centers) + 1,) and palette[-1] == 1.0
    np.testing.assert_allclose(palette[:-1].sum(), 1.0)
    red = ab_bins.nearest_bin(np.array([40.0, 30.0]), centers)
    gray = ab_bins.nearest_bin(np.array([0.0, 0.0]), centers)
    np.testing.assert_allclose([palette[red], palette[gray]], [0.5, 0.5])
    assert not hints.no_palette(centers).any()


def test_grid_lookup_finds_the_same_nearest_bin_as_the_distance_search():
    centers = ab_bins.in_gamut_bins()
    ab = np.random.default_rng(4).uniform(-130, 130, (5000, 2)).astype(np.float32)
    np.testing.assert_array_equal(
        hints.nearest_grid_bin(ab, centers), ab_bins.nearest_bin(ab, centers)
    )


def test_training_guidance_gives_a_palette_on_the_asked_share_of_crops():
    centers = ab_bins.in_gamut_bins()
    ab = np.random.default_rng(2).normal(0, 20, (32, 32, 2)).astype(np.float32)
    rng = np.random.default_rng(3)
    flags = [hints.training_guidance(ab, ab, rng, centers, 0.3)[2][-1] for _ in range(1000)]
    assert abs(np.mean(flags) - 0.3) < 0.05


def test_guided_pipeline_yields_four_inputs_and_repeatable_validation_hints(shared_data):
    from kcolor.data.pipeline import build_dataset

    source = str(shared_data / "kodak24")
    train = build_dataset(source, image_size=64, batch_size=4, training=True, guided=True, seed=1)
    (lightness, hint_ab, mask, palette), ab = next(iter(train))
    assert lightness.shape == (4, 64, 64, 1) and ab.shape == (4, 64, 64, 2)
    assert hint_ab.shape == (4, 64, 64, 2) and mask.shape == (4, 64, 64, 1)
    assert palette.shape == (4, len(ab_bins.in_gamut_bins()) + 1)
    # Hints sit where the mask is and nowhere else (normalized ab, like the output).
    assert np.all(hint_ab.numpy()[mask.numpy()[..., 0] == 0] == 0)

    def first_hints():
        val = build_dataset(source, image_size=64, batch_size=4, training=False, guided=True)
        return next(iter(val))[0][1].numpy()

    np.testing.assert_array_equal(first_hints(), first_hints())


@pytest.fixture(scope="module")
def shipped_and_guided():
    from kcolor.models.guidance import automatic_twin, guided_copy
    from kcolor.models.shipped_generator import load_shipped_generator

    shipped = load_shipped_generator()
    if shipped.guided:  # the shipped default is guided: its automatic trunk, then new paths
        shipped = automatic_twin(shipped)
    return shipped, guided_copy(shipped)


def test_untrained_guided_model_gives_the_shipped_colors_on_real_photos(
    shared_data, shipped_and_guided
):
    from kcolor.data.pipeline import build_dataset

    shipped, guided = shipped_and_guided
    assert guided.count_params() > shipped.count_params()
    data = build_dataset(
        str(shared_data / "kodak24"), image_size=256, batch_size=4, training=False, guided=True
    )
    inputs, _ = next(iter(data))
    lightness, hint_ab, mask, palette = (x.numpy() for x in inputs)
    assert mask.sum() > 0 and palette[:, -1].any()
    expected = np.asarray(shipped(lightness, training=False))
    with_hints = np.asarray(guided([lightness, hint_ab, mask, palette], training=False))
    none = [lightness, np.zeros_like(hint_ab), np.zeros_like(mask), np.zeros_like(palette)]
    np.testing.assert_array_equal(with_hints, expected)
    np.testing.assert_array_equal(np.asarray(guided(none, training=False)), expected)
    # And the automatic twin (what a guided export's "colorize" runs) is the same network.
    from kcolor.models.guidance import automatic_twin

    twin = automatic_twin(guided)
    assert twin.count_params() == shipped.count_params()
    np.testing.assert_array_equal(np.asarray(twin(lightness, training=False)), expected)


def test_guided_model_saves_and_reloads_with_its_inputs(tmp_path, shipped_and_guided):
    import keras

    _, guided = shipped_and_guided
    path = tmp_path / "guided.keras"
    guided.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert loaded.guided and [i.name for i in loaded.inputs] == [i.name for i in guided.inputs]


def test_levin_propagation_keeps_hints_and_stops_at_lightness_edges():
    from kcolor.color.propagation import propagate_colors

    lightness = np.full((24, 24), 0.2, np.float32)
    lightness[:, 12:] = 0.8  # a dark half and a bright half
    hint_ab = np.zeros((24, 24, 2), np.float32)
    mask = np.zeros((24, 24), np.float32)
    hint_ab[4, 4], mask[4, 4] = (40.0, -20.0), 1.0
    hint_ab[20, 20], mask[20, 20] = (-30.0, 10.0), 1.0
    ab = propagate_colors(lightness, hint_ab, mask)
    np.testing.assert_allclose(ab[4, 4], (40.0, -20.0), atol=1e-4)
    # Each half takes its own point's color; the edge between them holds.
    np.testing.assert_allclose(ab[:, :11].mean((0, 1)), (40.0, -20.0), atol=1.0)
    np.testing.assert_allclose(ab[:, 13:].mean((0, 1)), (-30.0, 10.0), atol=1.0)
    assert not propagate_colors(lightness, hint_ab, 0 * mask).any()


def test_hint_sweep_scores_baselines_with_the_same_points(shared_data):
    from kcolor.evaluation.hint_sweep import hint_sweep

    def sweep():
        return hint_sweep(
            ["gray", "hints-only", "levin"],
            str(shared_data / "set5"),
            counts=(0, 2, 20),
            image_size=64,
            limit=3,
            progress=False,
        )

    result = sweep()
    rows = {(r["model"], r["points"]): r["metrics"] for r in result["results"]}
    assert len(rows) == 9 and result["n_images"] == 3
    # No points: every baseline is gray.
    for model in ("hints-only", "levin"):
        assert rows[(model, 0)]["psnr"]["mean"] == rows[("gray", 0)]["psnr"]["mean"]
    # The painted points are exact at their pixels; propagation keeps them and gains more.
    assert rows[("hints-only", 20)]["hint_error"]["mean"] < 1e-4
    assert rows[("levin", 20)]["hint_error"]["mean"] < 1e-2
    assert rows[("levin", 20)]["psnr"]["mean"] > rows[("hints-only", 20)]["psnr"]["mean"]
    assert rows[("hints-only", 20)]["psnr"]["mean"] > rows[("gray", 20)]["psnr"]["mean"]
    assert sweep()["results"] == result["results"]  # repeatable


def test_evaluate_hints_option_prints_a_row_per_model_and_count(shared_data, tmp_path):
    import json

    from click.testing import CliRunner
    from kcolor.cli.main import main

    out = tmp_path / "sweep.json"
    args = ["evaluate", "gray", "levin", "--hints", "0,1", "--data", str(shared_data / "set5")]
    args += ["--image-size", "64", "--limit", "2", "--palette", "truth", "--json", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "levin" in result.output and "hint_error" in result.output
    saved = json.loads(out.read_text())
    assert saved["palette"] == "truth" and [r["points"] for r in saved["results"]] == [0, 1, 0, 1]
    png = tmp_path / "sweep.png"
    plotted = CliRunner().invoke(main, ["plot", "--metrics", str(out), "-o", str(png)])
    assert plotted.exit_code == 0, plotted.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = CliRunner().invoke(main, ["evaluate", "gray", "--hints", "1,x", "--data", "."])
    assert bad.exit_code == 2 and "--hints" in bad.output


def test_suggestions_merge_neighbor_bins_and_rank_by_probability():
    centers = ab_bins.in_gamut_bins()
    probs = np.zeros(len(centers))
    red = ab_bins.nearest_bin(np.array([50.0, 40.0]), centers)
    red_neighbor = ab_bins.nearest_bin(np.array([60.0, 40.0]), centers)
    blue = ab_bins.nearest_bin(np.array([10.0, -50.0]), centers)
    probs[[red, red_neighbor, blue]] = 0.25, 0.2, 0.3
    probs[probs == 0] = 0.25 / (len(probs) - 3)
    (first_ab, first_p), (second_ab, second_p) = hints.merged_suggestions(probs, centers, 2)
    # The two red bins merge (0.45 + their tiny neighbors) and outrank the single blue bin.
    assert first_p > 0.45 and 0.3 <= second_p < 0.32
    assert 50 < first_ab[0] < 60 and abs(first_ab[1] - 40) < 2
    np.testing.assert_allclose(second_ab, centers[blue], atol=1.0)


@pytest.fixture(scope="module")
def guided_with_live_hints(tmp_path_factory):
    """A tiny guided generator whose hint and palette weights are set (random, as training
    would move them), so that guidance changes its colors and parity with it means something."""
    from kcolor.models import build_generator

    model = build_generator("default", head="classification", filters=(8, 16, 32), guided=True)
    rng = np.random.default_rng(5)
    for layer in model.layers:
        if layer.name.startswith(("hints", "palette")) and layer.weights:
            layer.set_weights(
                [rng.normal(0, 2.0, w.shape).astype("float32") for w in layer.weights]
            )
    return model


def test_guided_tflite_keeps_a_one_input_colorize_signature_and_matches_keras_with_hints(
    shared_data, tmp_path, guided_with_live_hints
):
    from ai_edge_litert.interpreter import Interpreter

    from kcolor.color.hints import Guidance
    from kcolor.data.pipeline import build_dataset
    from kcolor.inference.export import export_tflite, parity_psnr

    model = guided_with_live_hints
    path = export_tflite(model, tmp_path / "guided.tflite", size=64)
    interpreter = Interpreter(model_path=str(path))
    signatures = interpreter.get_signature_list()
    assert list(signatures) == ["colorize", "colorize_guided", "suggest"]
    assert signatures["suggest"]["outputs"] == ["probabilities"]
    assert signatures["colorize"]["inputs"] == ["lightness"]
    assert sorted(signatures["colorize_guided"]["inputs"]) == [
        "hint_ab",
        "hint_mask",
        "lightness",
        "palette",
    ]
    # The first subgraph (what an app that ignores signatures runs) is the automatic one.
    assert [d["name"] for d in interpreter.get_input_details()] == ["colorize_lightness:0"]
    source = str(shared_data / "kodak24")
    assert parity_psnr(model, path, source, size=64, limit=4) >= 45.0
    assert parity_psnr(model, path, source, size=64, limit=4, guided=True) >= 45.0
    # The SavedModel (what `--backend keras` runs for a shipped model) has both signatures too.
    from kcolor.inference.export import export_savedmodel
    from kcolor.models.predictors import load_predictor

    saved = load_predictor(str(export_savedmodel(model, tmp_path / "saved", size=64)))
    lite = load_predictor(str(path))
    inputs, _ = next(
        iter(build_dataset(source, image_size=64, batch_size=1, training=False, guided=True))
    )
    l_norm, *arrays = (x.numpy() for x in inputs)
    np.testing.assert_allclose(
        saved.predict_ab(l_norm, Guidance(*arrays)),
        np.asarray(model([l_norm, *arrays])),
        atol=1e-4,
    )
    np.testing.assert_allclose(
        lite.predict_ab(l_norm, Guidance(*arrays)),
        saved.predict_ab(l_norm, Guidance(*arrays)),
        atol=1e-3,
    )
    # The suggest signature is the Keras class head's distribution.
    probs, centers = lite.predict_distribution(l_norm, Guidance(*arrays))
    logits = np.asarray(_logits(model)([l_norm, *arrays]), np.float64)
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    assert probs.shape == expected.shape == (1, 32, 32, len(centers))
    np.testing.assert_allclose(probs, expected, atol=1e-4)
    # The hints matter in this model, so that parity is not parity of ignored inputs.
    l_norm = np.zeros((1, 64, 64, 1), np.float32)
    centers = ab_bins.in_gamut_bins()
    empty = Guidance.empty(1, 64, 64, centers)
    red = Guidance(empty.hint_ab + 0.5, empty.hint_mask + 1.0, empty.palette)
    plain = np.asarray(model([l_norm, *empty.arrays()]))
    from kcolor.models.guidance import automatic_twin

    np.testing.assert_allclose(np.asarray(automatic_twin(model)(l_norm)), plain, atol=1e-6)
    hinted = np.asarray(model([l_norm, *red.arrays()]))
    assert np.abs(hinted - plain).mean() > 0.01


def _logits(model):
    import keras

    return keras.Model(model.inputs, model.get_layer("ab_logits").output)


def test_photo_batches_give_the_same_guided_inputs_as_tf_data(shared_data):
    """The JAX/PyTorch data path yields a guided model's four inputs too."""
    from kcolor.data.config import DataConfig
    from kcolor.data.photo_batches import PhotoBatches

    config = DataConfig(image_size=64, batch_size=3, training=True, guided=True, seed=2)
    (lightness, hint_ab, mask, palette), ab = PhotoBatches(str(shared_data / "set5"), config)[0]
    assert lightness.shape == (3, 64, 64, 1) and ab.shape == (3, 64, 64, 2)
    assert hint_ab.shape == (3, 64, 64, 2) and mask.shape == (3, 64, 64, 1)
    assert palette.shape == (3, len(ab_bins.in_gamut_bins()) + 1)
    assert np.all(hint_ab[mask[..., 0] == 0] == 0)
    # Each hint is its patch's mean true ab, so a 1-px hint equals the truth there.
    on = mask[..., 0] > 0
    if on.any():
        assert np.abs(hint_ab[on]).max() <= np.abs(ab).max() + 1e-6


def test_guided_savedmodel_holds_each_weight_once_and_records_its_order(
    tmp_path, guided_with_live_hints
):
    """The "colorize" signature runs the automatic twin on the guided model's own variables:
    the shipped SavedModel does not carry the trunk twice, and `variable_order` still maps it."""
    import tensorflow as tf

    from kcolor.inference.export import export_savedmodel, variable_order

    model = guided_with_live_hints
    folder = export_savedmodel(model, tmp_path / "saved", size=64)
    reader = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    saved = sum(
        int(np.prod(shape)) for key, shape in reader.get_variable_to_shape_map().items() if shape
    )
    assert saved == model.count_params()
    assert sorted(variable_order(model, folder)) == list(range(len(model.variables)))


def test_costs_of_a_guided_model_count_its_guidance_inputs():
    from kcolor.models import build_generator
    from kcolor.models.costs import model_costs

    kwargs = {"head": "classification", "filters": (8, 16, 32)}
    automatic = model_costs(build_generator("default", **kwargs), image_size=64)
    guided = model_costs(build_generator("default", guided=True, **kwargs), image_size=64)
    assert guided["params"] > automatic["params"] and guided["flops"] > automatic["flops"]
