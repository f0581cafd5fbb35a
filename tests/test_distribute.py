"""Training under MirroredStrategy on two logical CPUs matches one device (losses and weights)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).with_name("distributed_check.py")


def _run(*args):
    out = subprocess.run(
        [sys.executable, str(CHECK), *args], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("arch", ["gan", "default"])
def test_mirrored_step_matches_single_device(arch):
    result = _run(arch)
    assert result["replicas"] == 2
    assert result["max_weight_change"] > 1e-3  # the step really moved the weights
    assert result["max_weight_diff"] < 1e-4 * max(1.0, result["max_weight_change"] * 100)
    for key, value in result["single"].items():
        assert result["mirrored"][key] == pytest.approx(value, rel=1e-4, abs=1e-5), key


def test_the_check_catches_a_loss_term_not_scaled_per_replica():
    result = _run("gan", "--unscaled-l1")
    assert result["max_weight_diff"] > 1e-3
