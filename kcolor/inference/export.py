"""Export a generator as a SavedModel or a TFLite model, and check the export against Keras.

The on-device contract (docs/mobile.md): a signature named "colorize"; input "lightness",
float32 `[1, S, S, 1]`, CIE L in [0, 100]; output "ab", float32 `[1, S, S, 2]`, CIE a and b in
Lab units. A guided generator also gets "colorize_guided" (first stays "colorize", so an app
that runs the model's first signature keeps its automatic colors): inputs "lightness",
"hint_ab" `[1, S, S, 2]` in Lab units (zero away from the points), "hint_mask" `[1, S, S, 1]`
(1 on the points) and "palette" `[1, Q + 1]` (kcolor.color.hints), output "ab"; with a class
head, also "suggest": the same inputs, output "probabilities" `[1, S/2, S/2, Q]`, the class
head's distribution over the ab bins (softmax at T = 1), for `Colorizer.suggest_colors`. The weights
are shared: the guided file is about 1.4 MB larger than an automatic one at fp32, where a second
file would double it. The Lab normalization is inside the graph (two multiply-adds), so an app
never needs kcolor's constants. S is fixed (default 256, a multiple of the network's 16): apps
resize or pad the photo's L to S x S, as `Colorizer` does, and upsample ab to the photo's size.

TFLite conversion goes through a SavedModel and `TFLiteConverter.from_saved_model` with builtin
ops only (conversion fails loudly if an op would need SELECT_TF_OPS). Quantization:
"none" (fp32), "fp16" (fp16 weights), "dynamic" (int8 weights, float activations), "int8" (full
integer, calibrated on a representative dataset from the same tf.data pipeline at batch 1).
"""

import tempfile
import warnings
from pathlib import Path

import numpy as np
import tensorflow as tf

from kcolor.color import lab_ops
from kcolor.fileio import atomic_folder
from kcolor.models.guidance import automatic_twin
from kcolor.models.predictors import GUIDED_SIGNATURE, SUGGEST_SIGNATURE, TFLITE_SIGNATURE
from kcolor.quiet import native_stderr_silenced

QUANTIZATIONS = ("none", "fp16", "dynamic", "int8")
PARITY_BARS_DB = {"none": 45.0, "fp16": 40.0, "dynamic": 30.0, "int8": 30.0}
DEFAULT_EXPORT_SIZE = 256


class ExportError(RuntimeError):
    """An export that cannot be done as asked; the message says why."""


def load_generator(model):
    """A Keras generator from a run folder, a `.keras` file, a shipped name ("default": rebuilt
    from its SavedModel, so it can be exported at another size or quantization), or a loaded
    model."""
    import keras

    import kcolor.models.presets  # noqa: F401  (registers kcolor's classes)
    from kcolor.models.shipped_generator import names_shipped_model

    if isinstance(model, keras.Model):
        return model
    if names_shipped_model(model):
        from kcolor.models.shipped_generator import ShippedGeneratorError, load_shipped_generator
        from kcolor.shipped import ShippedModelError

        try:
            return load_shipped_generator(model)
        except (ShippedModelError, ShippedGeneratorError) as err:
            raise ExportError(str(err)) from None
    path = Path(model)
    if path.is_dir():
        path = path / "generator.keras"
    if not path.is_file() or path.suffix != ".keras":
        raise ExportError(f"{model}: expected a run folder, a .keras generator or 'default'")
    from kcolor.models.predictors import ModelLoadError, load_keras_model

    try:
        return load_keras_model(path)
    except ModelLoadError as err:
        raise ExportError(str(err)) from None


