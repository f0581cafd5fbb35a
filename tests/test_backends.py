"""Training on the JAX backend (CPU): no TensorFlow in the process, the GAN's stateless step,
DataParallel over 2 virtual devices, and export of a JAX-trained generator under TensorFlow.

Keras picks its backend once per process, so each JAX check runs in a fresh Python process.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from kcolor.cli.main import main

pytest.importorskip("jax")

TINY = ["--image-size", "32", "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "2"]


def _run_python(code, cwd, env_extra=None, timeout=600):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", **(env_extra or {})}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def jax_runs(shared_data, tmp_path_factory):
    """`kcolor train` under KERAS_BACKEND=jax: a U-Net and a GAN, plus a TFDS source refused."""
    root = tmp_path_factory.mktemp("jax-runs")
    data = str(shared_data / "set14")
    code = f"""
        import json, sys
        from click.testing import CliRunner
        from kcolor.cli.main import main
        tiny = {TINY!r} + ["--set", "val_fraction=0.2", "--seed", "1"]
        unet = CliRunner().invoke(main, ["train", "--arch", "unet", "--data", {data!r},
                                         "--run-dir", "unet"] + tiny)
        gan = CliRunner().invoke(main, ["train", "--arch", "gan", "--data", {data!r},
                                        "--run-dir", "gan", "--set", "gan.instance_noise=0.05"]
                                       + tiny)
        tfds = CliRunner().invoke(main, ["train", "--data", "tfds:coco/2017",
                                         "--run-dir", "tfds"] + tiny)
        import keras
        print(json.dumps({{
            "codes": [unet.exit_code, gan.exit_code],
            "outputs": [unet.output[-1500:], gan.output[-1500:]],
            "tfds": [tfds.exit_code, tfds.output],
            "backend": keras.backend.backend(),
            "tensorflow_loaded": "tensorflow" in sys.modules,
        }}))
    """
    return root, _run_python(code, root)


def test_jax_training_of_unet_and_gan_never_imports_tensorflow(jax_runs):
    root, report = jax_runs
    assert report["codes"] == [0, 0], report["outputs"]
    assert report["backend"] == "jax"
    assert report["tensorflow_loaded"] is False
    for run in ("unet", "gan"):
        assert (root / run / "generator.keras").is_file()
        assert "backend: jax" in (root / run / "config.yaml").read_text()
        assert (root / run / "history.csv").is_file()
    assert "g_loss" in (root / "gan" / "history.csv").read_text().splitlines()[0]
    code, output = report["tfds"]
    assert code != 0 and "use --backend tensorflow" in output


def test_a_jax_trained_generator_exports_to_int8_tflite_with_parity(jax_runs, shared_data):
    root, _ = jax_runs
    out = root / "unet-int8.tflite"
    result = CliRunner().invoke(
        main,
        ["export", str(root / "unet"), "--format", "tflite", "--quantize", "int8"]
        + ["--calibration-data", str(shared_data / "set5"), "--size", "64", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "parity vs Keras" in result.output and "(ok)" in result.output


def test_jax_gan_step_updates_both_networks_and_both_optimizers(tmp_path):
    code = """
        import json
        import numpy as np
        import keras
        from kcolor.models import PatchDiscriminator, build_generator
        from kcolor.training.color_gan import ColorGAN

        keras.utils.set_random_seed(0)
        gan = ColorGAN(build_generator("default", filters=(4, 8)),
                       PatchDiscriminator(filters=(4, 8)), instance_noise=0.1, seed=0)
        gan.compile(g_optimizer=keras.optimizers.Adam(1e-3),
                    d_optimizer=keras.optimizers.Adam(1e-3))
        g_before = [w.copy() for w in gan.generator.get_weights()]
        d_before = [w.copy() for w in gan.discriminator.get_weights()]
        rng = np.random.default_rng(0)
        l = rng.uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
        ab = rng.uniform(-0.3, 0.3, (8, 16, 16, 2)).astype("float32")
        history = gan.fit(l, ab, batch_size=4, epochs=1, verbose=0)
        changed = lambda a, b: any(not np.allclose(x, y) for x, y in zip(a, b))
        print(json.dumps({
            "g_changed": changed(g_before, gan.generator.get_weights()),
            "d_changed": changed(d_before, gan.discriminator.get_weights()),
            "g_steps": int(gan.g_optimizer.iterations.numpy()),
            "d_steps": int(gan.d_optimizer.iterations.numpy()),
            "logs": sorted(history.history),
            "finite": all(np.isfinite(v[-1]) for v in history.history.values()),
        }))
    """
    report = _run_python(code, tmp_path)
    assert report["g_changed"] and report["d_changed"]
    assert report["g_steps"] == 2 and report["d_steps"] == 2
    assert report["logs"] == ["d_loss", "g_adv", "g_loss", "l1"] and report["finite"]


def test_data_parallel_over_two_virtual_cpu_devices(shared_data, tmp_path):
    data = str(shared_data / "set14")
    code = f"""
        import json, logging
        from click.testing import CliRunner
        from kcolor.cli.main import main
        import jax
        tiny = {TINY!r} + ["--set", "val_fraction=0.2", "--seed", "1"]
        odd = CliRunner().invoke(main, ["train", "--data", {data!r}, "--run-dir", "odd",
                                        "--batch-size", "3"] + tiny[:2] + tiny[4:])
        ok = CliRunner().invoke(main, ["-v", "train", "--data", {data!r}, "--run-dir", "dp"]
                                      + tiny)
        print(json.dumps({{"devices": len(jax.devices()), "odd": [odd.exit_code, odd.output],
                          "ok": [ok.exit_code, ok.output[-3000:]]}}))
    """
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    report = _run_python(code, tmp_path, env_extra=env)
    assert report["devices"] == 2
    code, output = report["odd"]
    assert code != 0 and "does not split over 2 devices" in output
    code, output = report["ok"]
    assert code == 0, output
    assert (tmp_path / "dp" / "generator.keras").is_file()


def test_a_missing_backend_package_is_a_one_line_error(shared_data, tmp_path):
    from kcolor.training.backend import require_backend

    try:
        import torch  # noqa: F401

        pytest.skip("torch is installed here")
    except ImportError:
        pass
    with pytest.raises(ValueError, match="needs the torch package: pip install torch"):
        require_backend("torch")
    result = CliRunner().invoke(
        main,
        ["train", "--backend", "torch", "--data", str(shared_data / "set5")]
        + ["--run-dir", str(tmp_path / "run")],
    )
    assert result.exit_code != 0 and "needs the torch package" in result.output
    assert not (tmp_path / "run").exists()
