"""AnnealedMean: the decoding layer of a color-class head (class logits -> normalized ab)."""

import keras
import numpy as np

from kcolor.color.ab_bins import annealed_mean


@keras.saving.register_keras_serializable(package="kcolor")
class AnnealedMean(keras.layers.Layer):
    """`softmax(logits / temperature) @ centers`: the annealed mean of Zhang et al. (2016).

    It sits inside the generator, so a classification model still maps L to ab and every saved
    and exported model keeps the same contract. It has no weights; TFLite sees a softmax and a
    matrix product (builtin ops).

    Args:
        centers: `(Q, 2)` bin centers, in the units the output should have (normalized ab).
        temperature: 1 gives the mean of the predicted distribution, small values its mode.
    """

    def __init__(self, centers, temperature, **kwargs):
        super().__init__(**kwargs)
        self.centers = np.asarray(centers, np.float32)
        self.temperature = float(temperature)
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")

    def call(self, logits):
        return annealed_mean(logits, self.centers, self.temperature)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2)

    def get_config(self):
        config = super().get_config()
        config.update(centers=self.centers.tolist(), temperature=self.temperature)
        return config


def with_temperature(generator, temperature):
    """The same generator, weights copied by value, decoding at `temperature` (no training):
    the one knob that trades vivid colors (low T) for fidelity (T = 1) after training."""
    config = generator.get_config()
    if config.get("head") != "classification":
        raise ValueError("only a generator with a classification head has a temperature")
    copy = type(generator).from_config({**config, "temperature": float(temperature)})
    copy.set_weights(generator.get_weights())
    return copy