def export_savedmodel(generator, out_dir, size=DEFAULT_EXPORT_SIZE):
    """Write a SavedModel with the "colorize" serving signature (see the module docstring)."""
    multiple = getattr(generator, "size_multiple", 16)
    if size % multiple:
        raise ExportError(f"size {size} must be a multiple of the network's {multiple}")
    import keras

    # keras.export.ExportArchive traces only the fixed-size endpoint. tf.saved_model.save on a
    # tf.Module holding the generator would also trace its (None, None, 1) call, where Keras'
    # bilinear UpSampling2D fails ("symbolic tf.Tensor as a Python bool").
    archive = keras.export.ExportArchive()
    archive.track(generator)

    guided = bool(getattr(generator, "guided", False))
    palette_length = generator.inputs[-1].shape[-1] if guided else None
    # Without points or palette a guided model is exactly its automatic twin: "colorize" runs
    # the twin, at the automatic model's cost.
    automatic = _sharing_twin(generator) if guided else generator
    if guided:
        archive.track(automatic)

    def colorize(lightness):
        l_norm = (lightness - lab_ops.L_CENTER) / lab_ops.L_SCALE
        ab_norm = automatic(l_norm, training=False)
        return {"ab": tf.cast(ab_norm, tf.float32) * lab_ops.AB_SCALE}

    def colorize_guided(lightness, hint_ab, hint_mask, palette):
        l_norm = (lightness - lab_ops.L_CENTER) / lab_ops.L_SCALE
        inputs = [l_norm, hint_ab / lab_ops.AB_SCALE, hint_mask, palette]
        ab_norm = generator(inputs, training=False)
        return {"ab": tf.cast(ab_norm, tf.float32) * lab_ops.AB_SCALE}

    spec = tf.TensorSpec([1, size, size, 1], tf.float32, name="lightness")
    archive.add_endpoint(name=TFLITE_SIGNATURE, fn=colorize, input_signature=[spec])
    if guided:
        specs = [
            spec,
            tf.TensorSpec([1, size, size, 2], tf.float32, name="hint_ab"),
            tf.TensorSpec([1, size, size, 1], tf.float32, name="hint_mask"),
            tf.TensorSpec([1, palette_length], tf.float32, name="palette"),
        ]
        archive.add_endpoint(name=GUIDED_SIGNATURE, fn=colorize_guided, input_signature=specs)
        logits_model = _logits_model(generator)
        if logits_model is not None:

            def suggest(lightness, hint_ab, hint_mask, palette):
                l_norm = (lightness - lab_ops.L_CENTER) / lab_ops.L_SCALE
                inputs = [l_norm, hint_ab / lab_ops.AB_SCALE, hint_mask, palette]
                logits = tf.cast(logits_model(inputs, training=False), tf.float32)
                return {"probabilities": tf.nn.softmax(logits, axis=-1)}

            archive.add_endpoint(name=SUGGEST_SIGNATURE, fn=suggest, input_signature=specs)
    # ExportArchive saves every weight twice: once through the Keras variables `track()` lists,
    # once as the tf.Variables the endpoint captures (`_all_variables`), which serving needs.
    # Dropping the Keras lists halves the file; `variable_order` records which generator
    # variable each saved one is, so the generator can still be rebuilt from it.
    tracked = archive._tf_trackable
    tracked.variables, tracked.trainable_variables, tracked.non_trainable_variables = [], [], []
    with atomic_folder(out_dir) as tmp:  # a failed export leaves no half-written folder
        try:
            archive.write_out(str(tmp), verbose=False)
        except tf.errors.OpError as err:
            raise _as_os_error(err) from None
    return Path(out_dir)


def _logits_model(generator):
    """The generator up to its class logits (shared weights), or None without a class head."""
    import keras

    from kcolor.models.blocks import CLASS_LOGITS_LAYER

    try:
        logits = generator.get_layer(CLASS_LOGITS_LAYER).output
    except ValueError:
        return None
    return keras.Model(generator.inputs, logits)


def _signature_keys(generator):
    """The signatures an export has: "colorize", then for a guided generator "colorize_guided"
    and, with a class head, "suggest"."""
    keys = [TFLITE_SIGNATURE]
    if getattr(generator, "guided", False):
        keys.append(GUIDED_SIGNATURE)
        if _logits_model(generator) is not None:
            keys.append(SUGGEST_SIGNATURE)
    return keys


def _as_os_error(err):
    """TensorFlow's file errors as the OSError the CLI reports in one line (disk full, denied)."""
    import errno
    import os

    code = {
        tf.errors.ResourceExhaustedError: errno.ENOSPC,
        tf.errors.PermissionDeniedError: errno.EACCES,
        tf.errors.NotFoundError: errno.ENOENT,
    }.get(type(err), errno.EIO)
    reason = os.strerror(code) if code != errno.EIO else str(err.message).splitlines()[0]
    return OSError(code, reason)


def _sharing_twin(generator):
    """The automatic twin of a guided generator, its weights the generator's own tf.Variables
    (not copies), so the SavedModel and the .tflite hold each weight once."""
    twin = automatic_twin(generator)
    for layer in twin.layers:
        for ours, theirs in zip(
            layer.weights, generator.get_layer(layer.name).weights, strict=True
        ):
            ours._value = theirs._value  # Keras 3's TensorFlow variable keeps its tf.Variable here
    return twin


def variable_order(generator, out_dir):
    """For each `_all_variables/N` of a SavedModel written by `export_savedmodel`, the index of
    the generator variable it holds (matched by shape and value; each must match once)."""
    reader = tf.train.load_checkpoint(str(Path(out_dir) / "variables" / "variables"))
    shapes = reader.get_variable_to_shape_map()
    count = sum(key.startswith("_all_variables/") for key in shapes)
    values = [np.asarray(v) for v in generator.variables]
    order, taken = [], set()
    for n in range(count):
        saved = reader.get_tensor(f"_all_variables/{n}/.ATTRIBUTES/VARIABLE_VALUE")
        match = [
            i
            for i, value in enumerate(values)
            if i not in taken and value.shape == saved.shape and np.array_equal(value, saved)
        ]
        if not match:
            raise ExportError(f"saved variable {n} matches no generator variable")
        order.append(match[0])
        taken.add(match[0])
    return order


