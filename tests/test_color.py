"""The Lab color core against scikit-image, the independent reference."""

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from skimage import color as skcolor

from kcolor.color import lab_math, lab_ops

LAB_TOLERANCE = 0.01  # max abs error per Lab channel, Lab units
ROUND_TRIP_TOLERANCE = 0.5 / 255


def _real_photos(shared_data, count=6):
    paths = (
        sorted((shared_data / "kodak24").glob("*.png"))[:3]
        + sorted((shared_data / "coco_val2017").glob("*.jpg"))[: count - 3]
    )
    return [np.asarray(Image.open(p).convert("RGB"), dtype=np.float64) / 255.0 for p in paths]


def _max_channel_error(ours, reference):
    return np.abs(np.asarray(ours, np.float64) - reference).reshape(-1, 3).max(axis=0)


@pytest.mark.parametrize("convert", [lab_ops.rgb_to_lab, lab_math.rgb_to_lab], ids=["ops", "numpy"])
def test_rgb_to_lab_matches_skimage_on_random_colors(convert):
    rgb = np.random.default_rng(0).random((200_000, 1, 3))
    errors = _max_channel_error(convert(rgb.astype(np.float32)), skcolor.rgb2lab(rgb))
    print("random colors, max abs error L, a, b:", errors)
    assert np.all(errors < LAB_TOLERANCE)


def test_numpy_and_backend_conversions_agree_both_ways(shared_data):
    """The NumPy path (TensorFlow-free colorize, PyDataset) and the keras.ops path are one
    function on two namespaces: same Lab, same 8-bit RGB."""
    rgb = _real_photos(shared_data, count=4)[3].astype(np.float32)
    l_np, ab_np = lab_math.rgb_to_normalized_lab(rgb)
    l_ops, ab_ops = lab_ops.rgb_to_normalized_lab(rgb)
    np.testing.assert_allclose(l_np, np.asarray(l_ops), atol=1e-5)
    np.testing.assert_allclose(ab_np, np.asarray(ab_ops), atol=1e-5)
    back_np = lab_math.normalized_lab_to_uint8(l_np, ab_np * 1.3)
    back_ops = np.asarray(lab_ops.normalized_lab_to_uint8(l_np, ab_np * 1.3))
    assert back_np.dtype == np.uint8 and np.abs(back_np.astype(int) - back_ops).max() <= 1


def test_rgb_to_lab_matches_skimage_on_extremes():
    # The sRGB cube's corners and the near-black range where the curves switch branches.
    levels = np.array([0.0, 0.001, 0.01, 0.04045, 0.05, 0.5, 0.99, 1.0])
    rgb = np.stack(np.meshgrid(levels, levels, levels), axis=-1).reshape(-1, 1, 3)
    errors = _max_channel_error(lab_ops.rgb_to_lab(rgb.astype(np.float32)), skcolor.rgb2lab(rgb))
    assert np.all(errors < LAB_TOLERANCE)


def test_rgb_to_lab_matches_skimage_on_real_photos(shared_data):
    worst = np.zeros(3)
    for rgb in _real_photos(shared_data):
        errors = _max_channel_error(
            lab_ops.rgb_to_lab(rgb.astype(np.float32)), skcolor.rgb2lab(rgb)
        )
        worst = np.maximum(worst, errors)
    print("real photos, max abs error L, a, b:", worst)
    assert np.all(worst < LAB_TOLERANCE)


def test_lab_to_rgb_matches_skimage_in_gamut(shared_data):
    for rgb in _real_photos(shared_data, count=4):
        lab = skcolor.rgb2lab(rgb)
        ours = lab_ops.lab_to_rgb(lab.astype(np.float32)).numpy()
        assert np.abs(ours - skcolor.lab2rgb(lab)).max() < ROUND_TRIP_TOLERANCE


def test_round_trip_error_below_half_a_level(shared_data):
    samples = [np.random.default_rng(1).random((256, 256, 3))] + _real_photos(shared_data)
    for rgb in samples:
        rgb = rgb.astype(np.float32)
        back = lab_ops.lab_to_rgb(lab_ops.rgb_to_lab(rgb)).numpy()
        assert np.abs(back - rgb).max() < ROUND_TRIP_TOLERANCE


