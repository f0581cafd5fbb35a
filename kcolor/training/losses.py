"""Losses: the study's three regression losses on normalized ab, and the GAN's adversarial terms.

Every term is a `keras.losses.Loss`, so under `tf.distribute` Keras divides it by the number of
replicas (a bare `tf.reduce_mean` would not be, and would silently reweight the GAN objective).
Each has a pure function beside it, used by the tests.
"""

import keras
import numpy as np
from keras import ops

from kcolor.color import ab_bins
from kcolor.color.lab_scale import AB_SCALE
from kcolor.names import ADVERSARIAL_KINDS, HUBER_DELTA, NEUTRAL_CHROMA, REGRESSION_LOSSES

# HUBER_DELTA = 0.1 (kcolor.names). Targets are ab / 110 (kcolor.color.lab_ops): |ab_norm| has
# median 0.044 and 90th percentile 0.23 on coco_val2017. The study's SmoothL1 with beta 1 on [0, 1]
# targets never left its quadratic zone, so it equalled MSE / 2. With delta 0.1 (11 Lab units)
# small residuals are squared and large ones (ambiguous colors: a car that could be red or blue)
# count linearly, so this loss really differs from both MSE and L1.

ADVERSARIAL_ROLES = ("d_real", "d_fake", "g")


def build_regression_loss(name, huber_delta=HUBER_DELTA):
    """The `--loss` choices: "mse", "l1" or "huber" (delta `huber_delta`)."""
    if name == "mse":
        return keras.losses.MeanSquaredError(name="mse")
    if name == "l1":
        return keras.losses.MeanAbsoluteError(name="l1")
    if name == "huber":
        return keras.losses.Huber(delta=huber_delta, name="huber")
    raise ValueError(f"loss must be one of {REGRESSION_LOSSES}, got {name!r}")


def huber_values(residual, delta=HUBER_DELTA):
    """Elementwise Huber: 0.5 r^2 where |r| <= delta, else delta (|r| - 0.5 delta)."""
    abs_r = ops.abs(residual)
    return ops.where(abs_r <= delta, 0.5 * ops.square(residual), delta * (abs_r - 0.5 * delta))


def adversarial_values(logits, kind, role, label_smoothing=0.0):
    """Elementwise adversarial loss on discriminator logits.

    Args:
        logits: raw discriminator outputs (one per patch).
        kind: "vanilla" (binary cross-entropy, pix2pix), "lsgan" (least squares) or "hinge".
        role: "d_real" (D on real pairs), "d_fake" (D on generated pairs) or "g" (G wants D to
            call its output real).
        label_smoothing: one-sided: the real target becomes 1 - smoothing, for D only
            (vanilla and lsgan; hinge has no targets).
    """
    if kind not in ADVERSARIAL_KINDS:
        raise ValueError(f"adversarial loss must be one of {ADVERSARIAL_KINDS}, got {kind!r}")
    if role not in ADVERSARIAL_ROLES:
        raise ValueError(f"role must be one of {ADVERSARIAL_ROLES}, got {role!r}")
    logits = ops.cast(logits, "float32")
    if kind == "hinge":
        if role == "d_real":
            return ops.relu(1.0 - logits)
        if role == "d_fake":
            return ops.relu(1.0 + logits)
        return -logits
    target = {"d_real": 1.0 - label_smoothing, "d_fake": 0.0, "g": 1.0}[role]
    if kind == "lsgan":
        return ops.square(logits - target)
    # Numerically stable binary cross-entropy with logits.
    return ops.relu(logits) - logits * target + ops.log1p(ops.exp(-ops.abs(logits)))


