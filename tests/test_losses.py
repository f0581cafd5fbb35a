"""Each loss against values computed by hand."""

import math

import numpy as np
import pytest

from kcolor.training.losses import HUBER_DELTA, AdversarialLoss, build_regression_loss, huber_values

Y_TRUE = np.array([[0.0, 0.5], [0.2, -0.3]], "float32")
Y_PRED = np.array([[0.05, 0.1], [0.2, 0.3]], "float32")  # residuals 0.05, 0.4, 0, 0.6


def test_regression_losses_by_hand():
    assert float(build_regression_loss("mse")(Y_TRUE, Y_PRED)) == pytest.approx(
        (0.05**2 + 0.4**2 + 0 + 0.6**2) / 4, rel=1e-5
    )
    assert float(build_regression_loss("l1")(Y_TRUE, Y_PRED)) == pytest.approx(
        (0.05 + 0.4 + 0 + 0.6) / 4, rel=1e-5
    )
    d = HUBER_DELTA  # 0.1: 0.05 is inside the quadratic zone, 0.4 and 0.6 outside
    by_hand = (0.5 * 0.05**2 + d * (0.4 - d / 2) + 0 + d * (0.6 - d / 2)) / 4
    assert float(build_regression_loss("huber")(Y_TRUE, Y_PRED)) == pytest.approx(by_hand, rel=1e-5)
    assert float(np.mean(huber_values(Y_PRED - Y_TRUE))) == pytest.approx(by_hand, rel=1e-5)
    with pytest.raises(ValueError):
        build_regression_loss("ssim")


def test_huber_is_not_mse_in_disguise():
    # The study's SmoothL1 (beta 1) equalled MSE / 2 on these targets; ours must not.
    residuals = np.linspace(-0.6, 0.6, 101).astype("float32")
    huber = np.asarray(huber_values(residuals))
    assert not np.allclose(huber, residuals**2 / 2, rtol=0.05)


LOGITS = np.array([-2.0, 0.0, 1.5], "float32")


def _bce(logit, target):
    p = 1 / (1 + math.exp(-logit))
    return -(target * math.log(p) + (1 - target) * math.log(1 - p))


@pytest.mark.parametrize(
    "kind, role, smoothing, per_logit",
    [
        ("vanilla", "d_real", 0.0, lambda x: _bce(x, 1.0)),
        ("vanilla", "d_real", 0.1, lambda x: _bce(x, 0.9)),
        ("vanilla", "d_fake", 0.0, lambda x: _bce(x, 0.0)),
        ("vanilla", "g", 0.0, lambda x: _bce(x, 1.0)),
        ("lsgan", "d_real", 0.0, lambda x: (x - 1) ** 2),
        ("lsgan", "d_fake", 0.0, lambda x: x**2),
        ("lsgan", "g", 0.0, lambda x: (x - 1) ** 2),
        ("hinge", "d_real", 0.0, lambda x: max(0.0, 1 - x)),
        ("hinge", "d_fake", 0.0, lambda x: max(0.0, 1 + x)),
        ("hinge", "g", 0.0, lambda x: -x),
    ],
)
def test_adversarial_losses_by_hand(kind, role, smoothing, per_logit):
    loss = AdversarialLoss(kind, role, label_smoothing=smoothing)
    expected = np.mean([per_logit(float(x)) for x in LOGITS])
    assert float(loss(LOGITS, LOGITS)) == pytest.approx(expected, rel=1e-5)
    restored = AdversarialLoss.from_config(loss.get_config())
    assert (restored.kind, restored.role, restored.label_smoothing) == (kind, role, smoothing)


def test_unknown_adversarial_kind_fails_early():
    with pytest.raises(ValueError, match="adversarial"):
        AdversarialLoss("wasserstein", "g")
