"""Every architecture builds, trains a step, and round-trips through .keras unchanged."""

import os

import keras
import numpy as np
import pytest

from kcolor.models import (
    CNNColorizer,
    PatchDiscriminator,
    UNetColorizer,
    build_generator,
)
from kcolor.training.color_gan import ColorGAN

TINY = {
    "cnn": lambda: CNNColorizer(filters=(4, 8)),
    "unet": lambda: UNetColorizer(filters=(4, 8, 16)),
    "unet_separable": lambda: UNetColorizer(filters=(4, 8, 16), conv="separable", norm="group"),
}


def _batch(size=16, n=2, seed=0):
    rng = np.random.default_rng(seed)
    lightness = rng.uniform(-1, 1, (n, size, size, 1)).astype("float32")
    ab = rng.uniform(-0.5, 0.5, (n, size, size, 2)).astype("float32")
    return lightness, ab


@pytest.mark.parametrize("name", sorted(TINY))
def test_generator_bounded_any_size_fits_and_round_trips(name, tmp_path):
    model = TINY[name]()
    for size in (16, 32, 48):  # any multiple of size_multiple
        out = model(np.zeros((1, size, size, 1), "float32"))
        assert out.shape == (1, size, size, 2)
    lightness, ab = _batch()
    model.compile(keras.optimizers.Adam(1e-2), "mae")
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.fit(lightness, ab, epochs=1, verbose=0)
    assert any(
        not np.allclose(a, w.numpy()) for a, w in zip(before, model.trainable_weights, strict=True)
    )
    predicted = model.predict(lightness * 5, verbose=0)
    assert np.abs(predicted).max() <= 1.0  # tanh keeps ab in range even for wild inputs

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(
        loaded.predict(lightness, verbose=0), model.predict(lightness, verbose=0), atol=1e-6
    )


def test_presets_build_and_report_size_multiple():
    assert build_generator("unet").size_multiple == 16
    assert build_generator("default").size_multiple == 16
    assert build_generator("cnn").size_multiple == 16
    with pytest.raises(ValueError):
        build_generator("resnet")


@pytest.mark.parametrize("norm", ["batch", "instance", "spectral"])
def test_patch_discriminator_scores_patches(norm):
    disc = PatchDiscriminator(filters=(4, 8, 16), norm=norm)
    lightness, ab = _batch(size=32)
    logits = disc([lightness, ab])
    assert logits.shape == (2, 4, 4, 1)
    assert (
        keras.saving.deserialize_keras_object(
            keras.saving.serialize_keras_object(disc)
        ).get_config()
        == disc.get_config()
    )


@pytest.mark.parametrize("adversarial", ["vanilla", "lsgan", "hinge"])
def test_gan_train_step_updates_both_networks(adversarial):
    keras.utils.set_random_seed(0)
    gan = ColorGAN(
        UNetColorizer(filters=(4, 8)),
        PatchDiscriminator(filters=(4, 8)),
        adversarial=adversarial,
        label_smoothing=0.1,
        instance_noise=0.05,
        seed=1,
    )
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    g_before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d_before = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    lightness, ab = _batch(size=32)
    logs = gan.fit(lightness, ab, batch_size=2, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "g_adv", "l1"} <= set(logs)
    assert all(np.isfinite(v[-1]) for v in logs.values())
    for before, net in ((g_before, gan.generator), (d_before, gan.discriminator)):
        assert any(
            not np.allclose(a, w.numpy())
            for a, w in zip(before, net.trainable_weights, strict=True)
        )
    evaluated = gan.evaluate(lightness, ab, verbose=0, return_dict=True)
    assert set(evaluated) == {"d_loss", "g_loss", "g_adv", "l1"}
    # g_loss = adversarial + l1_weight * l1
    assert evaluated["g_loss"] == pytest.approx(
        evaluated["g_adv"] + 100 * evaluated["l1"], rel=1e-4
    )


def _litert_interpreter(generator, path, size=64):
    """Export `generator` for LiteRT at `size` px and check it holds builtin ops only."""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    generator.export(
        str(path),
        format="litert",
        verbose=False,
        input_signature=[tf.TensorSpec([1, size, size, 1], tf.float32)],
    )
    interpreter = Interpreter(model_path=str(path))
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not any(name.startswith("Flex") or name == "CUSTOM" for name in ops), ops
    return interpreter


def test_default_generator_converts_to_tflite_with_builtin_ops_only(tmp_path):
    generator = build_generator("default")
    interpreter = _litert_interpreter(generator, tmp_path / "default.tflite")
    interpreter.allocate_tensors()
    lightness = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 1)).astype("float32")
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], lightness)
    interpreter.invoke()
    lite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(lite, generator.predict(lightness, verbose=0), atol=1e-5)


@pytest.fixture(scope="module")
def mobilenet_weights(shared_data):
    path = shared_data.parent / "weights" / "mobilenet_2_5_224_tf_no_top.h5"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path