@keras.saving.register_keras_serializable(package="kcolor")
class AdversarialLoss(keras.losses.Loss):
    """`adversarial_values` as a Keras loss; `y_true` is ignored, `y_pred` are the logits."""

    def __init__(self, kind="vanilla", role="g", label_smoothing=0.0, name=None, **kwargs):
        super().__init__(name=name or f"{kind}_{role}", **kwargs)
        adversarial_values(ops.zeros((1,)), kind, role)  # validates kind and role early
        self.kind = kind
        self.role = role
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        return adversarial_values(y_pred, self.kind, self.role, self.label_smoothing)

    def get_config(self):
        config = super().get_config()
        config.update(kind=self.kind, role=self.role, label_smoothing=self.label_smoothing)
        return config


@keras.saving.register_keras_serializable(package="kcolor")
class ColorClassLoss(keras.losses.Loss):
    """Rebalanced soft cross-entropy over ab bins (Zhang et al. 2016), per pixel.

    `y_true` is normalized ab (the pipeline's target, ab / AB_SCALE); `y_pred` are the class
    logits of the generator's `ab_logits` layer. The values are
    `kcolor.color.ab_bins.class_loss_values`.

    With `regression_weight > 0` a regression term on the decoded colors is added per pixel:
    `regression_weight * decoded_regression_values(...)`, an L1 or Huber loss between the
    annealed mean at `temperature` and the true ab (both normalized, ab / AB_SCALE). The class
    term alone lets a pixel's expected color drift (a warm cast on white walls); the regression
    term ties the color the model will actually paint to the truth.

    With `neutral_weight > 0` the same regression term counts that much more on pixels whose
    true chroma is under NEUTRAL_CHROMA (what `--metrics cast` scores): raising
    `regression_weight` cut the cast but pulled every color toward gray with it; this term
    weighs only the pixels whose truth is gray (the model still grays colors it cannot tell
    from them, so it too costs colorfulness, at a lower rate: docs/results.md).

    Args:
        centers: `(Q, 2)` bin centers in Lab units.
        weights: `(Q,)` rebalancing weights (`kcolor.color.ab_bins.rebalancing_weights`); ones when
            None (no rebalancing).
        regression_weight: weight of the regression term (0: off).
        neutral_weight: extra weight of the regression term on truly neutral pixels (0: off).
        regression: "l1" or "huber" (delta `huber_delta`, normalized ab).
        temperature: the decoding temperature of the generator (`model.temperature`).

    Reference:
        R. Zhang, P. Isola, A. A. Efros, "Colorful Image Colorization", ECCV 2016.
    """

    def __init__(
        self,
        centers,
        weights=None,
        regression_weight=0.0,
        regression="l1",
        temperature=ab_bins.TEMPERATURE,
        huber_delta=HUBER_DELTA,
        neutral_weight=0.0,
        name="classification",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.centers = np.asarray(centers, np.float32)
        if weights is None:
            weights = np.ones(len(self.centers), np.float32)
        self.weights = np.asarray(weights, np.float32)
        if self.weights.shape != (len(self.centers),):
            raise ValueError(
                f"{len(self.weights)} rebalancing weights for {len(self.centers)} ab bins"
            )
        if regression not in AB_REGRESSIONS:
            raise ValueError(f"regression must be one of {AB_REGRESSIONS}, got {regression!r}")
        self.regression_weight = float(regression_weight)
        self.neutral_weight = float(neutral_weight)
        self.regression = regression
        self.temperature = float(temperature)
        self.huber_delta = float(huber_delta)

    def call(self, y_true, y_pred):
        ab_norm = pool_to_match(ops.cast(y_true, "float32"), y_pred)
        values = ab_bins.class_loss_values(ab_norm * AB_SCALE, y_pred, self.centers, self.weights)
        if self.regression_weight or self.neutral_weight:
            weight = self.regression_weight
            if self.neutral_weight:
                weight = weight + self.neutral_weight * neutral_mask(ab_norm)
            values = values + weight * decoded_regression_values(
                ab_norm, y_pred, self.centers, self.temperature, self.regression, self.huber_delta
            )
        return values

    def get_config(self):
        config = super().get_config()
        config.update(
            centers=self.centers.tolist(),
            weights=self.weights.tolist(),
            regression_weight=self.regression_weight,
            regression=self.regression,
            temperature=self.temperature,
            huber_delta=self.huber_delta,
            neutral_weight=self.neutral_weight,
        )
        return config


AB_REGRESSIONS = ("l1", "huber")


def decoded_regression_values(
    ab_norm, logits, centers, temperature=ab_bins.TEMPERATURE, kind="l1", delta=HUBER_DELTA
):
    """Per-pixel L1 or Huber loss, mean over a and b, between the annealed-mean decoding of
    class `logits` and the true normalized ab `ab_norm` (same spatial size)."""
    decoded = ab_bins.annealed_mean(logits, centers, temperature) / AB_SCALE
    residual = decoded - ops.cast(ab_norm, "float32")
    if kind == "l1":
        return ops.mean(ops.abs(residual), axis=-1)
    if kind == "huber":
        return ops.mean(huber_values(residual, delta), axis=-1)
    raise ValueError(f"regression must be one of {AB_REGRESSIONS}, got {kind!r}")


def neutral_mask(ab_norm):
    """1.0 where the true chroma of normalized ab is under NEUTRAL_CHROMA (Lab units), else 0."""
    return ops.cast(
        ops.norm(ops.cast(ab_norm, "float32") * AB_SCALE, axis=-1) < NEUTRAL_CHROMA, "float32"
    )


def pool_to_match(ab, logits):
    """Average-pool full-size ab `(B, H, W, 2)` to the size of a strided head's logits."""
    factor = ab.shape[1] // logits.shape[1] if ab.shape[1] and logits.shape[1] else 1
    if factor == 1:
        return ab
    return ops.average_pool(ab, factor, strides=factor, padding="valid")


def decoded_ab_mae(centers, temperature=ab_bins.TEMPERATURE):
    """Metric for a class head: mean |ab| error (normalized ab) of the annealed-mean decoding."""

    def ab_mae(y_true, logits):
        decoded = ab_bins.annealed_mean(logits, centers, temperature) / AB_SCALE
        target = pool_to_match(ops.cast(y_true, "float32"), logits)
        return ops.mean(ops.abs(decoded - target), axis=-1)

    return keras.metrics.MeanMetricWrapper(ab_mae, name="ab_mae")


@keras.saving.register_keras_serializable(package="kcolor")
class NeutralCast(keras.metrics.Metric):
    """`cast` while training: the mean chroma (Lab units) painted on pixels whose true chroma is
    under NEUTRAL_CHROMA, pooled over every pixel of the epoch, as `kcolor evaluate --metrics
    cast` scores it. The validation loss alone missed a stage whose cast grew (docs/results.md).

    Args:
        decode: turns the model's output into normalized ab (a class head's annealed mean);
            None when the model outputs normalized ab itself. A strided head is scored at its
            own resolution, against the truth average-pooled to it. Not saved: a regression
            generator's compile config holds the metric without it.
    """

    def __init__(self, decode=None, name="cast", **kwargs):
        super().__init__(name=name, **kwargs)
        self.decode = decode
        self.chroma_sum = self.add_variable(shape=(), initializer="zeros", name="chroma_sum")
        self.neutral_count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = ops.cast(self.decode(y_pred) if self.decode else y_pred, "float32")
        neutral = neutral_mask(pool_to_match(ops.cast(y_true, "float32"), predicted))
        chroma = ops.norm(predicted * AB_SCALE, axis=-1)
        self.chroma_sum.assign_add(ops.sum(chroma * neutral))
        self.neutral_count.assign_add(ops.sum(neutral))

    def result(self):
        return ops.divide_no_nan(self.chroma_sum, self.neutral_count)

    def reset_state(self):
        self.chroma_sum.assign(0.0)
        self.neutral_count.assign(0.0)


def decoded_cast(centers, temperature=ab_bins.TEMPERATURE):
    """`NeutralCast` of a class head, decoded by the annealed mean at `temperature`."""

    def decode(logits):
        return ab_bins.annealed_mean(logits, centers, temperature) / AB_SCALE

    return NeutralCast(decode)
