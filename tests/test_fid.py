"""Frechet distance against closed forms and an independent route; Inception features offline."""

import numpy as np
import pytest

from kcolor.evaluation.fid import (
    GaussianStats,
    InceptionFeatures,
    frechet_distance,
    frechet_distance_eig,
)


def test_closed_form_for_diagonal_gaussians():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var1, var2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    # For commuting covariances: |mu1 - mu2|^2 + sum (sqrt(v1) - sqrt(v2))^2
    expected = 5.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2
    for fd in (frechet_distance, frechet_distance_eig):
        assert fd(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, abs=1e-9)
        assert fd(mu1, np.diag(var1), mu1, np.diag(var1)) == pytest.approx(0.0, abs=1e-9)


def test_sqrtm_and_eigenvalue_routes_agree_on_full_covariances():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = a @ a.T, b @ b.T
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(
        frechet_distance_eig(mu1, s1, mu2, s2), rel=1e-8
    )


def test_singular_covariances_stay_finite():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 20)), rng.normal(size=(5, 20)) + 0.5  # 5 samples, 20 dims
    sx, sy = GaussianStats(20), GaussianStats(20)
    sx.update(x)
    sy.update(y)
    value = frechet_distance(sx.mean, sx.cov, sy.mean, sy.cov)
    assert np.isfinite(value)
    assert value == pytest.approx(frechet_distance_eig(sx.mean, sx.cov, sy.mean, sy.cov), rel=1e-3)


def test_running_statistics_match_numpy_over_batches():
    x = np.random.default_rng(2).normal(size=(37, 4))
    stats = GaussianStats(4)
    for start in range(0, 37, 10):
        stats.update(x[start : start + 10])
    np.testing.assert_allclose(stats.mean, x.mean(axis=0))
    np.testing.assert_allclose(stats.cov, np.cov(x, rowvar=False))


@pytest.fixture(scope="module")
def random_inception():
    import keras

    keras.utils.set_random_seed(0)
    return InceptionFeatures(weights=None)


def test_inception_features_shapes_layer_and_determinism(random_inception):
    images = np.random.default_rng(3).integers(0, 256, (2, 64, 80, 3)).astype("uint8")
    pool3 = random_inception.pool3(images)
    assert pool3.shape == (2, 2048)
    assert random_inception.pool3_layer.name == "avg_pool"
    assert random_inception.pool3_layer.output.shape[-1] == 2048
    np.testing.assert_array_equal(pool3, random_inception.pool3(images))
    assert random_inception.logits(images).shape == (2, 1000)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    from kcolor.evaluation.fid import InceptionWeightsUnavailable, resolve_inception_weights

    with pytest.raises(InceptionWeightsUnavailable, match="not found"):
        resolve_inception_weights(str(tmp_path / "nope.h5"))
