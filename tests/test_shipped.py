"""Shipped models: found through the package, verified by sha256, refused when they differ."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from kcolor.cli.main import main

import kcolor.shipped as shipped

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake_release(small_run, tmp_path, monkeypatch):
    """A release of the small test model laid out like the real one, in a temporary folder."""
    from kcolor.inference.export import export_savedmodel, export_tflite, load_generator

    generator = load_generator(small_run)
    saved_root, tflite_root = tmp_path / "savedmodels", tmp_path / "tflite"
    export_savedmodel(generator, saved_root / "default", size=64)
    tflite_root.mkdir()
    export_tflite(generator, tflite_root / "default-fp32.tflite", size=64)
    manifest = {
        "default": {
            "savedmodel": {
                "folder": "default",
                "sha256": shipped.tree_sha256(saved_root / "default"),
            },
            "tflite": {
                "fp32": {
                    "file": "default-fp32.tflite",
                    "sha256": shipped.file_sha256(tflite_root / "default-fp32.tflite"),
                }
            },
        }
    }
    monkeypatch.setattr(shipped, "_manifest", lambda: manifest)
    roots = {"savedmodels": saved_root, "tflite": tflite_root}
    monkeypatch.setattr(shipped, "_installed_folder", lambda kind: roots[kind])
    return roots


def test_default_loads_for_both_backends_and_colorizes(fake_release, shared_data, tmp_path):
    from kcolor import Colorizer

    photo = shared_data / "set5" / "bird.png"
    keras_out = np.asarray(Colorizer.load("default", backend="keras").colorize(photo), int)
    lite_out = np.asarray(Colorizer.load("default", backend="tflite").colorize(photo), int)
    assert keras_out.shape == lite_out.shape and np.abs(keras_out - lite_out).mean() < 1.0
    result = CliRunner().invoke(main, ["colorize", str(photo), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "bird.png").is_file()


def test_a_modified_file_is_refused(fake_release):
    from kcolor import Colorizer

    model = fake_release["tflite"] / "default-fp32.tflite"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(shipped.ShippedModelError, match="does not match its sha256"):
        Colorizer.load("default", backend="tflite")
    variables = next((fake_release["savedmodels"] / "default").rglob("*.data-*"))
    variables.write_bytes(variables.read_bytes() + b"x")
    with pytest.raises(shipped.ShippedModelError, match="does not match its sha256"):
        Colorizer.load("default", backend="keras")


def test_the_manifest_in_the_package_matches_the_shipped_files():
    manifest = json.loads((shipped.resources.files("kcolor") / "shipped.json").read_text())
    for name, entry in manifest.items():
        assert shipped.shipped_model_path(name).is_dir()
        for variant in entry.get("tflite", {}):
            assert shipped.shipped_model_path(name, backend="tflite", variant=variant).is_file()


def test_source_tree_imports_like_the_installed_package():
    """Python started in the clone's root imports kcolor from the source folder, which must
    find the CLI and the shipped models as the installed package does (issue 11, bug 1)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import kcolor, kcolor.cli.main, kcolor.shipped;"
        "from kcolor import Colorizer;"
        "Colorizer.load('default', backend='tflite');"
        "print(kcolor.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert Path(done.stdout.split()[-1]).parent == root / "kcolor"


def test_the_shipped_default_rebuilds_as_a_trainable_keras_generator():
    """`--init-generator default` (issue 17): the rebuilt generator paints what the shipped
    SavedModel paints, so a campaign can restart from the release when its run folder is lost."""
    import tensorflow as tf

    from kcolor.color import lab_ops
    from kcolor.models.shipped_generator import load_shipped_generator

    generator = load_shipped_generator("default")
    saved = tf.saved_model.load(str(shipped.shipped_model_path("default")))
    from PIL import Image

    # A real photo's lightness: on noise a well-trained model rightly paints almost nothing.
    photo = Image.open(REPO_ROOT / "examples" / "kodim23.png").convert("RGB").resize((256, 256))
    lab = np.asarray(lab_ops.rgb_to_lab(np.asarray(photo, np.float32)[None] / 255.0))
    lightness = lab[..., :1].astype(np.float32)
    expected = saved.signatures["colorize"](lightness=tf.constant(lightness))["ab"].numpy()
    l_norm = (lightness - lab_ops.L_CENTER) / lab_ops.L_SCALE
    if generator.guided:  # "colorize" runs it without points: its automatic twin
        from kcolor.models.guidance import automatic_twin

        generator = automatic_twin(generator)
    ours = np.asarray(generator(l_norm, training=False)) * lab_ops.AB_SCALE
    assert np.abs(ours - expected).max() < 1e-3
    assert np.abs(expected).max() > 1.0  # real colors, not an empty model
    assert len(generator.trainable_weights) > 0


def test_train_starts_from_the_shipped_default(shared_data, tmp_path):
    run = tmp_path / "from-default"
    args = ["train", "--loss", "classification", "--init-generator", "default", "--data"]
    args += [str(shared_data / "set14"), "--epochs", "1", "--steps-per-epoch", "1"]
    args += ["--image-size", "64", "--batch-size", "2", "--run-dir", str(run)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    import keras

    from kcolor.models.shipped_generator import generator_config

    trained = keras.saving.load_model(run / "generator.keras")
    assert trained.get_config()["semantic"] == "mobilenet" and trained.head == "classification"
    assert trained.guided == bool(generator_config()["config"].get("guided"))  # as it shipped


def test_export_saves_each_weight_once_and_the_generator_rebuilds_from_it(
    small_run, tmp_path, monkeypatch
):
    """Issue 19, item 16: the SavedModel held every weight twice (16 MB for 2 M parameters)."""
    import tensorflow as tf

    from kcolor.inference.export import export_savedmodel, load_generator, variable_order
    from kcolor.models.shipped_generator import config_for_manifest, load_shipped_generator

    generator = load_generator(small_run)
    folder = tmp_path / "savedmodels" / "default"
    export_savedmodel(generator, folder, size=64)
    reader = tf.train.load_checkpoint(str(folder / "variables" / "variables"))
    saved = sum(
        int(np.prod(shape)) for key, shape in reader.get_variable_to_shape_map().items() if shape
    )
    assert saved == generator.count_params()  # once, not twice
    manifest = {
        "default": {
            "savedmodel": {"folder": "default", "sha256": shipped.tree_sha256(folder)},
            "generator": config_for_manifest(generator),
            "generator_weights": {"variable_order": variable_order(generator, folder)},
        }
    }
    monkeypatch.setattr(shipped, "_manifest", lambda: manifest)
    monkeypatch.setattr(shipped, "_installed_folder", lambda kind: tmp_path / kind)
    rebuilt = load_shipped_generator("default")
    for ours, theirs in zip(rebuilt.variables, generator.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    served = tf.saved_model.load(str(folder)).signatures["colorize"]
    lightness = np.linspace(0, 100, 64 * 64, dtype=np.float32).reshape(1, 64, 64, 1)
    assert np.abs(served(lightness=tf.constant(lightness))["ab"].numpy()).max() > 0


def test_the_python_api_prints_nothing_of_its_own(tmp_path):
    """Issue 19, item 13: no "Created TensorFlow Lite XNNPACK delegate" line from the API."""
    import subprocess
    import sys

    code = (
        "from PIL import Image; from kcolor import Colorizer;"
        "c = Colorizer.load('default');"
        "print(c.colorize(Image.new('L', (48, 32), 100)).size)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(48, 32)"
    assert done.stderr == ""
