"""The shipped default as a trainable Keras generator, rebuilt from its SavedModel.

A training campaign must survive a lost run folder: `kcolor train --init-generator default`
starts from what ships. The SavedModel holds the weights (verified by sha256) but not the Keras
model, so `kcolor/shipped.json` also records the generator's Keras config (`generator`) and
which generator variable each saved one is (`generator_weights.variable_order`, written by
tools/ship_default.py; older exports saved the model's own variables too, in order). Rebuilding
needs TensorFlow, to read the checkpoint; the frozen ImageNet encoder's weights come from the
checkpoint too, so nothing is downloaded.
"""

import json
from pathlib import Path

SHIPPED_INIT_NAMES = ("default",)


def names_shipped_model(value):
    """True when an `--init-generator` value means a shipped model, not a path: a shipped
    name with no file or folder of that name here (a local `default/` run folder wins)."""
    return value in SHIPPED_INIT_NAMES and not Path(value).exists()


_VARIABLE_KEY = "variables/{}/.ATTRIBUTES/VARIABLE_VALUE"
_SERVING_KEY = "_all_variables/{}/.ATTRIBUTES/VARIABLE_VALUE"


class ShippedGeneratorError(RuntimeError):
    """The shipped model cannot be rebuilt as a Keras generator; the message says why."""


def _manifest_entry(name):
    from kcolor.shipped import _manifest

    return _manifest().get(name, {}).get("generator_weights", {})


def generator_config(name="default"):
    """The Keras config (`keras.saving.serialize_keras_object`) of a shipped generator."""
    from kcolor.shipped import _manifest

    entry = _manifest().get(name, {})
    if "generator" not in entry:
        raise ShippedGeneratorError(
            f"the shipped {name!r} model records no Keras config in kcolor/shipped.json "
            "(re-ship it with tools/ship_default.py)"
        )
    return entry["generator"]


def shipped_budget(name="default"):
    """The training budget recorded for a shipped model (kcolor.training.budget's keys), or None."""
    from kcolor.shipped import _manifest

    return _manifest().get(name, {}).get("budget")


def shipped_weights_budget(name="default"):
    """What a shipped model's weights were trained on (kcolor.training.budget.weights_budget),
    or None for a release that did not record it."""
    from kcolor.shipped import _manifest

    return _manifest().get(name, {}).get("weights_budget")


def load_shipped_generator(name="default"):
    """A Keras generator with the weights of the shipped SavedModel `name`.

    Returns:
        A `keras.Model` mapping normalized L to normalized ab, as `kcolor train` builds them.

    Raises:
        ShippedGeneratorError: no recorded config, or the SavedModel's variables do not fit it.
        kcolor.shipped.ShippedModelError: the SavedModel is missing or fails its sha256.
    """
    import keras
    import tensorflow as tf

    import kcolor.models.presets  # noqa: F401  (registers kcolor's classes)
    from kcolor.shipped import shipped_model_path

    folder = shipped_model_path(name, backend="keras")
    generator = keras.saving.deserialize_keras_object(generator_config(name))
    reader = tf.train.load_checkpoint(str(Path(folder) / "variables" / "variables"))
    shapes = reader.get_variable_to_shape_map()
    order = _manifest_entry(name).get("variable_order")
    if order is not None:
        # Written by kcolor.inference.export: each weight once, in the serving graph's order.
        keys = {index: _SERVING_KEY.format(n) for n, index in enumerate(order)}
    else:
        # Older exports also saved the Keras variables, in the generator's own order.
        keys = {index: _VARIABLE_KEY.format(index) for index in range(len(generator.variables))}
    if sorted(keys) != list(range(len(generator.variables))):
        raise ShippedGeneratorError(
            f"{folder} holds a different number of variables than its recorded generator config"
        )
    for index, variable in enumerate(generator.variables):
        key = keys[index]
        if tuple(shapes.get(key, ())) != tuple(variable.shape):
            raise ShippedGeneratorError(
                f"{folder}: variable {index} ({variable.path}) has shape {shapes.get(key)}, "
                f"the recorded config expects {tuple(variable.shape)}"
            )
        variable.assign(reader.get_tensor(key))
    return generator


def config_for_manifest(generator):
    """What `tools/ship_default.py` records as a shipped generator's config (JSON-safe)."""
    import keras

    return json.loads(json.dumps(keras.saving.serialize_keras_object(generator)))


def write_shipped_keras(path, name="default"):
    """Write the shipped generator `name` as a trainable `.keras` file at `path`, atomically, for
    what cannot read the SavedModel itself (JAX training, a checkpoint's template)."""
    from kcolor.fileio import atomic_path

    with atomic_path(path, prefix=".tmp-", suffix="") as tmp:
        load_shipped_generator(name).save(tmp)
