"""Bad arguments are one-line errors before TensorFlow loads (issue 19, item 15), a finished run
says so on --resume (item 9), and the shipped model exports at another size (item 15)."""

import numpy as np
import pytest
from cli_child import run_cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "nope", "--data", "{set5}"], "nope: no such run folder or model file"),
        (["evaluate", "gray", "--data", "{missing}"], "no such file or folder"),
        (["evaluate", "gray", "--data", "{set5}", "--metrics", "psnr,sharp"], "unknown metric"),
        (["export", "nope", "--format", "tflite", "-o", "x.tflite"], "no such run folder"),
        (["export", "default", "--format", "tflite", "--quantize", "int8", "-o", "x"], "int8"),
        (
            ["export", "default", "--format", "savedmodel", "--quantize", "fp16", "-o", "x"],
            "tflite",
        ),
        (["train", "--data", "{missing}"], "--data: {missing}: no such file or folder"),
        (["train", "--data", "{set5}", "--init-generator", "nope"], "--init-generator"),
        (["train", "--data", "{set5}", "--color-prior", "{missing}"], "--color-prior"),
        (["color-prior", "{missing}", "-o", "p.npz"], "no such file or folder"),
    ],
)
def test_bad_arguments_fail_in_one_line_before_tensorflow(args, message, shared_data, tmp_path):
    values = {"set5": shared_data / "set5", "missing": tmp_path / "missing"}
    code, output = run_cli(*[a.format(**values) for a in args], cwd=tmp_path)
    assert code in (1, 2), output
    assert message.format(**values) in output
    assert "Traceback" not in output
    assert "NO_TENSORFLOW" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_resume_of_a_finished_run_says_it_is_complete(small_run):
    code, output = run_cli("train", "--run-dir", small_run, "--resume")
    assert code == 0, output
    assert "already complete: all 1 epoch(s) trained" in output
    assert "resuming" not in output and "NO_TENSORFLOW" in output


def test_the_shipped_model_exports_at_another_size(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    out = tmp_path / "default-320.tflite"
    code, output = run_cli("export", "default", "--format", "tflite", "--size", "320", "-o", out)
    assert code == 0, output
    interpreter = Interpreter(model_path=str(out))
    runner = interpreter.get_signature_runner("colorize")
    details = runner.get_input_details()["lightness"]
    assert list(details["shape"]) == [1, 320, 320, 1]
    lightness = np.linspace(0, 100, 320 * 320, dtype=np.float32).reshape(1, 320, 320, 1)
    ab = runner(lightness=lightness)["ab"]
    assert ab.shape == (1, 320, 320, 2) and np.isfinite(ab).all() and np.abs(ab).max() > 1