def test_semantic_prior_is_frozen_imagenet_and_round_trips(mobilenet_weights, tmp_path):
    generator = build_generator(
        "default", filters=(4, 8, 8, 8, 8), semantic="mobilenet", semantic_weights=mobilenet_weights
    )
    encoder = generator.get_layer("semantic_encoder")
    reference = keras.applications.MobileNet(
        input_shape=(None, None, 3), alpha=0.25, include_top=False, weights=str(mobilenet_weights)
    )
    frozen = [w.copy() for w in encoder.get_weights()]
    np.testing.assert_array_equal(frozen[0], reference.get_weights()[0])
    generator.compile(optimizer="adam", loss="mae")
    rng = np.random.default_rng(0)
    lightness = rng.uniform(-1, 1, (2, 64, 64, 1)).astype("float32")
    generator.fit(lightness, rng.uniform(-0.3, 0.3, (2, 64, 64, 2)), epochs=1, verbose=0)
    for before, after in zip(frozen, encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)  # BatchNorm statistics included
    generator.save(tmp_path / "semantic.keras")
    reloaded = keras.saving.load_model(tmp_path / "semantic.keras")
    assert reloaded.get_config()["semantic_weights"] is None  # reloading never downloads
    np.testing.assert_allclose(reloaded(lightness), generator(lightness), atol=1e-6)
    _litert_interpreter(generator, tmp_path / "semantic.tflite")
    # Its SavedModel (batch-1 signature, whose graph holds that batch in a Reshape) scores a
    # batch of photos as evaluate feeds them.
    from kcolor.inference.export import export_savedmodel
    from kcolor.models.predictors import SavedModelGenerator

    export_savedmodel(generator, tmp_path / "semantic-savedmodel", size=64)
    served = SavedModelGenerator(tmp_path / "semantic-savedmodel", "semantic")
    np.testing.assert_allclose(served.predict_ab(lightness), generator(lightness), atol=1e-4)


def test_a_run_can_fine_tune_the_imagenet_encoder(mobilenet_weights):
    from kcolor.training.config import config_from_dict
    from kcolor.training.errors import TrainingError
    from kcolor.training.model_build import initial_generator

    model = {"filters": [4, 8, 8, 8, 8], "semantic": "mobilenet"}
    model["semantic_weights"] = str(mobilenet_weights)
    values = {"data": "x", "model": model}
    frozen = initial_generator(config_from_dict(values), "default")
    assert not frozen.get_layer("semantic_encoder").trainable
    tuned = initial_generator(
        config_from_dict({**values, "train_semantic_encoder": True}), "default"
    )
    encoder = tuned.get_layer("semantic_encoder")
    assert encoder.trainable and len(encoder.trainable_weights) > 0
    before = {w.path: w.numpy().copy() for w in encoder.weights}
    tuned.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mae")
    rng = np.random.default_rng(1)
    lightness = rng.uniform(-1, 1, (2, 64, 64, 1)).astype("float32")
    tuned.fit(lightness, rng.uniform(-0.3, 0.3, (2, 64, 64, 2)), epochs=1, verbose=0)
    moved = {w.path for w in encoder.weights if not np.array_equal(before[w.path], w.numpy())}
    batchnorm = {w.path for w in encoder.weights if "_bn/" in w.path}
    assert moved and batchnorm and not moved & batchnorm  # convolutions learn; BatchNorm stays
    with pytest.raises(TrainingError, match="model.semantic=mobilenet"):
        no_encoder = {"data": "x", "model": {"filters": [4, 8]}, "train_semantic_encoder": True}
        initial_generator(config_from_dict(no_encoder), "default")


def test_semantic_prior_imagenet_weights_load_offline_from_the_keras_cache(
    mobilenet_weights, tmp_path
):
    import shutil
    import subprocess
    import sys

    (tmp_path / "models").mkdir()
    shutil.copy(mobilenet_weights, tmp_path / "models" / mobilenet_weights.name)
    code = (
        "from kcolor.models import build_generator;"
        "g = build_generator('default', semantic='mobilenet', semantic_weights='imagenet');"
        "print(float(g.get_layer('semantic_encoder').get_weights()[0].std()))"
    )
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) > 0.05  # ImageNet filters, not a download error


def test_semantic_prior_offline_without_weights_names_the_setting(tmp_path):
    """Issue 19, item 5: no URL-fetch traceback; the error says how to pass the file."""
    import subprocess
    import sys

    code = (
        "from kcolor.models import build_generator\n"
        "try:\n"
        "    build_generator('default', semantic='mobilenet', semantic_weights='imagenet')\n"
        "except ValueError as err:\n"
        "    print('ERROR', err)\n"
    )
    # An empty Keras cache and a proxy nobody listens on: the download fails at once.
    env = {
        **os.environ,
        "KERAS_HOME": str(tmp_path),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ERROR" in done.stdout and "model.semantic_weights=PATH" in done.stdout
