"""tools/results_table.py: evaluate JSON -> the Markdown tables of docs/results.md."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "results_table.py"


def _tool():
    spec = importlib.util.spec_from_file_location("results_table", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REPORT = {
    "protocol": "seed",
    "data": "photos",
    "image_size": 256,
    "n_images": 3,
    "results": [
        {"model": "gray", "metrics": {"mse": {"mean": 0.0034, "std": 0.002}}},
        {
            "model": "runs/x",
            "metrics": {
                "mse": {"mean": 0.00301234, "std": 0.001},
                "psnr": {"mean": 50.123, "std": 1.0},
            },
        },
    ],
}


def test_rows_follow_the_report_and_missing_metrics_are_not_numbers():
    text = _tool().markdown_table(REPORT, names={"runs/x": "x"}, mse_digits=5)
    lines = text.splitlines()
    assert lines[0] == "| model | mse | psnr | fid |"
    assert lines[2] == "| gray | 0.00340 +- 0.00200 | n/a | n/a |"
    assert lines[3] == "| x | 0.00301 +- 0.00100 | 50.12 +- 1.00 | n/a |"
    assert "3 images of `photos` at 256 px, protocol `seed`" in text
