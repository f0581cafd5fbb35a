"""Every architecture builds, trains a step, and round-trips through .keras unchanged."""

import keras
import numpy as np
import pytest

from kcolor.models import (
    CNNColorizer,
    ColorGAN,
    PatchDiscriminator,
    UNetColorizer,
    build_generator,
)

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


def test_default_generator_converts_to_tflite_with_builtin_ops_only(tmp_path):
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    generator = build_generator("default")
    path = tmp_path / "default.tflite"
    generator.export(
        str(path),
        format="litert",
        verbose=False,
        input_signature=[tf.TensorSpec([1, 64, 64, 1], tf.float32)],
    )
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    lightness = np.random.default_rng(0).uniform(-1, 1, (1, 64, 64, 1)).astype("float32")
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], lightness)
    interpreter.invoke()
    lite = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(lite, generator.predict(lightness, verbose=0), atol=1e-5)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not any(name.startswith("Flex") or name == "CUSTOM" for name in ops), ops