def export_tflite(
    generator,
    out_path,
    quantize="none",
    calibration_data=None,
    size=DEFAULT_EXPORT_SIZE,
    calibration_images=64,
):
    """Write a `.tflite` with the "colorize" signature; returns its path."""
    if quantize not in QUANTIZATIONS:
        raise ExportError(f"quantize must be one of {QUANTIZATIONS}, got {quantize!r}")
    if quantize == "int8" and not calibration_data:
        raise ExportError("int8 needs --calibration-data (photos like the ones to colorize)")
    with tempfile.TemporaryDirectory() as tmp:
        export_savedmodel(generator, tmp, size=size)
        keys = _signature_keys(generator)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=keys)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "fp16":
            converter.target_spec.supported_types = [tf.float16]
        if quantize == "int8":
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.representative_dataset = _representative_dataset(
                calibration_data, size, calibration_images, guided_keys=keys[1:]
            )
        try:
            # The converter prints its settings from C++ ("fully_quantize: 0, ...") and, for
            # int8, calibrates through the deprecated tf.lite.Interpreter, which warns.
            with native_stderr_silenced(), warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
                flatbuffer = converter.convert()
        except Exception as err:  # the converter raises ConverterError and plain Exceptions
            raise ExportError(f"TFLite conversion failed: {str(err).splitlines()[0]}") from None
    from kcolor.fileio import atomic_write_bytes

    atomic_write_bytes(out_path, flatbuffer)
    return Path(out_path)


def _representative_dataset(source, size, count, guided_keys=()):
    """Calibration inputs from the evaluation pipeline at batch 1, in the model's input units;
    for a guided model each photo calibrates every signature, the guided ones with points drawn
    from its truth as in training (kcolor.color.hints) and a palette on every other photo."""
    from kcolor.data.pipeline import build_dataset

    guided = bool(guided_keys)
    dataset = build_dataset(
        source, image_size=size, batch_size=1, training=False, guided=guided, palette_fraction=0.5
    )

    def generate():
        for inputs, _ in dataset.take(count):
            if not guided:
                yield {"lightness": lab_ops.denormalize_l(inputs)}
                continue
            l_norm, hint_ab, hint_mask, palette = inputs
            lightness = lab_ops.denormalize_l(l_norm)
            yield TFLITE_SIGNATURE, {"lightness": lightness}
            guided_inputs = {
                "lightness": lightness,
                "hint_ab": hint_ab * lab_ops.AB_SCALE,
                "hint_mask": hint_mask,
                "palette": palette,
            }
            for key in guided_keys:
                yield key, guided_inputs

    return generate


def parity_psnr(generator, exported, source, size=DEFAULT_EXPORT_SIZE, limit=8, guided=False):
    """PSNR (dB) between the final 8-bit sRGB of the Keras generator and of the export.

    Both colorize the same evaluation crops of `source` (at most `limit`); the PSNR is of the
    MSE pooled over all of them, data_range 255; infinite when they are identical. With
    `guided`, both take the same points (drawn from the truth as in training) and palettes,
    through the export's "colorize_guided" signature.
    """
    from kcolor.color.hints import Guidance
    from kcolor.data.pipeline import build_dataset
    from kcolor.models.predictors import load_predictor

    exported_predictor = load_predictor(str(exported))
    if guided and not exported_predictor.guided:
        raise ExportError(f"{exported} has no {GUIDED_SIGNATURE} signature")
    squared_error, count = 0.0, 0
    dataset = build_dataset(source, image_size=size, batch_size=1, training=False, guided=guided)
    for inputs, _ in dataset.take(limit):
        if guided:
            l_norm, *guidance = (x.numpy() for x in inputs)
            guidance = Guidance(*guidance)
        else:
            l_norm, guidance = inputs.numpy(), None
        keras_ab = _keras_ab(generator, l_norm, guidance)
        lite_ab = exported_predictor.predict_ab(l_norm, guidance)
        keras_rgb = lab_ops.normalized_lab_to_uint8(l_norm, keras_ab).numpy().astype(np.float64)
        lite_rgb = lab_ops.normalized_lab_to_uint8(l_norm, lite_ab).numpy().astype(np.float64)
        squared_error += float(np.sum((keras_rgb - lite_rgb) ** 2))
        count += keras_rgb.size
    if count == 0:
        raise ExportError(f"{source}: no usable photos for the parity check")
    mse = squared_error / count
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def _keras_ab(generator, l_norm, guidance):
    """The Keras generator's normalized ab; a guided one without guidance gets none (zeros)."""
    from kcolor.color.ab_bins import in_gamut_bins
    from kcolor.color.hints import Guidance

    inputs = l_norm
    if getattr(generator, "guided", False):
        if guidance is None:
            guidance = Guidance.empty(len(l_norm), *l_norm.shape[1:3], in_gamut_bins())
        inputs = [l_norm, *guidance.arrays()]
    return np.asarray(generator(inputs, training=False), np.float32)
