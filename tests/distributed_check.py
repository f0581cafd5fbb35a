"""Run one training step on one device and under MirroredStrategy on two logical CPUs; print JSON.

Runs in its own process: logical devices must be configured before TensorFlow starts, which the
test process has already done. Usage: python distributed_check.py ARCH [--unscaled-l1]
"""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kcolor.training.config import config_from_dict  # noqa: E402
from kcolor.training.model_build import build_model  # noqa: E402


def one_step(config, strategy, initial_weights, batch, unscaled_l1):
    with strategy.scope():
        model, _, _ = build_model(config, has_validation=False)
    if unscaled_l1:  # the classic bug: a bare mean that tf.distribute does not divide by replicas
        model.l1_loss = lambda y_true, y_pred: tf.reduce_mean(tf.abs(y_true - y_pred))
    if initial_weights is not None:
        model.set_weights(initial_weights)
    start = [w.copy() for w in model.get_weights()]
    logs = model.fit(tf.data.Dataset.from_tensors(batch), epochs=1, verbose=0).history
    return start, {k: float(v[-1]) for k, v in logs.items()}, model.get_weights()


def main():
    arch = sys.argv[1]
    unscaled_l1 = "--unscaled-l1" in sys.argv
    config = config_from_dict(
        {
            "arch": arch,
            "data": "unused",
            "lr": 1e-2,
            "seed": 0,
            "model": {"filters": [4, 8], "norm": "instance"},
            "gan": {"d_filters": [4, 8], "d_norm": "instance", "label_smoothing": 0.1},
        }
    )
    rng = np.random.default_rng(0)
    batch = (
        rng.uniform(-1, 1, (4, 16, 16, 1)).astype("float32"),
        rng.uniform(-0.5, 0.5, (4, 16, 16, 2)).astype("float32"),
    )
    keras.utils.set_random_seed(0)
    start, single_logs, single_weights = one_step(
        config, tf.distribute.OneDeviceStrategy("/cpu:0"), None, batch, False
    )
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    _, mirrored_logs, mirrored_weights = one_step(config, mirrored, start, batch, unscaled_l1)
    weight_diff = max(
        float(np.abs(a - b).max()) for a, b in zip(single_weights, mirrored_weights, strict=True)
    )
    weight_change = max(
        float(np.abs(a - b).max()) for a, b in zip(start, single_weights, strict=True)
    )
    print(
        json.dumps(
            {
                "replicas": mirrored.num_replicas_in_sync,
                "single": single_logs,
                "mirrored": mirrored_logs,
                "max_weight_diff": weight_diff,
                "max_weight_change": weight_change,
            }
        )
    )


if __name__ == "__main__":
    main()