def test_out_of_gamut_lab_is_clipped_never_nan():
    rng = np.random.default_rng(2)
    lab = np.stack(
        [
            rng.uniform(-50, 150, 100_000),
            rng.uniform(-400, 400, 100_000),
            rng.uniform(-400, 400, 100_000),
        ],
        axis=-1,
    ).astype(np.float32)
    rgb = lab_ops.lab_to_rgb(lab).numpy()
    assert np.all(np.isfinite(rgb))
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_gradients_are_finite_everywhere():
    rgb = tf.constant(np.random.default_rng(3).random((64, 3)).astype(np.float32))
    rgb = tf.concat([rgb, tf.zeros((1, 3)), tf.ones((1, 3))], axis=0)
    with tf.GradientTape() as tape:
        tape.watch(rgb)
        loss = tf.reduce_sum(lab_ops.lab_to_rgb(lab_ops.rgb_to_lab(rgb) * 1.3))
    assert np.all(np.isfinite(tape.gradient(loss, rgb).numpy()))


@pytest.mark.parametrize("shape", [(5, 3), (7, 9, 3), (2, 7, 9, 3)])
def test_any_leading_shape_gives_the_same_values(shape):
    rgb = np.random.default_rng(4).random(shape).astype(np.float32)
    batched = lab_ops.rgb_to_lab(rgb).numpy()
    flat = lab_ops.rgb_to_lab(rgb.reshape(-1, 3)).numpy()
    assert batched.shape == shape
    np.testing.assert_allclose(batched.reshape(-1, 3), flat, atol=1e-5)


def test_normalization_round_trip_and_gamut_range():
    levels = np.linspace(0.0, 1.0, 33)
    rgb = np.stack(np.meshgrid(levels, levels, levels), axis=-1).reshape(-1, 3).astype(np.float32)
    l_norm, ab_norm = lab_ops.rgb_to_normalized_lab(rgb)
    assert l_norm.shape == (rgb.shape[0], 1) and ab_norm.shape == (rgb.shape[0], 2)
    assert -1.0 - 1e-5 <= l_norm.numpy().min() and l_norm.numpy().max() <= 1.0 + 1e-5
    # AB_SCALE must map the whole sRGB gamut inside the tanh range.
    assert np.abs(ab_norm.numpy()).max() < 1.0
    back = lab_ops.normalized_lab_to_rgb(l_norm, ab_norm).numpy()
    assert np.abs(back - rgb).max() < ROUND_TRIP_TOLERANCE


def test_runs_inside_a_tflite_graph_with_builtin_ops_only(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32)])
    def round_trip(rgb):
        l_norm, ab_norm = lab_ops.rgb_to_normalized_lab(rgb)
        return lab_ops.normalized_lab_to_rgb(l_norm, ab_norm * 1.5)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [round_trip.get_concrete_function()], round_trip
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    model_path = tmp_path / "color.tflite"
    model_path.write_bytes(converter.convert())

    interpreter = Interpreter(model_path=str(model_path))
    interpreter.allocate_tensors()
    rgb = np.random.default_rng(5).random((1, 16, 16, 3)).astype(np.float32)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], rgb)
    interpreter.invoke()
    lite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(lite, round_trip(rgb).numpy(), atol=1e-4)


def test_keep_lightness_conversion_reduces_chroma_instead_of_clipping():
    rng = np.random.default_rng(6)
    lab = np.stack(
        [
            rng.uniform(5, 95, 20_000),
            rng.uniform(-120, 120, 20_000),
            rng.uniform(-120, 120, 20_000),
        ],
        axis=-1,
    ).astype(np.float32)
    rgb = lab_ops.lab_to_rgb_keep_lightness(lab)
    assert np.all(np.isfinite(rgb)) and rgb.min() >= 0 and rgb.max() <= 1
    back = skcolor.rgb2lab(rgb.astype(np.float64)[:, np.newaxis, :])[:, 0, :]
    assert np.abs(back[:, 0] - lab[:, 0]).max() < 0.1  # L kept (float32, gamut tolerance)
    clipped = skcolor.rgb2lab(lab_ops.lab_to_rgb(lab).numpy().astype(np.float64)[:, np.newaxis, :])
    assert np.abs(clipped[:, 0, 0] - lab[:, 0]).max() > 1.0  # plain clipping would shift it
    in_gamut = skcolor.rgb2lab(rng.random((500, 1, 3)))[:, 0, :].astype(np.float32)
    np.testing.assert_allclose(
        lab_ops.lab_to_rgb_keep_lightness(in_gamut),
        lab_ops.lab_to_rgb(in_gamut).numpy(),
        atol=1e-6,
    )
